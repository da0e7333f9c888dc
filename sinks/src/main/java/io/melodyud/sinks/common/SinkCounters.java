package io.melodyud.sinks.common;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of a sink: records acknowledged, rows written per table, batches, retries and dead letters by reason. One instance per sink; logged
 * periodically and readable by tests and the benchmark. Keys are {@code kind:reason}, as in the topologies'
 * error counters, so that dashboards treat both alike.
 */
public final class SinkCounters {

    public static final String DEAD_LETTER = "dead-letter";
    /** Rows written, by table. */
    public static final String ROWS = "rows";
    /** Records acknowledged (written, dead-lettered or skipped), under the reason {@code acknowledged}. */
    public static final String RECORDS = "records";
    public static final String BATCHES = "batches";
    public static final String RETRIES = "retries";
    public static final String SKIPPED = "skipped";

    private final Map<String, LongAdder> counters = new ConcurrentHashMap<>();

    public void add(final String kind, final String reason, final long amount) {
        counters.computeIfAbsent(kind + ":" + reason, k -> new LongAdder()).add(amount);
    }

    public void increment(final String kind, final String reason) {
        add(kind, reason, 1);
    }

    public long count(final String kind, final String reason) {
        final LongAdder adder = counters.get(kind + ":" + reason);
        return adder == null ? 0 : adder.sum();
    }

    public long total(final String kind) {
        return counters.entrySet().stream().filter(e -> e.getKey().startsWith(kind + ":"))
            .mapToLong(e -> e.getValue().sum()).sum();
    }

    public Map<String, Long> snapshot() {
        final Map<String, Long> copy = new TreeMap<>();
        counters.forEach((k, v) -> copy.put(k, v.sum()));
        return copy;
    }
}
