package io.melodyud.topologies.plays;

import io.melodyud.avro.event.PlayEvent;
import io.melodyud.avro.output.Chart;
import io.melodyud.avro.output.ChartCount;
import io.melodyud.avro.output.TrackDailyPlays;
import io.melodyud.avro.output.TrackPlayTotal;
import io.melodyud.contracts.serde.TopicSerdes;
import io.melodyud.contracts.topics.Topics;
import io.melodyud.topologies.common.ChartWindowSize;
import io.melodyud.topologies.common.CommitHook;
import io.melodyud.topologies.common.Deduplicator;
import io.melodyud.topologies.common.ErrorCounters;
import java.time.Clock;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.state.Stores;

/**
 * Play counters and charts: deduplicated valid plays counted per track (total and per day) and per country and
 * track in 1-minute, 1-hour and 1-day windows, with live and final top-N charts per country and worldwide.
 *
 * <pre>
 * plays (by user) -> intake: validate, dedup, 30 s rule, lateness, pending counts per track  -> late plays
 *   -> [play-delta-batches, by bucket of tracks]
 *   -> counting: totals, window counts, per-task top lists                                -> totals, daily, counts
 *   -> [chart-partials, by chart] -> merge: live charts, final charts at window close      -> charts
 * </pre>
 * Every store and internal topic is named here; renaming one orphans its state.
 */
public final class PlayAnalyticsTopology {

    /** Renamed from play-deltas when deltas became batches per bucket of tracks (a new format and owner per track). */
    static final String PLAY_DELTAS_TOPIC = "play-delta-batches";
    static final String CHART_PARTIALS_TOPIC = "chart-partials";

    private PlayAnalyticsTopology() {
    }

    public static Topology build(final PlayAnalyticsConfig config, final TopicSerdes serdes,
                                 final ErrorCounters counters) {
        return build(config, serdes, counters, Clock.systemUTC());
    }

