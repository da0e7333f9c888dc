package io.melodyud.ops.citus;

import java.io.IOException;
import java.io.StringReader;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads {@link SeedData} into the workers' shard tables: distributed rows on the shard their user hashes to,
 * reference rows on every worker, with deterministic {@code updated_at} so that every copy of a reference row is
 * identical and a reload changes nothing. Each worker is replaced in one transaction (truncate, then COPY), so loading
 * twice gives the same state and a failed load leaves the previous one.
 */
public final class SeedLoader {

    private static final Logger LOG = LoggerFactory.getLogger(SeedLoader.class);

    private final CitusLayout layout;

    public SeedLoader(final CitusLayout layout) {
        this.layout = layout;
    }

    /** Row counts per logical table written to the cluster (reference rows counted once). */
    public Map<String, Integer> load(final SeedData data, final List<Connection> workers) throws SQLException {
        final List<SeedData.UserRow> users = data.users();
        final List<SeedData.SubscriptionRow> subscriptions = data.subscriptions(users);
        final List<SeedData.RightsHolderRow> holders = data.rightsHolders();
        final List<SeedData.TrackRow> tracks = data.tracks();
        final List<SeedData.RateRow> rates = data.royaltyRates();
        final List<SeedData.CampaignRow> campaigns = data.campaigns();

        for (int w = 0; w < workers.size(); w++) {
            final Connection connection = workers.get(w);
            final boolean autoCommit = connection.getAutoCommit();
            connection.setAutoCommit(false);
            try {
                truncateShards(connection, w);
                copyDistributed(connection, w, "users", "user_id, email, display_name, country, tier, signup_at, updated_at",
                    users, SeedData.UserRow::userId, u -> csv(u.userId(), u.email(), u.displayName(), u.country(),
                        u.tier(), u.signupAt(), u.signupAt()));
                copyDistributed(connection, w, "subscriptions",
                    "subscription_id, user_id, plan, status, started_at, ends_at, monthly_price, currency, updated_at",
                    subscriptions, SeedData.SubscriptionRow::userId, s -> csv(s.subscriptionId(), s.userId(),
                        s.plan(), s.status(), s.startedAt(), s.endsAt(), s.monthlyPrice(), s.currency(), s.startedAt()));
                copyReference(connection, "rights_holders", "rights_holder_id, name, kind, country, payout_currency, updated_at",
                    holders, h -> csv(h.rightsHolderId(), h.name(), h.kind(), h.country(), h.payoutCurrency(), SeedData.EPOCH));
                copyReference(connection, "tracks",
                    "track_id, title, artist_name, rights_holder_id, duration_ms, isrc, released_on, updated_at",
                    tracks, t -> csv(t.trackId(), t.title(), t.artistName(), t.rightsHolderId(), t.durationMs(),
                        t.isrc(), t.releasedOn(), SeedData.EPOCH));
                copyReference(connection, "royalty_rates", "rate_id, country, tier, rate_per_play, currency, valid_from, updated_at",
                    rates, r -> csv(r.rateId(), r.country(), r.tier(), r.ratePerPlay(), r.currency(), r.validFrom(), SeedData.EPOCH));
                copyReference(connection, "ad_campaigns",
                    "campaign_id, advertiser, name, cpm, budget, currency, target_countries, status, starts_at, ends_at, updated_at",
                    campaigns, c -> csv(c.campaignId(), c.advertiser(), c.name(), c.cpm(), c.budget(), c.currency(),
                        "{" + String.join(",", c.targetCountries()) + "}", c.status(), c.startsAt(), c.endsAt(), SeedData.EPOCH));
                connection.commit();
            } catch (final SQLException | RuntimeException e) {
                connection.rollback();
                throw e;
            } finally {
                connection.setAutoCommit(autoCommit);
            }
        }
        final Map<String, Integer> counts = new HashMap<>();
        counts.put("users", users.size());
        counts.put("subscriptions", subscriptions.size());
        counts.put("rights_holders", holders.size());
        counts.put("tracks", tracks.size());
        counts.put("royalty_rates", rates.size());
        counts.put("ad_campaigns", campaigns.size());
        LOG.info("Seeded {} workers: {}", workers.size(), counts);
        return counts;
    }

    /** Users present across the workers' shard tables. */
    public static long countUsers(final CitusLayout layout, final List<Connection> workers) throws SQLException {
        long total = 0;
        for (int w = 0; w < workers.size(); w++) {
            for (final CitusLayout.Shard shard : layout.shardsOf("users")) {
                if (shard.workers().contains(w)) {
                    try (Statement st = workers.get(w).createStatement();
                         var rs = st.executeQuery("SELECT count(*) FROM " + shard.tableName())) {
                        rs.next();
                        total += rs.getLong(1);
                    }
                }
            }
        }
        return total;
    }

    private void truncateShards(final Connection connection, final int worker) throws SQLException {
        final List<String> names = new ArrayList<>();
        for (final CitusLayout.Shard shard : layout.shards()) {
            if (shard.workers().contains(worker)) {
                names.add(shard.tableName());
            }
        }
        try (Statement st = connection.createStatement()) {
            st.execute("TRUNCATE " + String.join(", ", names));
        }
    }

    private <R> void copyDistributed(final Connection connection, final int worker, final String table,
                                     final String columns, final List<R> rows, final Function<R, Long> userId,
                                     final Function<R, String> toCsv) throws SQLException {
        final Map<String, StringBuilder> byShard = new HashMap<>();
        for (final R row : rows) {
            final CitusLayout.Shard shard = layout.shardFor(table, userId.apply(row));
            if (shard.workers().contains(worker)) {
                byShard.computeIfAbsent(shard.tableName(), k -> new StringBuilder()).append(toCsv.apply(row));
            }
        }
        for (final Map.Entry<String, StringBuilder> entry : byShard.entrySet()) {
            copy(connection, entry.getKey(), columns, entry.getValue());
        }
    }

    private <R> void copyReference(final Connection connection, final String table, final String columns,
                                   final List<R> rows, final Function<R, String> toCsv) throws SQLException {
        final StringBuilder data = new StringBuilder();
        rows.forEach(row -> data.append(toCsv.apply(row)));
        copy(connection, layout.shardsOf(table).get(0).tableName(), columns, data);
    }

    private static void copy(final Connection connection, final String shardTable, final String columns,
                             final CharSequence csv) throws SQLException {
        try {
            final CopyManager copy = connection.unwrap(PGConnection.class).getCopyAPI();
            copy.copyIn("COPY " + shardTable + " (" + columns + ") FROM STDIN (FORMAT csv)",
                new StringReader(csv.toString()));
        } catch (final IOException e) {
            throw new SQLException("COPY into " + shardTable + " failed", e);
        }
    }

    /** One CSV line; null is an unquoted empty field (SQL NULL), everything else is quoted. */
    static String csv(final Object... values) {
        final StringBuilder line = new StringBuilder();
        for (int i = 0; i < values.length; i++) {
            if (i > 0) {
                line.append(',');
            }
            final Object value = values[i];
            if (value != null) {
                final String text = value instanceof Instant instant ? instant.toString() : value.toString();
                line.append('"').append(text.replace("\"", "\"\"")).append('"');
            }
        }
        return line.append('\n').toString();
    }
}
