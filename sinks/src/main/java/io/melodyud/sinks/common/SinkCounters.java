package io.melodyud.sinks.common;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of a sink: records acknowledged, rows written per table (and the time of the newest row of each),
 * batches, retries and dead letters by reason. One instance per sink; logged periodically, served as metrics and
 * readable by tests and the benchmark. Keys are {@code kind:reason}, as in the topologies'
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
    private final Map<String, AtomicLong> newestRowTimes = new ConcurrentHashMap<>();

    public void add(final String kind, final String reason, final long amount) {
        counters.computeIfAbsent(kind + ":" + reason, k -> new LongAdder()).add(amount);
    }

    public void increment(final String kind, final String reason) {
        add(kind, reason, 1);
    }

    /**
     * Counts {@code rows} written into {@code table} (acknowledged by the store) and keeps the newest event or
     * update time among them ({@code newestMs}, epoch milliseconds; -1 when unknown) as the table's freshness.
     */
    public void rowsWritten(final String table, final long rows, final long newestMs) {
        add(ROWS, table, rows);
        if (newestMs >= 0) {
            newestRowTimes.computeIfAbsent(table, t -> new AtomicLong(-1)).accumulateAndGet(newestMs, Math::max);
        }
    }

    /** Per table, the event or update time of the newest row written since the sink started (epoch ms). */
    public Map<String, Long> newestRowTimes() {
        final Map<String, Long> copy = new TreeMap<>();
        newestRowTimes.forEach((table, time) -> copy.put(table, time.get()));
        return copy;
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
