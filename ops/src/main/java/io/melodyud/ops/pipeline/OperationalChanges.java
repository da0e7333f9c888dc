package io.melodyud.ops.pipeline;

import io.melodyud.ops.citus.CitusLayout;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The changes the main job writes into the workers while it runs, the way the services would, so that CDC carries
 * them to the topologies: new users, tier upgrades, a royalty rate change, a campaign CPM change and a GDPR
 * erasure. Distributed rows go to the shard their user hashes to; reference rows (rates, campaigns) to every
 * worker, in one transaction each, like Citus' own two-phase writes to reference tables.
 */
public final class OperationalChanges {

    /** One change, described for the progress display. */
    public record Change(String description) {
    }

    private final CitusLayout layout;
    private final List<Connection> workers;
    private long nextUserId;

    public OperationalChanges(final CitusLayout layout, final List<Connection> workers) throws SQLException {
        this.layout = layout;
        this.workers = workers;
        this.nextUserId = maxUserId() + 1;
    }

    /** The changes, in the order the main job applies them over its run. */
    public List<Function<Instant, Change>> plan() {
        final List<Function<Instant, Change>> plan = new ArrayList<>();
        plan.add(this::newUsers);
        plan.add(this::tierUpgrades);
        plan.add(this::rateChange);
        plan.add(this::cpmChange);
        plan.add(this::erasure);
        return plan;
    }

