package io.melodyud.sinks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.clickhouse.client.api.Client;
import io.melodyud.contracts.fixtures.AvroFixtures;
import io.melodyud.contracts.metrics.MelodyMetrics;
import io.melodyud.contracts.metrics.PrometheusScrape;
import io.melodyud.sinks.clickhouse.ClickHouseMigrations;
import io.melodyud.sinks.clickhouse.ClickHouseSinkApp;
import io.melodyud.sinks.clickhouse.ClickHouseSinkConfig;
import io.melodyud.sinks.common.SinkApp;
import io.melodyud.sinks.common.SinkConfig;
import io.melodyud.sinks.common.SinkStream;
import io.melodyud.sinks.fixtures.SinkProcesses;
import io.melodyud.sinks.fixtures.SinkStack;
import io.melodyud.sinks.postgres.PostgresSinkApp;
import io.melodyud.sinks.postgres.PostgresSinkConfig;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * Both sinks on the real broker, registry, ClickHouse and coordinator of the local stack, scraped at
 * {@code GET /metrics}: records acknowledged, rows written and freshness per table, dead letters, lag per topic, the
 * clients' metrics; the endpoint goes away with the sink. Topics, group, database, schema and role are the test's
 * own ({@link SinkStack}), dropped afterwards.
 */
class SinkMetricsIT {

    private static final Duration WAIT = Duration.ofSeconds(90);

    @TempDir
    Path work;
    private SinkStack stack;
    private SinkProcesses sinks;
    private final List<Runnable> cleanups = new ArrayList<>();

