package io.melodyud.sinks.postgres;

import io.melodyud.sinks.common.Identifiers;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.postgresql.PGConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Versioned DDL of the sink's schema, run at start through a separate administrative connection: the sink's own
 * role never owns or alters anything. Each migration runs in one transaction (PostgreSQL DDL is transactional)
 * under an advisory lock, so two sinks starting together apply it once. Then, on every start, the sink role is
 * created if missing, its password set (hashed client-side with SCRAM-SHA-256, so the clear text never reaches the
 * server or its logs) and its grants applied: SELECT, INSERT, UPDATE on its tables (SELECT and INSERT on
 * adjustments), USAGE on the schema, nothing else.
 */
public final class PostgresMigrations {

    private static final Logger LOG = LoggerFactory.getLogger(PostgresMigrations.class);

    /** One version: its description and statements. */
    public record Migration(int version, String description, List<String> statements) {
    }

    private PostgresMigrations() {
    }

    public static List<Migration> migrations(final String schema, final Map<PostgresTable, String> names) {
        final String s = Identifiers.quotePostgres(schema);
        final String stats = s + "." + Identifiers.quotePostgres(names.get(PostgresTable.TRACK_STATS));
        final String statements = s + "." + Identifiers.quotePostgres(names.get(PostgresTable.ROYALTY_STATEMENTS));
        final String adjustments = s + "." + Identifiers.quotePostgres(names.get(PostgresTable.ROYALTY_ADJUSTMENTS));
        final String reports = s + "." + Identifiers.quotePostgres(names.get(PostgresTable.AD_CAMPAIGN_REPORTS));
        final String offsets = s + "." + Identifiers.quotePostgres(names.get(PostgresTable.SINK_OFFSETS));
        final List<Migration> migrations = new ArrayList<>();
        migrations.add(new Migration(1, "sink tables", List.of(
            "CREATE TABLE " + stats + " ("
                + "track_id bigint PRIMARY KEY, "
                + "plays bigint NOT NULL CHECK (plays >= 0), "
                + "version bigint NOT NULL, "
                + "updated_at timestamptz NOT NULL)",
            "CREATE TABLE " + statements + " ("
                + "rights_holder_id bigint NOT NULL, "
                + "period text NOT NULL CHECK (period IN ('DAY', 'MONTH')), "
                + "period_start date NOT NULL, "
                + "period_end date NOT NULL CHECK (period_end > period_start), "
                + "country text NOT NULL CHECK (country = '' OR country ~ '^[A-Z]{2}$'), "
                + "valid_plays bigint NOT NULL CHECK (valid_plays >= 0), "
                + "amount numeric(20, 8) NOT NULL CHECK (amount >= 0), "
                + "currency char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'), "
                + "kind text NOT NULL CHECK (kind IN ('LIVE', 'FINAL')), "
                + "version bigint NOT NULL, "
                + "PRIMARY KEY (rights_holder_id, period, period_start, country))",
            "CREATE TABLE " + adjustments + " ("
                + "rights_holder_id bigint NOT NULL, "
                + "period text NOT NULL CHECK (period IN ('DAY', 'MONTH')), "
                + "period_start date NOT NULL, "
                + "period_end date NOT NULL CHECK (period_end > period_start), "
                + "country text NOT NULL CHECK (country = '' OR country ~ '^[A-Z]{2}$'), "
                + "valid_plays bigint NOT NULL, "
                + "amount numeric(20, 8) NOT NULL, "
                + "currency char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'), "
                + "version bigint NOT NULL, "
                + "PRIMARY KEY (rights_holder_id, period, period_start, country, version))",
            "CREATE TABLE " + reports + " ("
                + "campaign_id bigint NOT NULL, "
                + "country text NOT NULL CHECK (country ~ '^[A-Z]{2}$'), "
                + "window_start timestamptz NOT NULL, "
                + "window_end timestamptz NOT NULL CHECK (window_end > window_start), "
                + "impressions bigint NOT NULL CHECK (impressions >= 0), "
                + "clicks bigint NOT NULL CHECK (clicks >= 0), "
                + "unattributed_clicks bigint NOT NULL CHECK (unattributed_clicks >= 0), "
                + "ctr_ppm bigint NOT NULL CHECK (ctr_ppm BETWEEN 0 AND 1000000), "
                + "unique_users_estimate bigint NOT NULL CHECK (unique_users_estimate >= 0), "
                + "unique_users_sketch bytea NOT NULL, "
                + "spend numeric(20, 7) NOT NULL CHECK (spend >= 0), "
                + "currency char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'), "
                + "premium_impressions bigint NOT NULL CHECK (premium_impressions >= 0), "
                + "is_final boolean NOT NULL, "
                + "version bigint NOT NULL, "
                + "PRIMARY KEY (campaign_id, country, window_start))",
            "CREATE TABLE " + offsets + " ("
                + "consumer_group text NOT NULL, "
                + "topic text NOT NULL, "
                + "kafka_partition int NOT NULL, "
                + "next_offset bigint NOT NULL, "
                + "updated_at timestamptz NOT NULL DEFAULT now(), "
                + "PRIMARY KEY (consumer_group, topic, kafka_partition))",
            // What finance pays: the latest total of each line plus its adjustments.
            "CREATE VIEW " + s + ".royalty_payable AS "
                + "SELECT st.rights_holder_id, st.period, st.period_start, st.period_end, st.country, st.currency, "
                + "st.kind, st.valid_plays + COALESCE(sum(a.valid_plays), 0) AS valid_plays, "
                + "st.amount + COALESCE(sum(a.amount), 0) AS amount, count(a.version) AS adjustments "
                + "FROM " + statements + " st LEFT JOIN " + adjustments + " a USING (rights_holder_id, period, "
                + "period_start, country) GROUP BY st.rights_holder_id, st.period, st.period_start, st.period_end, "
                + "st.country, st.currency, st.kind, st.valid_plays, st.amount")));
        return migrations;
    }

