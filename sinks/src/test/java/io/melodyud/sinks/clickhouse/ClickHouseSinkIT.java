package io.melodyud.sinks.clickhouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.clickhouse.client.api.Client;
import io.melodyud.avro.output.AdReport;
import io.melodyud.avro.output.ChartCount;
import io.melodyud.avro.output.ChartWindow;
import io.melodyud.avro.output.RoyaltyPeriod;
import io.melodyud.avro.output.RoyaltyRecordKind;
import io.melodyud.contracts.fixtures.AvroFixtures;
import io.melodyud.sinks.common.DeadLetters;
import io.melodyud.sinks.common.SinkApp;
import io.melodyud.sinks.common.SinkCounters;
import io.melodyud.sinks.common.SinkStream;
import io.melodyud.sinks.fixtures.SinkProcesses;
import io.melodyud.sinks.fixtures.SinkStack;
import io.melodyud.sinks.fixtures.TcpProxy;
import java.math.BigDecimal;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ClickHouse sink against the real broker, registry and ClickHouse of the local stack. Each test uses its own
 * topics, consumer group and database, named after the test, and drops them afterwards.
 */
class ClickHouseSinkIT {

    private static final Instant MINUTE = Instant.parse("2025-03-14T19:31:00Z");

    @TempDir
    Path work;

    private SinkStack stack;
    private Client admin;
    private String database;
    private SinkProcesses sinks;
    private Process child;

