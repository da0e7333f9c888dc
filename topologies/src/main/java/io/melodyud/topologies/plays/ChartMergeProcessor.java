package io.melodyud.topologies.plays;

import io.melodyud.avro.output.Chart;
import io.melodyud.avro.output.ChartEntry;
import io.melodyud.topologies.common.CommitHook;
import io.melodyud.topologies.common.ErrorCounters;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Third stage, keyed by chart (window size, window start, country): keeps the latest top list of every counting
 * task and publishes their merge. Live charts go out when the task commits, once per chart that changed since the
 * last commit (the counting tasks send at most one partial list per chart per commit); the final chart goes out
 * once, when stream time passes the window's end plus its grace.
 *
 * <p>A partial list that arrives after the final chart (a counting task that lagged behind the others) updates the
 * chart and re-emits it as final with a higher version: counted as a correction, never dropped. The chart stays
 * queryable for {@code charts.closed.retention.ms} after it closes.
 */
final class ChartMergeProcessor implements Processor<InternalCodecs.ChartKey, InternalCodecs.PartialChart, String, Chart> {

    static final String MERGED_STORE = "chart-merged";
    static final String COMMIT_HOOK = "chart-merge-commit";

    private final PlayAnalyticsConfig config;
    private final ErrorCounters counters;
    private ProcessorContext<String, Chart> context;
    private KeyValueStore<Bytes, InternalCodecs.MergeState> merged;
    /** Charts changed since the last commit, written to the store and published when the task commits. */
    private final Map<Bytes, InternalCodecs.MergeState> changed = new HashMap<>();

    ChartMergeProcessor(final PlayAnalyticsConfig config, final ErrorCounters counters) {
        this.config = config;
        this.counters = counters;
    }

    @Override
    public void init(final ProcessorContext<String, Chart> context) {
        this.context = context;
        this.merged = context.getStateStore(MERGED_STORE);
        final CommitHook hook = context.getStateStore(COMMIT_HOOK);
        hook.register(context, this::publish);
        context.schedule(Duration.ofSeconds(1), PunctuationType.STREAM_TIME, this::closeWindows);
    }

    @Override
    public void process(final Record<InternalCodecs.ChartKey, InternalCodecs.PartialChart> record) {
        final InternalCodecs.ChartKey chart = record.key();
        final Bytes key = chart.toBytes();
        final InternalCodecs.MergeState pending = changed.get(key);
        final InternalCodecs.MergeState before = pending != null ? pending : merged.get(key);
        final long closesAt = chart.windowEnd() + config.grace(chart.size());
        if (before == null && closesAt + config.closedRetentionMs() <= context.currentStreamTimeMs()) {
            // The chart's state is gone; its counts are still exact on the chart-counts topic.
            counters.increment("late", "chart-after-retention");
            return;
        }
        final TreeMap<Integer, TopList> partials = before == null ? new TreeMap<>() : new TreeMap<>(before.partials());
        partials.put(record.value().sourcePartition(), record.value().top());
        final long version = (before == null ? 0 : before.version()) + 1;
        final boolean finalEmitted = before != null && before.finalEmitted();
        changed.put(key, new InternalCodecs.MergeState(partials, finalEmitted, version));
        if (finalEmitted && pending == null) { // one corrected final chart per commit
            counters.increment("late", "final-chart-correction");
        }
    }

    /** Writes and publishes every chart that changed since the last commit. */
    private void publish() {
        final long now = context.currentStreamTimeMs();
        for (final Map.Entry<Bytes, InternalCodecs.MergeState> entry : changed.entrySet()) {
            final InternalCodecs.MergeState state = entry.getValue();
            merged.put(entry.getKey(), state);
            final InternalCodecs.ChartKey chart = InternalCodecs.ChartKey.fromBytes(entry.getKey().get());
            context.forward(new Record<>(chart.outputKey(),
                chart(chart, state.partials(), state.finalEmitted(), state.version()), now));
        }
        changed.clear();
    }

    /** Emits the final chart of every window whose grace has passed, and forgets charts past their retention. */
    private void closeWindows(final long streamTime) {
        publish(); // the store must hold every change before it is scanned
        final List<KeyValue<Bytes, InternalCodecs.MergeState>> toClose = new ArrayList<>();
        final List<Bytes> toForget = new ArrayList<>();
        try (KeyValueIterator<Bytes, InternalCodecs.MergeState> all = merged.all()) {
            while (all.hasNext()) {
                final KeyValue<Bytes, InternalCodecs.MergeState> entry = all.next();
                final InternalCodecs.ChartKey chart = InternalCodecs.ChartKey.fromBytes(entry.key.get());
                final long closesAt = chart.windowEnd() + config.grace(chart.size());
                if (closesAt + config.closedRetentionMs() <= streamTime) {
                    toForget.add(entry.key);
                } else if (closesAt <= streamTime && !entry.value.finalEmitted()) {
                    toClose.add(entry);
                }
            }
        }
        for (final KeyValue<Bytes, InternalCodecs.MergeState> entry : toClose) {
            final InternalCodecs.ChartKey chart = InternalCodecs.ChartKey.fromBytes(entry.key.get());
            final long version = entry.value.version() + 1;
            merged.put(entry.key, new InternalCodecs.MergeState(entry.value.partials(), true, version));
            context.forward(new Record<>(chart.outputKey(),
                chart(chart, entry.value.partials(), true, version), streamTime));
        }
        toForget.forEach(merged::delete);
    }

    private Chart chart(final InternalCodecs.ChartKey key, final java.util.Map<Integer, TopList> partials,
                        final boolean isFinal, final long version) {
        return buildChart(key, partials, isFinal, version, context.currentStreamTimeMs(), config.topN());
    }

    /** The chart of {@code key}: the merge of the tasks' partial lists, ranked from 1. */
    static Chart buildChart(final InternalCodecs.ChartKey key, final java.util.Map<Integer, TopList> partials,
                            final boolean isFinal, final long version, final long generatedAt, final int topN) {
        final TopList top = TopList.merge(topN, partials.values());
        final List<ChartEntry> entries = new ArrayList<>(top.size());
        for (int i = 0; i < top.size(); i++) {
            entries.add(new ChartEntry(i + 1, top.track(i), top.count(i)));
        }
        return new Chart(key.size().avro(), Instant.ofEpochMilli(key.windowStart()),
            Instant.ofEpochMilli(key.windowEnd()), key.countryName(), isFinal, entries, version,
            Instant.ofEpochMilli(generatedAt));
    }
}
