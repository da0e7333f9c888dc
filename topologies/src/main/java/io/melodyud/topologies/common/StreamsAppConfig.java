package io.melodyud.topologies.common;

import io.melodyud.contracts.config.ConfigLoader;
import io.melodyud.contracts.registry.RegistryConfig;
import io.melodyud.contracts.topics.Topic;
import io.melodyud.contracts.topics.TopicNames;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Settings every MelodyUD Kafka Streams application shares. Each application's config adds its own definitions to
 * {@link #baseDefinition()}. Kafka settings are given with the prefix {@code kafka.} and pass through to Kafka
 * Streams and every client it creates (SASL and TLS included); the registry settings keep Confluent's names.
 */
public abstract class StreamsAppConfig extends AbstractConfig {

    public static final String APPLICATION_ID = "application.id";
    public static final String STATE_DIR = "state.dir";
    public static final String HTTP_PORT = "http.port";
    public static final String HTTP_ADVERTISED_HOST = "http.advertised.host";
    public static final String ROCKSDB_MEMORY_BYTES = "rocksdb.memory.bytes";
    public static final String KAFKA_PREFIX = "kafka.";
    public static final String CDC_TOPIC_PREFIX = "cdc.topic.prefix";
    /** Prefix of the catalogue's CDC topic names ({@code melody.cdc.users}...). */
    private static final String CATALOGUE_CDC_PREFIX = "melody.cdc";

    protected StreamsAppConfig(final ConfigDef definition, final Map<?, ?> originals) {
        super(definition, originals, false);
    }

    /** The shared definitions; {@code defaultApplicationId} differs per application. */
    protected static ConfigDef baseDefinition(final String defaultApplicationId) {
        final ConfigDef def = new ConfigDef()
            .define(APPLICATION_ID, Type.STRING, defaultApplicationId, new ConfigDef.NonEmptyString(),
                Importance.HIGH, "Kafka Streams application id: consumer group, prefix of internal topics and "
                    + "transactional ids. Instances with the same id share the work.")
            .define(STATE_DIR, Type.STRING, System.getProperty("java.io.tmpdir") + "/melody-streams",
                Importance.HIGH, "Directory of the RocksDB state stores. Keep it on a persistent volume: "
                    + "restoring from changelogs after losing it takes time.")
            .define(HTTP_PORT, Type.INT, 7070, ConfigDef.Range.between(0, 65535), Importance.MEDIUM,
                "Port of the HTTP API (interactive queries, health). 0 disables the API.")
            .define(HTTP_ADVERTISED_HOST, Type.STRING, "127.0.0.1", Importance.MEDIUM,
                "Host name other instances use to reach this instance's HTTP API, advertised through Kafka "
                    + "Streams' application.server so that any instance can answer for any key.")
            .define(ROCKSDB_MEMORY_BYTES, Type.LONG, 256L * 1024 * 1024, ConfigDef.Range.atLeast(16L * 1024 * 1024),
                Importance.MEDIUM, "Memory all RocksDB stores of the instance may use together (block cache, "
                    + "index and filter blocks and write buffers share it), so that state size does not drive "
                    + "the process size.");
        RegistryConfig.DEFINITION.configKeys().values().forEach(def::define);
        return def;
    }

    /**
     * Declares {@value #CDC_TOPIC_PREFIX}, for the applications that read CDC topics: the same setting, with the same
     * default, as the CDC connector's, so that one value names the topics on both sides.
     */
    protected static ConfigDef defineCdcTopicPrefix(final ConfigDef def) {
        return def.define(CDC_TOPIC_PREFIX, Type.STRING, CATALOGUE_CDC_PREFIX, TopicNames.VALIDATOR,
            Importance.MEDIUM, "Prefix of the CDC topics this application reads (<prefix>.users, <prefix>.tracks, "
                + "<prefix>.royalty-rates, <prefix>.ad-campaigns): the CDC connector's cdc.topic.prefix. Another "
                + "prefix keeps a second environment's reference data apart on a shared cluster.");
    }

    /** The name of a CDC topic under {@value #CDC_TOPIC_PREFIX}. */
    public String cdcTopic(final Topic<?, ?> topic) {
        if (!topic.name().startsWith(CATALOGUE_CDC_PREFIX + ".")) {
            throw new IllegalArgumentException(topic.name() + " is not a CDC topic");
        }
        return getString(CDC_TOPIC_PREFIX) + topic.name().substring(CATALOGUE_CDC_PREFIX.length());
    }

    public String applicationId() {
        return getString(APPLICATION_ID);
    }

    public int httpPort() {
        return getInt(HTTP_PORT);
    }

    public String httpAdvertisedHost() {
        return getString(HTTP_ADVERTISED_HOST);
    }

    public long rocksDbMemoryBytes() {
        return getLong(ROCKSDB_MEMORY_BYTES);
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
     * The Kafka Streams properties: our defaults (exactly-once v2, explicit naming enforced, DLQ handlers), then
     * every {@code kafka.*} setting, which wins. A new object each call; nothing passed in is modified.
     */
    public Properties streamsProperties(final String deadLetterTopic) {
        final Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId());
        props.put(StreamsConfig.STATE_DIR_CONFIG, getString(STATE_DIR));
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        // Exactly-once defaults to committing every 100 ms. Our processors publish what changed once per commit
        // (CommitHook), so the commit interval is the rate limit of live outputs: a second coalesces the updates of
        // hot keys and keeps transactions large, at the cost of up to a second of extra latency per stage.
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 1000);
        props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 64L * 1024 * 1024);
        // Generated names (KSTREAM-AGGREGATE-0000000004) change when an operator is added and orphan state.
        props.put(StreamsConfig.ENSURE_EXPLICIT_INTERNAL_RESOURCE_NAMING_CONFIG, true);
        props.put(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, deadLetterTopic);
        props.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
            DeadLetterHandlers.Deserialization.class.getName());
        props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG,
            DeadLetterHandlers.Processing.class.getName());
        props.put(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG,
            DeadLetterHandlers.Production.class.getName());
        // Reference data in global stores gets the same handler: a bad row is counted and logged, not fatal.
        props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true);
        props.put(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, BoundedMemoryRocksDbConfig.class.getName());
        props.put(BoundedMemoryRocksDbConfig.TOTAL_MEMORY_CONFIG, rocksDbMemoryBytes());
        if (httpPort() > 0) {
            props.put(StreamsConfig.APPLICATION_SERVER_CONFIG, httpAdvertisedHost() + ":" + httpPort());
        }
        addStreamsDefaults(props);
        props.putAll(ConfigLoader.withPrefix(originals(), KAFKA_PREFIX));
        return props;
    }

    /** An application's own Kafka Streams defaults, applied after the common ones; {@code kafka.*} settings win. */
    protected void addStreamsDefaults(final Properties props) {
    }
}
