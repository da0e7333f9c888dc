package io.melodyud.connectors.cdc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.melodyud.avro.cdc.Subscription;
import io.melodyud.avro.cdc.Track;
import io.melodyud.avro.cdc.User;
import io.melodyud.avro.common.Tier;
import io.melodyud.contracts.registry.RegistryConfig;
import io.melodyud.contracts.registry.SchemaRegistryClient;
import io.melodyud.contracts.serde.AvroDeserializer;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.LongDeserializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * CDC against the real local stack: both PostgreSQL workers (a database of the test's own on each), the broker
 * and the registry. Each test runs the connector in-process on its own topics, slot and publication.
 */
class CdcStreamingIT {

    private static final Duration WAIT = Duration.ofSeconds(90);

    private String testName;
    private AvroDeserializer<User> users;
    private AvroDeserializer<Subscription> subscriptions;
    private AvroDeserializer<Track> tracks;
    private final LongDeserializer keys = new LongDeserializer();

    @BeforeEach
    void setUp(final TestInfo test) {
        testName = test.getTestMethod().orElseThrow().getName();
        final SchemaRegistryClient registry = new SchemaRegistryClient(new RegistryConfig(Map.of(RegistryConfig.URL,
            io.melodyud.contracts.config.LocalStack.fromSystemProperty().registryUrl())));
        users = AvroDeserializer.specific(registry, User.class);
        subscriptions = AvroDeserializer.specific(registry, Subscription.class);
        tracks = AvroDeserializer.specific(registry, Track.class);
    }

    private long key(final ConsumerRecord<byte[], byte[]> record) {
        return keys.deserialize(record.topic(), record.key());
    }

    private static boolean hasKey(final List<ConsumerRecord<byte[], byte[]>> records, final long key,
                                  final java.util.function.Predicate<ConsumerRecord<byte[], byte[]>> also) {
        final LongDeserializer keys = new LongDeserializer();
        return records.stream().anyMatch(r -> keys.deserialize(r.topic(), r.key()) == key && also.test(r));
    }

    @Test
    void changesOnEachWorkerArriveOnTheLogicalTopicKeyedByPrimaryKeyWithoutShardNames() throws Exception {
        try (CdcScratch scratch = new CdcScratch(testName)) {
            final CdcConfig config = new CdcConfig(scratch.settings(null));
            scratch.provision(config);
            // Present before the first start: comes from the initial snapshot, without LSN.
            scratch.insertUser(1L, "FREE");
            try (CdcRunner runner = new CdcRunner(config);
                 TopicReader userTopic = new TopicReader(scratch.stack.kafkaBootstrapServers(),
                     scratch.topic(LogicalTable.USERS));
                 TopicReader subscriptionTopic = new TopicReader(scratch.stack.kafkaBootstrapServers(),
                     scratch.topic(LogicalTable.SUBSCRIPTIONS))) {
                runner.start();
                userTopic.await(WAIT, () -> "the snapshot of user 1", r -> hasKey(r, 1L, x -> true));
                final User snapshot = users.deserialize(scratch.topic(LogicalTable.USERS),
                    userTopic.seen().get(0).value());
                assertNull(snapshot.getCdcLsn(), "snapshot rows carry no LSN");

                // Users 100..119 spread over the 4 shards of both workers.
                final Set<Integer> workersWritten = new HashSet<>();
                for (long id = 100; id < 120; id++) {
                    scratch.insertUser(id, "FREE");
                    workersWritten.add(scratch.place("users", id).worker());
                }
                assertEquals(Set.of(0, 1), workersWritten, "the test writes on both workers");
                final CdcScratch.ShardPlace place105 = scratch.place("users", 105L);
                scratch.execute(place105.worker(), "UPDATE " + place105.table()
                    + " SET tier = 'PREMIUM', updated_at = now() WHERE user_id = 105");
                final CdcScratch.ShardPlace place107 = scratch.place("users", 107L);
                scratch.execute(place107.worker(), "DELETE FROM " + place107.table() + " WHERE user_id = 107");
                final CdcScratch.ShardPlace subPlace = scratch.place("subscriptions", 105L);
                scratch.execute(subPlace.worker(), "INSERT INTO " + subPlace.table() + " (subscription_id, user_id, "
                    + "plan, status, started_at, monthly_price, currency) VALUES (9000105, 105, 'PREMIUM', "
                    + "'ACTIVE', now(), 16900.00, 'COP')");

                final List<ConsumerRecord<byte[], byte[]>> seen = userTopic.await(WAIT, () -> "users 100..119, "
                    + "the update of 105 and the tombstone of 107", r ->
                    LongStream.range(100, 120).allMatch(id -> hasKey(r, id, x -> true))
                        && hasKey(r, 105L, x -> x.value() != null && users.deserialize(x.topic(), x.value())
                            .getTier() == Tier.PREMIUM)
                        && hasKey(r, 107L, x -> x.value() == null));
                for (final ConsumerRecord<byte[], byte[]> record : seen) {
                    if (record.value() != null && key(record) >= 100) {
                        final User user = users.deserialize(record.topic(), record.value());
                        assertEquals(key(record), user.getUserId(), "keyed by user_id");
                        assertNotNull(user.getCdcLsn(), "streamed changes carry their LSN");
                        assertNotNull(user.getCdcCommittedAt(), "and their commit time");
                    }
                }
                final ConsumerRecord<byte[], byte[]> subscription = subscriptionTopic.await(WAIT,
                    () -> "subscription 9000105", r -> hasKey(r, 9_000_105L, x -> true)).get(0);
                assertEquals(105L, subscriptions.deserialize(subscription.topic(), subscription.value()).getUserId());

                // A column added to a shard: streaming goes on, the contract is unchanged.
                final CdcScratch.ShardPlace place130 = scratch.place("users", 130L);
                scratch.execute(place130.worker(), "ALTER TABLE " + place130.table() + " ADD COLUMN referral_code text");
                scratch.insertUser(130L, "STUDENT");
                userTopic.await(WAIT, () -> "user 130, inserted after a column was added",
                    r -> hasKey(r, 130L, x -> true));

                // No topic names a shard: only the logical topics and the connector's own.
                for (final String topic : scratch.existingTopics()) {
                    assertFalse(topic.matches(".*_\\d+.*"), topic);
                }
                assertEquals(0, runner.metrics().deadLetters());
                assertFalse(runner.failure().isDone());

                // Heartbeats flow, and the WAL each slot retains is measured.
                try (TopicReader heartbeats = new TopicReader(scratch.stack.kafkaBootstrapServers(),
                        scratch.topicPrefix + ".heartbeats")) {
                    heartbeats.await(WAIT, () -> "a heartbeat", r -> !r.isEmpty());
                }
                for (final Node node : scratch.workers) {
                    awaitTrue(() -> runner.metrics().node(node.name()).getRetainedWalBytes() >= 0,
                        "the retained WAL of " + node.name());
                }
            }
        }
    }

    @Test
    void aReferenceTableChangeArrivesOnceNotOncePerWorker() throws Exception {
        try (CdcScratch scratch = new CdcScratch(testName)) {
            final CdcConfig config = new CdcConfig(scratch.settings(null));
            scratch.provision(config);
            final String shard = scratch.referenceShard("tracks");
            try (CdcRunner runner = new CdcRunner(config);
                 TopicReader trackTopic = new TopicReader(scratch.stack.kafkaBootstrapServers(),
                     scratch.topic(LogicalTable.TRACKS))) {
                runner.start();
                awaitStreaming(runner, scratch);
                // Citus writes a reference table on every worker in one distributed transaction.
                for (int w = 0; w < scratch.workers.size(); w++) {
                    scratch.execute(w, "INSERT INTO " + shard + " (track_id, title, artist_name, rights_holder_id, "
                        + "duration_ms, isrc, released_on) VALUES (7001, 'La Gota Fría', 'Carlos Vives', 12, 270000, "
                        + "'COA019500017', '1995-06-01')");
                    scratch.execute(w, "UPDATE " + shard + " SET duration_ms = 271000 WHERE track_id = 7001");
                }
                trackTopic.await(WAIT, () -> "track 7001 updated", r -> hasKey(r, 7001L,
                    x -> tracks.deserialize(x.topic(), x.value()).getDurationMs() == 271_000));
                // Long enough for the other worker's copy to have arrived, were it published.
                final long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(4);
                while (System.nanoTime() < until) {
                    trackTopic.poll();
                }
                assertEquals(2, trackTopic.seen().size(), "one insert and one update, not one per worker: "
                    + trackTopic.seen().stream().map(r -> tracks.deserialize(r.topic(), r.value()).toString())
                        .collect(Collectors.joining("\n")));
            }
        }
    }

    @Test
    void aRowViolatingTheContractGoesToTheDeadLetterTopicWithItsReason() throws Exception {
        try (CdcScratch scratch = new CdcScratch(testName)) {
            final CdcConfig config = new CdcConfig(scratch.settings(null));
            scratch.provision(config);
            final CdcScratch.ShardPlace place = scratch.place("users", 201L);
            // The source lets through what the contract forbids: a user without a country.
            scratch.execute(place.worker(), "ALTER TABLE " + place.table() + " ALTER COLUMN country DROP NOT NULL");
            try (CdcRunner runner = new CdcRunner(config);
                 TopicReader dlq = new TopicReader(scratch.stack.kafkaBootstrapServers(), scratch.dlqTopic());
                 TopicReader userTopic = new TopicReader(scratch.stack.kafkaBootstrapServers(),
                     scratch.topic(LogicalTable.USERS))) {
                runner.start();
                awaitStreaming(runner, scratch);
                scratch.execute(place.worker(), "INSERT INTO " + place.table() + " (user_id, email, display_name, "
                    + "country, tier, signup_at) VALUES (201, 'x@example.co', 'Sin País', NULL, 'FREE', now())");
                scratch.insertUser(202L, "FREE");
                final ConsumerRecord<byte[], byte[]> letter = dlq.await(WAIT, () -> "a dead letter",
                    r -> !r.isEmpty()).get(0);
                assertEquals("null-in-required-field", new String(letter.headers()
                    .lastHeader(ChangePublisher.REASON_HEADER).value(), StandardCharsets.UTF_8));
                assertEquals(place.table(), new String(letter.headers().lastHeader(ChangePublisher.TABLE_HEADER)
                    .value(), StandardCharsets.UTF_8));
                // The bad row does not stop the stream.
                userTopic.await(WAIT, () -> "user 202 after the bad row", r -> hasKey(r, 202L, x -> true));
                assertFalse(hasKey(userTopic.seen(), 201L, x -> true));
                assertEquals(Map.of("null-in-required-field", 1L), runner.metrics().deadLettersByReason());
            }
        }
    }

    @Test
    void wrongCredentialsFailFastWithAClearMessageThatHidesThePassword() throws Exception {
        try (CdcScratch scratch = new CdcScratch(testName)) {
            scratch.provision(new CdcConfig(scratch.settings(null)));
            final Map<String, String> settings = scratch.settings(null);
            settings.put("cdc.password", "not-the-password-" + scratch.id);
            final long started = System.nanoTime();
            try (CdcRunner runner = new CdcRunner(new CdcConfig(settings))) {
                runner.start();
                final CdcFailure failure = runner.failure().get(30, TimeUnit.SECONDS);
                assertTrue(failure.getMessage().contains("authentication failed for role " + scratch.role),
                    failure.getMessage());
                assertFalse(failure.getMessage().contains("not-the-password"), "the password is never shown");
                assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(20), "fails fast, no retries");
            }
            assertFalse(CdcScratch.slotExists(scratch.workers.get(0), scratch.slotName()));
        }
    }

    @Test
    void aNodeRefusingConnectionsIsRetriedWhileTheOtherNodeStreams() throws Exception {
        try (CdcScratch scratch = new CdcScratch(testName); ServerSocket closed = new ServerSocket(0)) {
            final int refusingPort = closed.getLocalPort();
            closed.close();
            scratch.provision(new CdcConfig(scratch.settings(List.of(scratch.workers.get(0)))));
            final List<Node> nodes = new ArrayList<>(List.of(scratch.workers.get(0),
                new Node("unreachable", "127.0.0.1", refusingPort)));
            final CdcConfig config = new CdcConfig(scratch.settings(nodes));
            try (CdcRunner runner = new CdcRunner(config);
                 TopicReader userTopic = new TopicReader(scratch.stack.kafkaBootstrapServers(),
                     scratch.topic(LogicalTable.USERS))) {
                runner.start();
                final long userOnWorker1 = LongStream.range(300, 400)
                    .filter(id -> scratch.place("users", id).worker() == 0).findFirst().orElseThrow();
                scratch.insertUser(userOnWorker1, "FAMILY");
                userTopic.await(WAIT, () -> "user " + userOnWorker1 + " from the healthy node",
                    r -> hasKey(r, userOnWorker1, x -> true));
                assertEquals("RETRYING", runner.metrics().node("unreachable").getState());
                assertFalse(runner.failure().isDone(), "a refused connection is not a permanent failure");
            }
        }
    }

    @Test
    void aDroppedSlotStopsTheNodeWithRecoveryStepsAndAResetTakesANewSnapshot() throws Exception {
        try (CdcScratch scratch = new CdcScratch(testName)) {
            final Node worker1 = scratch.workers.get(0);
            final Map<String, String> settings = scratch.settings(List.of(worker1));
            final CdcConfig config = new CdcConfig(settings);
            scratch.provision(config);
            final long userId = LongStream.range(400, 500).filter(id -> scratch.place("users", id).worker() == 0)
                .findFirst().orElseThrow();
            try (TopicReader userTopic = new TopicReader(scratch.stack.kafkaBootstrapServers(),
                    scratch.topic(LogicalTable.USERS))) {
                try (CdcRunner runner = new CdcRunner(config)) {
                    runner.start();
                    awaitStreaming(runner, scratch);
                    scratch.insertUser(userId, "FREE");
                    userTopic.await(WAIT, () -> "user " + userId, r -> hasKey(r, userId, x -> true));
                    final OffsetStore offsets = new OffsetStore(config.kafkaClientSettings(), config.offsetsTopic());
                    awaitTrue(() -> offsets.hasOffsets(config.engineName(worker1)), "offsets committed");
                }
                CdcScratch.dropSlot(worker1, scratch.database, scratch.slotName());
                try (CdcRunner runner = new CdcRunner(config)) {
                    runner.start();
                    final CdcFailure failure = runner.failure().get(60, TimeUnit.SECONDS);
                    assertTrue(failure.getMessage().contains("replication slot " + scratch.slotName()
                        + " is missing"), failure.getMessage());
                    assertTrue(failure.getMessage().contains("reset-offsets worker1"), failure.getMessage());
                }
                assertFalse(CdcScratch.slotExists(worker1, scratch.slotName()), "no new slot behind our back");
                CdcApp.resetOffsets(config, List.of("worker1"));
                final int before = userTopic.poll().size();
                try (CdcRunner runner = new CdcRunner(config)) {
                    runner.start();
                    userTopic.await(WAIT, () -> "user " + userId + " again, from the new snapshot", r -> r.size()
                        > before && r.subList(before, r.size()).stream().anyMatch(x -> key(x) == userId
                        && users.deserialize(x.topic(), x.value()).getCdcLsn() == null));
                    assertFalse(runner.failure().isDone());
                }
            }
        }
    }

    @Test
    void heartbeatsLetAnIdleSlotAdvancePastWalWrittenByOtherTables() throws Exception {
        try (CdcScratch scratch = new CdcScratch(testName)) {
            final Node worker1 = scratch.workers.get(0);
            final CdcConfig config = new CdcConfig(scratch.settings(List.of(worker1)));
            scratch.provision(config);
            try (CdcRunner runner = new CdcRunner(config)) {
                runner.start();
                awaitStreaming(runner, scratch);
                // A busy table CDC does not publish: its WAL must not stay behind the idle slot.
                scratch.execute(0, "CREATE TABLE play_log (id bigserial PRIMARY KEY, payload text)");
                scratch.execute(0, "INSERT INTO play_log (payload) SELECT repeat('x', 200) "
                    + "FROM generate_series(1, 50000)");
                final String written = currentLsn(worker1);
                awaitTrue(() -> {
                    try {
                        return confirmedPast(worker1, scratch.slotName(), written);
                    } catch (final java.sql.SQLException e) {
                        return false;
                    }
                }, "the slot to confirm past " + written);
            }
        }
    }

    private static String currentLsn(final Node node) throws java.sql.SQLException {
        try (Connection c = CdcScratch.superuser(node, "postgres"); var st = c.createStatement();
             var rs = st.executeQuery("SELECT pg_current_wal_lsn()::text")) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static boolean confirmedPast(final Node node, final String slot, final String lsn)
            throws java.sql.SQLException {
        try (Connection c = CdcScratch.superuser(node, "postgres"); var st = c.prepareStatement(
                "SELECT confirmed_flush_lsn >= ?::pg_lsn FROM pg_replication_slots WHERE slot_name = ?")) {
            st.setString(1, lsn);
            st.setString(2, slot);
            try (var rs = st.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    @Test
    void aMissingPublicationStopsCdcWithTheCommandThatCreatesIt() throws Exception {
        try (CdcScratch scratch = new CdcScratch(testName)) {
            final CdcConfig config = new CdcConfig(scratch.settings(List.of(scratch.workers.get(0))));
            scratch.provision(config);
            scratch.execute(0, "DROP PUBLICATION " + config.publicationName());
            try (CdcRunner runner = new CdcRunner(config)) {
                runner.start();
                final CdcFailure failure = runner.failure().get(30, TimeUnit.SECONDS);
                assertTrue(failure.getMessage().contains("publication " + config.publicationName()
                    + " does not exist") && failure.getMessage().contains("provision"), failure.getMessage());
            }
            assertFalse(CdcScratch.slotExists(scratch.workers.get(0), scratch.slotName()));
        }
    }

    @Test
    void provisioningRefusesAShardTableWithoutPrimaryKey() throws Exception {
        try (CdcScratch scratch = new CdcScratch(testName)) {
            scratch.execute(0, "CREATE TABLE users_999999 (user_id bigint, country char(2), tier text, "
                + "signup_at timestamptz, updated_at timestamptz)");
            final CdcConfig config = new CdcConfig(scratch.settings(List.of(scratch.workers.get(0))));
            final CdcFailure failure = assertThrows(CdcFailure.class, () -> scratch.provision(config));
            assertTrue(failure.getMessage().contains("users_999999") && failure.getMessage().contains("primary key"),
                failure.getMessage());
            try (Connection c = scratch.worker(0); var st = c.createStatement();
                 var rs = st.executeQuery("SELECT count(*) FROM pg_publication")) {
                rs.next();
                assertEquals(0, rs.getInt(1), "nothing published");
            }
        }
    }

    @Test
    void anIncrementalSnapshotBackfillsATableWhileStreaming() throws Exception {
        try (CdcScratch scratch = new CdcScratch(testName)) {
            final Map<String, String> settings = scratch.settings(null);
            settings.put("cdc.snapshot.mode", "no_data");
            final CdcConfig config = new CdcConfig(settings);
            scratch.provision(config);
            for (long id = 500; id < 510; id++) {
                scratch.insertUser(id, "PREMIUM");
            }
            try (CdcRunner runner = new CdcRunner(config);
                 TopicReader userTopic = new TopicReader(scratch.stack.kafkaBootstrapServers(),
                     scratch.topic(LogicalTable.USERS))) {
                runner.start();
                awaitStreaming(runner, scratch);
                assertTrue(userTopic.poll().stream().noneMatch(r -> key(r) >= 500 && key(r) < 510),
                    "no_data: existing rows are not read at start");
                CdcApp.snapshot(config, List.of("users"));
                userTopic.await(WAIT, () -> "users 500..509 from the incremental snapshot", r ->
                    LongStream.range(500, 510).allMatch(id -> hasKey(r, id, x -> true)));
            }
        }
    }

    /** Waits until every node of the runner streams: a change written now is then captured. */
    private static void awaitStreaming(final CdcRunner runner, final CdcScratch scratch) {
        awaitTrue(() -> runner.nodes().stream().allMatch(n -> {
            try {
                return CdcScratch.slotExists(n, scratch.slotName());
            } catch (final java.sql.SQLException e) {
                return false;
            }
        }) && runner.nodes().stream().allMatch(n -> "RUNNING".equals(runner.metrics().node(n.name()).getState())),
            "every node streaming");
        // The slot exists a moment before the engine reads it; a heartbeat proves the stream is up.
        CdcScratch.sleep(1500);
    }

    static void awaitTrue(final java.util.function.BooleanSupplier condition, final String what) {
        final long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("Timed out waiting for " + what);
            }
            CdcScratch.sleep(100);
        }
        Objects.requireNonNull(what);
    }
}
