package io.melodyud.topologies.ads;

import static io.melodyud.contracts.fixtures.AvroFixtures.t;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.melodyud.avro.cdc.AdCampaign;
import io.melodyud.avro.common.Tier;
import io.melodyud.avro.event.AdClick;
import io.melodyud.avro.event.AdImpression;
import io.melodyud.avro.output.AdReport;
import io.melodyud.avro.output.PacingAlert;
import io.melodyud.contracts.fixtures.AvroFixtures;
import io.melodyud.contracts.topics.Topics;
import io.melodyud.topologies.common.DeadLetterHandlers;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.datasketches.hll.HllSketch;
import org.apache.datasketches.hll.TgtHllType;
import org.apache.datasketches.hll.Union;
import org.apache.datasketches.memory.Memory;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.TopologyDescription;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdReportsTopologyTest {

    /** The hour of the fixtures' events: 2025-03-14 19:00 to 20:00 UTC (t(-30) to t(30)). */
    private static final Instant HOUR = t(-30);
    private static final long LISTENER = AvroFixtures.USER_ID;

    @TempDir
    Path stateDir;

    private AdReportsDriver app;
    private final AdEvents events = new AdEvents(1);

    @BeforeEach
    void start() {
        app = new AdReportsDriver(stateDir);
        app.change(AvroFixtures.adCampaign().build());
        app.change(AvroFixtures.user().build());
    }

    @AfterEach
    void stop() {
        app.close();
    }

    private static String key(final Instant hourStart) {
        return AdEvents.CAMPAIGN + "|" + AdEvents.COUNTRY + "|" + hourStart.toEpochMilli();
    }

    private Map<String, AdReport> latestLive() {
        return AdReportsDriver.latest(app.live.readRecordsToList());
    }

    private AdReport latestLive(final Instant hourStart) {
        final AdReport report = latestLive().get(key(hourStart));
        assertNotNull(report, "a live report for the hour starting " + hourStart);
        return report;
    }

    /** Spend of {@code count} billed impressions at {@code cpm}: count x cpm / 1000, at the contract's scale. */
    private static BigDecimal spend(final long count, final BigDecimal cpm) {
        return cpm.multiply(BigDecimal.valueOf(count)).movePointLeft(3).setScale(7);
    }

    @Test
    void everyImpressionIsPricedWithTheCpmValidWhenItWasServed() {
        final BigDecimal newCpm = new BigDecimal("21500.5000");
        app.send(events.impression(LISTENER, t(-20)), events.impression(LISTENER, t(-15)));
        app.change(AdEvents.campaign(newCpm.toPlainString(), t(-10)));
        app.send(events.impression(LISTENER, t(-5)), events.impression(LISTENER, t(0)),
            events.impression(LISTENER, t(5)));
        // Served before the change, reported after it: still the old price.
        app.send(events.impression(LISTENER, t(-12)));

        final AdReport report = latestLive(HOUR);
        assertEquals(6, report.getImpressions());
        assertEquals(spend(3, AdEvents.CPM).add(spend(3, newCpm)), report.getSpend());
        assertEquals("COP", report.getCurrency());
    }

    @Test
    void aSnapshotRowOlderThanTheHistoryRetentionIsClampedNotDropped() {
        // Another campaign's recent change moves the versioned store's time to an hour ago...
        app.change(AvroFixtures.adCampaign().setCampaignId(AdEvents.CAMPAIGN + 1).setUpdatedAt(t(-60)).build());
        // ...then the snapshot row of a campaign last changed in January arrives: 70 days older than that, far
        // beyond the day of history kept. A versioned store would drop it silently.
        final long snapshotCampaign = AdEvents.CAMPAIGN + 2;
        app.change(AvroFixtures.adCampaign().setCampaignId(snapshotCampaign).setCdcLsn(null).build());
        app.send(events.impression(snapshotCampaign, LISTENER, "CO", t(0)));

        final AdReport report = latestLive().get(snapshotCampaign + "|CO|" + HOUR.toEpochMilli());
        assertNotNull(report, "the impression was priced with the snapshot's version");
        assertEquals(spend(1, AdEvents.CPM), report.getSpend());
        assertEquals(1, app.counters.count("campaign-version", "clamped-to-retention"));
        assertEquals(0, app.counters.total(DeadLetterHandlers.DEAD_LETTER));

        // An even older row of the same campaign (a replayed snapshot) changes nothing in the kept window.
        app.change(AvroFixtures.adCampaign().setCampaignId(snapshotCampaign).setCpm(new BigDecimal("99.0000"))
            .setUpdatedAt(Instant.parse("2024-12-01T10:00:00Z")).build());
        app.send(events.impression(snapshotCampaign, LISTENER, "CO", t(1)));
        assertEquals(spend(2, AdEvents.CPM), latestLive().get(snapshotCampaign + "|CO|" + HOUR.toEpochMilli())
            .getSpend());
        assertEquals(1, app.counters.count("campaign-version", "superseded-beyond-retention"));
    }

    @Test
    void aListenerUpgradingToPremiumMidHourIsBilledOnlyForAdsServedBefore() {
        final AdImpression before = events.impression(LISTENER, t(-20));
        app.send(before);
        app.change(AdEvents.user(LISTENER, Tier.PREMIUM, t(-10)));
        final AdImpression after = events.impression(LISTENER, t(-5));
        app.send(after);
        // Served while still free, reported after the upgrade: billed.
        app.send(events.impression(LISTENER, t(-15)));

        final AdReport report = latestLive(HOUR);
        assertEquals(3, report.getImpressions());
        assertEquals(1, report.getPremiumImpressions());
        assertEquals(spend(2, AdEvents.CPM), report.getSpend());
        final List<TestRecord<Long, AdImpression>> anomalies = app.anomalies.readRecordsToList();
        assertEquals(1, anomalies.size());
        assertEquals(after, anomalies.get(0).value());
        assertEquals(LISTENER, anomalies.get(0).key());
        assertEquals(1, app.counters.count("anomaly", "premium-impression"));
    }

    @Test
    void anImpressionForAListenerNotReplicatedYetIsBilledAndCounted() {
        final long newListener = 9_100_001L;
        app.send(events.impression(newListener, t(0)));

        final AdReport report = latestLive(HOUR);
        assertEquals(spend(1, AdEvents.CPM), report.getSpend());
        assertEquals(0, report.getPremiumImpressions());
        assertEquals(1, app.counters.count("assumed-free", "unknown-user"));
    }

    @Test
    void hoursAreCutAtUtcBoundaries() {
        final Instant lastMilli = Instant.parse("2025-03-14T19:59:59.999Z");
        final Instant nextHour = Instant.parse("2025-03-14T20:00:00Z");
        app.send(events.impression(LISTENER, HOUR), events.impression(LISTENER, lastMilli),
            events.impression(LISTENER, nextHour));

        final Map<String, AdReport> reports = latestLive();
        assertEquals(Set.of(key(HOUR), key(nextHour)), reports.keySet());
        assertEquals(2, reports.get(key(HOUR)).getImpressions());
        assertEquals(HOUR, reports.get(key(HOUR)).getWindowStart());
        assertEquals(nextHour, reports.get(key(HOUR)).getWindowEnd());
        assertEquals(1, reports.get(key(nextHour)).getImpressions());
        assertEquals(Instant.parse("2025-03-14T21:00:00Z"), reports.get(key(nextHour)).getWindowEnd());
    }

    @Test
    void retriedImpressionsAndClicksAreCountedOnce() {
        final AdImpression impression = events.impression(LISTENER, t(0));
        final AdClick click = events.click(impression, t(0).plusSeconds(12));
        app.send(impression, impression);
        app.send(click, click);
        app.send(impression);

        final AdReport report = latestLive(HOUR);
        assertEquals(1, report.getImpressions());
        assertEquals(1, report.getClicks());
        assertEquals(spend(1, AdEvents.CPM), report.getSpend());
        assertEquals(1_000_000, report.getCtrPpm());
        assertEquals(2, app.counters.count("skipped", "duplicate-impression"));
        assertEquals(1, app.counters.count("skipped", "duplicate-click"));
    }

    @Test
    void aClickArrivingBeforeItsImpressionIsHeldInStateThenAttributed() {
        final AdImpression impression = events.impression(LISTENER, t(0));
        app.send(events.click(impression, t(0).plusSeconds(40)));

        final KeyValueStore<Bytes, byte[]> held = app.driver.getKeyValueStore(AdIntakeProcessor.PENDING_CLICKS_STORE);
        assertEquals(1, count(held), "the click waits in a (changelogged) store");
        assertTrue(app.live.isEmpty(), "nothing to report yet: the click is neither attributed nor given up");

        app.send(impression);
        final AdReport report = latestLive(HOUR);
        assertEquals(1, report.getImpressions());
        assertEquals(1, report.getClicks());
        assertEquals(0, report.getUnattributedClicks());
        assertEquals(0, count(held));
    }

    @Test
    void aClickWhoseImpressionNeverComesCountsAsUnattributedInTheHourOfTheClick() {
        final AdImpression lost = events.impression(LISTENER, Instant.parse("2025-03-14T19:57:00Z"));
        app.send(events.click(lost, Instant.parse("2025-03-14T19:58:00Z")));
        // Event time passes the click plus the hold (5 minutes): it gives up waiting.
        app.send(events.impression(LISTENER, Instant.parse("2025-03-14T20:03:30Z")));

        final AdReport report = latestLive(HOUR);
        assertEquals(0, report.getImpressions());
        assertEquals(0, report.getClicks());
        assertEquals(1, report.getUnattributedClicks());
        assertEquals(0, report.getCtrPpm());
        assertEquals(1, app.counters.count("unattributed", "no-impression"));
    }

    @Test
    void aClickAfterTheAttributionWindowIsUnattributed() {
        final AdImpression impression = events.impression(LISTENER, t(0));
        app.send(impression);
        app.send(events.click(impression, t(30)), events.click(impression, t(30).plusMillis(1)));

        final Map<String, AdReport> reports = latestLive();
        final Instant clickHour = Instant.parse("2025-03-14T20:00:00Z");
        final AdReport clicked = reports.get(key(clickHour));
        assertEquals(1, clicked.getClicks(), "exactly 30 minutes after is within the window");
        assertEquals(1, clicked.getUnattributedClicks(), "a millisecond more is not");
        assertEquals(0, clicked.getImpressions(), "clicks count in the hour they were made");
        assertEquals(1, reports.get(key(HOUR)).getImpressions());
        assertEquals(1, app.counters.count("unattributed", "after-window"));
    }

    @Test
    void budgetAlertsFireOnceAtEightyAndOnceAtOneHundredPercent() {
        // 100.00 COP at 18 COP per impression: 80% is crossed by the 5th (90 COP), 100% by the 6th (108 COP).
        app.change(AvroFixtures.adCampaign().setBudget(new BigDecimal("100.00")).setUpdatedAt(t(-29)).build());
        final List<AdImpression> served = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            final AdImpression impression = events.impression(LISTENER + i, t(-20 + i));
            served.add(impression);
            app.send(impression);
            app.send(impression);
        }
        // A higher budget later does not fire the thresholds again: each fires once per campaign.
        app.change(AvroFixtures.adCampaign().setBudget(new BigDecimal("1000.00")).setUpdatedAt(t(-5)).build());
        for (int i = 0; i < 40; i++) {
            app.send(events.impression(LISTENER, t(-4).plusSeconds(i)));
        }

        final List<PacingAlert> alerts = app.alerts.readValuesToList();
        assertEquals(List.of(80, 100), alerts.stream().map(PacingAlert::getThresholdPercent).toList());
        assertEquals(spend(5, AdEvents.CPM), alerts.get(0).getSpend());
        assertEquals(served.get(4).getServedAt(), alerts.get(0).getCrossedAt());
        assertEquals(spend(6, AdEvents.CPM), alerts.get(1).getSpend());
        assertEquals(served.get(5).getServedAt(), alerts.get(1).getCrossedAt());
        assertEquals(new BigDecimal("100.00"), alerts.get(1).getBudget());
        assertEquals("COP", alerts.get(1).getCurrency());
        assertEquals(spend(50, AdEvents.CPM), latestLive(HOUR).getSpend());
    }

    @Test
    void liveReportsThenOneFinalReportWithAHigherVersion() {
        for (int i = 0; i < 3; i++) {
            app.send(events.impression(LISTENER, t(-20 + i)));
        }
        final List<TestRecord<String, AdReport>> live = app.live.readRecordsToList();
        final List<Long> versions = live.stream().filter(r -> r.key().equals(key(HOUR)))
            .map(r -> r.value().getVersion()).toList();
        assertEquals(List.of(1L, 2L, 3L), versions, "one live report per commit that changed it");
        assertTrue(app.finals.isEmpty());

        // Event time reaches the end of the hour plus the grace period (10 minutes): the hour closes.
        app.send(events.impression(LISTENER, Instant.parse("2025-03-14T20:10:00Z")));
        final List<AdReport> finals = app.finals.readValuesToList();
        assertEquals(1, finals.size());
        final AdReport last = finals.get(0);
        assertTrue(last.getIsFinal());
        assertEquals(3, last.getImpressions());
        assertEquals(4L, last.getVersion(), "higher than every live version");
        assertTrue(app.live.readValuesToList().stream().anyMatch(r -> r.getIsFinal() && r.getVersion() == 4L),
            "the live topic ends the hour with the final report too");

        // More traffic in the next hour never re-emits the closed one.
        app.send(events.impression(LISTENER, Instant.parse("2025-03-14T20:20:00Z")));
        assertTrue(app.finals.isEmpty());
        assertTrue(app.live.readRecordsToList().stream().noneMatch(r -> r.key().equals(key(HOUR))));
    }

    @Test
    void aLateImpressionAfterGraceGoesToTheLateTopicWithItsReason() {
        app.send(events.impression(LISTENER, t(0)));
        app.send(events.impression(LISTENER, Instant.parse("2025-03-14T20:10:00Z")));
        app.finals.readRecordsToList();
        app.live.readRecordsToList();

        final AdImpression late = events.impression(LISTENER, t(20));
        app.send(late);
        final List<TestRecord<byte[], byte[]>> records = app.late.readRecordsToList();
        assertEquals(1, records.size());
        final Headers headers = records.get(0).headers();
        assertEquals("after-grace", header(headers, AdIntakeProcessor.LATE_REASON_HEADER));
        assertEquals("impression", header(headers, AdIntakeProcessor.LATE_EVENT_HEADER));
        assertEquals(HOUR.toString(), header(headers, AdIntakeProcessor.LATE_HOUR_HEADER));
        assertEquals(Topics.AD_IMPRESSIONS.name(), header(headers, DeadLetterHandlers.TOPIC_HEADER));
        assertEquals("2", header(headers, DeadLetterHandlers.OFFSET_HEADER));
        assertEquals(late, app.serdes.value(Topics.AD_IMPRESSIONS).deserializer()
            .deserialize(Topics.AD_IMPRESSIONS.name(), records.get(0).value()), "the impression as it was read");
        assertEquals(1, app.counters.count("late", "impression:after-grace"));
        assertTrue(app.finals.isEmpty(), "the closed hour is not changed");
        assertTrue(app.live.isEmpty());
    }

    @Test
    void aLateClickAfterGraceGoesToTheLateTopicToo() {
        final AdImpression impression = events.impression(LISTENER, t(0));
        app.send(impression);
        app.send(events.impression(LISTENER, Instant.parse("2025-03-14T20:10:00Z")));
        app.send(events.click(impression, t(2)));

        final List<TestRecord<byte[], byte[]>> records = app.late.readRecordsToList();
        assertEquals(1, records.size());
        assertEquals("click", header(records.get(0).headers(), AdIntakeProcessor.LATE_EVENT_HEADER));
        assertEquals(Topics.AD_CLICKS.name(), header(records.get(0).headers(), DeadLetterHandlers.TOPIC_HEADER));
        assertEquals(1, app.counters.count("late", "click:after-grace"));
    }

    @Test
    void liveReportsArePublishedOncePerLiveIntervalAndFinalsAtOnce() {
        app.close();
        app = new AdReportsDriver(Map.of(AdReportsConfig.LIVE_INTERVAL_MS, 10_000L), stateDir.resolve("interval"));
        app.change(AvroFixtures.adCampaign().build());
        app.change(AvroFixtures.user().build());

        app.send(events.impression(LISTENER, t(0)));
        final List<AdReport> first = app.live.readValuesToList();
        assertEquals(1, first.size(), "the first commit publishes");
        app.send(events.impression(LISTENER, t(1)), events.impression(LISTENER, t(2)));
        assertTrue(app.live.isEmpty(), "within the interval: stored, not published");

        app.driver.advanceWallClockTime(Duration.ofSeconds(10));
        final List<AdReport> later = app.live.readValuesToList();
        assertEquals(1, later.size(), "one report for the three impressions, when the interval has passed");
        assertEquals(3, later.get(0).getImpressions());
        assertTrue(later.get(0).getVersion() > first.get(0).getVersion());

        app.send(events.impression(LISTENER, t(3)));
        app.send(events.impression(LISTENER, Instant.parse("2025-03-14T20:10:00Z")));
        final List<AdReport> finals = app.finals.readValuesToList();
        assertEquals(1, finals.size(), "the hour closes without waiting for the interval");
        assertEquals(4, finals.get(0).getImpressions());
        final List<AdReport> live = app.live.readValuesToList();
        assertEquals(finals.get(0), live.get(live.size() - 1), "and ends the live topic's hour too");
        assertTrue(live.stream().noneMatch(r -> r.getWindowStart().equals(HOUR) && !r.getIsFinal()
            && r.getVersion() > finals.get(0).getVersion()), "no live report of the hour after its final");
    }

    @Test
    void aClickOnALateImpressionIsAttributedInTheHourOfTheClick() {
        app.send(events.impression(LISTENER, t(0)));
        app.send(events.impression(LISTENER, Instant.parse("2025-03-14T20:10:00Z")));
        final AdImpression late = events.impression(LISTENER, t(20));
        app.send(late);
        assertEquals(1, app.late.readRecordsToList().size());

        app.send(events.click(late, Instant.parse("2025-03-14T20:11:00Z")));
        final AdReport clickHour = latestLive(Instant.parse("2025-03-14T20:00:00Z"));
        assertEquals(1, clickHour.getClicks(), "its impression was served 21 minutes before: within the window");
        assertEquals(0, clickHour.getUnattributedClicks());
        assertEquals(1, clickHour.getImpressions(), "the late impression is not counted, in no hour");
        assertEquals(0, count(app.driver.getKeyValueStore(AdIntakeProcessor.PENDING_CLICKS_STORE)), "not held");
    }

    /** A driver whose aggregation expects two intake partitions: the test plays partition 1. */
    private AdReportsDriver twoPartitions() {
        app.close();
        app = new AdReportsDriver(Map.of(), stateDir.resolve("two"), 2);
        app.change(AvroFixtures.adCampaign().build());
        app.change(AvroFixtures.user().build());
        return app;
    }

    private static AdCodecs.Watermark watermark(final int partition, final String time) {
        return new AdCodecs.Watermark(partition, Instant.parse(time).toEpochMilli());
    }

    @Test
    void anHourClosesOnlyWhenEveryInputPartitionHasPassedIt() {
        twoPartitions();
        app.send(events.impression(LISTENER, t(0)), events.impression(LISTENER,
            Instant.parse("2025-03-14T20:10:00Z")));
        assertTrue(app.finals.isEmpty(), "partition 1 has not reported yet");
        app.deltas.pipeInput(1L, watermark(1, "2025-03-14T20:09:59.999Z"));
        assertTrue(app.finals.isEmpty(), "partition 1 could still count an event of 19:00-20:00");
        app.deltas.pipeInput(1L, watermark(1, "2025-03-14T20:10:00Z"));
        final List<AdReport> finals = app.finals.readValuesToList();
        assertEquals(1, finals.size());
        assertEquals(HOUR, finals.get(0).getWindowStart());
    }

    @Test
    void aQuietPartitionIsNotWaitedForAndALateDeltaCorrectsTheFinal() {
        twoPartitions();
        app.deltas.pipeInput(1L, watermark(1, "2025-03-14T19:40:00Z"));
        app.send(events.impression(LISTENER, t(0)), events.impression(LISTENER,
            Instant.parse("2025-03-14T20:10:00Z")));
        assertTrue(app.finals.isEmpty(), "partition 1 is behind, and not quiet yet");
        // Partition 1 stays at 19:40 for the idle timeout while partition 0 goes on.
        app.goQuiet();
        app.send(events.impression(LISTENER, Instant.parse("2025-03-14T20:11:00Z")));
        final List<AdReport> finals = app.finals.readValuesToList();
        assertEquals(1, finals.size(), "the quiet partition is not waited for");
        assertEquals(1, finals.get(0).getImpressions());

        // It wakes up with an impression of the closed hour: counted, and the final report corrected.
        final byte[] sketch = new HllSketch(app.config.uniqueUsersLgK()).toCompactByteArray();
        app.deltas.pipeInput(AdEvents.CAMPAIGN, new AdCodecs.CampaignDelta("COP", 2_500_000_000L, List.of(
            new AdCodecs.HourDelta(AdRules.countryCode("CO"), HOUR.toEpochMilli(), 1, 0, 0, 0,
                AdEvents.CPM.unscaledValue().longValueExact(), t(20).toEpochMilli(), sketch))));
        final List<AdReport> corrected = app.finals.readValuesToList();
        assertEquals(1, corrected.size());
        assertEquals(2, corrected.get(0).getImpressions());
        assertTrue(corrected.get(0).getVersion() > finals.get(0).getVersion());
        assertEquals(spend(2, AdEvents.CPM), corrected.get(0).getSpend());
        assertEquals(1, app.counters.count("final-correction", "delta-after-close"));
    }

    @Test
    void spendIsExactWhereADoubleSumIsNot() {
        // A campaign sold at 0.1000 COP per thousand: each impression costs 0.0001 COP.
        final BigDecimal cpm = new BigDecimal("0.1000");
        app.change(AdEvents.campaign(cpm.toPlainString(), t(-29)));
        double asDouble = 0;
        for (int i = 0; i < 3; i++) {
            app.send(events.impression(LISTENER, t(-10 + i)));
            asDouble += cpm.doubleValue() / 1000;
        }
        final BigDecimal exact = spend(3, cpm);
        assertNotEquals(0, new BigDecimal(asDouble).compareTo(exact), "the example must defeat a double: " + asDouble);
        assertEquals(exact, latestLive(HOUR).getSpend());
    }

    @Test
    void uniqueUsersAreEstimatedWithAMergeableSketch() {
        final Instant nextHour = Instant.parse("2025-03-14T20:00:00Z");
        // 40 listeners in the first hour (some twice), 30 in the next, 10 of them in both.
        for (int i = 0; i < 40; i++) {
            app.send(events.impression(LISTENER + i, t(-25).plusSeconds(i)));
            if (i % 4 == 0) {
                app.send(events.impression(LISTENER + i, t(-5).plusSeconds(i)));
            }
        }
        for (int i = 30; i < 60; i++) {
            app.send(events.impression(LISTENER + i, nextHour.plusSeconds(i)));
        }
        final Map<String, AdReport> reports = latestLive();
        final AdReport first = reports.get(key(HOUR));
        final AdReport second = reports.get(key(nextHour));
        assertEquals(50, first.getImpressions());
        assertEquals(40, first.getUniqueUsersEstimate(), "small counts are exact");
        assertEquals(30, second.getUniqueUsersEstimate());
        final Union union = new Union(app.config.uniqueUsersLgK());
        union.update(HllSketch.heapify(first.getUniqueUsersSketch().array()));
        union.update(HllSketch.heapify(second.getUniqueUsersSketch().array()));
        assertEquals(60, Math.round(union.getResult(TgtHllType.HLL_4).getEstimate()), "merged across hours");
    }

    @Test
    void aReportStoredWithACompactHll4SketchByAnEarlierVersionKeepsCounting() {
        final HllSketch before = new HllSketch(app.config.uniqueUsersLgK(), TgtHllType.HLL_4);
        for (long user = 0; user < 3_000; user++) {
            before.update(10_000_000L + user);
        }
        final AdCodecs.ReportState stored = new AdCodecs.ReportState(AvroFixtures.adCampaign().build().getCurrency());
        stored.impressions = 3_000;
        stored.version = 5;
        stored.sketch = before.toCompactByteArray();
        final Bytes key = Bytes.wrap(AdCodecs.reportKey(HOUR.toEpochMilli(), AdEvents.CAMPAIGN,
            AdRules.countryCode(AdEvents.COUNTRY)));
        final KeyValueStore<Bytes, AdCodecs.ReportState> reports =
            app.driver.getKeyValueStore(AdAggregationProcessor.REPORTS_STORE);
        reports.put(key, stored);

        app.send(events.impression(LISTENER, t(0)));
        final AdReport report = latestLive(HOUR);
        assertEquals(3_001, report.getImpressions());
        assertEquals(6, report.getVersion());
        final Union expected = new Union(app.config.uniqueUsersLgK());
        expected.update(before);
        expected.update(LISTENER);
        final HllSketch published = HllSketch.heapify(report.getUniqueUsersSketch().array());
        assertEquals(Math.round(expected.getEstimate()), report.getUniqueUsersEstimate());
        assertEquals(expected.getEstimate(), published.getEstimate(), "the published sketch says the same");
        assertEquals(TgtHllType.HLL_4, published.getTgtHllType(), "outputs keep their compact HLL_4 form");
        assertTrue(HllSketch.wrap(Memory.wrap(report.getUniqueUsersSketch().array())).isCompact());
        final HllSketch kept = HllSketch.wrap(Memory.wrap(reports.get(key).sketch));
        assertEquals(TgtHllType.HLL_8, kept.getTgtHllType(), "the state now keeps the union's own image");
        assertEquals(expected.getEstimate(), kept.getEstimate());
    }

    @Test
    void storesAndInternalTopicsKeepTheirNames() {
        final TopologyDescription description = AdReportsTopology.build(app.config, app.serdes, app.counters, 1)
            .describe();
        final Set<String> stores = new TreeSet<>();
        final Set<String> topics = new HashSet<>();
        for (final TopologyDescription.Subtopology subtopology : description.subtopologies()) {
            for (final TopologyDescription.Node node : subtopology.nodes()) {
                if (node instanceof TopologyDescription.Processor processor) {
                    stores.addAll(processor.stores());
                } else if (node instanceof TopologyDescription.Sink sink) {
                    topics.add(sink.topic());
                }
            }
        }
        assertEquals(new TreeSet<>(List.of("ad-campaign-currencies", "ad-user-history", "ad-campaign-versions",
            "ad-campaign-clock", "ad-impression-dedup-index", "ad-impression-dedup-journal", "ad-click-dedup-index",
            "ad-click-dedup-journal", "ad-pending-clicks",
            "ad-intake-watermark", "ad-intake-commit", "ad-reports", "ad-pacing", "ad-watermarks",
            "ad-aggregation-commit")), stores);
        assertTrue(topics.containsAll(List.of("ad-campaign-broadcast-repartition", "ad-deltas-repartition")), topics.toString());
        assertEquals(3, description.subtopologies().size(), "campaign intake, event intake, aggregation");
    }

    @Test
    void aCampaignChangeToAnotherCurrencyIsRefusedAndTheOldVersionStays() {
        final AdCampaign dollars = AvroFixtures.adCampaign().setCurrency("USD").setCpm(new BigDecimal("4.5000"))
            .setUpdatedAt(t(-25)).build();
        app.change(dollars);
        app.send(events.impression(LISTENER, t(0)));
        final AdReport report = latestLive(HOUR);
        assertEquals(spend(1, AdEvents.CPM), report.getSpend(), "priced with the version in pesos");
        assertEquals("COP", report.getCurrency());
        assertEquals(1, app.counters.count(DeadLetterHandlers.DEAD_LETTER, AdRules.CURRENCY_CHANGED));
        final List<TestRecord<byte[], byte[]>> letters = app.deadLetters.readRecordsToList();
        assertEquals(1, letters.size());
        assertEquals(dollars, app.serdes.value(Topics.CDC_AD_CAMPAIGNS).deserializer()
            .deserialize(Topics.CDC_AD_CAMPAIGNS.name(), letters.get(0).value()));
    }

    private static long count(final KeyValueStore<?, ?> store) {
        long n = 0;
        try (var all = store.all()) {
            while (all.hasNext()) {
                all.next();
                n++;
            }
        }
        return n;
    }

    private static String header(final Headers headers, final String name) {
        final Header header = headers.lastHeader(name);
        assertNotNull(header, "header " + name);
        return new String(header.value(), StandardCharsets.UTF_8);
    }
}
