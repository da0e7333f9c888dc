package io.melodyud.sinks.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * The PostgreSQL sink against the real broker, registry and coordinator of the local stack. Each test uses its own
 * topics, group, schema and sink role (with a password: the stack requires one for every role but the superuser),
 * named after the test, and drops them afterwards.
 */
class PostgresSinkIT {

    @TempDir
    Path work;

    private SinkStack stack;
    private String schema;
    private String role;
    private final String password = UUID.randomUUID().toString();
    private SinkProcesses sinks;
    private Process child;

    @BeforeEach
    void setUp(final TestInfo test) {
        stack = new SinkStack(test.getTestMethod().orElseThrow().getName());
        sinks = new SinkProcesses(work);
        schema = stack.prefix();
        role = schema + "_sink";
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            sinks.close();
            try (Connection admin = admin(); Statement st = admin.createStatement()) {
                st.execute("DROP SCHEMA IF EXISTS \"" + schema + "\" CASCADE");
                st.execute("DROP ROLE IF EXISTS \"" + role + "\"");
            }
        } finally {
            stack.close();
        }
    }

    private Connection admin() throws SQLException {
        final Properties props = new Properties();
        props.setProperty("user", stack.local().pgSuperuser());
        return DriverManager.getConnection(stack.local().coordinatorJdbcUrl(), props);
    }

    private Map<String, String> settings(final String url, final Map<SinkStream, String> topics, final String dlq) {
        final Map<String, String> settings = stack.sinkSettings(schema, dlq, topics);
        settings.put(PostgresSinkConfig.URL, url);
        settings.put(PostgresSinkConfig.ADMIN_URL, stack.local().coordinatorJdbcUrl());
        settings.put(PostgresSinkConfig.ADMIN_USER, stack.local().pgSuperuser());
        settings.put(PostgresSinkConfig.USER, role);
        settings.put(PostgresSinkConfig.PASSWORD, password);
        settings.put(PostgresSinkConfig.SCHEMA, schema);
        return settings;
    }

    private SinkApp startInProcess(final Map<String, String> settings) {
        return sinks.inProcess(PostgresSinkApp.create(new PostgresSinkConfig(settings)), schema);
    }

    private List<String> query(final String sql) throws SQLException {
        final List<String> rows = new ArrayList<>();
        try (Connection admin = admin(); Statement st = admin.createStatement();
             ResultSet rs = st.executeQuery(sql.replace("$s", "\"" + schema + "\""))) {
            final int columns = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                final List<String> fields = new ArrayList<>();
                for (int i = 1; i <= columns; i++) {
                    fields.add(rs.getString(i));
                }
                rows.add(String.join("|", fields));
            }
        }
        return rows;
    }

    /** Whether the offsets stored with the rows reached the end of every partition of {@code topics}. */
    private boolean storedOffsetsCaughtUp(final Iterable<String> topics) throws Exception {
        final List<String> names = new ArrayList<>();
        topics.forEach(names::add);
        final Map<TopicPartition, Long> ends = stack.endOffsets(names);
        final Map<TopicPartition, Long> stored = new HashMap<>();
        try {
            for (final String row : query("SELECT topic, kafka_partition, next_offset FROM $s.sink_offsets")) {
                final String[] f = row.split("\\|");
                stored.put(new TopicPartition(f[0], Integer.parseInt(f[1])), Long.parseLong(f[2]));
            }
        } catch (final SQLException e) {
            return false; // not migrated yet
        }
        return ends.entrySet().stream().allMatch(e -> e.getValue() == 0
            || stored.getOrDefault(e.getKey(), -1L) >= e.getValue());
    }

    @Test
    void versionedUpsertsAndOffsetsCommitTogetherBadRowsBecomeDeadLettersAndTheRoleIsConfined() throws Exception {
        final Map<SinkStream, String> topics = new HashMap<>();
        for (final SinkStream stream : PostgresSinkConfig.SUPPORTED_STREAMS) {
            topics.put(stream, stack.topic(stream.id(), 2));
        }
        final String dlq = stack.dlqTopic();
        final String totals = topics.get(SinkStream.TRACK_PLAY_TOTALS);
        // 100 tracks, versions 1..3, then version 1 again: an older record after a newer one.
        for (long version = 1; version <= 3; version++) {
            for (long track = 1; track <= 100; track++) {
                stack.send(totals, Long.toString(track), AvroFixtures.trackPlayTotal().setTrackId(track)
                    .setValidPlays(1_000 * version).setVersion(version).build());
            }
        }
        for (long track = 1; track <= 100; track++) {
            stack.send(totals, Long.toString(track), AvroFixtures.trackPlayTotal().setTrackId(track)
                .setValidPlays(1_000).setVersion(1).build());
        }
        final String daily = topics.get(SinkStream.ROYALTIES_DAILY);
        stack.send(daily, "d", AvroFixtures.royaltyAggregate().setAmount(new BigDecimal("1.00000001"))
            .setVersion(1).build());
        stack.send(daily, "d", AvroFixtures.royaltyAggregate().setKind(RoyaltyRecordKind.FINAL).setVersion(2).build());
        stack.send(daily, "d", AvroFixtures.royaltyAggregate().setAmount(new BigDecimal("1.00000001"))
            .setVersion(1).build());
        for (int i = 0; i < 2; i++) {
            stack.send(topics.get(SinkStream.ROYALTY_ADJUSTMENTS), "a", AvroFixtures.royaltyAggregate()
                .setKind(RoyaltyRecordKind.ADJUSTMENT).setValidPlays(1).setAmount(new BigDecimal("0.00031500"))
                .setVersion(3).build());
        }
        stack.send(topics.get(SinkStream.ROYALTIES_MONTHLY), "m", AvroFixtures.royaltyAggregate()
            .setPeriod(RoyaltyPeriod.MONTH).setPeriodStart(LocalDate.of(2025, 3, 1))
            .setPeriodEnd(LocalDate.of(2025, 4, 1)).setCountry(null).setAmount(new BigDecimal("12345.67890123"))
            .build());
        stack.send(topics.get(SinkStream.AD_REPORTS_LIVE), "r", AvroFixtures.adReport().setIsFinal(false)
            .setVersion(30).setSpend(new BigDecimal("21000.1234567")).build());
        stack.send(topics.get(SinkStream.AD_REPORTS_FINAL), "r", AvroFixtures.adReport().build());
        stack.send(topics.get(SinkStream.AD_REPORTS_LIVE), "r", AvroFixtures.adReport().setIsFinal(false)
            .setVersion(30).build());
        // Bad input: a currency and a negative amount the CHECK constraints refuse (the second in a SERIALIZABLE
        // royalty batch), and bytes that are not Avro at all.
        stack.send(topics.get(SinkStream.AD_REPORTS_LIVE), "bad", AvroFixtures.adReport().setCampaignId(1)
            .setCurrency("cop").build());
        stack.send(daily, "bad", AvroFixtures.royaltyAggregate().setRightsHolderId(2)
            .setAmount(new BigDecimal("-1.00000000")).build());
        final byte[] garbage = "not avro".getBytes(StandardCharsets.UTF_8);
        stack.sendRaw(totals, null, garbage);
        stack.flush();

        final Map<String, String> settings = settings(stack.local().coordinatorJdbcUrl(), topics, dlq);
        final SinkApp first = startInProcess(settings);
        SinkStack.await("offsets stored", SinkStack.DEADLINE, () -> storedOffsetsCaughtUp(topics.values()));

        assertEquals(List.of("100|300000|3|3"), query("SELECT count(*), sum(plays), min(version), max(version) "
            + "FROM $s.track_stats"));
        assertEquals(List.of("DAY|CO|1.67611500|FINAL|2", "MONTH||12345.67890123|LIVE|5321"), query(
            "SELECT period, country, amount, kind, version FROM $s.royalty_statements ORDER BY period"));
        assertEquals(List.of("DAY|CO|5322|1.67643000|1"), query("SELECT period, country, valid_plays, amount, "
            + "adjustments FROM $s.royalty_payable WHERE period = 'DAY'"));
        assertEquals(List.of("55021|CO|22464.0000000|t|31|2025-03-14 19:00:00+00"), query("SELECT campaign_id, "
            + "country, spend, is_final, version, window_start AT TIME ZONE 'UTC' || '+00' FROM "
            + "$s.ad_campaign_reports"));

        final Set<String> reasons = new HashSet<>();
        for (final ConsumerRecord<byte[], byte[]> letter : stack.readAll(dlq, 3)) {
            reasons.add(SinkStack.header(letter, DeadLetters.REASON_HEADER));
        }
        assertEquals(Set.of("constraint:ad_campaign_reports_currency_check", "constraint:royalty_statements_amount_check",
            "not-wire-format"), reasons);
        assertEquals(3, first.counters().total(SinkCounters.DEAD_LETTER));

        assertRoleIsConfined();

        // Restart without the group's Kafka offsets: the sink resumes from the offsets stored with the rows and
        // reads only what came after.
        sinks.stop(first);
        try (Admin kafka = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                stack.local().kafkaBootstrapServers()))) {
            kafka.deleteConsumerGroups(List.of(schema)).all().get();
        }
        stack.send(totals, "1", AvroFixtures.trackPlayTotal().setTrackId(1).setValidPlays(5_000).setVersion(5)
            .build());
        stack.flush();
        final SinkApp second = startInProcess(settings);
        SinkStack.await("offsets stored", SinkStack.DEADLINE, () -> storedOffsetsCaughtUp(topics.values()));
        assertEquals(List.of("100|302000"), query("SELECT count(*), sum(plays) FROM $s.track_stats"));
        assertEquals(1, second.counters().count(SinkCounters.ROWS, "track_stats"), "only the new record was read");
        assertEquals(0, second.counters().total(SinkCounters.DEAD_LETTER), "no dead letter sent twice");
    }

    @Test
    void aRoyaltyBatchThatLosesASerializationConflictIsRetriedAndWritten() throws Exception {
        final String daily = stack.topic("royalties-daily", 1);
        final String dlq = stack.dlqTopic();
        final SinkApp app = startInProcess(settings(stack.local().coordinatorJdbcUrl(),
            Map.of(SinkStream.ROYALTIES_DAILY, daily), dlq));
        stack.send(daily, "d", AvroFixtures.royaltyAggregate().setVersion(1).build());
        stack.flush();
        SinkStack.await("first line", SinkStack.DEADLINE, () -> storedOffsetsCaughtUp(List.of(daily)));
        try (Connection finance = admin(); Statement st = finance.createStatement()) {
            // A concurrent billing transaction touches the same line and holds it while the sink writes.
            finance.setAutoCommit(false);
            finance.setTransactionIsolation(Connection.TRANSACTION_SERIALIZABLE);
            st.executeUpdate("UPDATE \"" + schema + "\".royalty_statements SET amount = amount");
            stack.send(daily, "d", AvroFixtures.royaltyAggregate().setKind(RoyaltyRecordKind.FINAL)
                .setValidPlays(5_400).setAmount(new BigDecimal("1.70100000")).setVersion(2).build());
            stack.flush();
            SinkStack.await("the sink waiting for the line's lock", SinkStack.DEADLINE, () -> !query(
                "SELECT 1 FROM pg_stat_activity WHERE usename = '" + role + "' AND wait_event_type = 'Lock'")
                .isEmpty());
            finance.commit();
        }
        SinkStack.await("offsets stored", SinkStack.DEADLINE, () -> storedOffsetsCaughtUp(List.of(daily)));
        assertTrue(app.counters().count(SinkCounters.RETRIES, "serialization") >= 1,
            "the sink's SERIALIZABLE transaction lost and was retried: " + app.counters().snapshot());
        assertEquals(List.of("FINAL|5400|1.70100000|2"), query("SELECT kind, valid_plays, amount, version FROM "
            + "$s.royalty_statements"));
    }

    private void assertRoleIsConfined() throws SQLException {
        final Properties props = new Properties();
        props.setProperty("user", role);
        props.setProperty("password", "wrong");
        final SQLException wrong = assertThrows(SQLException.class,
            () -> DriverManager.getConnection(stack.local().coordinatorJdbcUrl(), props).close());
        assertEquals("28P01", wrong.getSQLState(), "password authentication is enforced");
        props.setProperty("password", password);
        try (Connection sink = DriverManager.getConnection(stack.local().coordinatorJdbcUrl(), props);
             Statement st = sink.createStatement()) {
            assertEquals(1, st.executeUpdate("UPDATE \"" + schema + "\".track_stats SET plays = plays "
                + "WHERE track_id = 1"), "the sink role writes its own tables");
            for (final String forbidden : List.of(
                    "DELETE FROM \"" + schema + "\".track_stats",
                    "DELETE FROM \"" + schema + "\".royalty_adjustments",
                    "UPDATE \"" + schema + "\".royalty_adjustments SET amount = 0",
                    "INSERT INTO \"" + schema + "\".schema_migrations VALUES (99, 'x')",
                    "CREATE TABLE \"" + schema + "\".intruder (x int)",
                    "CREATE TABLE public.intruder (x int)",
                    "SELECT * FROM melody_dist.shards")) {
                final SQLException denied = assertThrows(SQLException.class, () -> st.execute(forbidden), forbidden);
                assertEquals("42501", denied.getSQLState(), forbidden + ": " + denied.getMessage());
            }
        }
    }

    private void sendTotals(final String topic, final int tracks, final int fromVersion, final int toVersion) {
        for (int version = fromVersion; version <= toVersion; version++) {
            for (long track = 1; track <= tracks; track++) {
                stack.send(topic, Long.toString(track), AvroFixtures.trackPlayTotal().setTrackId(track)
                    .setValidPlays(10L * version).setVersion(version).build());
            }
        }
    }

    @Test
    void killedInTheMiddleOfABatchAndRestartedTheTableIsExact() throws Exception {
        final String totals = stack.topic("track-play-totals", 3);
        final String dlq = stack.dlqTopic();
        final Map<String, String> settings = settings(stack.local().coordinatorJdbcUrl(),
            Map.of(SinkStream.TRACK_PLAY_TOTALS, totals), dlq);
        settings.put(PostgresSinkConfig.BATCH_MAX_ROWS, "1000");
        final Path file = sinks.settingsFile("postgres-sink", settings);

        sendTotals(totals, 5_000, 1, 4);
        stack.flush();
        child = startChild(file);
        SinkStack.await("rows written", SinkStack.DEADLINE, () -> {
            try {
                return Long.parseLong(query("SELECT count(*) FROM $s.track_stats").get(0)) > 1_000;
            } catch (final SQLException e) {
                return false;
            }
        });
        child.destroyForcibly().waitFor();
        sendTotals(totals, 5_000, 5, 6);
        stack.flush();
        child = startChild(file);
        SinkStack.await("offsets stored", SinkStack.DEADLINE, () -> storedOffsetsCaughtUp(List.of(totals)));
        assertEquals(List.of("5000|300000|6|6"), query("SELECT count(*), sum(plays), min(version), max(version) "
            + "FROM $s.track_stats"));
        assertEquals(List.of("0"), query("SELECT count(*) FROM pg_stat_activity WHERE usename = '" + role
            + "' AND state = 'idle in transaction'"), "no transaction left open by the killed process");
    }

    private Process startChild(final Path settings) throws Exception {
        return sinks.child(PostgresSinkApp.class, settings);
    }

    @Test
    void postgresUnreachableFor20SecondsUnderLoadTheSinkCatchesUpExactly() throws Exception {
        final String totals = stack.topic("track-play-totals", 3);
        final String dlq = stack.dlqTopic();
        final URI target = URI.create(stack.local().coordinatorJdbcUrl().substring("jdbc:".length()));
        try (TcpProxy proxy = new TcpProxy(target.getHost(), target.getPort())) {
            final Map<String, String> settings = settings("jdbc:postgresql://127.0.0.1:" + proxy.port()
                + target.getPath(), Map.of(SinkStream.TRACK_PLAY_TOTALS, totals), dlq);
            settings.put(PostgresSinkConfig.SOCKET_TIMEOUT_S, "5");
            final SinkApp app = startInProcess(settings);
            final AtomicBoolean loading = new AtomicBoolean(true);
            final Thread load = new Thread(() -> {
                int version = 1;
                while (loading.get()) {
                    sendTotals(totals, 2_000, version, version);
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
            SinkStack.await("first rows", SinkStack.DEADLINE, () -> {
                try {
                    return Long.parseLong(query("SELECT count(*) FROM $s.track_stats").get(0)) > 0;
                } catch (final SQLException e) {
                    return false;
                }
            });
            proxy.cut();
            Thread.sleep(20_000);
            proxy.restore();
            Thread.sleep(3_000);
            loading.set(false);
            load.join();
            SinkStack.await("offsets stored", SinkStack.DEADLINE, () -> storedOffsetsCaughtUp(List.of(totals)));
            assertTrue(app.counters().count(SinkCounters.RETRIES, "write") > 0, "the outage was noticed");
            final String[] f = query("SELECT count(*), min(version), max(version), sum(plays) FROM $s.track_stats")
                .get(0).split("\\|");
            assertEquals("2000", f[0]);
            assertEquals(f[1], f[2], "every track at the last version sent");
            assertEquals(Long.parseLong(f[1]) * 10 * 2_000, Long.parseLong(f[3]));
        }
    }
}
