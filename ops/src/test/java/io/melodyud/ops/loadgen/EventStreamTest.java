package io.melodyud.ops.loadgen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.melodyud.avro.event.AdClick;
import io.melodyud.avro.event.AdImpression;
import io.melodyud.avro.event.PlayEvent;
import io.melodyud.ops.citus.SeedData;
import io.melodyud.ops.loadgen.GeneratedEvent.Kind;
import io.melodyud.ops.loadgen.GeneratedEvent.Lateness;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The event stream: deterministic, random-access, and shaped like a streaming service's traffic. */
class EventStreamTest {

    /** An evening in September 2026, when most seeded campaigns are running. */
    private static final long START = Instant.parse("2026-09-01T18:00:00Z").toEpochMilli();
    private static final int EVENTS = 400_000;
    /** Two hundred events a second: the 400,000 events span half an hour, many times the longest click delay. */
    private static final double DENSITY = 200.0;

    private static ReferenceData reference;
    private static StreamSpec spec;
    private static List<GeneratedEvent> events;

    @BeforeAll
    static void generate() {
        reference = new ReferenceData(new ReferenceData.Sizes(20_260_101L, 10_000, 200, 50_000, 40), 1.07, 0.6);
        spec = StreamSpec.defaults(7L, START, DENSITY);
        final EventStream stream = new EventStream(spec, reference);
        events = new ArrayList<>(EVENTS);
        for (long i = 0; i < EVENTS; i++) {
            events.add(stream.event(i));
        }
    }

    @Test
    void theSameSeedGivesTheSameEventsAndAnotherSeedOthers() {
        final EventStream again = new EventStream(spec, reference);
        for (int i = 0; i < 50_000; i++) {
            assertEquals(events.get(i), again.event(i), "index " + i);
        }
        final EventStream other = new EventStream(spec.with(8L, START, DENSITY), reference);
        int same = 0;
        for (int i = 0; i < 1_000; i++) {
            if (other.event(i).value().equals(events.get(i).value())) {
                same++;
            }
        }
        assertEquals(0, same, "another seed shares events");
    }

    @Test
    void anyIndexCanBeComputedAloneInAnyOrder() {
        final SplittableRandom random = new SplittableRandom(3);
        for (int n = 0; n < 3_000; n++) {
            final int index = random.nextInt(EVENTS);
            // A fresh stream each time: nothing cached from neighbouring indexes.
            assertEquals(events.get(index), new EventStream(spec, reference).event(index), "index " + index);
        }
    }

    @Test
    void trackPopularityFollowsZipf() {
        final Map<Long, Integer> plays = new HashMap<>();
        int total = 0;
        for (final GeneratedEvent event : originals(Kind.PLAY)) {
            plays.merge(event.play().getTrackId(), 1, Integer::sum);
            total++;
        }
        final long hit = reference.track(0.0);
        final long tenth = reference.track(cdfBefore(10));
        // Zipf(1.07): rank 1 is played 10^1.07 = 11.7 times as often as rank 10.
        final double ratio = plays.get(hit) / (double) plays.get(tenth);
        assertTrue(ratio > 9 && ratio < 15, "rank 1 / rank 10 = " + ratio);
        // The biggest hit takes 1/H(50000, 1.07) = 12.2% of plays: hot keys are hot.
        final double share = plays.get(hit) / (double) total;
        assertEquals(ReferenceData.zipfCdf(50_000, 1.07)[0], share, 0.004, "share of the biggest hit");
        assertTrue(share > 0.11 && share < 0.135, "share of the biggest hit " + share);
        assertTrue(plays.size() > 10_000, "the long tail is played too: " + plays.size() + " distinct tracks");
        assertTrue(plays.keySet().stream().allMatch(t -> t >= 1 && t <= 50_000));
    }

    private static long maxDelayEvents() {
        return (long) (spec.clickMaxDelayMs() / 1000.0 * DENSITY) + EventStream.BLOCK;
    }

    private static double cdfBefore(final int rank) {
        final double[] cdf = ReferenceData.zipfCdf(50_000, 1.07);
        return (cdf[rank - 2] + cdf[rank - 1]) / 2;
    }

    @Test
    void playCountriesFollowTheUsersCountries() {
        final ReferenceData uniform = new ReferenceData(reference.sizes(), 1.07, 0.0);
        final EventStream stream = new EventStream(spec, uniform);
        final Map<String, Integer> plays = new HashMap<>();
        int total = 0;
        for (long i = 0; i < 100_000; i++) {
            final GeneratedEvent event = stream.event(i);
            if (event.kind() == Kind.PLAY && !event.duplicate()) {
                plays.merge(event.play().getCountry(), 1, Integer::sum);
                total++;
            }
        }
        final Map<String, Integer> users = new HashMap<>();
        final List<SeedData.UserRow> rows = new SeedData(20_260_101L, new SeedData.Sizes(10_000, 200, 50_000, 40))
            .users();
        rows.forEach(u -> users.merge(u.country(), 1, Integer::sum));
        for (final Map.Entry<String, Integer> country : users.entrySet()) {
            final double expected = country.getValue() / (double) rows.size();
            final double actual = plays.getOrDefault(country.getKey(), 0) / (double) total;
            assertEquals(expected, actual, 0.012, country.getKey());
        }
        assertEquals(users.keySet(), plays.keySet());
    }