    @BeforeEach
    void setUp(final TestInfo test) {
        stack = new SinkStack(test.getTestMethod().orElseThrow().getName());
        sinks = new SinkProcesses(work);
        database = stack.prefix();
        admin = new Client.Builder().addEndpoint(stack.local().clickhouseHttpUrl()).setUsername("default")
            .setPassword("").compressServerResponse(false).build();
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            sinks.close();
            ClickHouseMigrations.execute(admin, "DROP DATABASE IF EXISTS `" + database + "`");
        } finally {
            admin.close();
            stack.close();
        }
    }

    private Map<String, String> settings(final String url, final Map<SinkStream, String> topics, final String dlq) {
        final Map<String, String> settings = stack.sinkSettings(database, dlq, topics);
        settings.put(ClickHouseSinkConfig.URL, url);
        settings.put(ClickHouseSinkConfig.DATABASE, database);
        return settings;
    }

    private SinkApp startInProcess(final Map<String, String> settings) {
        return sinks.inProcess(ClickHouseSinkApp.create(new ClickHouseSinkConfig(settings)), database);
    }

    private List<String> query(final String sql) throws Exception {
        return ClickHouseMigrations.queryLines(admin, sql.replace("$db", "`" + database + "`"));
    }

    private static ChartCount count(final long track, final long version) {
        return AvroFixtures.chartCount().setWindow(ChartWindow.MINUTE).setWindowStart(MINUTE)
            .setWindowEnd(MINUTE.plusSeconds(60)).setTrackId(track).setPlays(version * 10).setVersion(version)
            .build();
    }

    @Test
    void replayedAndOutOfOrderRecordsLeaveExactRowsAndBadRecordsBecomeDeadLetters() throws Exception {
        final Map<SinkStream, String> topics = new HashMap<>();
        for (final SinkStream stream : List.of(SinkStream.CHART_COUNTS_MINUTE, SinkStream.TRACK_PLAY_TOTALS,
                SinkStream.CHARTS_FINAL_HOUR, SinkStream.AD_REPORTS_LIVE, SinkStream.AD_REPORTS_FINAL,
                SinkStream.ROYALTIES_DAILY, SinkStream.ROYALTIES_MONTHLY, SinkStream.ROYALTY_ADJUSTMENTS)) {
            topics.put(stream, stack.topic(stream.id(), 3));
        }
        final String dlq = stack.dlqTopic();
        final String counts = topics.get(SinkStream.CHART_COUNTS_MINUTE);
        // 40 tracks, versions 1..4 each sent twice, then version 2 again after 4: a replay, out of order.
        for (int version = 1; version <= 4; version++) {
            for (long track = 1; track <= 40; track++) {
                stack.send(counts, "CO|" + track, count(track, version));
                stack.send(counts, "CO|" + track, count(track, version));
            }
        }
        for (long track = 1; track <= 40; track++) {
            stack.send(counts, "CO|" + track, count(track, 2));
        }
        for (long version = 1; version <= 3; version++) {
            stack.send(topics.get(SinkStream.TRACK_PLAY_TOTALS), "7", AvroFixtures.trackPlayTotal().setTrackId(7)
                .setValidPlays(100 * version).setVersion(version).build());
        }
        stack.send(topics.get(SinkStream.TRACK_PLAY_TOTALS), "7", AvroFixtures.trackPlayTotal().setTrackId(7)
            .setValidPlays(100).setVersion(1).build());
        stack.send(topics.get(SinkStream.CHARTS_FINAL_HOUR), "CO", AvroFixtures.chart().setIsFinal(true)
            .setVersion(5).build());
        final AdReport live = AvroFixtures.adReport().setIsFinal(false).setVersion(30)
            .setSpend(new BigDecimal("21000.1234567")).build();
        stack.send(topics.get(SinkStream.AD_REPORTS_LIVE), "r", live);
        stack.send(topics.get(SinkStream.AD_REPORTS_FINAL), "r", AvroFixtures.adReport().build());
        stack.send(topics.get(SinkStream.AD_REPORTS_LIVE), "r", live);
        stack.send(topics.get(SinkStream.ROYALTIES_DAILY), "d", AvroFixtures.royaltyAggregate()
            .setAmount(new BigDecimal("1.00000001")).setVersion(1).build());
        stack.send(topics.get(SinkStream.ROYALTIES_DAILY), "d", AvroFixtures.royaltyAggregate()
            .setKind(RoyaltyRecordKind.FINAL).setVersion(2).build());
        for (int i = 0; i < 2; i++) {
            stack.send(topics.get(SinkStream.ROYALTY_ADJUSTMENTS), "a", AvroFixtures.royaltyAggregate()
                .setKind(RoyaltyRecordKind.ADJUSTMENT).setValidPlays(1).setAmount(new BigDecimal("0.00031500"))
                .setVersion(3).build());
        }
        stack.send(topics.get(SinkStream.ROYALTIES_MONTHLY), "m", AvroFixtures.royaltyAggregate()
            .setPeriod(RoyaltyPeriod.MONTH).setPeriodStart(LocalDate.of(2025, 3, 1))
            .setPeriodEnd(LocalDate.of(2025, 4, 1)).setCountry(null).setAmount(new BigDecimal("12345.67890123"))
            .build());
        // Bad input: bytes that are not Avro, and a count the unsigned column cannot hold.
        final byte[] garbage = "{\"plays\": 3}".getBytes(StandardCharsets.UTF_8);
        stack.sendRaw(counts, null, garbage);
        stack.send(counts, "CO|999", AvroFixtures.chartCount().setWindow(ChartWindow.MINUTE).setTrackId(999)
            .setPlays(-5).build());
        stack.flush();

        final Map<String, String> settings = settings(stack.local().clickhouseHttpUrl(), topics, dlq);
        final SinkApp first = startInProcess(settings);
        SinkStack.await("sink caught up", SinkStack.DEADLINE, () -> stack.groupCaughtUp(database,
            topics.values()));
        assertExact();
        assertEquals(2, first.counters().total(SinkCounters.DEAD_LETTER));

        final List<ConsumerRecord<byte[], byte[]>> letters = stack.readAll(dlq, 2);
        final Set<String> reasons = new HashSet<>();
        for (final ConsumerRecord<byte[], byte[]> letter : letters) {
            reasons.add(SinkStack.header(letter, DeadLetters.REASON_HEADER));
            assertEquals(counts, SinkStack.header(letter, DeadLetters.TOPIC_HEADER));
            assertTrue(Long.parseLong(SinkStack.header(letter, DeadLetters.OFFSET_HEADER)) >= 0);
        }
        assertEquals(Set.of("not-wire-format", "invalid-value:negative-plays"), reasons);
        assertTrue(letters.stream().anyMatch(l -> java.util.Arrays.equals(garbage, l.value())),
            "the original bytes are kept");

        // Everything delivered a second time (a new group re-reads the topics from the start): nothing changes.
        sinks.stop(first);
        settings.put(ClickHouseSinkConfig.GROUP_ID, database + "_replay");
        startInProcess(settings);
        SinkStack.await("replay caught up", SinkStack.DEADLINE, () -> stack.groupCaughtUp(database + "_replay",
            topics.values()));
        assertExact();
        assertTrue(Long.parseLong(query("SELECT count() FROM $db.chart_data_1min").get(0)) > 40,
            "the raw table holds the re-delivered rows; only the exact view collapses them");
    }

    private void assertExact() throws Exception {
        assertEquals(List.of("40\t1600"), query("SELECT count(), sum(plays) FROM $db.chart_data_1min_exact"));
        assertEquals(List.of("CO\t2025-03-14 19:31:00\t40"), query("SELECT region, time_bucket, plays FROM "
            + "$db.chart_data_1min_exact WHERE track_id = 1"));
        assertEquals(List.of("40"), query("SELECT argMax(plays, version) FROM $db.chart_data_1min "
            + "WHERE track_id = 1"));
        assertEquals(List.of("7\t300\t3"), query("SELECT track_id, plays, version FROM $db.track_play_totals_exact"));
        assertEquals(List.of("HOUR\tCO\t1\t[1,2,3]\t[7310042,6902118,7455630]\t[412,398,377]"),
            query("SELECT window_size, country, is_final, entry_rank, entry_track_id, entry_plays "
                + "FROM $db.charts_final_exact"));
        assertEquals(List.of("55021\tCO\t1250\t22464.0000000\tCOP\t1\t31"), query("SELECT campaign_id, country, "
            + "impressions, spend, currency, is_final, version FROM $db.ad_reports_hourly_exact"));
        assertEquals(List.of("1204\t2025-03-14\tCO\t5322\t1.67643000\t1\t1"), query("SELECT rights_holder_id, "
            + "period_start, country, plays, payable, closed, adjustments FROM $db.royalties_daily_payable"));
        assertEquals(List.of("1204\t2025-03-01\t\t12345.67890123"), query("SELECT rights_holder_id, period_start, "
            + "country, payable FROM $db.royalties_monthly_payable"));
    }

    /** Chart counts of {@code tracks} tracks, each sent with versions 1..versions; the last one wins. */
    private void sendCounts(final String topic, final long firstTrack, final int tracks, final int versions) {
        for (int version = 1; version <= versions; version++) {
            for (long track = firstTrack; track < firstTrack + tracks; track++) {
                stack.send(topic, "CO|" + track, count(track, version));
            }
        }
    }

    @Test
    void killedInTheMiddleOfABatchAndRestartedTheTableIsExact() throws Exception {
        final String counts = stack.topic("chart-counts-minute", 3);
        final String dlq = stack.dlqTopic();
        final Map<String, String> settings = settings(stack.local().clickhouseHttpUrl(),
            Map.of(SinkStream.CHART_COUNTS_MINUTE, counts), dlq);
        // Small batches, so that the kill lands between inserts and commits of many batches.
        settings.put(ClickHouseSinkConfig.BATCH_MAX_ROWS, "2000");
        final Path file = sinks.settingsFile("clickhouse-sink", settings);

        sendCounts(counts, 1, 5_000, 4);
        stack.flush();
        child = startChild(file);
        SinkStack.await("rows in ClickHouse", SinkStack.DEADLINE, () -> tableExists("chart_data_1min")
            && Long.parseLong(query("SELECT count() FROM $db.chart_data_1min").get(0)) > 2_000);
        child.destroyForcibly().waitFor();
        sendCounts(counts, 1, 5_000, 6);
        stack.flush();
        child = startChild(file);
        SinkStack.await("sink caught up", SinkStack.DEADLINE, () -> stack.groupCaughtUp(database, List.of(counts)));
        // 5,000 keys, each at version 6 (plays 60): no loss, no double count.
        assertEquals(List.of("5000\t300000\t6\t6"), query("SELECT count(), sum(plays), min(version), max(version) "
            + "FROM $db.chart_data_1min_exact"));
    }

    private boolean tableExists(final String table) throws Exception {
        return query("EXISTS TABLE $db." + table).equals(List.of("1"));
    }

    private Process startChild(final Path settings) throws Exception {
        return sinks.child(ClickHouseSinkApp.class, settings);
    }

    @Test
    void clickHouseUnreachableFor20SecondsUnderLoadTheSinkCatchesUpExactly() throws Exception {
        final String counts = stack.topic("chart-counts-minute", 3);
        final String dlq = stack.dlqTopic();
        final URI target = URI.create(stack.local().clickhouseHttpUrl());
        try (TcpProxy proxy = new TcpProxy(target.getHost(), target.getPort())) {
            final Map<String, String> settings = settings("http://127.0.0.1:" + proxy.port(),
                Map.of(SinkStream.CHART_COUNTS_MINUTE, counts), dlq);
            settings.put(ClickHouseSinkConfig.SOCKET_TIMEOUT_MS, "5000");
            final SinkApp app = startInProcess(settings);
            final AtomicBoolean loading = new AtomicBoolean(true);
            // Load for the whole test: 2,000 keys, a new version of every key every ~200 ms.
            final Thread load = new Thread(() -> {
                int version = 1;
                while (loading.get()) {
                    for (long track = 1; track <= 2_000; track++) {
                        stack.send(counts, "CO|" + track, count(track, version));
                    }
                    stack.flush();
                    version++;
                    try {
                        Thread.sleep(200);
                    } catch (final InterruptedException e) {
                        return;
                    }
                }
            }, "load");
            load.start();
            SinkStack.await("first rows", SinkStack.DEADLINE, () -> tableExists("chart_data_1min")
                && Long.parseLong(query("SELECT count() FROM $db.chart_data_1min").get(0)) > 0);
            proxy.cut();
            Thread.sleep(20_000);
            proxy.restore();
            Thread.sleep(3_000);
            loading.set(false);
            load.join();
            SinkStack.await("sink caught up", SinkStack.DEADLINE, () -> stack.groupCaughtUp(database,
                List.of(counts)));
            assertTrue(app.counters().count(SinkCounters.RETRIES, "write") > 0, "the outage was noticed");
            final List<String> exact = query("SELECT count(), min(version), max(version), sum(plays) "
                + "FROM $db.chart_data_1min_exact");
            final String[] fields = exact.get(0).split("\t");
            assertEquals("2000", fields[0]);
            assertEquals(fields[1], fields[2], "every key at the last version sent");
            assertEquals(Long.parseLong(fields[1]) * 10 * 2_000, Long.parseLong(fields[3]));
        }
    }
}
