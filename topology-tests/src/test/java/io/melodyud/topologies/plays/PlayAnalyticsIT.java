package io.melodyud.topologies.plays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.melodyud.avro.event.PlayEvent;
import io.melodyud.avro.output.TrackPlayTotal;
import io.melodyud.contracts.fixtures.AvroFixtures;
import io.melodyud.contracts.serde.TopicSerdes;
import io.melodyud.contracts.topics.Topics;
import io.melodyud.topologies.StackClient;
import io.melodyud.topologies.common.DeadLetterHandlers;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * The play-analytics application as a separate process on the real broker and registry of the local stack:
 * killed with SIGKILL in the middle of a stream of plays, restarted from an empty state directory (so its state
 * comes back from the changelogs), the totals are still exact; and bad records become dead letters with their
 * original bytes. Track ids are drawn at random per run so that concurrent or earlier runs never mix in.
 */
class PlayAnalyticsIT {

    private static final Duration DEADLINE = Duration.ofSeconds(90);

    @TempDir
    Path work;

    private StackClient kafka;
    private TopicSerdes serdes;
    private String applicationId;
    private long trackBase;
    private Process app;
    /** The plays of the last {@code sendPlays} call, in order, retries included. */
    private final List<PlayEvent> lastBatch = new ArrayList<>();

    @BeforeEach
    void setUp(final TestInfo test) {
        kafka = new StackClient();
        serdes = kafka.serdes;
        applicationId = "it-" + test.getTestMethod().orElseThrow().getName() + "-" + Long.toHexString(System.nanoTime());
        trackBase = 1_000_000_000L + new SplittableRandom().nextLong(1_000_000_000L) * 100;
    }

    @AfterEach
    void tearDown() {
        if (app != null) {
            app.destroyForcibly();
        }
        kafka.close();
    }

    private Process startApp(final Path stateDir) throws IOException {
        return StackClient.startApp(PlayAnalyticsApp.class, kafka.appSettings(applicationId, stateDir, 0),
            work.resolve("app.properties"), work.resolve("app.log"));
    }

    private Map<Long, Long> sendPlays(final KafkaProducer<byte[], byte[]> producer, final int count, final long seed) {
        final SplittableRandom random = new SplittableRandom(seed);
        final Map<Long, Long> expected = new HashMap<>();
        final Instant base = Instant.now().minus(Duration.ofMinutes(20));
        PlayEvent previous = null;
        lastBatch.clear();
        for (int i = 0; i < count; i++) {
            final PlayEvent play;
            if (previous != null && random.nextInt(100) < 5) {
                play = previous; // a producer retry: same event id
            } else {
                final long track = trackBase + (random.nextInt(10) < 9 ? 0 : 1 + random.nextInt(2));
                play = AvroFixtures.playEvent()
                    .setEventId(new UUID(seed, i))
                    .setUserId(1 + random.nextInt(5_000))
                    .setTrackId(track)
                    .setCountry(random.nextBoolean() ? "CO" : "BR")
                    .setStartedAt(base.plusMillis(i * 30L))
                    .setSentAt(base.plusMillis(i * 30L + 200_000))
                    .setMsPlayed(random.nextInt(100) < 15 ? 12_000L : 200_000L)
                    .build();
                if (play.getMsPlayed() >= 30_000L) {
                    expected.merge(track, 1L, Long::sum);
                }
            }
            previous = play;
            lastBatch.add(play);
            producer.send(new ProducerRecord<>(Topics.PLAYS.name(),
                serdes.key(Topics.PLAYS).serializer().serialize(Topics.PLAYS.name(), play.getUserId()),
                serdes.value(Topics.PLAYS).serializer().serialize(Topics.PLAYS.name(), play)));
        }
        producer.flush();
        return expected;
    }

    private void resend(final KafkaProducer<byte[], byte[]> producer, final List<PlayEvent> plays) {
        for (final PlayEvent play : plays) {
            producer.send(new ProducerRecord<>(Topics.PLAYS.name(),
                serdes.key(Topics.PLAYS).serializer().serialize(Topics.PLAYS.name(), play.getUserId()),
                serdes.value(Topics.PLAYS).serializer().serialize(Topics.PLAYS.name(), play)));
        }
        producer.flush();
    }

    private Map<Long, Long> latestTotals(final KafkaConsumer<byte[], byte[]> reader, final Map<Long, Long> latest) {
        for (final ConsumerRecord<byte[], byte[]> record : reader.poll(Duration.ofMillis(500))) {
            final TrackPlayTotal total = serdes.value(Topics.TRACK_PLAY_TOTALS).deserializer()
                .deserialize(Topics.TRACK_PLAY_TOTALS.name(), record.value());
            if (total.getTrackId() >= trackBase && total.getTrackId() <= trackBase + 2) {
                latest.merge(total.getTrackId(), total.getValidPlays(), Math::max);
            }
        }
        return latest;
    }

