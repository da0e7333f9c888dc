package io.melodyud.topologies.ads;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.melodyud.avro.cdc.AdCampaign;
import io.melodyud.avro.cdc.User;
import io.melodyud.avro.event.AdClick;
import io.melodyud.avro.event.AdImpression;
import io.melodyud.avro.output.AdReport;
import io.melodyud.contracts.config.LocalStack;
import io.melodyud.contracts.fixtures.AvroFixtures;
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
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An independent check of the ad reports: a day of seeded traffic goes through the topology (TopologyTestDriver)
 * and, as raw rows (retries included), into a throwaway schema of the local PostgreSQL, where a plain SQL query
 * deduplicates, prices each impression with the CPM valid when it was served, bills free listeners only and
 * attributes clicks. The final reports and the query must agree exactly, per campaign, country and hour, on
 * impressions, clicks, unattributed clicks and spend.
 */
class AdReportsSqlCheckIT {

    private static final Instant DAY = Instant.parse("2025-03-14T00:00:00Z");

    /** The reports by plain SQL, from the raw rows: nothing here shares code with the topology. */
    private static final String REPORTS = """
        WITH imp AS (SELECT DISTINCT ON (impression_id) * FROM %1$s.impressions ORDER BY impression_id),
        clk AS (SELECT DISTINCT ON (click_id) * FROM %1$s.clicks ORDER BY click_id),
        priced AS (
          SELECT i.campaign_id, i.country, date_trunc('hour', i.served_at) AS hour,
            (SELECT v.cpm FROM %1$s.campaign_versions v
              WHERE v.campaign_id = i.campaign_id AND v.valid_from <= i.served_at
              ORDER BY v.valid_from DESC LIMIT 1) AS cpm,
            COALESCE(
              (SELECT u.tier FROM %1$s.user_versions u WHERE u.user_id = i.user_id AND u.valid_from <= i.served_at
                ORDER BY u.valid_from DESC LIMIT 1),
              (SELECT u.tier FROM %1$s.user_versions u WHERE u.user_id = i.user_id ORDER BY u.valid_from LIMIT 1),
              'FREE') AS tier
          FROM imp i),
        by_impressions AS (
          SELECT campaign_id, country, hour, count(*) AS impressions,
            sum(CASE WHEN tier = 'FREE' THEN cpm / 1000 ELSE 0 END) AS spend
          FROM priced GROUP BY 1, 2, 3),
        matched AS (
          SELECT c.click_id, i.campaign_id, i.country, date_trunc('hour', c.clicked_at) AS hour
          FROM clk c JOIN imp i ON i.impression_id = c.impression_id AND i.user_id = c.user_id
            AND i.campaign_id = c.campaign_id
          WHERE c.clicked_at >= i.served_at AND c.clicked_at <= i.served_at + interval '30 minutes'),
        by_clicks AS (SELECT campaign_id, country, hour, count(*) AS clicks FROM matched GROUP BY 1, 2, 3),
        by_unattributed AS (
          SELECT c.campaign_id, c.country, date_trunc('hour', c.clicked_at) AS hour, count(*) AS unattributed
          FROM clk c WHERE c.click_id NOT IN (SELECT click_id FROM matched) GROUP BY 1, 2, 3),
        report_keys AS (
          SELECT campaign_id, country, hour FROM by_impressions UNION SELECT campaign_id, country, hour FROM by_clicks
          UNION SELECT campaign_id, country, hour FROM by_unattributed)
        SELECT k.campaign_id, k.country, (extract(epoch FROM k.hour) * 1000)::bigint AS hour_ms,
          COALESCE(i.impressions, 0), COALESCE(c.clicks, 0), COALESCE(u.unattributed, 0), COALESCE(i.spend, 0)
        FROM report_keys k
          LEFT JOIN by_impressions i USING (campaign_id, country, hour)
          LEFT JOIN by_clicks c USING (campaign_id, country, hour)
          LEFT JOIN by_unattributed u USING (campaign_id, country, hour)
        """;

    @TempDir
    Path stateDir;

    /** Impressions, clicks, unattributed clicks and spend of one report. */
    private record Row(long impressions, long clicks, long unattributed, BigDecimal spend) {

        @Override
        public boolean equals(final Object other) {
            return other instanceof Row r && r.impressions == impressions && r.clicks == clicks
                && r.unattributed == unattributed && r.spend.compareTo(spend) == 0;
        }

        @Override
        public int hashCode() {
            return Long.hashCode(impressions);
        }
    }

