package io.melodyud.connectors.cdc;

import io.melodyud.contracts.metrics.KafkaClientMetrics;
import io.melodyud.contracts.metrics.MelodyMetrics;
import io.melodyud.contracts.metrics.MetricsCollector;
import io.melodyud.contracts.metrics.PrometheusText;
import java.time.Clock;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;

/**
 * The CDC process's metrics in the Prometheus format (see {@code docs/metrics.md}): the shared ones (up, changes
 * processed, dead letters by reason) and per node the publishing lag, the WAL its slot retains, the changes it
 * published and its engine's state; then the producer's own metrics. Read from {@link CdcMetrics}, which the
 * engines and slot monitors keep up to date: a scrape queries neither PostgreSQL nor Kafka.
 */
final class CdcPrometheus implements MetricsCollector {

    static final String CHANGES_PUBLISHED = "melody_cdc_changes_published_total";
    static final String SLOT_CONFIRMED_LAG = "melody_cdc_slot_confirmed_lag_bytes";
    static final String NODE_STATE = "melody_cdc_node_state";

    private static final String APP = MelodyMetrics.CDC;

    private final CdcMetrics metrics;
    private final String slotName;
    private final long heartbeatIntervalMs;
    private final BooleanSupplier running;
    private final Supplier<Map<MetricName, ? extends Metric>> producerMetrics;
    private final Clock clock;

    CdcPrometheus(final CdcMetrics metrics, final String slotName, final long heartbeatIntervalMs,
                  final BooleanSupplier running, final Supplier<Map<MetricName, ? extends Metric>> producerMetrics,
                  final Clock clock) {
        this.metrics = metrics;
        this.slotName = slotName;
        this.heartbeatIntervalMs = heartbeatIntervalMs;
        this.running = running;
        this.producerMetrics = producerMetrics;
        this.clock = clock;
    }

    @Override
    public void collect(final PrometheusText out) {
        MelodyMetrics.up(out, APP, running.getAsBoolean());
        // Every change read from a slot is either published or a dead letter.
        MelodyMetrics.recordsProcessed(out, APP, metrics.changesPublished() + metrics.deadLetters());
        final PrometheusText.Family deadLetters = MelodyMetrics.deadLetters(out);
        metrics.deadLettersByReason().forEach((reason, count) ->
            deadLetters.sample(count, MelodyMetrics.APP, APP, "reason", reason));

        final long now = clock.millis();
        final PrometheusText.Family lag = out.gauge(MelodyMetrics.CDC_LAG, "Age of the newest change published "
            + "per node (now minus its commit time); 0 while the node is idle and heartbeats flow, growing once "
            + "they are overdue.");
        final PrometheusText.Family retained = out.gauge(MelodyMetrics.CDC_SLOT_RETAINED_WAL, "WAL the node's "
            + "replication slot retains (current WAL position minus the slot's restart LSN).");
        final PrometheusText.Family confirmed = out.gauge(SLOT_CONFIRMED_LAG, "WAL between the node's current "
            + "position and the position its slot has confirmed (not yet acknowledged by CDC).");
        final PrometheusText.Family published = out.counter(CHANGES_PUBLISHED, "Changes published to their "
            + "logical topics per node (dead letters excluded).");
        final PrometheusText.Family states = out.gauge(NODE_STATE, "1 for the current state of the node's engine ("
            + String.join(", ", CdcMetrics.NodeStats.STATES) + "), 0 for the others.");
        metrics.nodes().forEach((node, stats) -> {
            final long lagMs = stats.lagMillis(now, heartbeatIntervalMs);
            if (lagMs >= 0) {
                lag.sample(lagMs / 1000.0, MelodyMetrics.APP, APP, "node", node);
            }
            // -1: not measured yet, or the node is unreachable; no value rather than a false one.
            if (stats.getRetainedWalBytes() >= 0) {
                retained.sample(stats.getRetainedWalBytes(), MelodyMetrics.APP, APP, "node", node, "slot", slotName);
            }
            if (stats.getConfirmedLagBytes() >= 0) {
                confirmed.sample(stats.getConfirmedLagBytes(), MelodyMetrics.APP, APP, "node", node, "slot",
                    slotName);
            }
            published.sample(stats.getChangesPublished(), MelodyMetrics.APP, APP, "node", node);
            final String state = stats.getState();
            for (final String each : CdcMetrics.NodeStats.STATES) {
                states.sample(each.equals(state) ? 1 : 0, MelodyMetrics.APP, APP, "node", node, "state", each);
            }
        });
        KafkaClientMetrics.export(out, producerMetrics.get(), MelodyMetrics.APP, APP);
    }
}
