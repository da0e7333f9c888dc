package io.melodyud.topologies.plays;

import static io.melodyud.contracts.fixtures.AvroFixtures.t;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.melodyud.avro.event.PlayEvent;
import io.melodyud.contracts.fixtures.AvroFixtures;
import io.melodyud.contracts.topics.Topics;
import io.melodyud.topologies.common.DeadLetterHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What each kind of bad input gets: a dead letter with the reason and the source position in headers, a count,
 * and the application goes on (a good play sent afterwards is counted).
 */
class PlayAnalyticsBadInputTest {

    @TempDir
    Path stateDir;

    private PlayAnalyticsDriver app;
    private byte[] goodBytes;

    @BeforeEach
    void start() {
        app = new PlayAnalyticsDriver(stateDir);
        goodBytes = app.serdes.value(Topics.PLAYS).serializer().serialize(Topics.PLAYS.name(), good().build());
    }

    @AfterEach
    void stop() {
        app.close();
    }

    private static PlayEvent.Builder good() {
        return AvroFixtures.playEvent().setEventId(UUID.randomUUID()).setStartedAt(t(0));
    }

    /** Sends the bad record, then a good play, and returns the only dead letter. */
    private TestRecord<byte[], byte[]> deadLetterFor(final Runnable sendBad) {
        sendBad.run();
        app.send(good().build());
        app.tick();
        assertEquals(Map.of(AvroFixtures.TRACK_ID, 1L), app.latestTotals(), "the good play after it is counted");
        final List<TestRecord<byte[], byte[]>> letters = app.deadLetters.readRecordsToList();
        assertEquals(1, letters.size(), "one dead letter");
        return letters.get(0);
    }

    /**
     * For records that fail to deserialize. TopologyTestDriver does not capture the dead letters the
     * deserialization handler returns (they are sent while the record is queued, outside its output capture), so
     * here the count and the application going on are checked; {@code PlayAnalyticsIT} checks the dead letter's
     * bytes and headers on the real broker.
     */
    private void deserializationFailure(final Runnable sendBad, final String reason) {
        sendBad.run();
        app.send(good().build());
        app.tick();
        assertEquals(Map.of(AvroFixtures.TRACK_ID, 1L), app.latestTotals(), "the good play after it is counted");
        assertEquals(1, app.counters.count(DeadLetterHandlers.DEAD_LETTER, reason), reason);
        assertEquals(1, app.counters.total(DeadLetterHandlers.DEAD_LETTER));
    }

    private static String header(final Headers headers, final String name) {
        final Header header = headers.lastHeader(name);
        assertNotNull(header, "header " + name);
        return new String(header.value(), StandardCharsets.UTF_8);
    }

    private void assertReason(final TestRecord<byte[], byte[]> letter, final String reason, final String stage) {
        assertEquals(reason, header(letter.headers(), DeadLetterHandlers.REASON_HEADER));
        assertEquals(stage, header(letter.headers(), DeadLetterHandlers.STAGE_HEADER));
        assertEquals(Topics.PLAYS.name(), header(letter.headers(), DeadLetterHandlers.TOPIC_HEADER));
        assertEquals("0", header(letter.headers(), DeadLetterHandlers.PARTITION_HEADER));
        assertEquals("0", header(letter.headers(), DeadLetterHandlers.OFFSET_HEADER), "first record of the topic");
        assertEquals(1, app.counters.count(DeadLetterHandlers.DEAD_LETTER, reason));
    }

    @Test
    void undecodableBytesAreADeadLetter() {
        final byte[] garbage = {0, 0, 0, 0, 1, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff};
        deserializationFailure(() -> app.rawPlays.pipeInput(new byte[8], garbage), "undecodable");
    }

    @Test
    void plainJsonIsNotWireFormat() {
        final byte[] json = "{\"user_id\": 7}".getBytes(StandardCharsets.UTF_8);
        deserializationFailure(() -> app.rawPlays.pipeInput(new byte[8], json), "not-wire-format");
    }

    @Test
    void anUnknownSchemaIdIsADeadLetter() {
        final byte[] unknownId = goodBytes.clone();
        unknownId[4] = 99;
        deserializationFailure(() -> app.rawPlays.pipeInput(new byte[8], unknownId), "unknown-schema-id");
    }

    @Test
    void aRecordMissingFieldsDoesNotDecode() {
        // The header of a real record with its body cut short: fields are missing at the end.
        final byte[] truncated = java.util.Arrays.copyOf(goodBytes, 20);
        deserializationFailure(() -> app.rawPlays.pipeInput(new byte[8], truncated), "undecodable");
    }

    @Test
    void aPlayWithoutAKeyIsADeadLetter() {
        assertReason(deadLetterFor(() -> app.plays.pipeInput(null, good().build(), t(0))), "null-key", "processing");
    }

    @Test
    void aNegativeDurationIsADeadLetter() {
        final PlayEvent play = good().setMsPlayed(-5_000L).build();
        final TestRecord<byte[], byte[]> letter = deadLetterFor(() -> app.send(play));
        assertReason(letter, "invalid-play:negative-duration", "processing");
        assertEquals(play, app.serdes.value(Topics.PLAYS).deserializer().deserialize(Topics.PLAYS.name(),
            letter.value()), "the dead letter holds the original record");
    }

    @Test
    void aTimestampBefore2000IsADeadLetter() {
        final PlayEvent play = good().setStartedAt(Instant.parse("1970-01-01T00:00:00Z")).build();
        assertReason(deadLetterFor(() -> app.send(play)), "invalid-play:timestamp-before-2000", "processing");
    }

    @Test
    void aTimestampFarInTheFutureIsADeadLetterAndDoesNotMoveEventTime() {
        final PlayEvent play = good().setStartedAt(Instant.parse("2031-01-01T00:00:00Z")).build();
        assertReason(deadLetterFor(() -> app.send(play)), "invalid-play:timestamp-in-future", "processing");
        // Had it moved stream time to 2031, the good play would have been late.
        assertEquals(0, app.late.readRecordsToList().size());
    }

    @Test
    void aCountryThatIsNotAnIsoCodeIsADeadLetter() {
        assertReason(deadLetterFor(() -> app.send(good().setCountry("Colombia").build())), "invalid-play:country",
            "processing");
    }
}