    /** Applies pending migrations and the role's grants; returns the versions applied. */
    public static List<Integer> apply(final Connection admin, final String schema,
                                      final Map<PostgresTable, String> names, final String role,
                                      final String rolePassword) throws SQLException {
        final String s = Identifiers.quotePostgres(schema);
        final String r = Identifiers.quotePostgres(role);
        final List<Integer> done = new ArrayList<>();
        admin.setAutoCommit(false);
        try (Statement st = admin.createStatement()) {
            st.execute("SELECT pg_advisory_xact_lock(hashtext('melody-sink-migrations:' || " + literal(schema)
                + "))");
            st.execute("CREATE SCHEMA IF NOT EXISTS " + s);
            st.execute("CREATE TABLE IF NOT EXISTS " + s + ".schema_migrations (version int PRIMARY KEY, "
                + "description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())");
            final Set<Integer> applied = new HashSet<>();
            try (ResultSet rs = st.executeQuery("SELECT version FROM " + s + ".schema_migrations")) {
                while (rs.next()) {
                    applied.add(rs.getInt(1));
                }
            }
            for (final Migration migration : migrations(schema, names)) {
                if (applied.contains(migration.version())) {
                    continue;
                }
                for (final String statement : migration.statements()) {
                    st.execute(statement);
                }
                try (PreparedStatement record = admin.prepareStatement("INSERT INTO " + s
                        + ".schema_migrations (version, description) VALUES (?, ?)")) {
                    record.setInt(1, migration.version());
                    record.setString(2, migration.description());
                    record.executeUpdate();
                }
                done.add(migration.version());
                LOG.info("PostgreSQL schema {}: applied migration {} ({})", schema, migration.version(),
                    migration.description());
            }
            boolean exists;
            try (PreparedStatement check = admin.prepareStatement("SELECT 1 FROM pg_roles WHERE rolname = ?")) {
                check.setString(1, role);
                try (ResultSet rs = check.executeQuery()) {
                    exists = rs.next();
                }
            }
            if (!exists) {
                st.execute("CREATE ROLE " + r + " LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION");
            }
            st.execute("REVOKE ALL ON SCHEMA " + s + " FROM PUBLIC");
            st.execute("GRANT USAGE ON SCHEMA " + s + " TO " + r);
            final List<String> upserted = new ArrayList<>();
            for (final PostgresTable table : List.of(PostgresTable.TRACK_STATS, PostgresTable.ROYALTY_STATEMENTS,
                    PostgresTable.AD_CAMPAIGN_REPORTS, PostgresTable.SINK_OFFSETS)) {
                upserted.add(s + "." + Identifiers.quotePostgres(names.get(table)));
            }
            st.execute("GRANT SELECT, INSERT, UPDATE ON " + String.join(", ", upserted) + " TO " + r);
            st.execute("GRANT SELECT, INSERT ON " + s + "."
                + Identifiers.quotePostgres(names.get(PostgresTable.ROYALTY_ADJUSTMENTS)) + " TO " + r);
            st.execute("GRANT SELECT ON " + s + ".royalty_payable TO " + r);
            admin.commit();
        } catch (final SQLException e) {
            admin.rollback();
            throw e;
        }
        if (rolePassword != null) {
            admin.setAutoCommit(true);
            admin.unwrap(PGConnection.class).alterUserPassword(role, rolePassword.toCharArray(), "scram-sha-256");
        }
        return done;
    }

    /** A string literal for the advisory-lock key (the schema name is already validated). */
    private static String literal(final String validated) {
        return "'" + Identifiers.validate("schema", validated) + "'";
    }
}