    Change newUsers(final Instant now) {
        final List<Long> added = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            final long userId = nextUserId++;
            write(userId, "INSERT INTO %s (user_id, email, display_name, country, tier, signup_at, updated_at) "
                + "VALUES (?, ?, ?, ?, 'FREE', ?, ?)", statement -> {
                    statement.setLong(1, userId);
                    statement.setString(2, "new" + userId + "@mail.example");
                    statement.setString(3, "New Listener " + userId);
                    statement.setString(4, i2country(userId));
                    statement.setTimestamp(5, Timestamp.from(now));
                    statement.setTimestamp(6, Timestamp.from(now));
                });
            added.add(userId);
        }
        return new Change("5 new free users " + added);
    }

    Change tierUpgrades(final Instant now) {
        final List<Long> upgraded = pickUsers("FREE", 3);
        for (final long userId : upgraded) {
            write(userId, "UPDATE %s SET tier = 'PREMIUM', updated_at = ? WHERE user_id = ?", statement -> {
                statement.setTimestamp(1, Timestamp.from(now));
                statement.setLong(2, userId);
            });
        }
        return new Change("upgraded users " + upgraded + " from FREE to PREMIUM");
    }

    Change rateChange(final Instant now) {
        final String table = layout.shardsOf("royalty_rates").get(0).tableName();
        final String sql = "INSERT INTO " + table + " (rate_id, country, tier, rate_per_play, currency, valid_from, "
            + "updated_at) SELECT max_id + 1, 'US', 'FREE', round(rate_per_play * 1.05, 8), currency, ?, ? FROM "
            + table + ", (SELECT max(rate_id) AS max_id FROM " + table + ") ids WHERE country = 'US' AND tier = 'FREE' "
            + "ORDER BY valid_from DESC LIMIT 1";
        everyWorker(connection -> {
            try (PreparedStatement statement = connection.prepareStatement(sql)) {
                statement.setTimestamp(1, Timestamp.from(now));
                statement.setTimestamp(2, Timestamp.from(now));
                statement.executeUpdate();
            }
        });
        return new Change("royalty rate US/FREE raised 5% from " + now);
    }

    Change cpmChange(final Instant now) {
        final String table = layout.shardsOf("ad_campaigns").get(0).tableName();
        final long campaign = firstLong(workers.get(0), "SELECT min(campaign_id) FROM " + table);
        final BigDecimal[] cpm = new BigDecimal[1];
        everyWorker(connection -> {
            try (PreparedStatement statement = connection.prepareStatement("UPDATE " + table
                    + " SET cpm = round(cpm * 1.10, 4), updated_at = ? WHERE campaign_id = ? RETURNING cpm")) {
                statement.setTimestamp(1, Timestamp.from(now));
                statement.setLong(2, campaign);
                try (ResultSet rows = statement.executeQuery()) {
                    if (rows.next()) {
                        cpm[0] = rows.getBigDecimal(1);
                    }
                }
            }
        });
        return new Change("campaign " + campaign + " CPM raised 10% to " + (cpm[0] == null ? "?"
            : cpm[0].setScale(4, RoundingMode.UNNECESSARY).toPlainString()));
    }

    Change erasure(final Instant now) {
        final List<Long> erased = pickUsers("PREMIUM", 1);
        for (final long userId : erased) {
            // Subscriptions first: they belong to the user.
            write(userId, "DELETE FROM %s WHERE user_id = ?", statement -> statement.setLong(1, userId),
                "subscriptions");
            write(userId, "DELETE FROM %s WHERE user_id = ?", statement -> statement.setLong(1, userId));
        }
        return new Change("erased user " + erased + " (GDPR)");
    }

    private static String i2country(final long userId) {
        final String[] countries = {"US", "BR", "MX", "CO", "GB"};
        return countries[(int) (userId % countries.length)];
    }

    private List<Long> pickUsers(final String tier, final int count) {
        final List<Long> users = new ArrayList<>();
        for (final CitusLayout.Shard shard : layout.shardsOf("users")) {
            final Connection connection = workers.get(shard.workers().get(0));
            try (Statement statement = connection.createStatement();
                 ResultSet rows = statement.executeQuery("SELECT user_id FROM " + shard.tableName()
                     + " WHERE tier = '" + tier + "' ORDER BY user_id LIMIT " + (count - users.size()))) {
                while (rows.next()) {
                    users.add(rows.getLong(1));
                }
            } catch (final SQLException e) {
                throw new IllegalStateException("Cannot read " + shard.tableName() + ": " + e.getMessage(), e);
            }
            if (users.size() >= count) {
                break;
            }
        }
        return users;
    }

    private long maxUserId() throws SQLException {
        long max = 0;
        for (final CitusLayout.Shard shard : layout.shardsOf("users")) {
            max = Math.max(max, firstLong(workers.get(shard.workers().get(0)),
                "SELECT coalesce(max(user_id), 0) FROM " + shard.tableName()));
        }
        return max;
    }

    private static long firstLong(final Connection connection, final String sql) {
        try (Statement statement = connection.createStatement(); ResultSet rows = statement.executeQuery(sql)) {
            rows.next();
            return rows.getLong(1);
        } catch (final SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }

    @FunctionalInterface
    private interface Binder {
        void bind(PreparedStatement statement) throws SQLException;
    }

    @FunctionalInterface
    private interface WorkerWrite {
        void apply(Connection connection) throws SQLException;
    }

    private void write(final long userId, final String template, final Binder binder) {
        write(userId, template, binder, "users");
    }

    /** A write to the shard of {@code table} that {@code userId} hashes to, on each worker holding it. */
    private void write(final long userId, final String template, final Binder binder, final String table) {
        final CitusLayout.Shard shard = layout.shardFor(table, userId);
        for (final int worker : shard.workers()) {
            try (PreparedStatement statement = workers.get(worker).prepareStatement(
                    String.format(template, shard.tableName()))) {
                binder.bind(statement);
                statement.executeUpdate();
            } catch (final SQLException e) {
                throw new IllegalStateException("Write to " + shard.tableName() + " failed: " + e.getMessage(), e);
            }
        }
    }

    private void everyWorker(final WorkerWrite write) {
        for (final Connection connection : workers) {
            try {
                write.apply(connection);
            } catch (final SQLException e) {
                throw new IllegalStateException("Reference table write failed: " + e.getMessage(), e);
            }
        }
    }
}