    @Test
    void adsAreServedToFreeUsersOnlyByRunningCampaignsTargetingTheirCountry() {
        final Map<Long, SeedData.CampaignRow> campaigns = new HashMap<>();
        new SeedData(20_260_101L, new SeedData.Sizes(10_000, 200, 50_000, 40)).campaigns()
            .forEach(c -> campaigns.put(c.campaignId(), c));
        final List<GeneratedEvent> impressions = originals(Kind.IMPRESSION);
        assertTrue(impressions.size() > 30_000, "impressions: " + impressions.size());
        for (final GeneratedEvent event : impressions) {
            final AdImpression impression = event.impression();
            assertTrue(reference.isFree(impression.getUserId()), "ad to a paying user: " + impression);
            final SeedData.CampaignRow campaign = campaigns.get(impression.getCampaignId());
            assertEquals("ACTIVE", campaign.status());
            assertTrue(!impression.getServedAt().isBefore(campaign.startsAt())
                && impression.getServedAt().isBefore(campaign.endsAt()), "served outside the campaign: " + event);
            assertTrue(campaign.targetCountries().isEmpty()
                || campaign.targetCountries().contains(impression.getCountry()), "untargeted country: " + event);
            assertEquals(reference.country(impression.getUserId()), impression.getCountry());
            assertEquals(event.key(), impression.getUserId());
        }
    }

    @Test
    void aboutOneImpressionInAHundredIsClickedOnceWithinMinutesAndRarelyBeforeItIsSent() {
        final Map<UUID, GeneratedEvent> impressions = new HashMap<>();
        originals(Kind.IMPRESSION).forEach(e -> impressions.put(e.impression().getImpressionId(), e));
        final List<GeneratedEvent> clicks = originals(Kind.CLICK);
        final Set<UUID> clicked = new HashSet<>();
        int before = 0;
        int unmatched = 0;
        for (final GeneratedEvent event : clicks) {
            final AdClick click = event.click();
            assertTrue(clicked.add(click.getImpressionId()), "impression clicked twice: " + click);
            final GeneratedEvent impression = impressions.get(click.getImpressionId());
            if (impression == null) {
                // Its impression is sent after the last generated index: only possible near the end.
                assertTrue(event.clickBeforeImpression() && event.index() > EVENTS - maxDelayEvents(), event::toString);
                unmatched++;
                continue;
            }
            assertEquals(impression.impression().getUserId(), click.getUserId());
            assertEquals(impression.impression().getCampaignId(), click.getCampaignId());
            final long delay = click.getClickedAt().toEpochMilli() - impression.eventTimeMs();
            assertTrue(delay >= 1_000 && delay <= spec.clickMaxDelayMs() + 5_000, "click delay " + delay);
            assertEquals(event.clickBeforeImpression(), event.index() < impression.index());
            if (event.clickBeforeImpression()) {
                before++;
            }
        }
        // Impressions sent early enough for their click to be sent before the end.
        final List<GeneratedEvent> settled = impressions.values().stream()
            .filter(e -> e.index() < EVENTS - maxDelayEvents()).toList();
        final double ctr = settled.stream().filter(e -> clicked.contains(e.impression().getImpressionId())).count()
            / (double) settled.size();
        assertTrue(ctr > 0.009 && ctr < 0.015, "click-through rate " + ctr + " (" + clicks.size() + " clicks)");
        assertTrue(before >= 1 && before < clicks.size() * 0.08, before + " of " + clicks.size() + " before");
        assertTrue(unmatched <= 2, unmatched + " clicks without impression");
    }

    @Test
    void retriesResendAnEarlierEventUnchanged() {
        final Map<Long, GeneratedEvent> byIndex = new HashMap<>();
        int duplicates = 0;
        for (final GeneratedEvent event : events) {
            byIndex.put(event.index(), event);
            if (event.duplicate()) {
                duplicates++;
                final GeneratedEvent first = byIndex.get(event.originalIndex());
                assertNotNull(first);
                assertEquals(first.value(), event.value(), "a retry changes nothing");
                assertTrue(!first.duplicate() && event.index() - first.index() <= 400,
                    "retry of " + first.index() + " at " + event.index());
            }
        }
        assertEquals(0.02, duplicates / (double) EVENTS, 0.002);
        final Set<UUID> ids = new HashSet<>();
        for (final GeneratedEvent event : originals(Kind.PLAY)) {
            assertTrue(ids.add(event.play().getEventId()), "two plays share an id");
        }
    }