    @Test
    void aDayOfReportsMatchesPlainSqlOverTheSameEventsExactly() throws Exception {
        // 40,000 impressions over the day (one every 2.16 s), clicks up to 40 minutes after (some past the window).
        final AdScenario scenario = new AdScenario(20_261_124L, 7_000_001L, 5_000_000L, 40_000, DAY,
            Duration.ofMillis(2_160), Duration.ofMinutes(30).toMillis(), Duration.ofMinutes(40).toMillis());
        final List<Object> events = scenario.inEventTimeOrder();

        final Map<String, Row> fromTopology = new TreeMap<>();
        try (AdReportsDriver app = new AdReportsDriver(stateDir)) {
            scenario.campaigns.forEach(c -> c.versions().forEach(app::change));
            scenario.users.forEach(app::change);
            for (final Object event : events) {
                if (event instanceof AdImpression impression) {
                    app.send(impression);
                } else {
                    app.send((AdClick) event);
                }
            }
            // Event time moves past the day plus the grace period: every hour of the day closes.
            app.send(AvroFixtures.adImpression().setImpressionId(new java.util.UUID(0, 1))
                .setCampaignId(scenario.campaigns.get(0).id()).setUserId(5_000_000L)
                .setServedAt(DAY.plus(Duration.ofHours(26))).build());
            for (final AdReport report : app.finals.readValuesToList()) {
                final Row previous = fromTopology.put(AdAggregationProcessor.outputKey(report), new Row(
                    report.getImpressions(), report.getClicks(), report.getUnattributedClicks(), report.getSpend()));
                assertEquals(null, previous, "one final report per key");
            }
            assertEquals(0, app.counters.total("late"), "a live stream in order: nothing late " + app.counters.snapshot());
            assertEquals(0, app.counters.total("dead-letter"));
        }

        final LocalStack stack = LocalStack.fromSystemProperty();
        final String schema = "ads_check_" + Long.toHexString(System.nanoTime());
        final Map<String, Row> fromSql = new TreeMap<>();
        try (Connection db = DriverManager.getConnection(stack.coordinatorJdbcUrl(), stack.pgSuperuser(), "")) {
            try {
                load(db, schema, scenario);
                try (Statement query = db.createStatement()) {
                    query.execute("SET TIME ZONE 'UTC'");
                    try (ResultSet rows = query.executeQuery(String.format(REPORTS, schema))) {
                        while (rows.next()) {
                            fromSql.put(AdScenario.key(rows.getLong(1), rows.getString(2), rows.getLong(3)),
                                new Row(rows.getLong(4), rows.getLong(5), rows.getLong(6), rows.getBigDecimal(7)));
                        }
                    }
                }
            } finally {
                try (Statement drop = db.createStatement()) {
                    drop.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
                }
            }
        }
        assertTrue(fromSql.size() > 24 * 3 * 3 / 2, "reports for most campaign, country and hour combinations: "
            + fromSql.size());
        assertTrue(fromSql.values().stream().anyMatch(r -> r.unattributed() > 0), "some clicks past the window");
        assertEquals(fromSql, fromTopology);
    }

    private static void load(final Connection db, final String schema, final AdScenario scenario) throws Exception {
        try (Statement ddl = db.createStatement()) {
            ddl.execute("CREATE SCHEMA " + schema);
            ddl.execute("CREATE TABLE " + schema + ".campaign_versions (campaign_id bigint, cpm numeric(12, 4), "
                + "valid_from timestamptz)");
            ddl.execute("CREATE TABLE " + schema + ".user_versions (user_id bigint, tier text, valid_from timestamptz)");
            ddl.execute("CREATE TABLE " + schema + ".impressions (impression_id uuid, user_id bigint, campaign_id "
                + "bigint, country text, served_at timestamptz)");
            ddl.execute("CREATE TABLE " + schema + ".clicks (click_id uuid, impression_id uuid, user_id bigint, "
                + "campaign_id bigint, country text, clicked_at timestamptz)");
        }
        db.setAutoCommit(false);
        try (PreparedStatement insert = db.prepareStatement("INSERT INTO " + schema
                + ".campaign_versions VALUES (?, ?, ?)")) {
            for (final AdScenario.Campaign campaign : scenario.campaigns) {
                for (final AdCampaign version : campaign.versions()) {
                    insert.setLong(1, version.getCampaignId());
                    insert.setBigDecimal(2, version.getCpm());
                    insert.setTimestamp(3, Timestamp.from(version.getUpdatedAt()));
                    insert.addBatch();
                }
            }
            insert.executeBatch();
        }
        try (PreparedStatement insert = db.prepareStatement("INSERT INTO " + schema
                + ".user_versions VALUES (?, ?, ?)")) {
            for (final User user : scenario.users) {
                insert.setLong(1, user.getUserId());
                insert.setString(2, user.getTier().name());
                insert.setTimestamp(3, Timestamp.from(user.getUpdatedAt()));
                insert.addBatch();
            }
            insert.executeBatch();
        }
        try (PreparedStatement impressions = db.prepareStatement("INSERT INTO " + schema
                + ".impressions VALUES (?, ?, ?, ?, ?)");
             PreparedStatement clicks = db.prepareStatement("INSERT INTO " + schema
                + ".clicks VALUES (?, ?, ?, ?, ?, ?)")) {
            for (final Object event : scenario.events) {
                if (event instanceof AdImpression impression) {
                    impressions.setObject(1, impression.getImpressionId());
                    impressions.setLong(2, impression.getUserId());
                    impressions.setLong(3, impression.getCampaignId());
                    impressions.setString(4, impression.getCountry());
                    impressions.setTimestamp(5, Timestamp.from(impression.getServedAt()));
                    impressions.addBatch();
                } else {
                    final AdClick click = (AdClick) event;
                    clicks.setObject(1, click.getClickId());
                    clicks.setObject(2, click.getImpressionId());
                    clicks.setLong(3, click.getUserId());
                    clicks.setLong(4, click.getCampaignId());
                    clicks.setString(5, click.getCountry());
                    clicks.setTimestamp(6, Timestamp.from(click.getClickedAt()));
                    clicks.addBatch();
                }
            }
            impressions.executeBatch();
            clicks.executeBatch();
        }
        db.commit();
        db.setAutoCommit(true);
    }
}
