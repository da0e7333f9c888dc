package io.melodyud.topologies.plays;

import io.melodyud.avro.output.ChartCount;
import io.melodyud.avro.output.TrackDailyPlays;
import io.melodyud.avro.output.TrackPlayTotal;
import io.melodyud.topologies.common.ChartWindowSize;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
 * <p>Outputs, every {@code charts.live.interval.ms}, the latest value of what changed: {@link TrackPlayTotal},
 * {@link TrackDailyPlays}, minute {@link ChartCount}s (keyed by their output keys) and
 * {@link InternalCodecs.PartialChart} (keyed by {@link InternalCodecs.ChartKey}) for the merge stage; hour and day
 * {@link ChartCount}s when their window closes (see {@link #publishesLive}).
 */
final class TrackCountingProcessor implements Processor<Long, InternalCodecs.TrackDelta, Object, Object> {

    static final String TOTALS_STORE = "track-totals";
    static final String WINDOW_COUNTS_STORE = "chart-window-counts";
    static final String PARTIALS_STORE = "chart-partials";
    static final String DIRTY_STORE = "chart-partials-dirty";
    static final String COUNTS_DIRTY_STORE = "counts-dirty";
    static final String OPEN_WINDOWS_STORE = "count-windows-open";
    /** First byte of a dirty-counts key naming a track total (window counts start with a window size ordinal). */
    private static final byte TOTAL_MARK = (byte) 0x7f;

    private final PlayAnalyticsConfig config;
    private ProcessorContext<Object, Object> context;
    private KeyValueStore<Long, Long> totals;
    private KeyValueStore<Bytes, Long> windowCounts;
    private KeyValueStore<Bytes, TopList> partials;
    private KeyValueStore<Bytes, Long> dirty;
    private KeyValueStore<Bytes, Long> countsDirty;
    private KeyValueStore<Bytes, Long> openWindows;
    /** Decoded top lists, so that a delta does not decode a whole list; the store remains the durable copy. */
    private final Map<Bytes, TopList> decoded = new HashMap<>();

    TrackCountingProcessor(final PlayAnalyticsConfig config) {
        this.config = config;
    }

    @Override
    public void init(final ProcessorContext<Object, Object> context) {
        this.context = context;
        this.totals = context.getStateStore(TOTALS_STORE);
        this.windowCounts = context.getStateStore(WINDOW_COUNTS_STORE);
        this.partials = context.getStateStore(PARTIALS_STORE);
        this.dirty = context.getStateStore(DIRTY_STORE);
        this.countsDirty = context.getStateStore(COUNTS_DIRTY_STORE);
        this.openWindows = context.getStateStore(OPEN_WINDOWS_STORE);
        rebuildDirtyLists();
        context.schedule(Duration.ofMillis(config.liveIntervalMs()), PunctuationType.WALL_CLOCK_TIME, t -> {
            publishCounts();
            publishPartials();
        });
        context.schedule(Duration.ofSeconds(10), PunctuationType.STREAM_TIME, this::closeWindows);
        context.schedule(Duration.ofMinutes(1), PunctuationType.STREAM_TIME, this::expire);
    }

    @Override
    public void process(final Record<Long, InternalCodecs.TrackDelta> record) {
        final long track = record.key();
        final InternalCodecs.TrackDelta delta = record.value();
        if (delta.total() > 0) {
            final Long before = totals.get(track);
            final long total = (before == null ? 0 : before) + delta.total();
            totals.put(track, total);
            countsDirty.put(totalKey(track), 1L);
        }
        final Map<Long, long[]> globalByWindow = new HashMap<>();
        for (final InternalCodecs.WindowDelta w : delta.windows()) {
            final long count = addCount(w.size(), w.windowStart(), w.country(), track, w.count());
            offer(w.size(), w.windowStart(), w.country(), track, count);
            globalByWindow.computeIfAbsent(((long) w.size().ordinal() << 56) ^ w.windowStart(),
                k -> new long[] {w.size().ordinal(), w.windowStart(), 0})[2] += w.count();
        }
        for (final long[] g : globalByWindow.values()) {
            final ChartWindowSize size = ChartWindowSize.of((int) g[0]);
            final long count = addCount(size, g[1], (short) 0, track, g[2]);
            offer(size, g[1], (short) 0, track, count);
        }
    }

    private long addCount(final ChartWindowSize size, final long windowStart, final short country, final long track,
                          final long add) {
        final Bytes key = countKey(size, windowStart, country, track);
        final Long before = windowCounts.get(key);
        final long count = (before == null ? 0 : before) + add;
        windowCounts.put(key, count);
        if (publishesLive(size, country)) {
            countsDirty.put(key, 1L);
        } else {
            final Bytes window = windowKey(size, windowStart);
            final Long state = openWindows.get(window);
            if (state == null) {
                openWindows.put(window, 1L);
            } else if (state == CLOSED) {
                countsDirty.put(key, 1L); // a correction after the window's counts were published
            }
        }
        return count;
    }

    private void emitCount(final ChartWindowSize size, final long windowStart, final String country,
                           final long track, final long count, final long now) {
        context.forward(new Record<>(country + "|" + track + "|" + windowStart, new ChartCount(size.avro(),
            Instant.ofEpochMilli(windowStart), Instant.ofEpochMilli(windowStart + size.sizeMs()), country, track,
            count, count), now));
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
            // The list is written to its store when published, not on every change (it is up to 100 entries);
            // the durable dirty mark lets init() rebuild a list whose last changes were not written yet.
            dirty.put(chart, 1L);
        }
    }

    /**
     * After a restart or a rebalance, the stored list of a chart still marked dirty may miss changes made before
     * the crash (its counts were committed, the list was not): rebuild it from the counts, which are exact.
     */
    private void rebuildDirtyLists() {
        final List<Bytes> charts = new ArrayList<>();
        try (KeyValueIterator<Bytes, Long> changed = dirty.all()) {
            changed.forEachRemaining(entry -> charts.add(entry.key));
        }
        for (final Bytes chart : charts) {
            final TopList top = new TopList(config.topN());
            final byte[] prefix = chart.get();
            final Bytes from = Bytes.wrap(ByteBuffer.allocate(19).put(prefix).putLong(0L).array());
            final Bytes to = Bytes.wrap(ByteBuffer.allocate(19).put(prefix).putLong(Long.MAX_VALUE).array());
            try (KeyValueIterator<Bytes, Long> counts = windowCounts.range(from, to)) {
                while (counts.hasNext()) {
                    final KeyValue<Bytes, Long> entry = counts.next();
                    top.offer(ByteBuffer.wrap(entry.key.get(), 11, 8).getLong(), entry.value);
                }
            }
            decoded.put(chart, top);
        }
    }

    /**
     * Publishes the latest value of every count that changed since the last time: totals, window counts and daily
     * plays. Several updates of a key within an interval leave one record (a hot track's total changes many times
     * a second), and the set of changed keys is a changelogged store, so a crash cannot lose a pending update.
     */
    private void publishCounts() {
        final List<Bytes> published = new ArrayList<>();
        final long now = context.currentStreamTimeMs();
        try (KeyValueIterator<Bytes, Long> changed = countsDirty.all()) {
            while (changed.hasNext()) {
                final Bytes key = changed.next().key;
                published.add(key);
                final ByteBuffer buffer = ByteBuffer.wrap(key.get());
                final byte kind = buffer.get();
                if (kind == TOTAL_MARK) {
                    final long track = buffer.getLong();
                    final Long total = totals.get(track);
                    if (total != null) {
                        // Counts only grow, so the count itself is a version sinks can keep the highest of.
                        context.forward(new Record<>(track, new TrackPlayTotal(track, total, total,
                            Instant.ofEpochMilli(now)), now));
                    }
                    continue;
                }
                final Long count = windowCounts.get(key);
                if (count == null) {
                    continue; // expired meanwhile
                }
                final ChartWindowSize size = ChartWindowSize.of(kind);
                final long windowStart = buffer.getLong();
                final short country = buffer.getShort();
                final long track = buffer.getLong();
                emitCount(size, windowStart, InternalCodecs.country(country), track, count, now);
                if (size == ChartWindowSize.DAY && country == 0) {
                    final LocalDate day = Instant.ofEpochMilli(windowStart).atZone(ZoneOffset.UTC).toLocalDate();
                    context.forward(new Record<>(track + "@" + day, new TrackDailyPlays(track, day,
                        Instant.ofEpochMilli(windowStart), Instant.ofEpochMilli(windowStart + size.sizeMs()), count,
                        count), now));
                }
            }
        }
        published.forEach(countsDirty::delete);
    }

    /** Marks a window whose counts were published at close; later changes are published as corrections. */
    private static final long CLOSED = 2L;

    /**
     * Minute counts and the worldwide daily counts (daily plays per track) are published while their window fills;
     * the other hour and day counts once, when the window closes, and then only as corrections. Publishing
     * every change of every (window, country, track) made the count topics several times larger than the input.
     */
    static boolean publishesLive(final ChartWindowSize size, final short country) {
        return size == ChartWindowSize.MINUTE || (size == ChartWindowSize.DAY && country == 0);
    }

    static Bytes windowKey(final ChartWindowSize size, final long windowStart) {
        return Bytes.wrap(ByteBuffer.allocate(9).put((byte) size.ordinal()).putLong(windowStart).array());
    }

    /** Publishes every count of the hour and day windows whose grace has passed (stream time of this task). */
    private void closeWindows(final long streamTime) {
        final List<Bytes> closing = new ArrayList<>();
        try (KeyValueIterator<Bytes, Long> open = openWindows.all()) {
            while (open.hasNext()) {
                final KeyValue<Bytes, Long> entry = open.next();
                final ByteBuffer window = ByteBuffer.wrap(entry.key.get());
                final ChartWindowSize size = ChartWindowSize.of(window.get());
                final long start = window.getLong();
                if (entry.value != CLOSED && start + size.sizeMs() + config.grace(size) <= streamTime) {
                    closing.add(entry.key);
                }
            }
        }
        for (final Bytes window : closing) {
            final Bytes to = Bytes.wrap(ByteBuffer.allocate(19).put(window.get()).putShort((short) -1)
                .putLong(-1L).array());
            try (KeyValueIterator<Bytes, Long> counts = windowCounts.range(window, to)) {
                while (counts.hasNext()) {
                    final KeyValue<Bytes, Long> entry = counts.next();
                    final ByteBuffer key = ByteBuffer.wrap(entry.key.get());
                    final ChartWindowSize size = ChartWindowSize.of(key.get());
                    final long start = key.getLong();
                    final short country = key.getShort();
                    if (!publishesLive(size, country)) {
                        emitCount(size, start, InternalCodecs.country(country), key.getLong(), entry.value,
                            streamTime);
                    }
                }
            }
            openWindows.put(window, CLOSED);
        }
    }

    static Bytes totalKey(final long track) {
        return Bytes.wrap(ByteBuffer.allocate(9).put(TOTAL_MARK).putLong(track).array());
    }

    /** Sends the top list of every chart that changed since the last time to the merge stage. */
    private void publishPartials() {
        final List<Bytes> published = new ArrayList<>();
        final int partition = context.taskId().partition();
        final long timestamp = context.currentStreamTimeMs();
        try (KeyValueIterator<Bytes, Long> changed = dirty.all()) {
            while (changed.hasNext()) {
                final Bytes chart = changed.next().key;
                final TopList top = decoded.containsKey(chart) ? decoded.get(chart) : partials.get(chart);
                if (top != null) {
                    partials.put(chart, top);
                    context.forward(new Record<>(InternalCodecs.ChartKey.fromBytes(chart.get()),
                        new InternalCodecs.PartialChart(partition, top), timestamp));
                }
                published.add(chart);
            }
        }
        published.forEach(dirty::delete);
    }

    /** Drops counts and top lists of windows closed for longer than the retention. */
    private void expire(final long streamTime) {
        for (final ChartWindowSize size : ChartWindowSize.values()) {
            final long horizon = streamTime - size.sizeMs() - config.grace(size) - config.closedRetentionMs();
            deleteBefore(windowCounts, size, horizon);
            deleteBefore(partials, size, horizon);
            deleteBefore(openWindows, size, horizon);
            decoded.keySet().removeIf(k -> k.get()[0] == size.ordinal()
                && ByteBuffer.wrap(k.get(), 1, 8).getLong() < horizon);
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
     * Window counts are keyed size, window start, country, track: a chart's counts are one contiguous range, and
     * windows sort by start (starts are positive, so their big-endian bytes sort like the numbers).
     */
    static Bytes countKey(final ChartWindowSize size, final long windowStart, final short country, final long track) {
        return Bytes.wrap(ByteBuffer.allocate(19).put((byte) size.ordinal()).putLong(windowStart).putShort(country)
            .putLong(track).array());
    }
}
