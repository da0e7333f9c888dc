package io.melodyud.topologies.common;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts of records that did not take the normal path, by kind and reason: dead letters, late events, duplicates,
 * short plays. One instance per application, handed to the exception handlers through the Streams configuration
 * (so no static state) and exposed by the HTTP API and the metrics endpoint.
 */
public final class ErrorCounters {

    /** Key under which the instance travels in the Streams configuration to the exception handlers. */
    public static final String CONFIG_KEY = "melody.error.counters";

    private final Map<String, LongAdder> counters = new ConcurrentHashMap<>();

    public void increment(final String kind, final String reason) {
        counter(kind, reason).increment();
    }

    /** The counter itself, for hot paths that count often: look it up once, increment it directly. */
    public LongAdder counter(final String kind, final String reason) {
        return counters.computeIfAbsent(kind + ":" + reason, k -> new LongAdder());
    }

    public long count(final String kind, final String reason) {
        final LongAdder adder = counters.get(kind + ":" + reason);
        return adder == null ? 0 : adder.sum();
    }

    /** Total of a kind over all reasons. */
    public long total(final String kind) {
        return counters.entrySet().stream().filter(e -> e.getKey().startsWith(kind + ":"))
            .mapToLong(e -> e.getValue().sum()).sum();
    }

    /** A sorted copy of every counter, keyed {@code kind:reason}. */
    public Map<String, Long> snapshot() {
        final Map<String, Long> copy = new TreeMap<>();
        counters.forEach((k, v) -> copy.put(k, v.sum()));
        return copy;
    }
}
