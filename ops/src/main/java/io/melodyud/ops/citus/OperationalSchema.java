package io.melodyud.ops.citus;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * The operational schema: what the platform's services write and CDC reads. Distributed tables are hashed by
 * {@code user_id}; reference tables are copied to every worker. On the workers every table exists only as
 * Citus-named shard tables ({@code users_102008}); the coordinator holds the empty logical tables, for reference,
 * and the shard map {@code melody_dist.shards}.
 *
 * <p>Personal data (e-mail, display name) lives only here: CDC publishes the columns the topologies need.
 */
public final class OperationalSchema {

    /**
     * A table of the schema; {@code columns} is the column list of its CREATE TABLE (constraints included),
     * {@code distributed} tells whether it is hashed by user_id (otherwise it is a reference table).
     */
    public record Table(String name, boolean distributed, String columns) {

        String createStatement(final String physicalName) {
            return "CREATE TABLE IF NOT EXISTS " + physicalName + " (" + columns + ")";
        }
    }

    private static final String TIERS = "'FREE','PREMIUM','FAMILY','STUDENT'";

    /** In creation order, which is also the order Citus hands out shard ids in. */
    public static final List<Table> TABLES = List.of(
        new Table("users", true, """
            user_id bigint PRIMARY KEY,
            email text NOT NULL,
            display_name text NOT NULL,
            country char(2) NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
            tier text NOT NULL CHECK (tier IN (%s)),
            signup_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL DEFAULT now()""".formatted(TIERS)),
        // The primary key must contain the distribution column in Citus, hence (user_id, subscription_id).
        new Table("subscriptions", true, """
            subscription_id bigint NOT NULL,
            user_id bigint NOT NULL,
            plan text NOT NULL CHECK (plan IN (%s)),
            status text NOT NULL CHECK (status IN ('TRIAL','ACTIVE','PAST_DUE','CANCELLED','EXPIRED')),
            started_at timestamptz NOT NULL,
            ends_at timestamptz,
            monthly_price numeric(10,2) NOT NULL CHECK (monthly_price >= 0),
            currency char(3) NOT NULL,
            updated_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (user_id, subscription_id)""".formatted(TIERS)),
        new Table("rights_holders", false, """
            rights_holder_id bigint PRIMARY KEY,
            name text NOT NULL,
            kind text NOT NULL CHECK (kind IN ('LABEL','PUBLISHER','ARTIST','DISTRIBUTOR')),
            country char(2) NOT NULL,
            payout_currency char(3) NOT NULL,
            updated_at timestamptz NOT NULL DEFAULT now()"""),
        new Table("tracks", false, """
            track_id bigint PRIMARY KEY,
            title text NOT NULL,
            artist_name text NOT NULL,
            rights_holder_id bigint NOT NULL,
            duration_ms integer NOT NULL CHECK (duration_ms > 0),
            isrc char(12),
            released_on date NOT NULL,
            updated_at timestamptz NOT NULL DEFAULT now()"""),
        new Table("royalty_rates", false, """
            rate_id bigint PRIMARY KEY,
            country char(2) NOT NULL,
            tier text NOT NULL CHECK (tier IN (%s)),
            rate_per_play numeric(18,8) NOT NULL CHECK (rate_per_play >= 0),
            currency char(3) NOT NULL,
            valid_from timestamptz NOT NULL,
            updated_at timestamptz NOT NULL DEFAULT now(),
            UNIQUE (country, tier, valid_from)""".formatted(TIERS)),
        new Table("ad_campaigns", false, """
            campaign_id bigint PRIMARY KEY,
            advertiser text NOT NULL,
            name text NOT NULL,
            cpm numeric(12,4) NOT NULL CHECK (cpm >= 0),
            budget numeric(14,2) NOT NULL CHECK (budget >= 0),
            currency char(3) NOT NULL,
            target_countries text[] NOT NULL DEFAULT '{}',
            status text NOT NULL CHECK (status IN ('DRAFT','ACTIVE','PAUSED','ENDED')),
            starts_at timestamptz NOT NULL,
            ends_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL DEFAULT now(),
            CHECK (ends_at > starts_at)"""));

    private OperationalSchema() {
    }

    public static Table table(final String name) {
        return TABLES.stream().filter(t -> t.name().equals(name)).findFirst()
            .orElseThrow(() -> new IllegalArgumentException("Unknown operational table " + name));
    }

    /** Creates the logical tables and the shard map on the coordinator, and records {@code layout}. Idempotent. */
    public static void createOnCoordinator(final Connection coordinator, final CitusLayout layout,
                                           final List<String> workerNames) throws SQLException {
        try (Statement st = coordinator.createStatement()) {
            for (final Table table : TABLES) {
                st.execute(table.createStatement(table.name()));
            }
            st.execute("CREATE SCHEMA IF NOT EXISTS melody_dist");
            st.execute("""
                CREATE TABLE IF NOT EXISTS melody_dist.shards (
                  logical_table text NOT NULL,
                  shard_id bigint NOT NULL,
                  shard_index integer NOT NULL,
                  min_hash integer NOT NULL,
                  max_hash integer NOT NULL,
                  worker text NOT NULL,
                  is_reference boolean NOT NULL,
                  PRIMARY KEY (shard_id, worker))""");
            st.execute("TRUNCATE melody_dist.shards");
        }
        try (var insert = coordinator.prepareStatement(
                "INSERT INTO melody_dist.shards VALUES (?, ?, ?, ?, ?, ?, ?)")) {
            for (final CitusLayout.Shard shard : layout.shards()) {
                for (final int worker : shard.workers()) {
                    insert.setString(1, shard.table());
                    insert.setLong(2, shard.shardId());
                    insert.setInt(3, shard.index());
                    insert.setInt(4, shard.minHash());
                    insert.setInt(5, shard.maxHash());
                    insert.setString(6, workerNames.get(worker));
                    insert.setBoolean(7, !table(shard.table()).distributed());
                    insert.addBatch();
                }
            }
            insert.executeBatch();
        }
    }

    /** Creates on worker {@code worker} the shard tables {@code layout} places there. Idempotent. */
    public static void createOnWorker(final Connection connection, final CitusLayout layout, final int worker)
            throws SQLException {
        try (Statement st = connection.createStatement()) {
            for (final CitusLayout.Shard shard : layout.shards()) {
                if (shard.workers().contains(worker)) {
                    st.execute(table(shard.table()).createStatement(shard.tableName()));
                }
            }
        }
    }
}
