package io.melodyud.topologies.http;

import io.melodyud.contracts.metrics.KafkaClientMetrics;
import io.melodyud.contracts.metrics.MelodyMetrics;
import io.melodyud.contracts.metrics.MetricsCollector;
import io.melodyud.contracts.metrics.MonotonicCounter;
import io.melodyud.contracts.metrics.PrometheusText;
import io.melodyud.topologies.common.ErrorCounters;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.streams.KafkaStreams;

/**
 * The metrics of a Kafka Streams application (see {@code docs/metrics.md}): whether it runs and in which state,
 * input records consumed, dead letters, late events and skipped records from its {@link ErrorCounters}, consumer lag
 * per input topic, and every numeric metric of Kafka Streams and its clients. Everything is read from in-memory
 * counters and sensors ({@code KafkaStreams.metrics()}), so that a scrape neither calls the broker nor touches a
 * state store, and works during rebalances (partitions being moved simply have no lag figure for a moment).
 */
public final class StreamsMetrics implements MetricsCollector {

    private final String app;
    private final KafkaStreams streams;
    private final ErrorCounters counters;
    private final MonotonicCounter consumed = new MonotonicCounter();
    private final List<MetricsCollector> extras = new CopyOnWriteArrayList<>();

    public StreamsMetrics(final String app, final KafkaStreams streams, final ErrorCounters counters) {
        this.app = app;
        this.streams = streams;
        this.counters = counters;
    }

    /** Adds an application's own metrics to every scrape. */
    public StreamsMetrics with(final MetricsCollector extra) {
        extras.add(extra);
        return this;
    }

    @Override
    public void collect(final PrometheusText out) {
        final KafkaStreams.State state = streams.state();
        MelodyMetrics.up(out, app, state.isRunningOrRebalancing());
        final PrometheusText.Family states = out.gauge(MelodyMetrics.STREAMS_STATE,
            "1 for the current state of Kafka Streams (CREATED, REBALANCING, RUNNING, PENDING_SHUTDOWN, "
                + "NOT_RUNNING, PENDING_ERROR, ERROR), 0 for the others.");
        for (final KafkaStreams.State each : KafkaStreams.State.values()) {
            states.sample(each == state ? 1 : 0, MelodyMetrics.APP, app, "state", each.name());
        }
        final Map<MetricName, ? extends Metric> metrics = streams.metrics();
        // Input records are those the main consumers read from topics other than our own repartition topics, so
        // that a record going through two sub-topologies counts once.
        MelodyMetrics.recordsProcessed(out, app, consumed.update(KafkaClientMetrics.recordsConsumedByClientAndTopic(
            metrics, StreamsMetrics::isMainConsumer, topic -> !topic.endsWith("-repartition"))));
        MelodyMetrics.kindReasonCounters(out, app, counters.snapshot(), kind -> true);
        MelodyMetrics.consumerLag(out, app, KafkaClientMetrics.consumerLagByTopic(metrics,
            StreamsMetrics::isMainConsumer));
        for (final MetricsCollector extra : extras) {
            extra.collect(out);
        }
        KafkaClientMetrics.export(out, metrics, MelodyMetrics.APP, app);
    }

    /**
     * The consumers reading the application's input: {@code <client>-StreamThread-<n>-consumer}. Restore
     * consumers (changelogs being replayed) and the global consumer are not behind on input.
     */
    static boolean isMainConsumer(final String clientId) {
        return clientId.endsWith("-consumer") && !clientId.endsWith("-restore-consumer")
            && !clientId.endsWith("-global-consumer");
    }
}
