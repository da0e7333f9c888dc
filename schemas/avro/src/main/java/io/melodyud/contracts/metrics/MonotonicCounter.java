package io.melodyud.contracts.metrics;

import java.util.HashMap;
import java.util.Map;

/**
 * A counter that only grows, summed from per-client counters that may vanish or restart: a Kafka Streams thread
 * replaced after an error takes its consumer's {@code records-consumed-total} with it, and its successor may come
 * back under the same client id, starting from zero. Each {@link #update} adds what every source gained since the
 * previous update (a source lower than before restarted, and all of its value is new); a source that disappears
 * keeps what it contributed. What a source counted between the last update and its disappearance is lost, so the
 * total can run slightly behind, never backwards.
 */
public final class MonotonicCounter {

    private final Map<String, Long> last = new HashMap<>();
    private long total;

    /** Folds in the current value of each source (by a stable key) and returns the total. */
    public synchronized long update(final Map<String, ? extends Number> current) {
        for (final Map.Entry<String, ? extends Number> source : current.entrySet()) {
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
