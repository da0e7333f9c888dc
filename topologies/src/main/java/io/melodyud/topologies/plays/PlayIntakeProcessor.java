package io.melodyud.topologies.plays;

import io.melodyud.avro.event.PlayEvent;
import io.melodyud.topologies.common.BadInputException;
import io.melodyud.topologies.common.ChartWindowSize;
import io.melodyud.topologies.common.CommitHook;
import io.melodyud.topologies.common.Deduplicator;
import io.melodyud.topologies.common.DeadLetterHandlers;
import io.melodyud.topologies.common.ErrorCounters;
import io.melodyud.topologies.common.LongLongMap;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * First stage, on the input partitions (plays keyed by user, so a retried event lands where its first copy did):
 * validates each play, drops duplicates by event id, keeps valid plays only, decides lateness per window size and
 * adds the play to per-track pending counts. When the task commits, the pending counts of each track become a
 * {@link InternalCodecs.TrackDelta}, and the deltas of the tracks of one bucket ({@link InternalCodecs#bucketOf})
 * are sent to the counting stage as one {@link InternalCodecs.DeltaBatch}, keyed by the bucket.
 *
 * <p>This is the sharded counter of the seeds: a track's count is split by input task and merged by summing in the
 * counting stage, so a track with 90% of the traffic costs one delta per task per commit downstream, not one
 * per play. Pending counts live in a plain map and leave through the task's {@link CommitHook}, in the transaction
 * that commits the plays they count: a crash aborts both, and the plays are counted again from the input.
 *
 * <p>Outputs: {@code DeltaBatch} values (to the counting stage) and {@code PlayEvent} values (late plays, to the
 * late topic), both keyed by a long (the bucket, or the user).
 */
final class PlayIntakeProcessor implements Processor<Long, PlayEvent, Long, Object> {

    static final String DEDUP_STORE = "play-dedup";
    static final String COMMIT_HOOK = "play-intake-commit";
    static final String LATE_WINDOWS_HEADER = "melody.late.windows";
    static final String LATE_REASON_HEADER = "melody.late.reason";

    private final PlayAnalyticsConfig config;
    private final PlayRules rules;
    private final ErrorCounters counters;
    private ProcessorContext<Long, Object> context;
    private Deduplicator dedup;
    /** Pending counts by track: the track's index in {@link #pool}. Both are reused from one commit to the next. */
    private final LongLongMap pending = new LongLongMap(1024);
    private final List<PendingCounts> pool = new ArrayList<>();
    private final DeltaBatcher batches = new DeltaBatcher(DeltaBatcher.MAX_BATCH_BYTES);
    private final ChartWindowSize[] windows;
    private final LongAdder duplicates;
    private final LongAdder shortPlays;

    PlayIntakeProcessor(final PlayAnalyticsConfig config, final ErrorCounters counters) {
        this.config = config;
        this.rules = config.playRules();
        this.counters = counters;
        this.windows = config.windows().toArray(new ChartWindowSize[0]);
        this.duplicates = counters.counter("skipped", "duplicate");
        this.shortPlays = counters.counter("skipped", "short-play");
    }

    @Override
    public void init(final ProcessorContext<Long, Object> context) {
        this.context = context;
        this.dedup = new Deduplicator(context, DEDUP_STORE, rules.dedupHorizonMs());
        final CommitHook hook = context.getStateStore(COMMIT_HOOK);
        hook.register(context, this::flush);
    }

    @Override
    public void process(final Record<Long, PlayEvent> record) {
        final PlayEvent play = rules.validate(record.key(), record.value(), context.currentSystemTimeMs());
        final long startedAt = play.getStartedAt().toEpochMilli();
        final long streamTime = context.currentStreamTimeMs();
        if (dedup.beyondHorizon(startedAt, streamTime)) {
            // It could be a duplicate we no longer remember: counting it could count it twice.
            late(record, "beyond-dedup-horizon", "all");
            return;
        }
        if (!rules.heardLongEnough(play)) {
            shortPlays.increment();
            return;
        }
        if (!dedup.firstSeen(play.getEventId(), startedAt)) {
            duplicates.increment();
            return;
        }

        final int index = (int) pending.putIfAbsent(play.getTrackId(), pending.size());
        if (index == pool.size()) {
            pool.add(new PendingCounts());
        }
        final PendingCounts counts = pool.get(index);
        counts.total++;
        final short country = InternalCodecs.countryCode(play.getCountry());
        List<String> lateFor = null;
        for (final ChartWindowSize size : windows) {
            final long start = size.windowStart(startedAt);
            if (start + size.sizeMs() + config.grace(size) <= streamTime) {
                if (lateFor == null) {
                    lateFor = new ArrayList<>(3);
                }
                lateFor.add(size.label());
                counters.increment("late", size.label());
            } else {
                counts.add(size, start, country);
            }
        }
        if (lateFor != null) {
            late(record, "after-grace", String.join(",", lateFor));
        }
    }

    private void late(final Record<Long, PlayEvent> record, final String reason, final String windows) {
        if ("beyond-dedup-horizon".equals(reason)) {
            counters.increment("late", reason);
        }
        final Headers headers = new RecordHeaders(record.headers().toArray());
        headers.add(LATE_REASON_HEADER, reason.getBytes(StandardCharsets.UTF_8));
        headers.add(LATE_WINDOWS_HEADER, windows.getBytes(StandardCharsets.UTF_8));
        context.recordMetadata().ifPresent(meta -> {
            headers.add(DeadLetterHandlers.TOPIC_HEADER, meta.topic().getBytes(StandardCharsets.UTF_8));
            headers.add(DeadLetterHandlers.PARTITION_HEADER,
                Integer.toString(meta.partition()).getBytes(StandardCharsets.UTF_8));
            headers.add(DeadLetterHandlers.OFFSET_HEADER,
                Long.toString(meta.offset()).getBytes(StandardCharsets.UTF_8));
        });
        context.forward(new Record<>(record.key(), record.value(), record.timestamp(), headers));
    }

    /** Sends the deltas of the tracks with pending counts, a record per bucket, then forgets them. */
    private void flush() {
        dedup.commit(context.currentStreamTimeMs());
        if (pending.isEmpty()) {
            return;
        }
        final long timestamp = context.currentStreamTimeMs();
        final DeltaBatcher.Sink send = (bucket, batch) ->
            context.forward(new Record<>((long) bucket, batch, timestamp));
        pending.forEach((track, index) -> {
            final PendingCounts counts = pool.get((int) index);
            final List<InternalCodecs.WindowDelta> windows = new ArrayList<>(counts.windows.size());
            counts.windows.forEach((packed, count) -> windows.add(new InternalCodecs.WindowDelta(
                ChartWindowSize.of((int) ((packed >>> COUNTRY_BITS) & 0x3)), packed >>> (COUNTRY_BITS + 2),
                (short) (packed & 0xffff), count)));
            batches.add(new InternalCodecs.TrackDelta(track, counts.total, windows), send);
            counts.clear();
        });
        pending.clear();
        batches.drain(send);
    }

    private static final int COUNTRY_BITS = 16;

    /** What one track gained since the last commit: its total, and per (window size, start, country). */
    private static final class PendingCounts {
        private long total;
        /** Keyed by window start, size ordinal and country packed in a long (starts are below 2^45 ms). */
        private final LongLongMap windows = new LongLongMap(8);

        void add(final ChartWindowSize size, final long windowStart, final short country) {
            windows.addTo((windowStart << (COUNTRY_BITS + 2)) | ((long) size.ordinal() << COUNTRY_BITS)
                | (country & 0xffffL), 1);
        }

        void clear() {
            total = 0;
            windows.clear();
        }
    }
}
