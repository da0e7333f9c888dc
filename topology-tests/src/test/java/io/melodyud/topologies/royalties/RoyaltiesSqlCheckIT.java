package io.melodyud.topologies.royalties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.melodyud.avro.common.Tier;
import io.melodyud.avro.event.PlayEvent;
import io.melodyud.avro.output.RoyaltyAggregate;
import io.melodyud.avro.output.RoyaltyRecordKind;
import io.melodyud.contracts.config.LocalStack;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An independent check of the royalty arithmetic: a generated day of plays (tier upgrades and country moves during
 * the day, a rate change at noon, duplicates, short plays, plays out of order within the grace) goes through the
 * topology, and the same events are loaded into PostgreSQL, where one plain SQL query prices them (the seeds'
 * {@code COUNT(*) * rate}, with the rate and the user's tier and country taken as of each play). Both must give
 * the same plays and amounts per rights holder, country and day, and per rights holder and month, to the last
 * decimal.
 */
class RoyaltiesSqlCheckIT {

    private static final Instant DAY = Instant.parse("2025-03-14T00:00:00Z");
    private static final Instant NOON = DAY.plus(Duration.ofHours(12));
    private static final String[] COUNTRIES = {"CO", "MX", "BR"};
    private static final Tier[] TIERS = {Tier.FREE, Tier.PREMIUM, Tier.FAMILY, Tier.STUDENT};
    private static final int USERS = 400;
    private static final int TRACKS = 60;
    private static final int PLAYS = 30_000;

    @TempDir
    Path stateDir;

    private record UserVersion(long userId, Instant validFrom, String country, Tier tier) {
    }

    private record RateRow(long rateId, String country, Tier tier, BigDecimal perPlay, Instant validFrom) {
    }

    @Test
    void topologyTotalsEqualAPlainSqlQueryOverTheSameEvents() throws Exception {
        final SplittableRandom random = new SplittableRandom(20250314);
        final List<UserVersion> versions = new ArrayList<>();
        for (long u = 1; u <= USERS; u++) {
            versions.add(new UserVersion(u, Instant.parse("2024-06-01T00:00:00Z"), COUNTRIES[random.nextInt(3)],
                TIERS[random.nextInt(4)]));
            if (random.nextInt(4) == 0) {
                // Upgrades, downgrades and moves during the day.
                versions.add(new UserVersion(u, DAY.plusSeconds(random.nextInt(86_400)), COUNTRIES[random.nextInt(3)],
                    TIERS[random.nextInt(4)]));
            }
        }
        final List<RateRow> rates = new ArrayList<>();
        long rateId = 0;
        for (final String country : COUNTRIES) {
            for (final Tier tier : TIERS) {
                // Rates with 8 decimals that do not add up exactly in binary floating point.
                rates.add(new RateRow(++rateId, country, tier, BigDecimal.valueOf(10_000 + random.nextInt(90_000), 8),
                    Instant.parse("2024-01-01T00:00:00Z")));
                rates.add(new RateRow(++rateId, country, tier, BigDecimal.valueOf(10_000 + random.nextInt(90_000), 8),
                    NOON));
            }
        }
        final List<PlayEvent> sent = new ArrayList<>();
        try (RoyaltiesDriver driver = new RoyaltiesDriver(Map.of(), stateDir)) {
            versions.forEach(v -> driver.user(v.userId(), v.country(), v.tier(), v.validFrom()));
            for (long t = 1; t <= TRACKS; t++) {
                driver.track(t, 100 + t % 7);
            }
            rates.forEach(r -> driver.rate(r.rateId(), r.country(), r.tier(), r.perPlay().toPlainString(),
                r.validFrom()));
            PlayEvent previous = null;
            for (int i = 0; i < PLAYS; i++) {
                final PlayEvent play;
                if (previous != null && random.nextInt(100) < 3) {
                    play = previous;
                } else {
                    // Spread over the day, up to 5 minutes out of order.
                    final Instant startedAt = DAY.plusMillis(i * (86_400_000L / PLAYS))
                        .minusMillis(random.nextInt(300_000));
                    play = PlayEvent.newBuilder(driver.play(1 + random.nextInt(USERS), 1 + random.nextInt(TRACKS),
                        startedAt)).setMsPlayed(random.nextInt(100) < 15 ? random.nextInt(30_000) : 30_000
                            + random.nextInt(200_000)).build();
                }
                previous = play;
                sent.add(play);
                driver.plays.pipeInput(play.getUserId(), play, play.getSentAt());
            }
            // Close the day: a play the next day, after the grace (the month stays open: its lines are LIVE).
            driver.track(999, 999);
            driver.send(driver.play(1, 999, Instant.parse("2025-03-15T01:00:00Z")));
            driver.tick();

            final Map<String, String> topology = new TreeMap<>();
            final Map<String, RoyaltyAggregate> latest = new TreeMap<>();
            driver.daily.readRecordsToList().forEach(r -> latest.put(r.key(), r.value()));
            driver.monthly.readRecordsToList().forEach(r -> latest.put(r.key(), r.value()));
            latest.values().stream().filter(line -> line.getRightsHolderId() != 999).forEach(line -> {
                assertEquals(line.getCountry() == null ? RoyaltyRecordKind.LIVE : RoyaltyRecordKind.FINAL,
                    line.getKind(), "the closed day ends with a FINAL record, the open month is LIVE: " + line);
                topology.put(line.getRightsHolderId() + "|" + (line.getCountry() == null ? "ALL" : line.getCountry())
                    + "|" + line.getPeriodStart(), line.getValidPlays() + " " + line.getAmount().toPlainString());
            });
            assertTrue(driver.adjustments.isEmpty(), "nothing arrived after its period closed");
            assertEquals(sql(versions, rates, sent), topology);
        }
    }

    /** The same events in PostgreSQL (a throwaway schema), priced by one query. */
    private static Map<String, String> sql(final List<UserVersion> versions, final List<RateRow> rates,
                                           final List<PlayEvent> plays) throws Exception {
        final LocalStack stack = LocalStack.fromSystemProperty();
        final Properties props = new Properties();
        props.setProperty("user", stack.pgSuperuser());
        final String schema = "it_royalty_check_" + Long.toHexString(System.nanoTime());
        try (Connection db = DriverManager.getConnection(stack.coordinatorJdbcUrl(), props);
             Statement ddl = db.createStatement()) {
            ddl.execute("CREATE SCHEMA " + schema);
            try {
                ddl.execute("SET search_path TO " + schema);
                ddl.execute("CREATE TABLE user_versions (user_id bigint, valid_from timestamptz, country text, "
                    + "tier text)");
                ddl.execute("CREATE TABLE tracks (track_id bigint PRIMARY KEY, rights_holder_id bigint)");
                ddl.execute("CREATE TABLE rates (country text, tier text, rate_per_play numeric(18,8), "
                    + "valid_from timestamptz)");
                ddl.execute("CREATE TABLE plays (event_id uuid, user_id bigint, track_id bigint, "
                    + "started_at timestamptz, ms_played bigint)");
                db.setAutoCommit(false);
                try (PreparedStatement insert = db.prepareStatement("INSERT INTO user_versions VALUES (?,?,?,?)")) {
                    for (final UserVersion v : versions) {
                        insert.setLong(1, v.userId());
                        insert.setTimestamp(2, Timestamp.from(v.validFrom()));
                        insert.setString(3, v.country());
                        insert.setString(4, v.tier().name());
                        insert.addBatch();
                    }
                    insert.executeBatch();
                }
                try (PreparedStatement insert = db.prepareStatement("INSERT INTO tracks VALUES (?, 100 + ? % 7)")) {
                    for (long t = 1; t <= TRACKS; t++) {
                        insert.setLong(1, t);
                        insert.setLong(2, t);
                        insert.addBatch();
                    }
                    insert.executeBatch();
                }
                try (PreparedStatement insert = db.prepareStatement("INSERT INTO rates VALUES (?,?,?,?)")) {
                    for (final RateRow r : rates) {
                        insert.setString(1, r.country());
                        insert.setString(2, r.tier().name());
                        insert.setBigDecimal(3, r.perPlay());
                        insert.setTimestamp(4, Timestamp.from(r.validFrom()));
                        insert.addBatch();
                    }
                    insert.executeBatch();
                }
                try (PreparedStatement insert = db.prepareStatement("INSERT INTO plays VALUES (?,?,?,?,?)")) {
                    for (final PlayEvent p : plays) {
                        insert.setObject(1, p.getEventId());
                        insert.setLong(2, p.getUserId());
                        insert.setLong(3, p.getTrackId());
                        insert.setTimestamp(4, Timestamp.from(p.getStartedAt()));
                        insert.setLong(5, p.getMsPlayed());
                        insert.addBatch();
                    }
                    insert.executeBatch();
                }
                db.commit();
                final String priced = """
                    WITH valid AS (
                      SELECT DISTINCT ON (event_id) * FROM plays WHERE ms_played >= 30000 ORDER BY event_id
                    ), priced AS (
                      SELECT t.rights_holder_id, u.country, (p.started_at AT TIME ZONE 'UTC')::date AS day,
                             (SELECT r.rate_per_play FROM rates r
                               WHERE r.country = u.country AND r.tier = u.tier AND r.valid_from <= p.started_at
                               ORDER BY r.valid_from DESC LIMIT 1) AS rate
                      FROM valid p
                      JOIN tracks t ON t.track_id = p.track_id
                      JOIN LATERAL (SELECT * FROM user_versions v WHERE v.user_id = p.user_id
                                    AND v.valid_from <= p.started_at ORDER BY v.valid_from DESC LIMIT 1) u ON true
                    )
                    SELECT rights_holder_id, country, day::text, count(*), sum(rate) FROM priced
                     GROUP BY rights_holder_id, country, day
                    UNION ALL
                    SELECT rights_holder_id, 'ALL', to_char(date_trunc('month', day), 'YYYY-MM-DD'), count(*),
                           sum(rate) FROM priced GROUP BY rights_holder_id, date_trunc('month', day)
                    """;
                final Map<String, String> totals = new TreeMap<>();
                try (Statement query = db.createStatement(); ResultSet rows = query.executeQuery(priced)) {
                    while (rows.next()) {
                        totals.put(rows.getLong(1) + "|" + rows.getString(2) + "|" + rows.getString(3),
                            rows.getLong(4) + " " + rows.getBigDecimal(5).setScale(8).toPlainString());
                    }
                }
                db.rollback();
                return totals;
            } finally {
                db.setAutoCommit(true);
                ddl.execute("DROP SCHEMA " + schema + " CASCADE");
            }
        }
    }
}