    @BeforeEach
    void setUp(final TestInfo test) {
        stack = new SinkStack(test.getTestMethod().orElseThrow().getName());
        sinks = new SinkProcesses(work);
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            sinks.close();
            cleanups.forEach(Runnable::run);
        } finally {
            stack.close();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private void run(final SinkApp app) {
        sinks.inProcess(app, stack.prefix());
    }

    private Map<String, String> common(final Map<SinkStream, String> topics, final String dlq, final int port) {
        final Map<String, String> settings = stack.sinkSettings(stack.prefix(), dlq, topics);
        settings.put(SinkConfig.METRICS_PORT, Integer.toString(port));
        return settings;
    }

    private static PrometheusScrape awaitScrape(final String url, final String what,
                                                final Predicate<PrometheusScrape> condition) throws Exception {
        return PrometheusScrape.await(url, WAIT, what, condition);
    }

    private static double value(final PrometheusScrape scrape, final String name, final String... labels) {
        final Double value = scrape.value(name, labels);
        return value == null ? -1 : value;
    }

    /** Whatever the sink, the scrape is valid, ours pass the lint, and the endpoint closes with the sink. */
    private void checkScrapeAndShutdown(final PrometheusScrape scrape, final String url, final String app)
            throws Exception {
        assertEquals(1.0, scrape.value(MelodyMetrics.UP, "app", app));
        assertNotNull(scrape.family("kafka_consumer_fetch_manager_metrics_records_consumed_total"));
        assertNotNull(scrape.family("kafka_producer_metrics_record_send_total"), "the dead-letter producer");
        final List<String> lint = PrometheusScrape.promtoolLint(scrape.text());
        if (lint != null) {
            assertEquals(List.of(), lint.stream().filter(line -> line.startsWith("melody_")).toList());
        }
        System.err.printf("SinkMetricsIT %s: scrape %d bytes, %d series%n", app, scrape.text().length(),
            scrape.families().values().stream().mapToInt(f -> f.samples().size()).sum());
        sinks.close();
        assertThrows(IOException.class, () -> PrometheusScrape.fetch(url), "the endpoint closes with the sink");
    }

    @Test
    void clickHouseSinkReportsRowsFreshnessDeadLettersAndLag() throws Exception {
        final String database = stack.prefix();
        final Client admin = new Client.Builder().addEndpoint(stack.local().clickhouseHttpUrl())
            .setUsername("default").setPassword("").compressServerResponse(false).build();
        cleanups.add(() -> {
            try {
                ClickHouseMigrations.execute(admin, "DROP DATABASE IF EXISTS `" + database + "`");
            } catch (final Exception e) {
                throw new IllegalStateException(e);
            } finally {
                admin.close();
            }
        });
        final String hourly = stack.topic("chart-counts-hour", 2);
        final String totals = stack.topic("track-play-totals", 2);
        final String dlq = stack.dlqTopic();
        final int port = freePort();
        final Map<String, String> settings = common(Map.of(SinkStream.CHART_COUNTS_HOUR, hourly,
            SinkStream.TRACK_PLAY_TOTALS, totals), dlq, port);
        settings.put(ClickHouseSinkConfig.URL, stack.local().clickhouseHttpUrl());
        settings.put(ClickHouseSinkConfig.DATABASE, database);

        // Totals last updated an hour ago; hourly counts timestamped when sent.
        final Instant anHourAgo = Instant.now().minusSeconds(3_600);
        for (long track = 1; track <= 150; track++) {
            stack.send(hourly, "CO-" + track, AvroFixtures.chartCount().setTrackId(7_310_000L + track)
                .setPlays(track * 3).setVersion(track * 3).build());
            stack.send(totals, Long.toString(track), AvroFixtures.trackPlayTotal().setTrackId(7_310_000L + track)
                .setValidPlays(track * 11).setVersion(track * 11).setUpdatedAt(anHourAgo).build());
        }
        stack.sendRaw(hourly, "bad".getBytes(StandardCharsets.UTF_8), "{\"plays\": 3}".getBytes(
            StandardCharsets.UTF_8));
        stack.flush();
        final long sentAt = System.currentTimeMillis();
        run(ClickHouseSinkApp.create(new ClickHouseSinkConfig(settings)));

        final String url = "http://127.0.0.1:" + port + "/metrics";
        final String app = MelodyMetrics.CLICKHOUSE_SINK;
        final PrometheusScrape scrape = awaitScrape(url, "301 records acknowledged and no lag", s ->
            value(s, MelodyMetrics.RECORDS_PROCESSED, "app", app) == 301
                && value(s, MelodyMetrics.CONSUMER_LAG, "app", app, "topic", hourly) == 0
                && value(s, MelodyMetrics.CONSUMER_LAG, "app", app, "topic", totals) == 0);
        final long scrapedAt = System.currentTimeMillis();
        assertEquals(150.0, scrape.value(MelodyMetrics.SINK_ROWS_WRITTEN, "app", app, "table", "chart_data_1hour"));
        assertEquals(150.0, scrape.value(MelodyMetrics.SINK_ROWS_WRITTEN, "app", app, "table", "track_play_totals"));
        assertEquals(1.0, scrape.value(MelodyMetrics.DEAD_LETTERS, "app", app, "reason", "not-wire-format"));
        final double totalsAge = scrape.value(MelodyMetrics.SINK_NEWEST_ROW_AGE, "app", app, "table",
            "track_play_totals");
        assertTrue(totalsAge >= 3_600 && totalsAge < 3_600 + WAIT.toSeconds(), "age of the totals " + totalsAge);
        final double countsAge = scrape.value(MelodyMetrics.SINK_NEWEST_ROW_AGE, "app", app, "table",
            "chart_data_1hour");
        assertTrue(countsAge >= 0 && countsAge <= (scrapedAt - sentAt) / 1000.0 + 5, "age of the counts "
            + countsAge);
        checkScrapeAndShutdown(scrape, url, app);
    }

    @Test
    void postgresSinkReportsRowsFreshnessDeadLettersAndLag() throws Exception {
        final String schema = stack.prefix();
        final String role = schema + "_sink";
        cleanups.add(() -> {
            final Properties props = new Properties();
            props.setProperty("user", stack.local().pgSuperuser());
            try (Connection admin = DriverManager.getConnection(stack.local().coordinatorJdbcUrl(), props);
                 Statement st = admin.createStatement()) {
                st.execute("DROP SCHEMA IF EXISTS \"" + schema + "\" CASCADE");
                st.execute("DROP ROLE IF EXISTS \"" + role + "\"");
            } catch (final Exception e) {
                throw new IllegalStateException(e);
            }
        });
        final String totals = stack.topic("track-play-totals", 2);
        final String dlq = stack.dlqTopic();
        final int port = freePort();
        final Map<String, String> settings = common(Map.of(SinkStream.TRACK_PLAY_TOTALS, totals), dlq, port);
        settings.put(PostgresSinkConfig.URL, stack.local().coordinatorJdbcUrl());
        settings.put(PostgresSinkConfig.ADMIN_URL, stack.local().coordinatorJdbcUrl());
        settings.put(PostgresSinkConfig.ADMIN_USER, stack.local().pgSuperuser());
        settings.put(PostgresSinkConfig.USER, role);
        settings.put(PostgresSinkConfig.PASSWORD, UUID.randomUUID().toString());
        settings.put(PostgresSinkConfig.SCHEMA, schema);

        final Instant updated = Instant.now().minusSeconds(600);
        for (long track = 1; track <= 80; track++) {
            // Two versions per track: one row each in the end, 160 records acknowledged.
            for (long version = 1; version <= 2; version++) {
                stack.send(totals, Long.toString(track), AvroFixtures.trackPlayTotal().setTrackId(7_320_000L + track)
                    .setValidPlays(version * 100).setVersion(version * 100)
                    .setUpdatedAt(updated.plusSeconds(version)).build());
            }
        }
        stack.sendRaw(totals, "bad".getBytes(StandardCharsets.UTF_8), new byte[] {0, 0x7f, 0x7f, 0x7f, 0x7e, 2});
        stack.flush();
        run(PostgresSinkApp.create(new PostgresSinkConfig(settings)));

        final String url = "http://127.0.0.1:" + port + "/metrics";
        final String app = MelodyMetrics.POSTGRES_SINK;
        final PrometheusScrape scrape = awaitScrape(url, "161 records acknowledged and no lag", s ->
            value(s, MelodyMetrics.RECORDS_PROCESSED, "app", app) == 161
                && value(s, MelodyMetrics.CONSUMER_LAG, "app", app, "topic", totals) == 0);
        assertTrue(value(scrape, MelodyMetrics.SINK_ROWS_WRITTEN, "app", app, "table", "track_stats") >= 80,
            "at least one row per track (versions of a track in one batch are written once)");
        assertEquals(1.0, scrape.value(MelodyMetrics.DEAD_LETTERS, "app", app, "reason", "unknown-schema-id"));
        final double age = scrape.value(MelodyMetrics.SINK_NEWEST_ROW_AGE, "app", app, "table", "track_stats");
        assertTrue(age >= 598 && age < 598 + WAIT.toSeconds(), "age of track_stats " + age);
        checkScrapeAndShutdown(scrape, url, app);
    }
}
