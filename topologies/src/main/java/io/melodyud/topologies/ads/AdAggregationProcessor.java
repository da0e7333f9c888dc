package io.melodyud.topologies.ads;

import io.melodyud.avro.output.AdReport;
import io.melodyud.avro.output.PacingAlert;
import io.melodyud.topologies.ads.AdCodecs.CampaignDelta;
import io.melodyud.topologies.ads.AdCodecs.HourDelta;
import io.melodyud.topologies.ads.AdCodecs.IntakeOutput;
import io.melodyud.topologies.ads.AdCodecs.PacingState;
import io.melodyud.topologies.ads.AdCodecs.ReportState;
import io.melodyud.topologies.ads.AdCodecs.Watermark;
import io.melodyud.topologies.common.CommitHook;
import io.melodyud.topologies.common.ErrorCounters;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.atomic.LongAdder;
import org.apache.datasketches.hll.HllSketch;
import org.apache.datasketches.hll.TgtHllType;
import org.apache.datasketches.hll.Union;
import org.apache.datasketches.memory.Memory;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Second stage, partitioned by campaign: merges the intake tasks' deltas into the hourly reports (counts, exact
 * spend, the union of the unique-user sketches) and the campaign's cumulative spend, and publishes:
 * <ul>
 *   <li>live reports: every report that changed, at most once per {@code ads.live.interval.ms} (at the first commit
 *       after it, {@link CommitHook}), with a version one higher than the last emitted. Reports are stored at every
 *       commit; a restart publishes every open report again (a repeat with a higher version changes nothing
 *       downstream), since which of them were stored but not published is not kept;</li>
 *   <li>final reports: once, when every intake partition's watermark has passed the hour's end plus the grace
 *       period, so that no intake partition will add to it any more (a lagging partition holds the hour open
 *       instead of seeing its events dropped; one quiet for {@code ads.idle.timeout.ms} is not waited for, see
 *       {@link #closingWatermark}). The final report has a higher version than every live one, and is written to
 *       the live topic too, so that a reader of live reports sees the hour settle;</li>
 *   <li>pacing alerts: once per campaign and threshold (80% and 100% of the budget), the thresholds fired being
 *       kept in state, so that replays and restarts never repeat one.</li>
 * </ul>
 * Closing is driven by the watermarks rather than the task's stream time (their maximum) for that reason; stream
 * time only schedules the removal of closed reports after {@code ads.reports.closed.retention.ms}.
 */
final class AdAggregationProcessor implements Processor<Long, IntakeOutput, Object, Object> {

    static final String REPORTS_STORE = "ad-reports";
    static final String PACING_STORE = "ad-pacing";
    static final String WATERMARKS_STORE = "ad-watermarks";
    static final String COMMIT_HOOK = "ad-aggregation-commit";

    /** Pacing thresholds, percent of the budget (the contract's 80 and 100). */
    static final int[] THRESHOLDS = {80, 100};
    private static final BigInteger SPEND_UNITS_PER_CENT = BigInteger.valueOf(100_000L);
    private static final long HOUR_MS = AdIntakeProcessor.HOUR_MS;

    private final AdReportsConfig config;
    private final int expectedSources;
    private final int lgK;
    private final LongAdder corrections;
    private ProcessorContext<Object, Object> context;
    private KeyValueStore<Bytes, ReportState> reports;
    private KeyValueStore<Long, PacingState> pacing;
    private KeyValueStore<Integer, Long> watermarks;

    /** Reports changed since the last commit, decoded, with their sketches as unions. */
    private final Map<Bytes, OpenReport> changed = new HashMap<>();
    /** Reports stored since the last live publication, not published yet. */
    private final Map<Bytes, StoredReport> unpublished = new HashMap<>();
    private long lastPublished = Long.MIN_VALUE;
    /** The live interval passed while changes were pending: the next commit publishes. */
    private boolean liveDue;
    private final Map<Long, PacingState> changedPacing = new HashMap<>();
    /** Hours with a report not final yet, and hours whose reports are final but still kept. */
    private final TreeSet<Long> openHours = new TreeSet<>();
    private final TreeSet<Long> closedHours = new TreeSet<>();
    private final Map<Integer, Long> sourceWatermarks = new HashMap<>();
    /** Wall-clock time each intake partition's watermark last moved (or this task started). */
    private final Map<Integer, Long> lastAdvanced = new HashMap<>();
    private long startedAt;
    private long closedUpTo = Long.MIN_VALUE;

    /**
     * @param expectedSources number of intake partitions: an hour closes only when each of them has reported a
     *     watermark past it
     */
    AdAggregationProcessor(final AdReportsConfig config, final ErrorCounters counters, final int expectedSources) {
        this.config = config;
        this.expectedSources = expectedSources;
        this.lgK = config.uniqueUsersLgK();
        this.corrections = counters.counter("final-correction", "delta-after-close");
    }

    @Override
    public void init(final ProcessorContext<Object, Object> context) {
        this.context = context;
        this.reports = context.getStateStore(REPORTS_STORE);
        this.pacing = context.getStateStore(PACING_STORE);
        this.watermarks = context.getStateStore(WATERMARKS_STORE);
        try (KeyValueIterator<Bytes, ReportState> all = reports.all()) {
            all.forEachRemaining(entry -> {
                final ByteBuffer key = ByteBuffer.wrap(entry.key.get());
                final long hour = key.getLong();
                (entry.value.isFinal ? closedHours : openHours).add(hour);
                if (!entry.value.isFinal) {
                    unpublished.put(entry.key, new StoredReport(key.getLong(), key.getShort(), hour, entry.value));
                }
            });
        }
        startedAt = context.currentSystemTimeMs();
        try (KeyValueIterator<Integer, Long> all = watermarks.all()) {
            all.forEachRemaining(entry -> {
                sourceWatermarks.put(entry.key, entry.value);
                lastAdvanced.put(entry.key, startedAt);
            });
        }
        closedUpTo = closingWatermark(startedAt);
        final CommitHook hook = context.getStateStore(COMMIT_HOOK);
        hook.register(context, this::publish);
        context.schedule(Duration.ofMinutes(1), PunctuationType.STREAM_TIME, this::expire);
        // An intake partition going quiet changes nothing on its own: look again as the wall clock moves.
        context.schedule(Duration.ofMillis(Math.min(1_000L, config.idleTimeoutMs())), PunctuationType.WALL_CLOCK_TIME,
            now -> close(context.currentStreamTimeMs()));
        if (config.liveIntervalMs() > 0) {
            context.schedule(Duration.ofMillis(config.liveIntervalMs()), PunctuationType.WALL_CLOCK_TIME,
                this::liveIntervalPassed);
        }
    }

    @Override
    public void process(final Record<Long, IntakeOutput> record) {
        if (record.value() instanceof Watermark watermark) {
            final Long previous = sourceWatermarks.get(watermark.source());
            if (previous == null || watermark.timeMs() > previous) {
                sourceWatermarks.put(watermark.source(), watermark.timeMs());
                lastAdvanced.put(watermark.source(), context.currentSystemTimeMs());
                watermarks.put(watermark.source(), watermark.timeMs());
                close(record.timestamp());
            }
            return;
        }
        final long campaignId = record.key();
        final CampaignDelta delta = (CampaignDelta) record.value();
        for (final HourDelta hour : delta.hours()) {
            final Bytes key = Bytes.wrap(AdCodecs.reportKey(hour.hourStart(), campaignId, hour.country()));
            OpenReport report = changed.get(key);
            if (report == null) {
                report = load(key, campaignId, hour.country(), hour.hourStart(), delta.currency());
                changed.put(key, report);
            }
            final ReportState state = report.state();
            state.impressions = Math.addExact(state.impressions, hour.impressions());
            state.premiumImpressions = Math.addExact(state.premiumImpressions, hour.premiumImpressions());
            state.clicks = Math.addExact(state.clicks, hour.clicks());
            state.unattributedClicks = Math.addExact(state.unattributedClicks, hour.unattributedClicks());
            state.spendUnits = Math.addExact(state.spendUnits, hour.spendUnits());
            if (hour.sketch() != null) {
                // Read in place: a sketch is merged once, a heap copy of it would be garbage at once.
                report.users().update(HllSketch.wrap(Memory.wrap(hour.sketch())));
            }
            if (state.isFinal || hour.hourStart() + HOUR_MS + config.graceMs() <= closedUpTo) {
                // Only when a partition that was not waited for (quiet for the idle timeout) counts an event of an
                // hour closed meanwhile: the final report is emitted again, corrected, with a higher version.
                state.isFinal = true;
                corrections.increment();
            } else {
                openHours.add(hour.hourStart());
            }
        }
        updatePacing(campaignId, delta, record.timestamp());
    }

    private OpenReport load(final Bytes key, final long campaignId, final short country, final long hourStart,
                            final String currency) {
        ReportState state = reports.get(key);
        if (state == null) {
            state = new ReportState(currency);
        }
        return new OpenReport(campaignId, country, hourStart, state, union(state.sketch));
    }

    /**
     * The stored sketch as a union to merge into: the union's own image is read back as it is (an array copy);
     * another sketch (a compact HLL_4 image stored by an earlier version, or one of another lg k after a change of
     * {@code ads.unique.users.lg.k}) is merged into a fresh union.
     */
    private Union union(final byte[] stored) {
        if (stored == null) {
            return new Union(lgK);
        }
        final HllSketch sketch = HllSketch.wrap(Memory.wrap(stored));
        if (sketch.getTgtHllType() == TgtHllType.HLL_8 && !sketch.isCompact() && sketch.getLgConfigK() == lgK) {
            return Union.heapify(stored);
        }
        final Union users = new Union(lgK);
        users.update(sketch);
        return users;
    }

    private void updatePacing(final long campaignId, final CampaignDelta delta, final long timestamp) {
        PacingState state = changedPacing.get(campaignId);
        if (state == null) {
            state = pacing.get(campaignId);
        }
        final BigInteger spend = (state == null ? BigInteger.ZERO : state.spendUnits())
            .add(BigInteger.valueOf(delta.spendUnits()));
        final long budget = delta.budgetCents() > 0 ? delta.budgetCents() : state == null ? 0 : state.budgetCents();
        int fired = state == null ? 0 : state.firedThresholds();
        if (budget > 0) {
            final BigInteger budgetUnits = BigInteger.valueOf(budget).multiply(SPEND_UNITS_PER_CENT);
            for (int i = 0; i < THRESHOLDS.length; i++) {
                final int threshold = THRESHOLDS[i];
                // spend / budget >= threshold / 100, in integers.
                if ((fired & (1 << i)) == 0 && spend.multiply(BigInteger.valueOf(100))
                        .compareTo(budgetUnits.multiply(BigInteger.valueOf(threshold))) >= 0) {
                    fired |= 1 << i;
                    final long crossedAt = delta.lastBilledAt() >= 0 ? delta.lastBilledAt() : timestamp;
                    context.forward(new Record<>(campaignId, new PacingAlert(campaignId, threshold,
                        new BigDecimal(spend, 7), BigDecimal.valueOf(budget, 2), delta.currency(),
                        Instant.ofEpochMilli(crossedAt)), timestamp));
                }
            }
        }
        changedPacing.put(campaignId, new PacingState(spend, budget, delta.currency(), fired));
    }

    /**
     * The event time up to which the intake partitions have all counted: the lowest watermark among the partitions
     * whose watermark moved within the idle timeout (wall clock). A quiet partition is not waited for: it has no
     * events, or it is stuck, and holding every hour open for it would hold every final report. When all are quiet,
     * everything read has been counted: the highest watermark. A partition not heard of yet is waited for during the
     * idle timeout after this task started.
     */
    private long closingWatermark(final long now) {
        final long quietBefore = now - config.idleTimeoutMs();
        if (sourceWatermarks.size() < expectedSources && startedAt > quietBefore) {
            return Long.MIN_VALUE;
        }
        long activeMin = Long.MAX_VALUE;
        long max = Long.MIN_VALUE;
        for (final Map.Entry<Integer, Long> source : sourceWatermarks.entrySet()) {
            max = Math.max(max, source.getValue());
            if (lastAdvanced.get(source.getKey()) > quietBefore) {
                activeMin = Math.min(activeMin, source.getValue());
            }
        }
        return activeMin != Long.MAX_VALUE ? activeMin : max;
    }

    /** Emits the final report of every hour whose end plus grace the intake partitions have passed. */
    private void close(final long timestamp) {
        final long closing = closingWatermark(context.currentSystemTimeMs());
        if (closing <= closedUpTo) {
            return;
        }
        closedUpTo = closing;
        while (!openHours.isEmpty() && openHours.first() + HOUR_MS + config.graceMs() <= closing) {
            final long hour = openHours.pollFirst();
            final List<OpenReport> hourReports = new ArrayList<>();
            try (KeyValueIterator<Bytes, ReportState> stored = reports.range(hourFrom(hour), hourTo(hour))) {
                while (stored.hasNext()) {
                    final KeyValue<Bytes, ReportState> entry = stored.next();
                    if (!changed.containsKey(entry.key) && !entry.value.isFinal) {
                        final ByteBuffer key = ByteBuffer.wrap(entry.key.get());
                        key.getLong();
                        hourReports.add(load(entry.key, key.getLong(), key.getShort(), hour, entry.value.currency));
                    }
                }
            }
            changed.entrySet().removeIf(entry -> {
                if (entry.getValue().hourStart() == hour) {
                    hourReports.add(entry.getValue());
                    return true;
                }
                return false;
            });
            // Their final report supersedes the live one not published yet.
            unpublished.values().removeIf(report -> report.hourStart() == hour);
            for (final OpenReport report : hourReports) {
                report.state().isFinal = true;
                emit(report, timestamp);
            }
            closedHours.add(hour);
        }
    }

    /**
     * Stores what changed since the last commit (reports and pacing state), emits corrected finals at once, and
     * publishes the live reports once per live interval.
     */
    private void publish() {
        final long now = context.currentStreamTimeMs();
        for (final Map.Entry<Bytes, OpenReport> entry : changed.entrySet()) {
            final OpenReport report = entry.getValue();
            if (report.state().isFinal) {
                emit(report, now);
            } else {
                store(entry.getKey(), report);
                unpublished.put(entry.getKey(), new StoredReport(report.campaignId(), report.country(),
                    report.hourStart(), report.state()));
            }
        }
        changed.clear();
        for (final Map.Entry<Long, PacingState> entry : changedPacing.entrySet()) {
            pacing.put(entry.getKey(), entry.getValue());
        }
        changedPacing.clear();
        final long wallClock = context.currentSystemTimeMs();
        if (liveDue || lastPublished == Long.MIN_VALUE || wallClock - lastPublished >= config.liveIntervalMs()) {
            publishLive(wallClock);
        }
    }

    /**
     * Commits happen only while deltas arrive: the last changes before a quiet spell must not wait for more, so a
     * wall-clock punctuation publishes them. While deltas arrive, it leaves the publication to the next commit: a
     * report changed since it was stored (hot ones always are) would otherwise go out stale, or not at all.
     */
    private void liveIntervalPassed(final long wallClock) {
        if (changed.isEmpty()) {
            publishLive(wallClock);
        } else {
            liveDue = true;
        }
    }

    /** Live reports of the reports stored and not published since. Call only with nothing changed since. */
    private void publishLive(final long wallClock) {
        liveDue = false;
        if (unpublished.isEmpty()) {
            return;
        }
        lastPublished = wallClock;
        final long timestamp = context.currentStreamTimeMs();
        for (final Map.Entry<Bytes, StoredReport> entry : unpublished.entrySet()) {
            final StoredReport report = entry.getValue();
            final ReportState state = report.state();
            state.version++;
            reports.put(entry.getKey(), state);
            final AdReport out = toReport(report.campaignId(), report.country(), report.hourStart(), state);
            context.forward(new Record<>(outputKey(out), out, timestamp));
        }
        unpublished.clear();
    }

    /**
     * Stores the report with its union's own image (HLL_8, updatable): read back without conversion at the next
     * commit that changes it. The compact HLL_4 form of the outputs is made only when a report is published.
     */
    private void store(final Bytes key, final OpenReport report) {
        report.state().sketch = report.users().toUpdatableByteArray();
        reports.put(key, report.state());
    }

    private void emit(final OpenReport report, final long timestamp) {
        final ReportState state = report.state();
        state.version++;
        final Bytes key = Bytes.wrap(AdCodecs.reportKey(report.hourStart(), report.campaignId(), report.country()));
        unpublished.remove(key);
        store(key, report);
        final AdReport out = toReport(report.campaignId(), report.country(), report.hourStart(), state);
        context.forward(new Record<>(outputKey(out), out, timestamp));
    }

    /** Drops final reports kept longer than the retention, behind the closing watermark. */
    private void expire(final long streamTime) {
        final long horizon = closedUpTo - config.graceMs() - config.closedRetentionMs() - HOUR_MS;
        while (!closedHours.isEmpty() && closedHours.first() <= horizon && !openHours.contains(closedHours.first())) {
            final long hour = closedHours.pollFirst();
            final List<Bytes> keys = new ArrayList<>();
            try (KeyValueIterator<Bytes, ReportState> stored = reports.range(hourFrom(hour), hourTo(hour))) {
                stored.forEachRemaining(entry -> keys.add(entry.key));
            }
            keys.forEach(reports::delete);
        }
    }

    private static Bytes hourFrom(final long hour) {
        return Bytes.wrap(AdCodecs.reportKey(hour, 0L, (short) 0));
    }

    private static Bytes hourTo(final long hour) {
        final byte[] key = AdCodecs.reportKey(hour, 0L, (short) 0);
        Arrays.fill(key, 8, key.length, (byte) 0xff);
        return Bytes.wrap(key);
    }

    /** The output key of a report: {@code <campaign_id>|<country>|<window_start_ms>}. */
    static String outputKey(final AdReport report) {
        return report.getCampaignId() + "|" + report.getCountry() + "|" + report.getWindowStart().toEpochMilli();
    }

    /** The report as published: its sketch as a compact HLL_4 image, whatever form the state keeps it in. */
    static AdReport toReport(final long campaignId, final short country, final long hourStart,
                             final ReportState state) {
        final HllSketch stored = HllSketch.wrap(Memory.wrap(state.sketch));
        final boolean published = stored.getTgtHllType() == TgtHllType.HLL_4 && stored.isCompact();
        final HllSketch users = published ? stored : stored.copyAs(TgtHllType.HLL_4);
        return AdReport.newBuilder()
            .setCampaignId(campaignId)
            .setCountry(AdRules.country(country))
            .setWindowStart(Instant.ofEpochMilli(hourStart))
            .setWindowEnd(Instant.ofEpochMilli(hourStart + HOUR_MS))
            .setImpressions(state.impressions)
            .setClicks(state.clicks)
            .setUnattributedClicks(state.unattributedClicks)
            .setCtrPpm(state.impressions == 0 ? 0 : Math.multiplyExact(state.clicks, 1_000_000L) / state.impressions)
            .setUniqueUsersEstimate(Math.round(users.getEstimate()))
            .setUniqueUsersSketch(ByteBuffer.wrap(published ? state.sketch : users.toCompactByteArray()))
            .setSpend(BigDecimal.valueOf(state.spendUnits, 7))
            .setCurrency(state.currency)
            .setPremiumImpressions(state.premiumImpressions)
            .setIsFinal(state.isFinal)
            .setVersion(state.version)
            .build();
    }

    private record OpenReport(long campaignId, short country, long hourStart, ReportState state, Union users) {
    }

    private record StoredReport(long campaignId, short country, long hourStart, ReportState state) {
    }
}
