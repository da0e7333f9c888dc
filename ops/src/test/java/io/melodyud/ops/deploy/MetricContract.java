package io.melodyud.ops.deploy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The metric names the applications serve (docs/operations.md, "Metrics"), as the alert rules and the dashboard may
 * use them: each melody_* metric with its labels, and the groups of Kafka's own metrics exported as
 * kafka_&lt;group&gt;_&lt;name&gt;. A check of PromQL text against it finds a misspelt metric or label before an
 * alert silently never fires.
 */
final class MetricContract {

    /** Each melody_* metric and the labels the application gives it. */
    static final Map<String, Set<String>> MELODY = Map.of(
        "melody_up", Set.of("app"),
        "melody_records_processed_total", Set.of("app"),
        "melody_dead_letters_total", Set.of("app", "reason"),
        "melody_late_events_total", Set.of("app", "reason"),
        "melody_consumer_lag_records", Set.of("app", "topic"),
        "melody_streams_state", Set.of("app", "state"),
        "melody_cdc_lag_seconds", Set.of("node"),
        "melody_cdc_slot_retained_wal_bytes", Set.of("node", "slot"),
        "melody_sink_newest_row_age_seconds", Set.of("app", "table"),
        "melody_sink_rows_written_total", Set.of("app", "table"));

    /** Labels the scrape adds to every series (ops/prometheus/prometheus.yml): the target's, and app from the pod. */
    static final Set<String> TARGET_LABELS = Set.of("instance", "job", "namespace", "pod", "app");

    /** Metric groups of Kafka Streams and the Kafka clients, as the generic exporter prefixes them. */
    static final List<String> KAFKA_GROUPS = List.of("kafka_stream_thread_metrics_", "kafka_stream_task_metrics_",
        "kafka_stream_processor_node_metrics_", "kafka_stream_state_metrics_", "kafka_stream_record_cache_metrics_",
        "kafka_stream_state_updater_metrics_", "kafka_stream_metrics_", "kafka_stream_topic_metrics_",
        "kafka_producer_metrics_", "kafka_producer_topic_metrics_", "kafka_producer_node_metrics_",
        "kafka_consumer_metrics_", "kafka_consumer_fetch_manager_metrics_", "kafka_consumer_coordinator_metrics_",
        "kafka_consumer_node_metrics_", "kafka_admin_client_metrics_");

    private static final Pattern STRING = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'");
    private static final Pattern SELECTOR = Pattern.compile("\\b([a-zA-Z_:][a-zA-Z0-9_:]*)\\s*(\\{[^}]*})?");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)\\s*(=~|!~|!=|=)");

    private MetricContract() {
    }

    /** The metric names a PromQL expression selects (melody_*, kafka_*, up). */
    static List<String> metricsIn(final String expr) {
        final List<String> names = new ArrayList<>();
        final Matcher m = SELECTOR.matcher(STRING.matcher(expr).replaceAll("\"\""));
        while (m.find()) {
            final String name = m.group(1);
            if (name.startsWith("melody_") || name.startsWith("kafka_") || name.equals("up")) {
                names.add(name);
            }
        }
        return names;
    }

    /** What is wrong with the metrics and label matchers of an expression; empty when it keeps to the contract. */
    static List<String> violations(final String expr) {
        final List<String> problems = new ArrayList<>();
        // Label values may hold anything (regexes, braces): blank them before reading selectors.
        final String blanked = blankLabelValues(expr);
        final Matcher m = SELECTOR.matcher(blanked);
        while (m.find()) {
            final String name = m.group(1);
            final String matchers = m.group(2);
            final Set<String> labels;
            if (name.startsWith("melody_")) {
                labels = MELODY.get(name);
                if (labels == null) {
                    problems.add("unknown metric " + name + " in: " + expr);
                    continue;
                }
            } else if (name.startsWith("kafka_")) {
                if (KAFKA_GROUPS.stream().noneMatch(g -> name.startsWith(g) && name.length() > g.length())) {
                    problems.add("unknown Kafka metric group in " + name + " in: " + expr);
                }
                continue;
            } else if (name.equals("up")) {
                labels = Set.of();
            } else {
                continue;
            }
            if (matchers != null) {
                final Matcher label = LABEL.matcher(matchers);
                while (label.find()) {
                    final String labelName = label.group(1);
                    if (!labels.contains(labelName) && !TARGET_LABELS.contains(labelName)) {
                        problems.add("metric " + name + " has no label " + labelName + " in: " + expr);
                    }
                }
            }
        }
        return problems;
    }

    private static String blankLabelValues(final String expr) {
        return STRING.matcher(expr).replaceAll("\"\"");
    }
}