    static Topology build(final PlayAnalyticsConfig config, final TopicSerdes serdes, final ErrorCounters counters,
                          final Clock clock) {
        final StreamsBuilder builder = new StreamsBuilder();
        addStores(builder, config);

        final KStream<Long, PlayEvent> plays = builder.stream(Topics.PLAYS.name(),
            Consumed.with(serdes.key(Topics.PLAYS), serdes.value(Topics.PLAYS))
                .withTimestampExtractor(new PlayTimestampExtractor(config.maxFutureMs(), clock))
                .withName("plays-source"));

        final Map<String, KStream<Long, Object>> intake = plays
            .process(() -> new PlayIntakeProcessor(config, counters), Named.as("play-intake"),
                Deduplicator.indexStore(PlayIntakeProcessor.DEDUP_STORE),
                Deduplicator.journalStore(PlayIntakeProcessor.DEDUP_STORE), PlayIntakeProcessor.COMMIT_HOOK)
            .split(Named.as("intake-"))
            .branch((key, value) -> value instanceof PlayEvent, Branched.as("late"))
            .defaultBranch(Branched.as("deltas"));

        intake.get("intake-late")
            .mapValues(value -> (PlayEvent) value, Named.as("late-plays-values"))
            .to(Topics.LATE_PLAYS.name(), Produced.with(serdes.key(Topics.LATE_PLAYS),
                serdes.value(Topics.LATE_PLAYS)).withName("late-plays-sink"));

        final Map<String, KStream<Object, Object>> counted = intake.get("intake-deltas")
            .mapValues(value -> (InternalCodecs.DeltaBatch) value, Named.as("deltas-values"))
            .repartition(Repartitioned.with(Serdes.Long(), InternalCodecs.DELTA_BATCH).withName(PLAY_DELTAS_TOPIC)
                .withStreamPartitioner(InternalCodecs.BUCKET_PARTITIONER))
            .process(() -> new TrackCountingProcessor(config), Named.as("track-counting"),
                TrackCountingProcessor.TOTALS_STORE, TrackCountingProcessor.WINDOW_COUNTS_STORE,
                TrackCountingProcessor.PARTIALS_STORE, TrackCountingProcessor.OPEN_WINDOWS_STORE,
                TrackCountingProcessor.COMMIT_HOOK)
            .split(Named.as("counted-"))
            .branch((key, value) -> value instanceof TrackPlayTotal, Branched.as("totals"))
            .branch((key, value) -> value instanceof TrackDailyPlays, Branched.as("daily"))
            .branch((key, value) -> value instanceof ChartCount, Branched.as("counts"))
            .defaultBranch(Branched.as("partials"));

        counted.get("counted-totals")
            .map((key, value) -> KeyValue.pair((Long) key, (TrackPlayTotal) value), Named.as("totals-values"))
            .to(Topics.TRACK_PLAY_TOTALS.name(), Produced.with(serdes.key(Topics.TRACK_PLAY_TOTALS),
                serdes.value(Topics.TRACK_PLAY_TOTALS)).withName("totals-sink"));
        counted.get("counted-daily")
            .map((key, value) -> KeyValue.pair((String) key, (TrackDailyPlays) value), Named.as("daily-values"))
            .to(Topics.TRACK_DAILY_PLAYS.name(), Produced.with(serdes.key(Topics.TRACK_DAILY_PLAYS),
                serdes.value(Topics.TRACK_DAILY_PLAYS)).withName("daily-sink"));
        counted.get("counted-counts")
            .map((key, value) -> KeyValue.pair((String) key, (ChartCount) value), Named.as("counts-values"))
            .to((key, value, context) -> sizeOf(value.getWindow()).countsTopic().name(),
                Produced.with(serdes.key(Topics.CHART_COUNTS_MINUTE), serdes.value(Topics.CHART_COUNTS_MINUTE))
                    .withName("counts-sink"));

        final KStream<String, Chart> charts = counted.get("counted-partials")
            .map((key, value) -> KeyValue.pair((InternalCodecs.ChartKey) key, (InternalCodecs.PartialChart) value),
                Named.as("partials-values"))
            .repartition(Repartitioned.with(InternalCodecs.CHART_KEY, InternalCodecs.PARTIAL_CHART)
                .withName(CHART_PARTIALS_TOPIC))
            .process(() -> new ChartMergeProcessor(config, counters), Named.as("chart-merge"),
                ChartMergeProcessor.MERGED_STORE, ChartMergeProcessor.COMMIT_HOOK);
        charts.to((key, chart, context) -> chart.getIsFinal()
                ? sizeOf(chart.getWindow()).finalTopic().name() : sizeOf(chart.getWindow()).liveTopic().name(),
            Produced.with(serdes.key(Topics.CHARTS_LIVE_MINUTE), serdes.value(Topics.CHARTS_LIVE_MINUTE))
                .withName("charts-sink"));
        // The live topic ends with the final chart too, so that a reader of live charts sees the window settle.
        charts.filter((key, chart) -> chart.getIsFinal(), Named.as("final-charts"))
            .to((key, chart, context) -> sizeOf(chart.getWindow()).liveTopic().name(),
                Produced.with(serdes.key(Topics.CHARTS_LIVE_MINUTE), serdes.value(Topics.CHARTS_LIVE_MINUTE))
                    .withName("final-charts-live-sink"));
        return builder.build();
    }

    /**
     * The stores written by a {@link CommitHook} callback have no record cache: the processors keep what changed
     * in plain maps and write it once per commit, which is what the cache would do, at a fraction of the cost.
     */
    private static void addStores(final StreamsBuilder builder, final PlayAnalyticsConfig config) {
        Deduplicator.addStores(builder, PlayIntakeProcessor.DEDUP_STORE, config.dedupHorizonMs());
        builder.addStateStore(CommitHook.builder(PlayIntakeProcessor.COMMIT_HOOK));
        builder.addStateStore(Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(TrackCountingProcessor.TOTALS_STORE), Serdes.Long(), Serdes.Long()));
        builder.addStateStore(Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(TrackCountingProcessor.WINDOW_COUNTS_STORE), Serdes.Bytes(),
            Serdes.ByteArray()));
        builder.addStateStore(Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(TrackCountingProcessor.PARTIALS_STORE), Serdes.Bytes(),
            InternalCodecs.TOP_LIST));
        builder.addStateStore(Stores.keyValueStoreBuilder(
            Stores.inMemoryKeyValueStore(TrackCountingProcessor.OPEN_WINDOWS_STORE), Serdes.Bytes(), Serdes.Long()));
        builder.addStateStore(CommitHook.builder(TrackCountingProcessor.COMMIT_HOOK));
        builder.addStateStore(Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(ChartMergeProcessor.MERGED_STORE), Serdes.Bytes(),
            InternalCodecs.MERGE_STATE));
        builder.addStateStore(CommitHook.builder(ChartMergeProcessor.COMMIT_HOOK));
    }

    static ChartWindowSize sizeOf(final io.melodyud.avro.output.ChartWindow window) {
        return ChartWindowSize.valueOf(window.name());
    }
}
