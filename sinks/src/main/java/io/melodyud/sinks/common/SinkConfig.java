package io.melodyud.sinks.common;

import io.melodyud.contracts.config.ConfigLoader;
import io.melodyud.contracts.registry.RegistryConfig;
import io.melodyud.contracts.topics.Topics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Settings every sink shares: which streams it reads and from which topics, the consumer group, batching, retries,
 * the dead-letter topic and the registry. Kafka settings are given with the prefix {@code kafka.} and pass through
 * to the sink's consumer and its dead-letter producer (SASL and TLS included).
 */
public abstract class SinkConfig extends AbstractConfig {

    public static final String STREAMS = "streams";
    public static final String GROUP_ID = "consumer.group";
    public static final String DLQ_TOPIC = "dlq.topic";
    public static final String BATCH_MIN_ROWS = "batch.min.rows";
    public static final String BATCH_MAX_ROWS = "batch.max.rows";
    public static final String BATCH_MAX_LINGER_MS = "batch.max.linger.ms";
    public static final String BATCH_IDLE_GAPS = "batch.idle.gaps";
    public static final String RETRY_BACKOFF_MS = "retry.backoff.ms";
    public static final String RETRY_BACKOFF_MAX_MS = "retry.backoff.max.ms";
    public static final String STATS_INTERVAL_MS = "stats.log.interval.ms";
    public static final String METRICS_PORT = "metrics.port";
    public static final String KAFKA_PREFIX = "kafka.";

    protected SinkConfig(final ConfigDef definition, final Map<?, ?> originals) {
        super(definition, originals, false);
        final int min = getInt(BATCH_MIN_ROWS);
        final int max = getInt(BATCH_MAX_ROWS);
        if (min > max) {
            throw new ConfigException(BATCH_MIN_ROWS + " " + min + " is greater than " + BATCH_MAX_ROWS + " " + max);
        }
        if (getLong(RETRY_BACKOFF_MS) > getLong(RETRY_BACKOFF_MAX_MS)) {
            throw new ConfigException(RETRY_BACKOFF_MS + " " + getLong(RETRY_BACKOFF_MS) + " is greater than "
                + RETRY_BACKOFF_MAX_MS + " " + getLong(RETRY_BACKOFF_MAX_MS));
        }
    }

    /**
     * The shared definitions.
     *
     * @param supported streams this sink can write, all consumed by default
     * @param defaultMaxRows largest batch by default (stores differ in the batch size that suits them)
     * @param defaultMetricsPort each sink's own, so that both can run on one host
     */
    protected static ConfigDef baseDefinition(final String defaultGroup, final List<SinkStream> supported,
                                              final int defaultMaxRows, final int defaultMetricsPort) {
        final List<String> ids = supported.stream().map(SinkStream::id).toList();
        final ConfigDef def = new ConfigDef()
            .define(STREAMS, Type.LIST, String.join(",", ids), ConfigDef.ValidList.in(ids.toArray(new String[0])),
                Importance.HIGH, "Output streams this sink consumes, by name. Each is read from the topic its "
                    + "topic.<name> setting names.")
            .define(GROUP_ID, Type.STRING, defaultGroup, new ConfigDef.NonEmptyString(), Importance.HIGH,
                "Kafka consumer group. Instances with the same group share the partitions.")
            .define(DLQ_TOPIC, Type.STRING, Topics.DLQ_SINKS.name(), new ConfigDef.NonEmptyString(), Importance.MEDIUM,
                "Topic receiving records that cannot be decoded or written, with the reason in headers.")
            .define(BATCH_MIN_ROWS, Type.INT, 500, ConfigDef.Range.atLeast(1), Importance.MEDIUM,
                "Smallest batch-size target. The target follows the arrival rate (records expected in one linger "
                    + "period); a batch is still written earlier when the linger or idle wait expires.")
            .define(BATCH_MAX_ROWS, Type.INT, defaultMaxRows, ConfigDef.Range.between(1, 1_000_000),
                Importance.MEDIUM, "Largest batch, in records: the size used when catching up.")
            .define(BATCH_MAX_LINGER_MS, Type.LONG, 100L, ConfigDef.Range.between(1, 60_000), Importance.MEDIUM,
                "Longest time a record waits in the buffer before its batch is written (the 100 ms of the "
                    + "seeds' rule min(100 ms, 1/rate)).")
            .define(BATCH_IDLE_GAPS, Type.DOUBLE, 1.0, ConfigDef.Range.atLeast(0.0), Importance.LOW,
                "A batch is written when no record arrived for min(linger, gaps / rate): this many mean "
                    + "inter-arrival times. 1 is the seeds' rule.")
            .define(RETRY_BACKOFF_MS, Type.LONG, 200L, ConfigDef.Range.atLeast(1), Importance.LOW,
                "First wait before writing a batch again after the store was unreachable; doubled on each failure.")
            .define(RETRY_BACKOFF_MAX_MS, Type.LONG, 5_000L, ConfigDef.Range.atLeast(1), Importance.LOW,
                "Longest wait between attempts to write a batch while the store is unreachable. The sink retries "
                    + "for as long as it takes: offsets do not move meanwhile, so nothing is lost.")
            .define(STATS_INTERVAL_MS, Type.LONG, 60_000L, ConfigDef.Range.atLeast(0), Importance.LOW,
                "How often the counters (rows, batches, retries, dead letters) are logged; 0 disables it.")
            .define(METRICS_PORT, Type.INT, defaultMetricsPort, ConfigDef.Range.between(0, 65_535), Importance.MEDIUM,
                "Port of the Prometheus endpoint GET /metrics, on every interface (docs/metrics.md); 0 disables "
                    + "it. A port that cannot be bound is logged as an error and the sink runs on without metrics.");
        for (final SinkStream stream : supported) {
            def.define(stream.topicSetting(), Type.STRING, stream.defaultTopic(), new ConfigDef.NonEmptyString(),
                Importance.MEDIUM, "Topic of the " + stream.id() + " stream (" + stream.valueClass().getSimpleName()
                    + " values).");
        }
        RegistryConfig.DEFINITION.configKeys().values().forEach(def::define);
        return def;
    }

