package io.melodyud.contracts.metrics;

import java.util.Map;
import java.util.function.Predicate;

/**
 * The metric names every application shares with the alert rules and the dashboard (see {@code docs/metrics.md}),
 * and the helpers that write them, so that a name, type, help text or label set is stated once. Every metric carries
 * the label {@value #APP}.
 */
public final class MelodyMetrics {

    public static final String APP = "app";

    public static final String PLAY_ANALYTICS = "play-analytics";
    public static final String AD_REPORTS = "ad-reports";
    public static final String ROYALTIES = "royalties";
    public static final String CDC = "cdc";
    public static final String CLICKHOUSE_SINK = "clickhouse-sink";
    public static final String POSTGRES_SINK = "postgres-sink";

    public static final String UP = "melody_up";
    public static final String RECORDS_PROCESSED = "melody_records_processed_total";
    public static final String DEAD_LETTERS = "melody_dead_letters_total";
    public static final String LATE_EVENTS = "melody_late_events_total";
    public static final String SKIPPED = "melody_skipped_total";
    public static final String CONSUMER_LAG = "melody_consumer_lag_records";
    public static final String STREAMS_STATE = "melody_streams_state";
    public static final String CDC_LAG = "melody_cdc_lag_seconds";
    public static final String CDC_SLOT_RETAINED_WAL = "melody_cdc_slot_retained_wal_bytes";
    public static final String SINK_NEWEST_ROW_AGE = "melody_sink_newest_row_age_seconds";
    public static final String SINK_ROWS_WRITTEN = "melody_sink_rows_written_total";

    /** Kinds of {@code kind:reason} counters with a metric of their own. */
    public static final String KIND_DEAD_LETTER = "dead-letter";
    public static final String KIND_LATE = "late";

    private MelodyMetrics() {
    }

    /** {@value #UP}: 1 while the application runs (and can do its work), 0 otherwise. */
    public static void up(final PrometheusText out, final String app, final boolean up) {
        out.gauge(UP, "1 while the application runs, 0 when it is stopping, stopped or failed.")
            .sample(up ? 1 : 0, APP, app);
    }

    /** {@value #RECORDS_PROCESSED}: input records consumed and processed. */
    public static void recordsProcessed(final PrometheusText out, final String app, final long records) {
        out.counter(RECORDS_PROCESSED, "Input records consumed and processed by the application.")
            .sample(records, APP, app);
    }

    /** {@value #CONSUMER_LAG}: records behind the end of each input topic. */
    public static void consumerLag(final PrometheusText out, final String app, final Map<String, Long> byTopic) {
        final PrometheusText.Family family = out.gauge(CONSUMER_LAG, "Records behind the end of the input topic, "
            + "summed over the partitions this instance is assigned (from the consumers' records-lag).");
        byTopic.forEach((topic, lag) -> family.sample(lag, APP, app, "topic", topic));
    }

    /** {@value #DEAD_LETTERS}, declared even before the first dead letter. */
    public static PrometheusText.Family deadLetters(final PrometheusText out) {
        return out.counter(DEAD_LETTERS, "Records sent to the application's dead-letter topic, by reason.");
    }

    /** {@value #LATE_EVENTS}, declared even before the first late event. */
    public static PrometheusText.Family lateEvents(final PrometheusText out) {
        return out.counter(LATE_EVENTS, "Events routed to a late-events topic (or counted as corrections), by reason.");
    }

    /** {@value #SKIPPED}: records deliberately not counted (duplicates, short plays, tombstones). */
    public static PrometheusText.Family skipped(final PrometheusText out) {
        return out.counter(SKIPPED, "Records deliberately left out (duplicates, short plays, tombstones), by kind "
            + "and reason.");
    }

    /**
     * Counters keyed {@code kind:reason} (the topologies' {@code ErrorCounters}, the sinks' {@code SinkCounters}):
     * kind {@value #KIND_DEAD_LETTER} to {@value #DEAD_LETTERS}, kind {@value #KIND_LATE} to {@value #LATE_EVENTS},
     * the kinds {@code skippedKinds} accepts to {@value #SKIPPED}; other kinds are left to the caller.
     */
    public static void kindReasonCounters(final PrometheusText out, final String app, final Map<String, Long> counts,
                                          final Predicate<String> skippedKinds) {
        final PrometheusText.Family deadLetters = deadLetters(out);
        final PrometheusText.Family late = lateEvents(out);
        final PrometheusText.Family skipped = skipped(out);
        counts.forEach((key, count) -> {
            final int colon = key.indexOf(':');
            final String kind = colon < 0 ? key : key.substring(0, colon);
            final String reason = colon < 0 ? "" : key.substring(colon + 1);
            if (KIND_DEAD_LETTER.equals(kind)) {
                deadLetters.sample(count, APP, app, "reason", reason);
            } else if (KIND_LATE.equals(kind)) {
                late.sample(count, APP, app, "reason", reason);
            } else if (skippedKinds.test(kind)) {
                skipped.sample(count, APP, app, "kind", kind, "reason", reason);
            }
        });
    }
}
