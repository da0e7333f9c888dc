package io.melodyud.topologies.royalties;

import static io.melodyud.contracts.fixtures.AvroFixtures.t;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.melodyud.avro.common.Tier;
import io.melodyud.avro.event.PlayEvent;
import io.melodyud.contracts.topics.Topics;
import io.melodyud.topologies.common.DeadLetterHandlers;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What each kind of bad input gets in the royalties application: a dead letter with the reason in headers and a
 * count, and the application goes on (a good play sent afterwards is paid). Reference rows that cannot be used are
 * refused with a count and a warning (global stores have no dead-letter path) and price nothing.
 */
class RoyaltiesBadInputTest {

    private static final long ALICE = 4_815_162L;
    private static final long TRACK = 7_310_042L;
    private static final long LABEL = 1_204L;
    private static final Instant LONG_AGO = Instant.parse("2024-01-01T00:00:00Z");
    private static final String DAY_KEY = LABEL + "|CO|2025-03-14";

    @TempDir
    Path stateDir;
    private RoyaltiesDriver app;

    @BeforeEach
    void start() {
        app = new RoyaltiesDriver(stateDir);
        app.user(ALICE, "CO", Tier.FREE, LONG_AGO);
        app.track(TRACK, LABEL);
        app.rate(1, "CO", Tier.FREE, "0.00031500", LONG_AGO);
    }

    @AfterEach
    void stop() {
        app.close();
    }

    /** Sends the bad input, then a good play, and checks the good play is paid. */
    private io.melodyud.avro.output.RoyaltyAggregate thenAGoodPlayIsPaid(final Runnable sendBad) {
        sendBad.run();
        app.send(app.play(ALICE, TRACK, t(0)));
        final io.melodyud.avro.output.RoyaltyAggregate day = RoyaltiesDriver.latest(app.daily).get(DAY_KEY);
        assertEquals(1, day.getValidPlays(), "the good play is paid");
        return day;
    }

    private TestRecord<byte[], byte[]> onlyDeadLetter() {
        final List<TestRecord<byte[], byte[]>> letters = app.deadLetters.readRecordsToList();
        assertEquals(1, letters.size(), "one dead letter");
        return letters.get(0);
    }

    private void assertProcessingDeadLetter(final String reason) {
        final TestRecord<byte[], byte[]> letter = onlyDeadLetter();
        assertEquals(reason, header(letter, DeadLetterHandlers.REASON_HEADER));
        assertEquals("processing", header(letter, DeadLetterHandlers.STAGE_HEADER));
        assertNotNull(letter.headers().lastHeader(DeadLetterHandlers.OFFSET_HEADER));
        assertEquals(1, app.counters.count(DeadLetterHandlers.DEAD_LETTER, reason));
    }

    private static String header(final TestRecord<byte[], byte[]> letter, final String name) {
        final Header header = letter.headers().lastHeader(name);
        assertNotNull(header, "header " + name);
        return new String(header.value(), StandardCharsets.UTF_8);
    }

    @Test
    void undecodablePlayBytesAreCountedAndSkipped() {
        thenAGoodPlayIsPaid(() -> app.rawPlays.pipeInput(new byte[8], new byte[] {0, 0, 0, 0, 1, -1, -1, -1}));
        assertEquals(1, app.counters.count(DeadLetterHandlers.DEAD_LETTER, "undecodable"));
    }

    @Test
    void aPlayWithoutAKeyIsADeadLetter() {
        thenAGoodPlayIsPaid(() -> app.plays.pipeInput(null, app.play(ALICE, TRACK, t(1)), t(1)));
        assertProcessingDeadLetter("null-key");
    }

    @Test
    void aNegativeDurationIsADeadLetterHoldingTheOriginalRecord() {
        final PlayEvent play = PlayEvent.newBuilder(app.play(ALICE, TRACK, t(1))).setMsPlayed(-1).build();
        thenAGoodPlayIsPaid(() -> app.send(play));
        final TestRecord<byte[], byte[]> letter = app.deadLetters.readRecordsToList().get(0);
        assertEquals(play, app.serdes.value(Topics.PLAYS).deserializer().deserialize(Topics.PLAYS.name(),
            letter.value()));
        assertEquals(1, app.counters.count(DeadLetterHandlers.DEAD_LETTER, "invalid-play:negative-duration"));
    }

    @Test
    void aTimestampInTheFutureIsADeadLetter() {
        thenAGoodPlayIsPaid(() -> app.send(app.play(ALICE, TRACK, Instant.parse("2031-01-01T00:00:00Z"))));
        assertProcessingDeadLetter("invalid-play:timestamp-in-future");
    }

    @Test
    void aTimestampBefore2000IsADeadLetter() {
        thenAGoodPlayIsPaid(() -> app.send(app.play(ALICE, TRACK, Instant.parse("1999-12-31T23:59:59Z"))));
        assertProcessingDeadLetter("invalid-play:timestamp-before-2000");
    }

    @Test
    void aBadCountryIsADeadLetter() {
        thenAGoodPlayIsPaid(() -> app.send(PlayEvent.newBuilder(app.play(ALICE, TRACK, t(1))).setCountry("co")
            .build()));
        assertProcessingDeadLetter("invalid-play:country");
    }

    @Test
    void aNonPositiveIdIsADeadLetter() {
        thenAGoodPlayIsPaid(() -> app.send(PlayEvent.newBuilder(app.play(ALICE, TRACK, t(1))).setTrackId(0).build()));
        assertProcessingDeadLetter("invalid-play:id");
    }

    @Test
    void aUserChangeWithoutAKeyIsADeadLetter() {
        thenAGoodPlayIsPaid(() -> app.users.pipeInput(null, io.melodyud.contracts.fixtures.AvroFixtures.user()
            .build()));
        assertProcessingDeadLetter("null-key");
    }

    @Test
    void undecodableReferenceRowsDoNotStopTheApplication() {
        final TestInputTopic<byte[], byte[]> rawTracks = app.driver.createInputTopic(Topics.CDC_TRACKS.name(),
            new ByteArraySerializer(), new ByteArraySerializer());
        // TopologyTestDriver runs global stores with its own log-and-continue handler, so the dead letter and its
        // count are checked on the real broker (RoyaltiesIT); here: the application goes on.
        thenAGoodPlayIsPaid(() -> rawTracks.pipeInput(new byte[8], "not avro".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void aNegativeRateIsRefusedAndPricesNothing() {
        app.rate(2, "CO", Tier.FREE, "-0.00010000", Instant.parse("2025-01-01T00:00:00Z"));
        assertEquals(new BigDecimal("0.00031500"), thenAGoodPlayIsPaid(() -> { }).getAmount(),
            "still the previous valid rate");
        assertEquals(1, app.counters.count("reference-rejected", "invalid-rate"));
    }
}
