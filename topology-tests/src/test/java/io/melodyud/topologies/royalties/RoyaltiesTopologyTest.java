package io.melodyud.topologies.royalties;

import static io.melodyud.contracts.fixtures.AvroFixtures.t;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.melodyud.avro.common.Tier;
import io.melodyud.avro.event.PlayEvent;
import io.melodyud.avro.output.PendingPlay;
import io.melodyud.avro.output.PendingReason;
import io.melodyud.avro.output.RoyaltyAggregate;
import io.melodyud.avro.output.RoyaltyPeriod;
import io.melodyud.avro.output.RoyaltyRecordKind;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Royalty pricing and statements, on the TopologyTestDriver. Day D is 2025-03-14 (UTC); t(0) is 19:30 on D. */
class RoyaltiesTopologyTest {

    private static final long ALICE = 4_815_162L;
    private static final long BRUNO = 2_718_281L;
    private static final long TRACK = 7_310_042L;
    private static final long OTHER_TRACK = 7_310_043L;
    private static final long LABEL = 1_204L;
    private static final long PUBLISHER = 1_205L;
    private static final Instant LONG_AGO = Instant.parse("2024-01-01T00:00:00Z");
    private static final String DAY_KEY = LABEL + "|CO|2025-03-14";
    private static final String MONTH_KEY = LABEL + "|2025-03";

    @TempDir
    Path stateDir;
    private RoyaltiesDriver driver;