    private static void await(final String what, final BooleanSupplier condition) throws InterruptedException {
        StackClient.await(what, DEADLINE, condition);
    }

    @Test
    void totalsStayExactWhenTheApplicationIsKilledAndRestartedWithoutItsState() throws Exception {
        final Map<Long, Long> expected = new HashMap<>();
        final Map<Long, Long> seen = new HashMap<>();
        kafka.startAtEnd(applicationId, Topics.PLAYS);
        final KafkaProducer<byte[], byte[]> producer = kafka.producer;
        try (KafkaConsumer<byte[], byte[]> totals = kafka.committedReader(Topics.TRACK_PLAY_TOTALS)) {
            sendPlays(producer, 20_000, 1).forEach((k, v) -> expected.merge(k, v, Long::sum));
            final List<PlayEvent> firstBatch = new ArrayList<>(lastBatch);
            app = startApp(work.resolve("state-1"));
            // Kill it as soon as it has committed some output: mid-stream, with transactions open.
            await("first committed totals", () -> !latestTotals(totals, seen).isEmpty());
            sendPlays(producer, 20_000, 2).forEach((k, v) -> expected.merge(k, v, Long::sum));
            app.destroyForcibly().waitFor();

            sendPlays(producer, 10_000, 3).forEach((k, v) -> expected.merge(k, v, Long::sum));
            // Retries of plays counted before the kill: only the restored deduplication state can recognise them.
            resend(producer, firstBatch.subList(0, 2_000));
            app = startApp(work.resolve("state-2"));
            await("totals " + expected + ", seen " + seen, () -> latestTotals(totals, seen).equals(expected));
            // Nothing more arrives later: no play was counted twice.
            final long quietUntil = System.nanoTime() + Duration.ofSeconds(3).toNanos();
            while (System.nanoTime() < quietUntil) {
                latestTotals(totals, seen);
            }
            assertEquals(expected, seen);
        }
    }

    @Test
    void badRecordsBecomeDeadLettersWithTheirBytesAndReason() throws Exception {
        final byte[] json = ("{\"track_id\": " + trackBase + "}").getBytes(StandardCharsets.UTF_8);
        // An id no registry has handed out, with bytes unique to this run.
        final byte[] unknownId = {0, 0x7f, (byte) trackBase, (byte) (trackBase >> 8), (byte) (trackBase >> 16), 2, 4};
        final Set<String> reasons = new HashSet<>();
        kafka.startAtEnd(applicationId, Topics.PLAYS);
        final KafkaProducer<byte[], byte[]> producer = kafka.producer;
        try (KafkaConsumer<byte[], byte[]> letters = kafka.committedReader(Topics.DLQ_PLAY_ANALYTICS)) {
            producer.send(new ProducerRecord<>(Topics.PLAYS.name(), new byte[8], json));
            producer.send(new ProducerRecord<>(Topics.PLAYS.name(), new byte[8], unknownId));
            final PlayEvent negative = AvroFixtures.playEvent().setEventId(UUID.randomUUID()).setTrackId(trackBase)
                .setStartedAt(Instant.now().minusSeconds(60)).setMsPlayed(-1L).build();
            producer.send(new ProducerRecord<>(Topics.PLAYS.name(),
                serdes.key(Topics.PLAYS).serializer().serialize(Topics.PLAYS.name(), negative.getUserId()),
                serdes.value(Topics.PLAYS).serializer().serialize(Topics.PLAYS.name(), negative)));
            producer.flush();
            app = startApp(work.resolve("state"));

            final List<ConsumerRecord<byte[], byte[]>> mine = new ArrayList<>();
            await("three dead letters", () -> {
                for (final ConsumerRecord<byte[], byte[]> record : letters.poll(Duration.ofMillis(500))) {
                    final byte[] value = record.value();
                    final boolean ours = java.util.Arrays.equals(value, json) || java.util.Arrays.equals(value, unknownId)
                        || containsUuid(value, negative.getEventId());
                    if (ours) {
                        mine.add(record);
                        reasons.add(StackClient.header(record, DeadLetterHandlers.REASON_HEADER));
                    }
                }
                return mine.size() >= 3;
            });
            assertEquals(Set.of("not-wire-format", "unknown-schema-id", "invalid-play:negative-duration"), reasons);
            for (final ConsumerRecord<byte[], byte[]> record : mine) {
                assertEquals(Topics.PLAYS.name(), StackClient.header(record, DeadLetterHandlers.TOPIC_HEADER));
                assertTrue(Long.parseLong(StackClient.header(record, DeadLetterHandlers.OFFSET_HEADER)) >= 0);
                if ("not-wire-format".equals(StackClient.header(record, DeadLetterHandlers.REASON_HEADER))) {
                    assertArrayEquals(json, record.value(), "the original bytes, unchanged");
                }
            }
        }
    }

    private static boolean containsUuid(final byte[] avro, final UUID id) {
        return new String(avro, StandardCharsets.UTF_8).contains(id.toString());
    }
}
