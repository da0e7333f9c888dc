package io.melodyud.sinks.common;

import io.melodyud.contracts.metrics.KafkaClientMetrics;
import io.melodyud.contracts.metrics.MelodyMetrics;
import io.melodyud.contracts.metrics.MetricsCollector;
import io.melodyud.contracts.metrics.PrometheusText;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;

/**
 * A sink's metrics in the Prometheus format (see {@code docs/metrics.md}): the shared ones (up, records
 * acknowledged, dead letters, skipped records, lag per topic), rows written and freshness per table, batches and
 * retries, then the consumer's and the dead-letter producer's own metrics. Everything comes from
 * {@link SinkCounters} and the clients' in-memory sensors: a scrape neither queries the store nor the broker.
 */
public final class SinkPrometheus implements MetricsCollector {

    static final String BATCHES = "melody_sink_batches_total";
    static final String RETRIES = "melody_sink_retries_total";

    private final String app;
    private final SinkCounters counters;
    private final BooleanSupplier running;
    private final Map<MetricName, ? extends Metric> consumerMetrics;
    private final Map<MetricName, ? extends Metric> producerMetrics;
    private final Clock clock;

    /**
     * @param consumerMetrics the consumer's live metrics map ({@code consumer.metrics()})
     * @param producerMetrics the dead-letter producer's live metrics map
     */
    public SinkPrometheus(final String app, final SinkCounters counters, final BooleanSupplier running,
                          final Map<MetricName, ? extends Metric> consumerMetrics,
                          final Map<MetricName, ? extends Metric> producerMetrics, final Clock clock) {
        this.app = app;
        this.counters = counters;
        this.running = running;
        this.consumerMetrics = consumerMetrics;
        this.producerMetrics = producerMetrics;
        this.clock = clock;
    }

    @Override
    public void collect(final PrometheusText out) {
        MelodyMetrics.up(out, app, running.getAsBoolean());
        MelodyMetrics.recordsProcessed(out, app, counters.count(SinkCounters.RECORDS, "acknowledged"));
        final Map<String, Long> snapshot = counters.snapshot();
        MelodyMetrics.kindReasonCounters(out, app, snapshot, SinkCounters.SKIPPED::equals);
        MelodyMetrics.consumerLag(out, app, KafkaClientMetrics.consumerLagByTopic(consumerMetrics, client -> true));

        final PrometheusText.Family rows = out.counter(MelodyMetrics.SINK_ROWS_WRITTEN, "Rows the store "
            + "acknowledged, per table (a record written again after a crash counts again; the store keeps one).");
        final PrometheusText.Family retries = out.counter(RETRIES, "Attempts repeated after the store or the "
            + "registry was unreachable, by what was retried.");
        final PrometheusText.Family batches = out.counter(BATCHES, "Batches written and acknowledged.");
        snapshot.forEach((key, count) -> {
            final int colon = key.indexOf(':');
            final String kind = key.substring(0, colon);
            final String reason = key.substring(colon + 1);
            switch (kind) {
                case SinkCounters.ROWS -> rows.sample(count, MelodyMetrics.APP, app, "table", reason);
                case SinkCounters.RETRIES -> retries.sample(count, MelodyMetrics.APP, app, "reason", reason);
                case SinkCounters.BATCHES -> batches.sample(count, MelodyMetrics.APP, app);
                default -> {
                }
            }
        });
        final long now = clock.millis();
        final PrometheusText.Family age = out.gauge(MelodyMetrics.SINK_NEWEST_ROW_AGE, "Now minus the event or "
            + "update time of the newest row written to the table since the sink started (0 when that time is "
            + "ahead of this clock).");
        counters.newestRowTimes().forEach((table, newest) ->
            age.sample(Math.max(0, now - newest) / 1000.0, MelodyMetrics.APP, app, "table", table));

        final Map<MetricName, Metric> clients = new HashMap<>(consumerMetrics);
        clients.putAll(producerMetrics);
        KafkaClientMetrics.export(out, clients, MelodyMetrics.APP, app);
    }
}
