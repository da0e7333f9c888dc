package io.melodyud.contracts.metrics;

import java.util.HashMap;
import java.util.Map;

/**
 * A counter that only grows, summed from per-client counters that may vanish or restart: a Kafka Streams thread
 * replaced after an error takes its consumer's {@code records-consumed-total} with it, and its successor counts
 * from zero. Each {@link #update} adds what every source gained since the previous update; a source seen for the
 * first time adds all of its value, and one lower than before is taken to have restarted (all of its value is new).
 * A source that disappears keeps what it contributed. What a source counted between the last update and its
 * disappearance is lost, so the total can run slightly behind, never backwards.
 *
 * <p>Sources are told apart by their keys' {@code equals}: key them by the metric object as well as by name (as
 * {@link KafkaClientMetrics.ConsumedSource} does), so that a replacement under the same name is a new source.
 */
public final class MonotonicCounter {

    private final Map<Object, Long> last = new HashMap<>();
    private long total;

    /** Folds in the current value of each source and returns the total. */
    public synchronized long update(final Map<?, ? extends Number> current) {
        for (final Map.Entry<?, ? extends Number> source : current.entrySet()) {
            final long now = source.getValue().longValue();
            final Long before = last.get(source.getKey());
            if (before == null || now < before) {
                total += Math.max(0, now);
            } else {
                total += now - before;
            }
        }
        last.keySet().retainAll(current.keySet());
        current.forEach((key, value) -> last.put(key, value.longValue()));
        return total;
    }

    public synchronized long total() {
        return total;
    }
}