    @Test
    void fewEventsAreLateAndFewerBeyondGrace() {
        final List<GeneratedEvent> timed = new ArrayList<>(originals(Kind.PLAY));
        timed.addAll(originals(Kind.IMPRESSION));
        final EventStream stream = new EventStream(spec, reference);
        int late = 0;
        int beyond = 0;
        for (final GeneratedEvent event : timed) {
            final long behind = stream.clock().timeMs(event.index()) - event.eventTimeMs();
            switch (event.lateness()) {
                case ON_TIME -> assertTrue(behind >= 0 && behind < 60_000, "on time but " + behind);
                case LATE -> {
                    late++;
                    assertTrue(behind >= 60_000 && behind <= spec.graceMs(), "late by " + behind);
                }
                case BEYOND_GRACE -> {
                    beyond++;
                    assertTrue(behind > spec.graceMs() && behind < spec.graceMs() + 3_700_000, "beyond by " + behind);
                }
                default -> throw new AssertionError();
            }
        }
        assertEquals(0.01, late / (double) timed.size(), 0.0015);
        assertEquals(0.001, beyond / (double) timed.size(), 0.0005);
    }

    @Test
    void aboutAQuarterOfPlaysAreSkippedBeforeThirtySecondsAndNoneIsInvalidByDefault() {
        final List<GeneratedEvent> plays = originals(Kind.PLAY);
        final long skipped = plays.stream().filter(GeneratedEvent::shortPlay).count();
        assertEquals(0.24, skipped / (double) plays.size(), 0.01);
        for (final GeneratedEvent event : plays) {
            final PlayEvent play = event.play();
            assertTrue(!event.invalid() && play.getMsPlayed() > 0
                && play.getMsPlayed() <= reference.trackDurationMs(play.getTrackId()), play::toString);
            assertTrue(!play.getSentAt().isBefore(play.getStartedAt()), play::toString);
            assertEquals(event.shortPlay(), play.getMsPlayed() < 30_000);
        }
    }

    @Test
    void invalidPlaysComeOnlyWhenAsked() {
        final StreamSpec buggy = new StreamSpec(7L, START, DENSITY, spec.rhythm(), 1.07, 0.6, 0.24, 0.01, 0.1,
            0.012, 180_000, 0.02, 0.02, 200, 0.01, 600_000, 0.001, 1_800_000);
        final EventStream stream = new EventStream(buggy, reference);
        int invalid = 0;
        int plays = 0;
        for (long i = 0; i < 50_000; i++) {
            final GeneratedEvent event = stream.event(i);
            if (event.kind() == Kind.PLAY && !event.duplicate()) {
                plays++;
                final long ms = event.play().getMsPlayed();
                assertEquals(event.invalid(), ms < 0 || ms > 6 * 3_600_000L, event::toString);
                invalid += event.invalid() ? 1 : 0;
            }
        }
        assertEquals(0.01, invalid / (double) plays, 0.003);
    }

    @Test
    void eveningsAreBusierThanNights() {
        // Two events a second of event time: a whole day in 172,800 events.
        final long midnight = Instant.parse("2026-09-02T00:00:00Z").toEpochMilli();
        final DailyRhythm clock = new DailyRhythm(midnight, 2.0, spec.rhythm());
        final int[] perHour = new int[24];
        for (long i = 0; i < 172_800; i++) {
            perHour[Instant.ofEpochMilli(clock.timeMs(i)).atZone(ZoneOffset.UTC).getHour()]++;
        }
        final double[] weights = spec.rhythm();
        for (int h = 0; h < 24; h++) {
            assertEquals(2.0 * 3_600 * weights[h], perHour[h], 2.0, "hour " + h);
        }
        assertTrue(perHour[20] > 6 * perHour[4], "evening " + perHour[20] + ", night " + perHour[4]);
        // The mean is as configured: a day of events spans a day.
        assertEquals(midnight + 86_400_000L, clock.timeMs(172_800), 1.0);
        assertEquals(0.0, clock.sinceStartMs(0), 1e-6);
    }

    @Test
    void eventTimeStartsWhereTheSpecSaysAndNeverGoesBack() {
        final DailyRhythm clock = new DailyRhythm(START, DENSITY, spec.rhythm());
        assertEquals(START, clock.timeMs(0));
        long previous = Long.MIN_VALUE;
        for (long i = 0; i < 10_000_000; i += 997) {
            final long t = clock.timeMs(i);
            assertTrue(t >= previous, "time went back at " + i);
            previous = t;
        }
        assertNotEquals(START, clock.timeMs(10_000));
    }

    private static List<GeneratedEvent> originals(final Kind kind) {
        return events.stream().filter(e -> e.kind() == kind && !e.duplicate()).toList();
    }

    @Test
    void everyEventHasALateness() {
        assertTrue(events.stream().allMatch(e -> e.lateness() != null));
        assertTrue(events.stream().anyMatch(e -> e.lateness() == Lateness.BEYOND_GRACE));
    }
}
