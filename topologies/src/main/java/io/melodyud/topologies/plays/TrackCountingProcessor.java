package io.melodyud.topologies.plays;

import io.melodyud.avro.output.ChartCount;
import io.melodyud.avro.output.TrackDailyPlays;
import io.melodyud.avro.output.TrackPlayTotal;
import io.melodyud.topologies.common.ChartWindowSize;
import io.melodyud.topologies.common.CommitHook;
import io.melodyud.topologies.common.LongLongMap;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Second stage, partitioned by track: merges the input tasks' deltas into exact counts (the total per track, and
 * per window and country, plus the worldwide count per window) and keeps, for every chart, the top list of the
 * tracks this task owns. Because each track lives in exactly one task, the real chart is the merge of the tasks'
 * top lists (done by {@link ChartMergeProcessor}): no update ever goes through a single key.
 *
 * <p>Changed counts and lists are held in plain maps and written out when the task commits (its
 * {@link CommitHook}): to the stores (which have no record cache of their own) and downstream, the latest value of
 * each: {@link TrackPlayTotal}, {@link TrackDailyPlays}, and {@link InternalCodecs.PartialChart} (keyed by
 * {@link InternalCodecs.ChartKey}) for the merge stage; {@link ChartCount}s (keyed by their output keys) when their
 * window closes, unless minute counts are live (see {@link #publishesLive}). A hot track's total changes many times
 * between commits and leaves one record. Stores and output are written in the transaction that commits the input,
 * so after a crash nothing held in the maps is missing: it is computed again from the input.
 */
final class TrackCountingProcessor implements Processor<Long, InternalCodecs.DeltaBatch, Object, Object> {

    static final String TOTALS_STORE = "track-totals";
    /** Keyed by window and track, valued by {@link CountryCounts}; renamed when its format changed. */
    static final String WINDOW_COUNTS_STORE = "chart-track-window-counts";
    static final String PARTIALS_STORE = "chart-partials";
    static final String OPEN_WINDOWS_STORE = "count-windows-open";
    static final String COMMIT_HOOK = "track-counting-commit";

    /** Marks a window whose counts were published at close; later changes are published as corrections. */
    private static final long CLOSED = 2L;

    private final PlayAnalyticsConfig config;
    private final boolean liveMinuteCounts;
    private ProcessorContext<Object, Object> context;
    private KeyValueStore<Long, Long> totals;
    private KeyValueStore<Bytes, byte[]> windowCounts;
    private KeyValueStore<Bytes, TopList> partials;
    private KeyValueStore<Bytes, Long> openWindows;
    /** Totals changed since the last commit, by track. */
    private final LongLongMap changedTotals = new LongLongMap(1024);
    /** Window counts changed since the last commit, by window and track. */
    private final Map<WindowTrack, CountryCounts> changedCounts = new HashMap<>();
    /** The windows the delta being processed touches; reused from one delta to the next. */
    private final List<WindowTouch> touched = new ArrayList<>();
    /** Decoded top lists, so that a delta does not decode a whole list; the store is the committed copy. */
    private final Map<Bytes, TopList> decoded = new HashMap<>();
    private final Set<Bytes> changedCharts = new HashSet<>();
    /** In-memory copy of the (small) open-windows store. */
    private final Map<Bytes, Long> windowStates = new HashMap<>();
    /** See {@link #closed}; reset whenever a window's state changes. */
    private final long[] memoStart = new long[ChartWindowSize.values().length];
    private final boolean[] memoClosed = new boolean[ChartWindowSize.values().length];

    TrackCountingProcessor(final PlayAnalyticsConfig config) {
        this.config = config;
        this.liveMinuteCounts = config.liveMinuteCounts();
        forgetClosed();
    }

    @Override
    public void init(final ProcessorContext<Object, Object> context) {
        this.context = context;
        this.totals = context.getStateStore(TOTALS_STORE);
        this.windowCounts = context.getStateStore(WINDOW_COUNTS_STORE);
        this.partials = context.getStateStore(PARTIALS_STORE);
        this.openWindows = context.getStateStore(OPEN_WINDOWS_STORE);
        try (KeyValueIterator<Bytes, Long> all = openWindows.all()) {
            all.forEachRemaining(entry -> windowStates.put(entry.key, entry.value));
        }
        final CommitHook hook = context.getStateStore(COMMIT_HOOK);
        hook.register(context, this::publish);
        context.schedule(Duration.ofSeconds(10), PunctuationType.STREAM_TIME, this::closeWindows);
        context.schedule(Duration.ofMinutes(1), PunctuationType.STREAM_TIME, this::expire);
    }

    @Override
    public void process(final Record<Long, InternalCodecs.DeltaBatch> record) {
        for (final InternalCodecs.TrackDelta delta : record.value().deltas()) {
            add(delta);
        }
    }

    private void add(final InternalCodecs.TrackDelta delta) {
        final long track = delta.track();
        if (delta.total() > 0) {
            if (changedTotals.get(track, -1L) < 0) {
                final Long stored = totals.get(track);
                changedTotals.put(track, stored == null ? 0 : stored);
            }
            changedTotals.addTo(track, delta.total());
        }
        // Each window of the delta is looked up once, for its countries and for the worldwide count.
        touched.clear();
        for (final InternalCodecs.WindowDelta w : delta.windows()) {
            WindowTouch touch = null;
            for (final WindowTouch t : touched) {
                if (t.size == w.size() && t.start == w.windowStart()) {
                    touch = t;
                    break;
                }
            }
            if (touch == null) {
                touch = new WindowTouch(w.size(), w.windowStart(), countsOf(w.size(), w.windowStart(), track));
                touched.add(touch);
                if (!publishesLive(w.size())) {
                    markOpen(w.size(), w.windowStart());
                }
            }
            final long count = touch.counts.add(w.country(), w.count());
            offer(w.size(), w.windowStart(), w.country(), track, count);
            touch.worldwide += w.count();
        }
        for (final WindowTouch t : touched) {
            offer(t.size, t.start, (short) 0, track, t.counts.add((short) 0, t.worldwide));
        }
    }

    /** A track's counts in a window: changed since the last commit, else from the store, else none yet. */
    private CountryCounts countsOf(final ChartWindowSize size, final long windowStart, final long track) {
        final WindowTrack key = new WindowTrack(size, windowStart, track);
        CountryCounts counts = changedCounts.get(key);
        if (counts == null) {
            final byte[] stored = windowCounts.get(countKey(size, windowStart, track));
            counts = stored == null ? new CountryCounts() : CountryCounts.decode(stored);
            changedCounts.put(key, counts);
        }
        return counts;
    }

    /** Remembers a window whose counts are published when it closes. */
    private void markOpen(final ChartWindowSize size, final long windowStart) {
        final Bytes window = windowKey(size, windowStart);
        if (!windowStates.containsKey(window)) {
            windowStates.put(window, 1L);
            forgetClosed();
            openWindows.put(window, 1L);
        }
    }

    private void offer(final ChartWindowSize size, final long windowStart, final short country, final long track,
                       final long count) {
        final Bytes chart = new InternalCodecs.ChartKey(size, windowStart, country).toBytes();
        TopList top = decoded.get(chart);
        if (top == null) {
            top = partials.get(chart);
            if (top == null) {
                top = new TopList(config.topN());
            }
            decoded.put(chart, top);
        }
        if (top.offer(track, count)) {
            changedCharts.add(chart);
        }
    }

    /**
     * Writes what changed since the last commit to the stores and publishes it: totals, daily plays, live window
     * counts (and corrections of closed windows), and the changed top lists to the merge stage.
     */
    private void publish() {
        final long now = context.currentStreamTimeMs();
        changedTotals.forEach((track, total) -> {
            totals.put(track, total);
            // Counts only grow, so the count itself is a version sinks can keep the highest of.
            context.forward(new Record<>(track, new TrackPlayTotal(track, total, total, Instant.ofEpochMilli(now)),
                now));
        });
        changedTotals.clear();
        for (final Map.Entry<WindowTrack, CountryCounts> entry : changedCounts.entrySet()) {
            final CountryCounts counts = entry.getValue();
            final ChartWindowSize size = entry.getKey().size();
            final long windowStart = entry.getKey().start();
            final long track = entry.getKey().track();
            windowCounts.put(countKey(size, windowStart, track), counts.encode());
            final boolean closed = closed(size, windowStart);
            if (size != ChartWindowSize.DAY && !publishesLive(size) && !closed) {
                continue; // the common case: an open window, published when it closes
            }
            for (int i = 0; i < counts.size(); i++) {
                if (!counts.changed(i)) {
                    continue;
                }
                final short country = counts.country(i);
                final long count = counts.count(i);
                if (size == ChartWindowSize.DAY && country == 0) {
                    final LocalDate day = LocalDate.ofEpochDay(Math.floorDiv(windowStart, size.sizeMs()));
                    context.forward(new Record<>(track + "@" + day, new TrackDailyPlays(track, day,
                        Instant.ofEpochMilli(windowStart), Instant.ofEpochMilli(windowStart + size.sizeMs()),
                        count, count), now));
                }
                if (publishesLive(size)) {
                    emitCount(size, windowStart, InternalCodecs.country(country), track, count, now);
                } else if (closed) {
                    emitCount(size, windowStart, InternalCodecs.country(country), track, count, now); // a correction
                }
            }
        }
        changedCounts.clear();
        final int partition = context.taskId().partition();
        for (final Bytes chart : changedCharts) {
            final TopList top = decoded.get(chart);
            if (top != null) {
                partials.put(chart, top);
                context.forward(new Record<>(InternalCodecs.ChartKey.fromBytes(chart.get()),
                    new InternalCodecs.PartialChart(partition, top), now));
            }
        }
        changedCharts.clear();
    }

    /** Whether a window was closed (its counts published); remembers the last window asked of each size. */
    private boolean closed(final ChartWindowSize size, final long windowStart) {
        final int i = size.ordinal();
        if (memoStart[i] != windowStart) {
            memoStart[i] = windowStart;
            memoClosed[i] = Long.valueOf(CLOSED).equals(windowStates.get(windowKey(size, windowStart)));
        }
        return memoClosed[i];
    }

    private void forgetClosed() {
        Arrays.fill(memoStart, Long.MIN_VALUE);
    }

    private void emitCount(final ChartWindowSize size, final long windowStart, final String country,
                           final long track, final long count, final long now) {
        context.forward(new Record<>(country + "|" + track + "|" + windowStart, new ChartCount(size.avro(),
            Instant.ofEpochMilli(windowStart), Instant.ofEpochMilli(windowStart + size.sizeMs()), country, track,
            count, count), now));
    }

    /**
     * Minute counts are published at every commit while their window fills if {@code charts.counts.minute.live};
     * all other counts once, when the window closes, and then only as corrections. Publishing every change of every
     * (window, country, track) made the count topics larger than the input. The worldwide daily count of a track is
     * published live anyway, as its daily plays ({@link TrackDailyPlays}); it was also a live day count once, which
     * doubled a fifth of the application's output for no new information.
     */
    private boolean publishesLive(final ChartWindowSize size) {
        return size == ChartWindowSize.MINUTE && liveMinuteCounts;
    }

    static Bytes windowKey(final ChartWindowSize size, final long windowStart) {
        return Bytes.wrap(ByteBuffer.allocate(9).put((byte) size.ordinal()).putLong(windowStart).array());
    }

    /** Publishes every count of the hour and day windows whose grace has passed (stream time of this task). */
    private void closeWindows(final long streamTime) {
        final List<Bytes> closing = new ArrayList<>();
        windowStates.forEach((window, state) -> {
            final ByteBuffer buffer = ByteBuffer.wrap(window.get());
            final ChartWindowSize size = ChartWindowSize.of(buffer.get());
            final long start = buffer.getLong();
            if (state != CLOSED && start + size.sizeMs() + config.grace(size) <= streamTime) {
                closing.add(window);
            }
        });
        if (closing.isEmpty()) {
            return;
        }
        publish(); // the counts of the closing windows must be in the store before it is scanned
        for (final Bytes window : closing) {
            final Bytes to = Bytes.wrap(ByteBuffer.allocate(17).put(window.get()).putLong(-1L).array());
            try (KeyValueIterator<Bytes, byte[]> tracks = windowCounts.range(window, to)) {
                while (tracks.hasNext()) {
                    final KeyValue<Bytes, byte[]> entry = tracks.next();
                    final ByteBuffer key = ByteBuffer.wrap(entry.key.get());
                    final ChartWindowSize size = ChartWindowSize.of(key.get());
                    final long start = key.getLong();
                    final long track = key.getLong();
                    final CountryCounts counts = CountryCounts.decode(entry.value);
                    for (int i = 0; i < counts.size(); i++) {
                        if (!publishesLive(size)) {
                            emitCount(size, start, InternalCodecs.country(counts.country(i)), track, counts.count(i),
                                streamTime);
                        }
                    }
                }
            }
            windowStates.put(window, CLOSED);
            forgetClosed();
            openWindows.put(window, CLOSED);
        }
    }

    /** Drops counts and top lists of windows closed for longer than the retention. */
    private void expire(final long streamTime) {
        publish(); // nothing pending may be written back after its window was deleted
        for (final ChartWindowSize size : ChartWindowSize.values()) {
            final long horizon = streamTime - size.sizeMs() - config.grace(size) - config.closedRetentionMs();
            deleteBefore(windowCounts, size, horizon);
            deleteBefore(partials, size, horizon);
            deleteBefore(openWindows, size, horizon);
            final java.util.function.Predicate<Bytes> expired = k -> k.get()[0] == size.ordinal()
                && ByteBuffer.wrap(k.get(), 1, 8).getLong() < horizon;
            decoded.keySet().removeIf(expired);
            windowStates.keySet().removeIf(expired);
            forgetClosed();
        }
    }

    private static <V> void deleteBefore(final KeyValueStore<Bytes, V> store, final ChartWindowSize size,
                                         final long windowStartBefore) {
        final Bytes from = Bytes.wrap(ByteBuffer.allocate(9).put((byte) size.ordinal()).putLong(0L)
            .array());
        final Bytes to = Bytes.wrap(ByteBuffer.allocate(9).put((byte) size.ordinal()).putLong(windowStartBefore)
            .array());
        final List<Bytes> expired = new ArrayList<>();
        try (KeyValueIterator<Bytes, V> range = store.range(from, to)) {
            while (range.hasNext()) {
                final KeyValue<Bytes, V> entry = range.next();
                if (ByteBuffer.wrap(entry.key.get(), 1, 8).getLong() < windowStartBefore) {
                    expired.add(entry.key);
                }
            }
        }
        expired.forEach(store::delete);
    }

    /**
     * Window counts are keyed size, window start, track: a window's counts are one contiguous range, and windows sort
     * by start (starts are positive, so their big-endian bytes sort like the numbers).
     */
    static Bytes countKey(final ChartWindowSize size, final long windowStart, final long track) {
        return Bytes.wrap(ByteBuffer.allocate(17).put((byte) size.ordinal()).putLong(windowStart).putLong(track)
            .array());
    }

    /** A track in a window: the key of changed counts between commits (cheaper to hash than the store key). */
    private record WindowTrack(ChartWindowSize size, long start, long track) {
    }

    /** A window touched by one delta: the track's counts in it, and what the delta adds worldwide. */
    private static final class WindowTouch {
        private final ChartWindowSize size;
        private final long start;
        private final CountryCounts counts;
        private long worldwide;

        private WindowTouch(final ChartWindowSize size, final long start, final CountryCounts counts) {
            this.size = size;
            this.start = start;
            this.counts = counts;
        }
    }
}
