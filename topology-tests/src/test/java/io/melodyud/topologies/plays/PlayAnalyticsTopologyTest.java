package io.melodyud.topologies.plays;

import static io.melodyud.contracts.fixtures.AvroFixtures.t;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.melodyud.avro.event.PlayEvent;
import io.melodyud.avro.output.Chart;
import io.melodyud.avro.output.ChartCount;
import io.melodyud.avro.output.ChartEntry;
import io.melodyud.avro.output.TrackDailyPlays;
import io.melodyud.contracts.fixtures.AvroFixtures;
import io.melodyud.contracts.fixtures.InMemorySchemaRegistry;
import io.melodyud.topologies.common.ChartWindowSize;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlayAnalyticsTopologyTest {

    private static final long HIT = 7_310_042L;
    private static final long B_SIDE = 7_310_043L;
    private static final long DEEP_CUT = 7_310_044L;

    @TempDir
    Path stateDir;

    private PlayAnalyticsDriver app;
    private long nextEvent;

    @BeforeEach
    void start() {
        app = new PlayAnalyticsDriver(stateDir);
    }

    @AfterEach
    void stop() {
        app.close();
    }

    /** A complete play (3 min) of {@code track} in {@code country}, by one of a thousand listeners. */
    private PlayEvent play(final long track, final String country, final Instant startedAt) {
        final long n = nextEvent++;
        return AvroFixtures.playEvent()
            .setEventId(new UUID(0x5eed_0000_0000_0000L, n))
            .setUserId(1_000 + n % 1_000)
            .setTrackId(track)
            .setCountry(country)
            .setStartedAt(startedAt)
            .setSentAt(startedAt.plusSeconds(180))
            .setMsPlayed(180_000L)
            .build();
    }

    private static List<Long> tracks(final Chart chart) {
        return chart.getEntries().stream().map(ChartEntry::getTrackId).collect(Collectors.toList());
    }

    private static Chart last(final List<TestRecord<String, Chart>> charts, final String key) {
        Chart found = null;
        for (final TestRecord<String, Chart> record : charts) {
            if (record.key().equals(key)) {
                found = record.value();
            }
        }
        return found;
    }

    @Test
    void aRetriedPlayIsCountedOnce() {
        final PlayEvent first = play(HIT, "CO", t(0));
        app.send(first, first, play(HIT, "CO", t(1)), first);
        app.tick();

        assertEquals(Map.of(HIT, 2L), app.latestTotals());
        assertEquals(2, app.counters.count("skipped", "duplicate"));
    }

    @Test
    void playsShorterThanThirtySecondsAreNotCounted() {
        final PlayEvent skipped = play(HIT, "CO", t(0));
        skipped.setMsPlayed(29_999L);
        final PlayEvent justEnough = play(HIT, "CO", t(0));
        justEnough.setMsPlayed(30_000L);
        app.send(skipped, justEnough);
        app.tick();

        assertEquals(Map.of(HIT, 1L), app.latestTotals());
        assertEquals(1, app.counters.count("skipped", "short-play"));
    }

    @Test
    void aTrackWithNinetyPercentOfTheTrafficIsCountedExactly() {
        liveMinuteCounts();
        final List<PlayEvent> events = new ArrayList<>();
        for (int i = 0; i < 5_000; i++) {
            final long track = i % 10 == 0 ? B_SIDE + i % 7 : HIT;
            events.add(play(track, i % 3 == 0 ? "BR" : "CO", t(0).plusMillis(i * 7L)));
        }
        // Interleave ticks so that the hot track's count is merged from many deltas, not one.
        for (int i = 0; i < events.size(); i++) {
            app.send(events.get(i));
            if (i % 700 == 0) {
                app.tick();
            }
        }
        app.tick();

        final Map<Long, Long> totals = app.latestTotals();
        assertEquals(4_500L, totals.get(HIT));
        assertEquals(500L, totals.values().stream().mapToLong(Long::longValue).sum() - 4_500L);
        // The hot track's updates downstream are bounded by flushes, not by plays.
        final Map<String, Long> minuteCounts = latestCounts(ChartWindowSize.MINUTE);
        assertEquals(4_500L, minuteCounts.get("GLOBAL|" + HIT + "|" + t(0).toEpochMilli()));
        assertEquals(3_000L, minuteCounts.get("CO|" + HIT + "|" + t(0).toEpochMilli()));
    }

    @Test
    void chartsRankByPlaysAndBreakTiesByTrackId() {
        app.send(play(DEEP_CUT, "CO", t(0)), play(DEEP_CUT, "CO", t(0)),
            play(B_SIDE, "CO", t(0)), play(B_SIDE, "CO", t(0)),
            play(HIT, "CO", t(0)), play(HIT, "CO", t(0)), play(HIT, "CO", t(0)));
        app.tick();

        final Chart chart = last(app.liveCharts(ChartWindowSize.MINUTE), "CO|" + t(0).toEpochMilli());
        assertEquals(List.of(HIT, B_SIDE, DEEP_CUT), tracks(chart));
        assertEquals(List.of(1, 2, 3), chart.getEntries().stream().map(ChartEntry::getRank).toList());
        assertEquals(3L, chart.getEntries().get(0).getPlays());
        assertFalse(chart.getIsFinal());
    }

    @Test
    void aTrackThatOvertakesPushesTheLastOneOutOfAShortChart() {
        app.close();
        app = new PlayAnalyticsDriver(Map.of(PlayAnalyticsConfig.TOP_N, 2), stateDir.resolve("n2"),
            new InMemorySchemaRegistry());
        app.send(play(HIT, "MX", t(0)), play(HIT, "MX", t(0)), play(HIT, "MX", t(0)),
            play(B_SIDE, "MX", t(0)), play(B_SIDE, "MX", t(0)));
        app.tick();
        assertEquals(List.of(HIT, B_SIDE),
            tracks(last(app.liveCharts(ChartWindowSize.HOUR), "MX|" + t(0).toEpochMilli() / 3_600_000 * 3_600_000)));

        for (int i = 0; i < 4; i++) {
            app.send(play(DEEP_CUT, "MX", t(0)));
        }
        app.tick();
        final Chart chart = last(app.liveCharts(ChartWindowSize.HOUR),
            "MX|" + t(0).toEpochMilli() / 3_600_000 * 3_600_000);
        assertEquals(List.of(DEEP_CUT, HIT), tracks(chart));
        assertEquals(4L, chart.getEntries().get(0).getPlays());
    }

    @Test
    void theGlobalChartAddsUpCountries() {
        app.send(play(HIT, "CO", t(0)), play(HIT, "BR", t(0)), play(B_SIDE, "US", t(0)), play(B_SIDE, "US", t(0)),
            play(B_SIDE, "US", t(0)));
        app.tick();

        final Chart global = last(app.liveCharts(ChartWindowSize.DAY),
            "GLOBAL|" + t(0).toEpochMilli() / 86_400_000 * 86_400_000);
        assertEquals(List.of(B_SIDE, HIT), tracks(global));
        assertEquals(2L, global.getEntries().get(1).getPlays());
    }

    @Test
    void aPlayOnAMinuteBoundaryBelongsToTheMinuteItStarts() {
        liveMinuteCounts();
        final Instant minute = t(0).minusSeconds(t(0).getEpochSecond() % 60);
        app.send(play(HIT, "CO", minute.minusMillis(1)), play(HIT, "CO", minute));
        app.tick();

        final Map<String, Long> counts = latestCounts(ChartWindowSize.MINUTE);
        assertEquals(1L, counts.get("CO|" + HIT + "|" + (minute.toEpochMilli() - 60_000)));
        assertEquals(1L, counts.get("CO|" + HIT + "|" + minute.toEpochMilli()));
    }

    @Test
    void aLatePlayWithinGraceIsCountedAndOneAfterGraceGoesToTheLateTopic() {
        final Instant minute = Instant.parse("2025-03-14T19:30:00Z");
        app.send(play(HIT, "CO", minute.plusSeconds(10)));
        // Stream time moves to 19:31:20: the 19:30 window (grace 30 s) is still open.
        app.send(play(B_SIDE, "CO", minute.plusSeconds(80)));
        app.send(play(HIT, "CO", minute.plusSeconds(20)));
        // Stream time moves to 19:31:40: the 19:30 window is closed.
        app.send(play(B_SIDE, "CO", minute.plusSeconds(100)));
        final PlayEvent tooLate = play(HIT, "CO", minute.plusSeconds(30));
        app.send(tooLate);
        app.tick();

        final Map<String, Long> counts = latestCounts(ChartWindowSize.MINUTE);
        assertEquals(2L, counts.get("CO|" + HIT + "|" + minute.toEpochMilli()));
        final List<TestRecord<Long, PlayEvent>> late = app.late.readRecordsToList();
        assertEquals(1, late.size());
        assertEquals(tooLate.getEventId(), late.get(0).value().getEventId());
        assertEquals("minute", header(late.get(0).headers().lastHeader("melody.late.windows")));
        assertEquals(1, app.counters.count("late", "minute"));
        // Late for the minute chart only: the hour, the day and the total still count it.
        assertEquals(3L, app.latestTotals().get(HIT));
    }

    @Test
    void theFinalChartIsEmittedOnceWhenTheWindowCloses() {
        final Instant minute = Instant.parse("2025-03-14T19:30:00Z");
        app.send(play(HIT, "CO", minute.plusSeconds(5)), play(B_SIDE, "CO", minute.plusSeconds(6)),
            play(HIT, "CO", minute.plusSeconds(7)));
        app.tick();
        assertTrue(app.finalCharts(ChartWindowSize.MINUTE).isEmpty(), "no final chart while the window is open");

        // A play 2 minutes later moves stream time past the end of 19:30 plus 30 s of grace.
        app.send(play(DEEP_CUT, "CO", minute.plusSeconds(125)));
        app.tick();
        app.send(play(DEEP_CUT, "CO", minute.plusSeconds(130)));
        app.tick();

        final List<TestRecord<String, Chart>> finals = app.finalCharts(ChartWindowSize.MINUTE).stream()
            .filter(r -> r.key().equals("CO|" + minute.toEpochMilli())).toList();
        assertEquals(1, finals.size(), "exactly one final chart: " + finals);
        assertTrue(finals.get(0).value().getIsFinal());
        assertEquals(List.of(HIT, B_SIDE), tracks(finals.get(0).value()));
        assertEquals(2L, finals.get(0).value().getEntries().get(0).getPlays());
    }

    @Test
    void dailyPlaysAreCountedPerTrackAndUtcDay() {
        app.send(play(HIT, "CO", Instant.parse("2025-03-14T23:59:00Z")),
            play(HIT, "JP", Instant.parse("2025-03-14T23:59:30Z")),
            play(HIT, "JP", Instant.parse("2025-03-15T00:00:10Z")));
        app.tick();

        final Map<String, Long> daily = app.daily.readRecordsToList().stream()
            .collect(Collectors.toMap(TestRecord::key, r -> r.value().getValidPlays(), (a, b) -> b));
        assertEquals(2L, daily.get(HIT + "@" + LocalDate.of(2025, 3, 14)));
        assertEquals(1L, daily.get(HIT + "@" + LocalDate.of(2025, 3, 15)));
    }

    /** The latest count published per key. */
    private Map<String, Long> latestCounts(final ChartWindowSize size) {
        return app.counts(size).stream()
            .collect(Collectors.toMap(TestRecord::key, r -> r.value().getPlays(), (a, b) -> b));
    }

    /** The counts published, failing if a key was published twice. */
    private Map<String, Long> countsPublishedOnce(final ChartWindowSize size) {
        return app.counts(size).stream().collect(Collectors.toMap(TestRecord::key, r -> r.value().getPlays()));
    }

    private long lastDailyPlays() {
        final List<TestRecord<String, TrackDailyPlays>> daily = app.daily.readRecordsToList();
        return daily.get(daily.size() - 1).value().getValidPlays();
    }

    /** Replaces the application by one publishing minute counts at every commit. */
    private void liveMinuteCounts() {
        app.close();
        app = new PlayAnalyticsDriver(Map.of(PlayAnalyticsConfig.LIVE_MINUTE_COUNTS, true),
            stateDir.resolve("live-minute-counts"), new io.melodyud.contracts.fixtures.InMemorySchemaRegistry());
    }

    @Test
    void minuteCountsArePublishedOnceWhenTheMinuteClosesByDefault() {
        final Instant minute = Instant.parse("2025-03-14T19:30:00Z");
        app.send(play(HIT, "CO", minute.plusSeconds(5)), play(HIT, "CO", minute.plusSeconds(25)),
            play(B_SIDE, "MX", minute.plusSeconds(40)));
        app.tick();
        assertTrue(app.counts(ChartWindowSize.MINUTE).isEmpty(), "nothing while the minute is open");

        // 19:31:40 is past 19:31 plus 30 seconds of grace; the window closes with the next stream-time check.
        app.send(play(DEEP_CUT, "CO", minute.plusSeconds(100)));
        app.tick();
        final Map<String, Long> counts = countsPublishedOnce(ChartWindowSize.MINUTE);
        assertEquals(Map.of(
            "CO|" + HIT + "|" + minute.toEpochMilli(), 2L,
            "MX|" + B_SIDE + "|" + minute.toEpochMilli(), 1L,
            "GLOBAL|" + HIT + "|" + minute.toEpochMilli(), 2L,
            "GLOBAL|" + B_SIDE + "|" + minute.toEpochMilli(), 1L), counts, "each count of the closed minute, once");
    }

    @Test
    void hourCountsArePublishedOnceWhenTheHourCloses() {
        final Instant hour = Instant.parse("2025-03-14T19:00:00Z");
        app.send(play(HIT, "CO", hour.plusSeconds(600)), play(HIT, "CO", hour.plusSeconds(1200)),
            play(B_SIDE, "CO", hour.plusSeconds(1800)));
        app.tick();
        assertTrue(app.counts(ChartWindowSize.HOUR).isEmpty(), "nothing while the hour is open");

        // 20:06 is past 20:00 plus 5 minutes of grace.
        app.send(play(DEEP_CUT, "MX", hour.plusSeconds(3960)));
        app.tick();
        final Map<String, Long> counts = countsPublishedOnce(ChartWindowSize.HOUR);
        assertEquals(Map.of(
            "CO|" + HIT + "|" + hour.toEpochMilli(), 2L,
            "CO|" + B_SIDE + "|" + hour.toEpochMilli(), 1L,
            "GLOBAL|" + HIT + "|" + hour.toEpochMilli(), 2L,
            "GLOBAL|" + B_SIDE + "|" + hour.toEpochMilli(), 1L), counts, "each count of the closed hour, once");
    }

    @Test
    void dayCountsArePublishedWhenTheDayClosesAndDailyPlaysWhileItFills() {
        final Instant day = Instant.parse("2025-03-14T00:00:00Z");
        app.send(play(HIT, "CO", day.plusSeconds(3_600)), play(HIT, "BR", day.plusSeconds(7_200)));
        app.tick();
        assertTrue(app.counts(ChartWindowSize.DAY).isEmpty(), "no day count, worldwide included, while the day is open");
        assertEquals(2L, lastDailyPlays(), "the live worldwide count of the day is the track's daily plays");

        app.send(play(HIT, "CO", day.plusSeconds(80_000)));
        app.tick();
        assertEquals(3L, lastDailyPlays(), "daily plays follow each commit");
        assertTrue(app.counts(ChartWindowSize.DAY).isEmpty());

        // 00:31 the next day is past the day plus 30 minutes of grace.
        app.send(play(DEEP_CUT, "MX", day.plusSeconds(86_400 + 1_860)));
        app.tick();
        final Map<String, Long> counts = countsPublishedOnce(ChartWindowSize.DAY);
        assertEquals(Map.of(
            "CO|" + HIT + "|" + day.toEpochMilli(), 2L,
            "BR|" + HIT + "|" + day.toEpochMilli(), 1L,
            "GLOBAL|" + HIT + "|" + day.toEpochMilli(), 3L), counts, "each count of the closed day, once");
    }

    @Test
    void withoutWindowsOnlyTheTotalsAreComputed() {
        app.close();
        app = new PlayAnalyticsDriver(Map.of(PlayAnalyticsConfig.WINDOWS, ""), stateDir.resolve("totals-only"),
            new InMemorySchemaRegistry());
        app.send(play(HIT, "CO", t(0)), play(HIT, "CO", t(1)), play(B_SIDE, "BR", t(2)));
        app.tick();

        assertEquals(Map.of(HIT, 2L, B_SIDE, 1L), app.latestTotals());
        assertTrue(app.counts(ChartWindowSize.MINUTE).isEmpty());
        assertTrue(app.liveCharts(ChartWindowSize.DAY).isEmpty());
    }

    private static String header(final Header header) {
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }
}