    /** Consumed topics and their streams. */
    public Map<String, SinkStream> topics() {
        final Map<String, SinkStream> topics = new LinkedHashMap<>();
        for (final String id : getList(STREAMS)) {
            final SinkStream stream = SinkStream.byId(id);
            final String topic = getString(stream.topicSetting());
            if (topics.put(topic, stream) != null) {
                throw new ConfigException("Topic " + topic + " is configured for two streams");
            }
        }
        return topics;
    }

    public String groupId() {
        return getString(GROUP_ID);
    }

    public String deadLetterTopic() {
        return getString(DLQ_TOPIC);
    }

    public AdaptiveBatchPolicy batchPolicy() {
        return new AdaptiveBatchPolicy(getInt(BATCH_MIN_ROWS), getInt(BATCH_MAX_ROWS), getLong(BATCH_MAX_LINGER_MS),
            getDouble(BATCH_IDLE_GAPS));
    }

    public long retryBackoffMs() {
        return getLong(RETRY_BACKOFF_MS);
    }

    public long retryBackoffMaxMs() {
        return getLong(RETRY_BACKOFF_MAX_MS);
    }

    public long statsIntervalMs() {
        return getLong(STATS_INTERVAL_MS);
    }

    public int metricsPort() {
        return getInt(METRICS_PORT);
    }

    public RegistryConfig registryConfig() {
        final Map<String, Object> registry = new HashMap<>();
        for (final String key : RegistryConfig.DEFINITION.names()) {
            final Object value = originals().get(key);
            if (value != null) {
                registry.put(key, value);
            }
        }
        return new RegistryConfig(registry);
    }

    /**
     * Consumer settings: our defaults (no auto commit, read_committed because the topologies write
     * transactionally, earliest so that a new sink builds its tables from the topics' history), then every
     * {@code kafka.*} setting, which wins. A new map each call.
     */
    public Map<String, Object> consumerProperties() {
        final Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.GROUP_ID_CONFIG, groupId());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        // Large polls so that a catch-up fills the biggest batches in few round trips.
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Math.min(getInt(BATCH_MAX_ROWS), 10_000));
        props.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 64 * 1024 * 1024);
        props.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 8 * 1024 * 1024);
        props.putAll(ConfigLoader.withPrefix(originals(), KAFKA_PREFIX));
        props.remove(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG);
        props.remove(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG);
        return props;
    }

    /** Dead-letter producer settings: idempotent, acks=all, then every {@code kafka.*} setting that applies. */
    public Map<String, Object> producerProperties() {
        final Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        final Set<String> producerKeys = ProducerConfig.configNames();
        ConfigLoader.withPrefix(originals(), KAFKA_PREFIX).forEach((k, v) -> {
            if (producerKeys.contains(k) || k.startsWith("sasl.") || k.startsWith("ssl.")) {
                props.put(k, v);
            }
        });
        props.remove(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG);
        props.remove(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return props;
    }

    /** Deserializers for consumer construction. */
    public static ByteArrayDeserializer bytes() {
        return new ByteArrayDeserializer();
    }

    /**
     * A secret given either directly (from the environment, {@code MELODY_...}) or as a file holding it (a mounted
     * secret). The value is never logged: {@link Password#toString()} hides it.
     */
    protected String secret(final String valueSetting, final String fileSetting) {
        final Password direct = getPassword(valueSetting);
        final String file = getString(fileSetting);
        if (file != null && !file.isBlank()) {
            try {
                return Files.readString(Path.of(file)).strip();
            } catch (final IOException e) {
                throw new ConfigException(fileSetting, file, "cannot read the secret file: " + e.getMessage());
            }
        }
        return direct == null ? null : direct.value();
    }
}