    @BeforeEach
    void start() {
        driver = new RoyaltiesDriver(stateDir);
        driver.user(ALICE, "CO", Tier.FREE, LONG_AGO);
        driver.track(TRACK, LABEL);
        driver.rate(1, "CO", Tier.FREE, "0.00031500", LONG_AGO);
        driver.rate(2, "CO", Tier.PREMIUM, "0.00120000", LONG_AGO);
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    @Test
    void rateChangeMidDayPricesEachPlayByTheRateValidWhenItStarted() {
        driver.rate(3, "CO", Tier.FREE, "0.00040000", t(30)); // from 20:00 on D
        driver.send(driver.play(ALICE, TRACK, t(10)), driver.play(ALICE, TRACK, t(29)),
            driver.play(ALICE, TRACK, t(30)), driver.play(ALICE, TRACK, t(45)));

        final RoyaltyAggregate day = RoyaltiesDriver.latest(driver.daily).get(DAY_KEY);
        assertEquals(4, day.getValidPlays());
        assertEquals(new BigDecimal("0.00143000"), day.getAmount()); // 2 x 0.000315 + 2 x 0.0004
        assertEquals(RoyaltyRecordKind.LIVE, day.getKind());
        assertEquals("USD", day.getCurrency());
        assertEquals(RoyaltyPeriod.DAY, day.getPeriod());
        assertEquals(LocalDate.of(2025, 3, 14), day.getPeriodStart());
        assertEquals(LocalDate.of(2025, 3, 15), day.getPeriodEnd());
    }

    @Test
    void userUpgradingMidHourIsPricedAtTheTierOfEachPlay() {
        driver.user(ALICE, "CO", Tier.PREMIUM, t(20)); // upgrades at 19:50
        driver.send(driver.play(ALICE, TRACK, t(5)), driver.play(ALICE, TRACK, t(19)),
            driver.play(ALICE, TRACK, t(20)), driver.play(ALICE, TRACK, t(40)));

        final RoyaltyAggregate day = RoyaltiesDriver.latest(driver.daily).get(DAY_KEY);
        assertEquals(4, day.getValidPlays());
        assertEquals(new BigDecimal("0.00303000"), day.getAmount()); // 2 x 0.000315 + 2 x 0.0012
    }

    @Test
    void userMovingCountryIsPricedInTheCountryOfEachPlay() {
        driver.rate(4, "MX", Tier.FREE, "0.00025000", LONG_AGO);
        driver.user(ALICE, "MX", Tier.FREE, t(20));
        driver.send(driver.play(ALICE, TRACK, t(10)), driver.play(ALICE, TRACK, t(30)));

        final Map<String, RoyaltyAggregate> days = RoyaltiesDriver.latest(driver.daily);
        assertEquals(new BigDecimal("0.00031500"), days.get(DAY_KEY).getAmount());
        assertEquals(new BigDecimal("0.00025000"), days.get(LABEL + "|MX|2025-03-14").getAmount());
        final RoyaltyAggregate month = RoyaltiesDriver.latest(driver.monthly).get(MONTH_KEY);
        assertNull(month.getCountry(), "the monthly line is over all countries");
        assertEquals(2, month.getValidPlays());
        assertEquals(new BigDecimal("0.00056500"), month.getAmount());
        assertEquals(LocalDate.of(2025, 3, 1), month.getPeriodStart());
        assertEquals(LocalDate.of(2025, 4, 1), month.getPeriodEnd());
    }

    @Test
    void decimalSumsAreExactWhereDoublesAreNot() {
        driver.rate(5, "CO", Tier.FREE, "0.10000000", LONG_AGO.plusSeconds(1));
        double asDouble = 0;
        for (int i = 0; i < 10; i++) {
            driver.send(driver.play(ALICE, TRACK, t(i)));
            asDouble += 0.1;
        }
        assertNotEquals(1.0, asDouble, "a double sum of ten 0.1 is not 1.0: the test would not see the difference");
        assertEquals(new BigDecimal("1.00000000"), RoyaltiesDriver.latest(driver.daily).get(DAY_KEY).getAmount());
    }

    @Test
    void duplicatesAndShortPlaysAreNotPaid() {
        final PlayEvent play = driver.play(ALICE, TRACK, t(1));
        final PlayEvent shortPlay = PlayEvent.newBuilder(driver.play(ALICE, TRACK, t(2))).setMsPlayed(29_999).build();
        final PlayEvent thirtySeconds = PlayEvent.newBuilder(driver.play(ALICE, TRACK, t(3))).setMsPlayed(30_000)
            .build();
        driver.send(play, play, shortPlay, thirtySeconds, play);

        final RoyaltyAggregate day = RoyaltiesDriver.latest(driver.daily).get(DAY_KEY);
        assertEquals(2, day.getValidPlays());
        assertEquals(new BigDecimal("0.00063000"), day.getAmount());
        assertEquals(2, driver.counters.count("skipped", "duplicate"));
        assertEquals(1, driver.counters.count("skipped", "short-play"));
    }

    @Test
    void dayClosesOnceAfterGraceAndALatePlayBecomesAnAdjustment() {
        driver.send(driver.play(ALICE, TRACK, t(0)), driver.play(ALICE, TRACK, t(200))); // 19:30 and 22:50 on D
        // 00:31 on D+1: a minute after the 30-minute grace.
        driver.send(driver.play(ALICE, TRACK, Instant.parse("2025-03-15T00:31:00Z")));
        driver.send(driver.play(ALICE, TRACK, Instant.parse("2025-03-15T00:32:30Z")));

        final List<RoyaltyAggregate> records = RoyaltiesDriver.values(driver.daily);
        final List<RoyaltyAggregate> finals = records.stream()
            .filter(r -> r.getKind() == RoyaltyRecordKind.FINAL).toList();
        assertEquals(1, finals.size(), "one FINAL statement for the closed day");
        final RoyaltyAggregate closed = finals.get(0);
        assertEquals("CO", closed.getCountry());
        assertEquals(LocalDate.of(2025, 3, 14), closed.getPeriodStart());
        assertEquals(2, closed.getValidPlays());
        assertEquals(new BigDecimal("0.00063000"), closed.getAmount());
        assertTrue(records.stream().filter(r -> r.getPeriodStart().equals(closed.getPeriodStart()))
            .allMatch(r -> r.getVersion() <= closed.getVersion()), "the FINAL record has the highest version");

        // Started at 23:55 on D, arrives at 00:45 on D+1: within the dedup horizon, after the day closed.
        driver.send(driver.play(ALICE, TRACK, Instant.parse("2025-03-14T23:55:00Z")));
        final List<RoyaltyAggregate> adjustments = RoyaltiesDriver.values(driver.adjustments);
        assertEquals(1, adjustments.size());
        final RoyaltyAggregate adjustment = adjustments.get(0);
        assertEquals(RoyaltyRecordKind.ADJUSTMENT, adjustment.getKind());
        assertEquals(1, adjustment.getValidPlays(), "an adjustment carries the late plays only");
        assertEquals(new BigDecimal("0.00031500"), adjustment.getAmount());
        assertEquals(LocalDate.of(2025, 3, 14), adjustment.getPeriodStart());
        assertTrue(adjustment.getVersion() > closed.getVersion());
        assertTrue(RoyaltiesDriver.values(driver.daily).stream()
            .noneMatch(r -> r.getPeriodStart().equals(LocalDate.of(2025, 3, 14))),
            "the closed day is never published again");
    }

    @Test
    void playOfAnUnknownUserIsHeldAndPricedWhenTheUserArrives() {
        final PlayEvent play = driver.play(BRUNO, TRACK, t(5));
        driver.send(play);
        final List<TestRecord<Long, PendingPlay>> pending = driver.pending.readRecordsToList();
        assertEquals(1, pending.size());
        assertEquals(PendingReason.UNKNOWN_USER, pending.get(0).value().getReason());
        assertEquals(play, pending.get(0).value().getPlay());
        assertTrue(driver.daily.isEmpty());

        driver.user(BRUNO, "CO", Tier.PREMIUM, LONG_AGO);
        driver.tick();
        final RoyaltyAggregate day = RoyaltiesDriver.latest(driver.daily).get(DAY_KEY);
        assertEquals(1, day.getValidPlays());
        assertEquals(new BigDecimal("0.00120000"), day.getAmount());
        assertEquals(1, driver.counters.count("pending-resolved", "user-arrived"));
        assertTrue(pendingStore().isEmpty());
    }

    @Test
    void playOfAnUnknownTrackOrRateIsHeldAndPricedByTheRetry() {
        driver.send(driver.play(ALICE, OTHER_TRACK, t(5)));
        driver.user(BRUNO, "CO", Tier.STUDENT, LONG_AGO);
        driver.send(driver.play(BRUNO, TRACK, t(6)));
        driver.rate(6, "CO", Tier.STUDENT, "0.00090000", "EUR", LONG_AGO);
        driver.driver.advanceWallClockTime(Duration.ofSeconds(10));
        driver.tick();
        assertEquals(List.of(PendingReason.UNKNOWN_TRACK, PendingReason.UNKNOWN_RATE),
            driver.pending.readValuesToList().stream().map(PendingPlay::getReason).toList());
        assertTrue(driver.daily.isEmpty(), "a rate in another currency than the statements' does not price");

        driver.track(OTHER_TRACK, PUBLISHER);
        driver.rate(7, "CO", Tier.STUDENT, "0.00080000", LONG_AGO);
        driver.driver.advanceWallClockTime(Duration.ofSeconds(10));
        driver.tick();
        final Map<String, RoyaltyAggregate> days = RoyaltiesDriver.latest(driver.daily);
        assertEquals(new BigDecimal("0.00031500"), days.get(PUBLISHER + "|CO|2025-03-14").getAmount());
        assertEquals(new BigDecimal("0.00080000"), days.get(DAY_KEY).getAmount());
        assertEquals(2, driver.counters.count("pending-resolved", "retry"));
        assertTrue(pendingStore().isEmpty());
    }

    @Test
    void playHeldLongerThanTheMaxAgeGoesToTheDeadLetterTopic() {
        driver.send(driver.play(ALICE, OTHER_TRACK, t(5)));
        driver.driver.advanceWallClockTime(Duration.ofDays(8));
        final var letters = driver.deadLetters.readRecordsToList();
        assertEquals(1, letters.size());
        assertEquals("pending-expired:unknown_track",
            new String(letters.get(0).headers().lastHeader(io.melodyud.topologies.common.DeadLetterHandlers.REASON_HEADER).value()));
        assertTrue(pendingStore().isEmpty());
    }

    @Test
    void erasedUserLeavesNoUserDataAndTotalsStay() {
        driver.send(driver.play(ALICE, TRACK, t(1)), driver.play(ALICE, OTHER_TRACK, t(2)));
        assertEquals(1, pendingStore().size(), "the play of the unknown track is held");
        final RoyaltyAggregate before = RoyaltiesDriver.latest(driver.daily).get(DAY_KEY);

        driver.eraseUser(ALICE);
        driver.tick();
        final KeyValueStore<Long, byte[]> users = driver.driver.getKeyValueStore(PlayPricingProcessor.USERS_STORE);
        assertNull(users.get(ALICE));
        assertTrue(pendingStore().isEmpty(), "held plays name the user: erased too");
        assertTrue(driver.daily.isEmpty(), "totals do not change");
        assertEquals(1, before.getValidPlays());
        assertEquals(1, driver.counters.count("erased", "pending-play"));

        // A later play of the erased user is held as unknown, not priced with what was erased.
        driver.send(driver.play(ALICE, TRACK, t(3)));
        assertEquals(PendingReason.UNKNOWN_USER, driver.pending.readValuesToList().get(1).getReason());
    }

    @Test
    void playBeyondTheDedupHorizonGoesToTheLatePlaysTopic() {
        driver.send(driver.play(ALICE, TRACK, t(120)));
        driver.send(driver.play(ALICE, TRACK, t(30)));
        final var late = driver.late.readRecordsToList();
        assertEquals(1, late.size());
        assertEquals("beyond-dedup-horizon", new String(late.get(0).headers().lastHeader("melody.late.reason").value()));
        assertEquals(1, RoyaltiesDriver.latest(driver.daily).get(DAY_KEY).getValidPlays());
    }

    @Test
    void liveVersionsGrowWithEachRecordOfALine() {
        driver.send(driver.play(ALICE, TRACK, t(1)));
        driver.send(driver.play(ALICE, TRACK, t(2)));
        driver.send(driver.play(ALICE, TRACK, t(3)));
        final List<Long> versions = RoyaltiesDriver.values(driver.daily).stream().map(RoyaltyAggregate::getVersion)
            .toList();
        assertEquals(3, versions.size());
        assertTrue(versions.get(0) < versions.get(1) && versions.get(1) < versions.get(2), versions.toString());
        assertFalse(RoyaltiesDriver.values(driver.monthly).isEmpty());
    }

    @Test
    void liveStatementsArePublishedOncePerLiveInterval(@TempDir final Path otherState) {
        try (RoyaltiesDriver paced = new RoyaltiesDriver(Map.of(RoyaltiesConfig.LIVE_INTERVAL_MS, 10_000L),
                otherState)) {
            paced.user(ALICE, "CO", Tier.FREE, LONG_AGO);
            paced.track(TRACK, LABEL);
            paced.rate(1, "CO", Tier.FREE, "0.00031500", LONG_AGO);
            paced.send(paced.play(ALICE, TRACK, t(1)));
            assertEquals(1, RoyaltiesDriver.values(paced.daily).size(), "the first change is published at once");
            paced.send(paced.play(ALICE, TRACK, t(2)), paced.play(ALICE, TRACK, t(3)));
            assertTrue(paced.daily.isEmpty(), "then not before the interval has passed");
            paced.driver.advanceWallClockTime(Duration.ofSeconds(10));
            paced.tick();
            final List<RoyaltyAggregate> published = RoyaltiesDriver.values(paced.daily);
            assertEquals(1, published.size(), "one record with the latest totals");
            assertEquals(3, published.get(0).getValidPlays());
            assertEquals(new BigDecimal("0.00094500"), published.get(0).getAmount());
        }
    }

    private List<KeyValue<Bytes, byte[]>> pendingStore() {
        final KeyValueStore<Bytes, byte[]> store = driver.driver.getKeyValueStore(PlayPricingProcessor.PENDING_STORE);
        final List<KeyValue<Bytes, byte[]>> all = new java.util.ArrayList<>();
        try (KeyValueIterator<Bytes, byte[]> it = store.all()) {
            it.forEachRemaining(all::add);
        }
        return all;
    }
}
