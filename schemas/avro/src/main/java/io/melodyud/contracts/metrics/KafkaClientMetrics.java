package io.melodyud.contracts.metrics;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;

/**
 * Kafka's own metrics in a scrape: those of Kafka Streams ({@code KafkaStreams.metrics()}, which includes its
 * embedded clients) and of plain producers and consumers ({@code metrics()}). The maps are read as they are, with
 * no call to the broker, so that a scrape costs only the reading of in-memory sensors; both maps are safe to read
 * from another thread than the client's.
 *
 * <p>Kafka 4 reports the per-topic fetch metrics of a topic whose name holds a dot twice (KIP-1109): tagged with the
 * real name, and tagged with the dots replaced by underscores (deprecated). The aggregates here count each topic
 * once, under its real name.
 */
public final class KafkaClientMetrics {

    /** Prefix of every exported Kafka metric. */
    public static final String PREFIX = "kafka_";
    static final String FETCH_GROUP = "consumer-fetch-manager-metrics";
    static final String CLIENT_ID = "client-id";
    static final String TOPIC = "topic";
    static final String PARTITION = "partition";

    private KafkaClientMetrics() {
    }

    /**
     * Writes every metric with a numeric value as {@code kafka_<group>_<name>}, its tags as labels (names
     * {@linkplain PrometheusText#sanitize sanitized}), plus {@code constantLabels} (name, value pairs). Metrics
     * named {@code *-total} are cumulative in Kafka and typed counter; the others gauge. String-valued metrics
     * (versions, commit ids, the Streams state and topology description) are left out. Only metric names, tags and
     * values are read: tags are client ids, topics, partitions, node, thread and task ids, never configuration
     * values, so no credential can reach a label.
     */
    public static void export(final PrometheusText out, final Map<MetricName, ? extends Metric> metrics,
                              final String... constantLabels) {
        if (constantLabels.length % 2 != 0) {
            throw new IllegalArgumentException("Constant labels come in name, value pairs");
        }
        final List<Map.Entry<MetricName, ? extends Metric>> sorted = new ArrayList<>(metrics.entrySet());
        sorted.sort((a, b) -> {
            final int byGroup = a.getKey().group().compareTo(b.getKey().group());
            return byGroup != 0 ? byGroup : a.getKey().name().compareTo(b.getKey().name());
        });
        for (final Map.Entry<MetricName, ? extends Metric> entry : sorted) {
            final MetricName name = entry.getKey();
            final double value;
            try {
                if (!(entry.getValue().metricValue() instanceof Number number)) {
                    continue;
                }
                value = number.doubleValue();
            } catch (final RuntimeException e) {
                // A gauge over a resource being closed (a state store during a rebalance): skip it this scrape.
                continue;
            }
            final String family = PREFIX + PrometheusText.sanitize(name.group()) + "_"
                + PrometheusText.sanitize(name.name());
            final PrometheusText.Type type = name.name().endsWith("-total") ? PrometheusText.Type.COUNTER
                : PrometheusText.Type.GAUGE;
            final Map<String, String> labels = new TreeMap<>();
            name.tags().forEach((tag, tagValue) -> labels.put(labelName(tag), tagValue));
            for (int i = 0; i < constantLabels.length; i += 2) {
                labels.put(constantLabels[i], constantLabels[i + 1]);
            }
            final String help = name.description() == null || name.description().isBlank()
                ? "Kafka metric " + name.group() + " " + name.name() : name.description();
            try {
                out.family(family, type, help).sample(labels, value);
            } catch (final IllegalArgumentException e) {
                // Two Kafka metrics mapping to one name with different types: keep the first, scrape the rest.
                continue;
            }
        }
    }

    private static String labelName(final String tag) {
        final String name = PrometheusText.sanitize(tag);
        return name.startsWith("__") ? "tag" + name : name;
    }

    /**
     * Records behind the end of each topic, summed over the partitions the selected consumers are assigned
     * (their {@code records-lag} gauges). Partitions whose lag is not known yet (no fetch since the assignment)
     * are left out; so is every partition of a consumer in the middle of a rebalance.
     *
     * @param clientIds selects consumers by client id (Kafka Streams' main consumers, not their restore consumers)
     */
    public static Map<String, Long> consumerLagByTopic(final Map<MetricName, ? extends Metric> metrics,
                                                       final Predicate<String> clientIds) {
        final Map<String, Long> byTopic = new TreeMap<>();
        perTopic(metrics, "records-lag", clientIds, true).forEach((key, lag) ->
            byTopic.merge(key.topic(), Math.round(lag.value()), Long::sum));
        return byTopic;
    }

    /**
     * One consumer's counter of one topic. The metric object is part of the identity: a consumer replaced by
     * another with the same client id (a Kafka Streams thread replaced after an error) has new metric objects, so
     * a {@link MonotonicCounter} sees a new source counting from zero rather than an old one going backwards.
     */
    public record ConsumedSource(String clientId, String topic, Metric metric) {
    }

    /**
     * Each selected consumer's {@code records-consumed-total} per topic: counters of one client's lifetime, to
     * feed a {@link MonotonicCounter}.
     */
    public static Map<ConsumedSource, Long> recordsConsumedByClientAndTopic(
            final Map<MetricName, ? extends Metric> metrics, final Predicate<String> clientIds,
            final Predicate<String> topics) {
        final Map<ConsumedSource, Long> consumed = new HashMap<>();
        perTopic(metrics, "records-consumed-total", clientIds, false).forEach((key, reading) -> {
            if (topics.test(key.topic())) {
                consumed.put(new ConsumedSource(key.clientId(), key.topic(), reading.metric()),
                    Math.round(reading.value()));
            }
        });
        return consumed;
    }

    private record TopicKey(String clientId, String topic, String partition) {
    }

    private record Reading(double value, Metric metric) {
    }

    /** The fetch metric {@code name} per client, topic and partition, the deprecated underscore twins removed. */
    private static Map<TopicKey, Reading> perTopic(final Map<MetricName, ? extends Metric> metrics, final String name,
                                                   final Predicate<String> clientIds, final boolean perPartition) {
        final Map<TopicKey, Reading> values = new HashMap<>();
        for (final Map.Entry<MetricName, ? extends Metric> entry : metrics.entrySet()) {
            final MetricName metric = entry.getKey();
            if (!FETCH_GROUP.equals(metric.group()) || !name.equals(metric.name())) {
                continue;
            }
            final Map<String, String> tags = metric.tags();
            final String clientId = tags.get(CLIENT_ID);
            final String topic = tags.get(TOPIC);
            final String partition = tags.get(PARTITION);
            if (clientId == null || topic == null || perPartition != (partition != null)
                    || !clientIds.test(clientId)) {
                continue;
            }
            final double value;
            try {
                if (!(entry.getValue().metricValue() instanceof Number number)) {
                    continue;
                }
                value = number.doubleValue();
            } catch (final RuntimeException e) {
                continue;
            }
            if (Double.isFinite(value)) {
                values.put(new TopicKey(clientId, topic, partition), new Reading(value, entry.getValue()));
            }
        }
        final Set<TopicKey> deprecatedTwins = new HashSet<>();
        for (final TopicKey key : values.keySet()) {
            if (key.topic().indexOf('.') >= 0) {
                deprecatedTwins.add(new TopicKey(key.clientId(), key.topic().replace('.', '_'), key.partition()));
            }
        }
        values.keySet().removeAll(deprecatedTwins);
        return values;
    }
}
