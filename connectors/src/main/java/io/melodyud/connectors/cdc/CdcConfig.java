package io.melodyud.connectors.cdc;

import io.melodyud.contracts.config.ConfigLoader;
import io.melodyud.contracts.registry.RegistryConfig;
import io.melodyud.contracts.topics.TopicNames;
import io.melodyud.contracts.topics.Topics;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

/**
 * Settings of the CDC connector (one Debezium engine per PostgreSQL node). Kafka settings are given with the
 * prefix {@code kafka.} and reach every Kafka client of the process: our producer, Debezium's offset store and
 * its signal consumer. Credentials come from the environment ({@code MELODY_CDC_PASSWORD}) or a file, never from
 * a committed properties file, and are never logged.
 */
public final class CdcConfig extends AbstractConfig {

    public static final String KAFKA_PREFIX = "kafka.";
    public static final String KAFKA_BOOTSTRAP_SERVERS = "kafka.bootstrap.servers";
    public static final String NODES = "cdc.nodes";
    public static final String NODES_SOURCE = "cdc.nodes.source";
    public static final String COORDINATOR = "cdc.coordinator";
    public static final String DATABASE = "cdc.database";
    public static final String SCHEMA = "cdc.schema";
    public static final String USER = "cdc.user";
    public static final String PASSWORD = "cdc.password";
    public static final String PASSWORD_FILE = "cdc.password.file";
    public static final String ADMIN_USER = "cdc.admin.user";
    public static final String ADMIN_PASSWORD = "cdc.admin.password";
    public static final String ADMIN_PASSWORD_FILE = "cdc.admin.password.file";
    public static final String TABLES = "cdc.tables";
    public static final String REFERENCE_NODE = "cdc.reference.node";
    public static final String TOPIC_PREFIX = "cdc.topic.prefix";
    public static final String OFFSETS_TOPIC = "cdc.offsets.topic";
    public static final String HEARTBEATS_TOPIC = "cdc.heartbeats.topic";
    public static final String SIGNALS_TOPIC = "cdc.signals.topic";
    public static final String DLQ_TOPIC = "cdc.dlq.topic";
    public static final String SLOT_NAME = "cdc.slot.name";
    public static final String PUBLICATION_NAME = "cdc.publication.name";
    public static final String ENGINE_NAME = "cdc.engine.name";
    public static final String SNAPSHOT_MODE = "cdc.snapshot.mode";
    public static final String HEARTBEAT_INTERVAL_MS = "cdc.heartbeat.interval.ms";
    public static final String OFFSET_FLUSH_INTERVAL_MS = "cdc.offset.flush.interval.ms";
    public static final String MAX_BATCH_SIZE = "cdc.max.batch.size";
    public static final String MAX_QUEUE_SIZE = "cdc.max.queue.size";
    public static final String POLL_INTERVAL_MS = "cdc.poll.interval.ms";
    public static final String RETRY_INITIAL_MS = "cdc.retry.backoff.initial.ms";
    public static final String RETRY_MAX_MS = "cdc.retry.backoff.max.ms";
    public static final String SLOT_MONITOR_INTERVAL_MS = "cdc.slot.monitor.interval.ms";
    public static final String CONNECT_TIMEOUT_S = "cdc.connect.timeout.s";
    public static final String METRICS_PORT = "metrics.port";

    public static final String NODES_STATIC = "static";
    public static final String NODES_CITUS = "citus";

    private static final String IDENTIFIER = "^[a-z_][a-z0-9_]{0,62}$";

    public static final ConfigDef DEFINITION = definition();

    private final List<Node> nodes;
    private final List<LogicalTable> tables;

    public CdcConfig(final Map<?, ?> originals) {
        super(DEFINITION, originals, false);
        tables = getList(TABLES).stream().map(t -> LogicalTable.byTableName(t).orElseThrow()).distinct().toList();
        if (NODES_CITUS.equals(getString(NODES_SOURCE))) {
            if (getString(COORDINATOR) == null) {
                throw new ConfigException(NODES_SOURCE + " is " + NODES_CITUS + " but " + COORDINATOR
                    + " is not set: the node list is read from the coordinator's pg_dist_node");
            }
            nodes = List.of();
        } else {
            nodes = parseNodes(getList(NODES));
            if (nodes.isEmpty()) {
                throw new ConfigException(NODES + " is empty: name at least one node (name=host:port)");
            }
            final String reference = getString(REFERENCE_NODE);
            if (reference != null && nodes.stream().noneMatch(n -> n.name().equals(reference))) {
                throw new ConfigException(REFERENCE_NODE, reference, "not one of the nodes in " + NODES + " ("
                    + nodes.stream().map(Node::name).toList() + ")");
            }
        }
        if (getPassword(PASSWORD) != null && getString(PASSWORD_FILE) != null) {
            throw new ConfigException("Both " + PASSWORD + " and " + PASSWORD_FILE + " are set: give one");
        }
        if (getLong(RETRY_INITIAL_MS) > getLong(RETRY_MAX_MS)) {
            throw new ConfigException(RETRY_INITIAL_MS + " " + getLong(RETRY_INITIAL_MS) + " is larger than "
                + RETRY_MAX_MS + " " + getLong(RETRY_MAX_MS));
        }
        if (getInt(MAX_BATCH_SIZE) >= getInt(MAX_QUEUE_SIZE)) {
            throw new ConfigException(MAX_QUEUE_SIZE + " " + getInt(MAX_QUEUE_SIZE) + " must be larger than "
                + MAX_BATCH_SIZE + " " + getInt(MAX_BATCH_SIZE) + " (Debezium refuses otherwise)");
        }
        // The no-loss guarantee rests on these two: an offset is committed only once the broker has the records.
        final Object acks = originals().get(KAFKA_PREFIX + ProducerConfig.ACKS_CONFIG);
        if (acks != null && !Set.of("all", "-1").contains(acks.toString().trim().toLowerCase(Locale.ROOT))) {
            throw new ConfigException(KAFKA_PREFIX + ProducerConfig.ACKS_CONFIG, acks,
                "CDC needs acks=all: with fewer acknowledgements a broker failure can lose changes whose offsets "
                    + "were already committed");
        }
        final Object idempotence = originals().get(KAFKA_PREFIX + ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG);
        if (idempotence != null && !Boolean.parseBoolean(idempotence.toString().trim())) {
            throw new ConfigException(KAFKA_PREFIX + ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, idempotence,
                "CDC needs the idempotent producer, so that retried sends neither duplicate nor reorder changes");
        }
    }

    private static ConfigDef definition() {
        final ConfigDef def = new ConfigDef()
            .define(KAFKA_BOOTSTRAP_SERVERS, Type.LIST, ConfigDef.NO_DEFAULT_VALUE, ConfigDef.LambdaValidator.with(
                (name, value) -> {
                    if (value == null || ((List<?>) value).isEmpty()) {
                        throw new ConfigException(name, value, "name at least one broker");
                    }
                }, () -> "host:port,..."),
                Importance.HIGH, "Kafka brokers (host:port list). Every other kafka.* setting passes through to "
                    + "the producer, Debezium's offset store and its signal consumer (SASL, TLS); acks=all and the "
                    + "idempotent producer are enforced.")
            .define(NODES, Type.LIST, List.of(), nodesValidator(), Importance.HIGH,
                "PostgreSQL nodes to capture, as name=host:port, one Debezium engine each (Citus workers, and "
                    + "the coordinator only if it holds shards). The name is part of the engine name, of the "
                    + "offsets key and of the slot metrics: never rename a node that has streamed. Used when "
                    + NODES_SOURCE + " is static.")
            .define(NODES_SOURCE, Type.STRING, NODES_STATIC, ConfigDef.ValidString.in(NODES_STATIC, NODES_CITUS),
                Importance.MEDIUM, "Where the node list comes from: static (" + NODES + ") or citus (the "
                    + "primary nodes that hold shards in the coordinator's pg_dist_node, named group<groupid>; "
                    + "read once at start, so restart CDC after adding a node). citus needs a real Citus "
                    + "coordinator and is not covered by the local stack's tests.")
            .define(COORDINATOR, Type.STRING, null, Importance.MEDIUM,
                "Coordinator as host:port, read when " + NODES_SOURCE + " is citus.")
            .define(DATABASE, Type.STRING, "melody", new ConfigDef.NonEmptyString(), Importance.HIGH,
                "Database holding the operational schema on every node.")
            .define(SCHEMA, Type.STRING, "public", ConfigDef.LambdaValidator.with(
                (name, value) -> requireIdentifier(name, value), () -> "a lower-case SQL identifier"),
                Importance.LOW, "Schema of the shard tables.")
            .define(USER, Type.STRING, "melody_cdc", ConfigDef.LambdaValidator.with(
                (name, value) -> requireIdentifier(name, value), () -> "a lower-case SQL identifier"),
                Importance.HIGH, "PostgreSQL role CDC connects as: LOGIN and REPLICATION, SELECT on the published "
                    + "tables, not a superuser (the provision command creates it).")
            .define(PASSWORD, Type.PASSWORD, null, Importance.HIGH,
                "Password of " + USER + ". Supply it as MELODY_CDC_PASSWORD or through " + PASSWORD_FILE
                    + ", never in a committed file. Never logged.")
            .define(PASSWORD_FILE, Type.STRING, null, Importance.HIGH,
                "File holding the password of " + USER + " (a mounted secret); a trailing newline is ignored.")
            .define(ADMIN_USER, Type.STRING, "postgres", Importance.LOW,
                "Role the provision command connects as to create the CDC role, grants and publication: a "
                    + "superuser or the owner of the tables. The streaming process never uses it.")
            .define(ADMIN_PASSWORD, Type.PASSWORD, null, Importance.LOW,
                "Password of " + ADMIN_USER + " (MELODY_CDC_ADMIN_PASSWORD); none for trust authentication.")
            .define(ADMIN_PASSWORD_FILE, Type.STRING, null, Importance.LOW,
                "File holding the password of " + ADMIN_USER + ".")
            .define(TABLES, Type.LIST, Arrays.stream(LogicalTable.values()).map(LogicalTable::tableName).toList(),
                ConfigDef.ValidList.in(Arrays.stream(LogicalTable.values()).map(LogicalTable::tableName)
                    .toArray(String[]::new)),
                Importance.MEDIUM, "Logical tables to publish; their shard tables (<table>_<shardid>) are captured "
                    + "on every node.")
            .define(REFERENCE_NODE, Type.STRING, null, Importance.MEDIUM,
                "Node that publishes the reference tables. Citus writes a reference table on every worker in one "
                    + "distributed transaction, so reading it from one node publishes each change once. Default: "
                    + "the first node.")
            .define(TOPIC_PREFIX, Type.STRING, "melody.cdc", TopicNames.VALIDATOR, Importance.MEDIUM,
                "Prefix of the logical topics: <prefix>.users, <prefix>.subscriptions, <prefix>.tracks, "
                    + "<prefix>.rights-holders, <prefix>.royalty-rates, <prefix>.ad-campaigns.")
            .define(OFFSETS_TOPIC, Type.STRING, Topics.CDC_OFFSETS.name(), TopicNames.VALIDATOR,
                Importance.MEDIUM, "Compacted topic of Debezium's offset store (one key per node engine).")
            .define(HEARTBEATS_TOPIC, Type.STRING, Topics.CDC_HEARTBEATS.name(), TopicNames.VALIDATOR,
                Importance.LOW, "Topic the heartbeats are written to (key: node name).")
            .define(SIGNALS_TOPIC, Type.STRING, Topics.CDC_SIGNALS.name(), TopicNames.VALIDATOR,
                Importance.MEDIUM, "Topic of Debezium signals (incremental snapshots on demand); a signal is "
                    + "keyed by the engine name of the node it is for.")
            .define(DLQ_TOPIC, Type.STRING, Topics.DLQ_CDC.name(), new ConfigDef.NonEmptyString(),
                Importance.MEDIUM, "Dead-letter topic for row changes that cannot be converted to their contract.")
            .define(SLOT_NAME, Type.STRING, "melody_cdc", ConfigDef.LambdaValidator.with(
                (name, value) -> requireIdentifier(name, value), () -> "a lower-case SQL identifier"),
                Importance.MEDIUM, "Logical replication slot, one per node (same name on each node).")
            .define(PUBLICATION_NAME, Type.STRING, "melody_cdc", ConfigDef.LambdaValidator.with(
                (name, value) -> requireIdentifier(name, value), () -> "a lower-case SQL identifier"),
                Importance.MEDIUM, "Publication, one per node, created by the provision command.")
            .define(ENGINE_NAME, Type.STRING, "melody-cdc", ConfigDef.LambdaValidator.with(
                (name, value) -> {
                    if (value == null || !value.toString().matches("^[a-z][a-z0-9-]{0,40}$")) {
                        throw new ConfigException(name, value, "lower-case letters, digits and dashes");
                    }
                }, () -> "lower-case letters, digits and dashes"),
                Importance.MEDIUM, "Engine name prefix: node N runs engine <name>-N, which keys its offsets and "
                    + "its signals. Changing it makes every node start over with a snapshot.")
            .define(SNAPSHOT_MODE, Type.STRING, "initial", ConfigDef.ValidString.in("initial", "no_data",
                "when_needed"), Importance.MEDIUM, "Debezium snapshot mode: initial takes a snapshot on first "
                    + "start then streams; no_data streams only; when_needed also snapshots when the stored "
                    + "offset is no longer available.")
            .define(HEARTBEAT_INTERVAL_MS, Type.INT, 10_000, ConfigDef.Range.atLeast(100), Importance.MEDIUM,
                "Heartbeat interval: lets an idle node's slot advance, so it does not retain WAL written by other "
                    + "tables and databases.")
            .define(OFFSET_FLUSH_INTERVAL_MS, Type.LONG, 1_000L, ConfigDef.Range.atLeast(10), Importance.MEDIUM,
                "How often acknowledged offsets are written to the offsets topic (and then confirmed to the "
                    + "slot). Shorter means fewer repeats after a crash and less WAL retained.")
            .define(MAX_BATCH_SIZE, Type.INT, 2048, ConfigDef.Range.atLeast(1), Importance.LOW,
                "Largest batch of changes handed to the producer at once.")
            .define(MAX_QUEUE_SIZE, Type.INT, 16_384, ConfigDef.Range.atLeast(2), Importance.LOW,
                "Changes Debezium buffers between reading the WAL and the producer.")
            .define(POLL_INTERVAL_MS, Type.LONG, 20L, ConfigDef.Range.atLeast(1), Importance.LOW,
                "How long Debezium waits between checks of its queue when it is empty; part of the "
                    + "commit-to-topic latency at low load.")
            .define(RETRY_INITIAL_MS, Type.LONG, 1_000L, ConfigDef.Range.atLeast(1), Importance.LOW,
                "First wait before reconnecting to a node that refused or dropped the connection; doubled "
                    + "after each failure.")
            .define(RETRY_MAX_MS, Type.LONG, 60_000L, ConfigDef.Range.atLeast(1), Importance.LOW,
                "Longest wait between reconnection attempts.")
            .define(SLOT_MONITOR_INTERVAL_MS, Type.LONG, 15_000L, ConfigDef.Range.atLeast(100), Importance.LOW,
                "How often the WAL each slot retains is measured (metrics RetainedWalBytes and "
                    + "melody_cdc_slot_retained_wal_bytes).")
            .define(CONNECT_TIMEOUT_S, Type.INT, 10, ConfigDef.Range.between(1, 600), Importance.LOW,
                "Timeout of a connection attempt to a node, in seconds.")
            .define(METRICS_PORT, Type.INT, 17_071, ConfigDef.Range.between(0, 65_535), Importance.MEDIUM,
                "Port of the Prometheus endpoint GET /metrics, on every interface (docs/metrics.md); 0 disables "
                    + "it. A port that cannot be bound is logged as an error and CDC streams on without metrics.");
        RegistryConfig.DEFINITION.configKeys().values().forEach(def::define);
        return def;
    }

    private static void requireIdentifier(final String name, final Object value) {
        if (value == null || !value.toString().matches(IDENTIFIER)) {
            throw new ConfigException(name, value, "must be a lower-case SQL identifier ([a-z_][a-z0-9_]*)");
        }
    }

    private static ConfigDef.Validator nodesValidator() {
        return ConfigDef.LambdaValidator.with((name, value) -> {
            @SuppressWarnings("unchecked")
            final List<String> specs = (List<String>) value;
            parseNodes(specs);
        }, () -> "name=host:port,...");
    }

    private static List<Node> parseNodes(final List<String> specs) {
        final List<Node> parsed = new ArrayList<>();
        final Set<String> names = new HashSet<>();
        final Set<String> addresses = new HashSet<>();
        for (final String spec : specs) {
            final Node node = Node.parse(NODES, spec);
            if (!names.add(node.name())) {
                throw new ConfigException(NODES, specs, "node name " + node.name() + " appears twice");
            }
            if (!addresses.add(node.address())) {
                throw new ConfigException(NODES, specs, "address " + node.address() + " appears twice");
            }
            parsed.add(node);
        }
        return List.copyOf(parsed);
    }

    /** The statically configured nodes; empty when they are discovered from Citus. */
    public List<Node> nodes() {
        return nodes;
    }

    public boolean discoverFromCitus() {
        return NODES_CITUS.equals(getString(NODES_SOURCE));
    }

    /** The node publishing the reference tables, among {@code nodes}. */
    public String referenceNode(final List<Node> actualNodes) {
        final String configured = getString(REFERENCE_NODE);
        return configured != null ? configured : actualNodes.get(0).name();
    }

    public List<LogicalTable> tables() {
        return tables;
    }

    public String database() {
        return getString(DATABASE);
    }

    public String schema() {
        return getString(SCHEMA);
    }

    public String user() {
        return getString(USER);
    }

    /** The CDC role's password, from the setting or the file; fails with the setting names when there is none. */
    public Password password() {
        return secret(PASSWORD, PASSWORD_FILE, true);
    }

    public String adminUser() {
        return getString(ADMIN_USER);
    }

    /** The admin password, or null (trust authentication). */
    public Password adminPassword() {
        return secret(ADMIN_PASSWORD, ADMIN_PASSWORD_FILE, false);
    }

    private Password secret(final String setting, final String fileSetting, final boolean required) {
        final Password given = getPassword(setting);
        if (given != null) {
            return given;
        }
        final String file = getString(fileSetting);
        if (file != null) {
            try {
                return new Password(Files.readString(Path.of(file), StandardCharsets.UTF_8).stripTrailing());
            } catch (final IOException e) {
                throw new ConfigException(fileSetting, file, "cannot read the file: " + e.getMessage());
            }
        }
        if (required) {
            throw new ConfigException("No password for " + getString(USER) + ": set " + setting + " (environment "
                + ConfigLoader.envName(setting) + ") or " + fileSetting);
        }
        return null;
    }

    public String topicPrefix() {
        return getString(TOPIC_PREFIX);
    }

    public String topic(final LogicalTable table) {
        return table.topic(topicPrefix());
    }

    public String offsetsTopic() {
        return getString(OFFSETS_TOPIC);
    }

    public String heartbeatsTopic() {
        return getString(HEARTBEATS_TOPIC);
    }

    public String signalsTopic() {
        return getString(SIGNALS_TOPIC);
    }

    public String dlqTopic() {
        return getString(DLQ_TOPIC);
    }

    public String slotName() {
        return getString(SLOT_NAME);
    }

    public String publicationName() {
        return getString(PUBLICATION_NAME);
    }

    /** Engine name (and Debezium topic.prefix) of a node; keys its offsets and its signals. */
    public String engineName(final Node node) {
        return getString(ENGINE_NAME) + "-" + node.name().replace('_', '-');
    }

    /** The engine name prefix ({@value #ENGINE_NAME}), naming the process in metrics. */
    public String engineNamePrefix() {
        return getString(ENGINE_NAME);
    }

    public String snapshotMode() {
        return getString(SNAPSHOT_MODE);
    }

    public int heartbeatIntervalMs() {
        return getInt(HEARTBEAT_INTERVAL_MS);
    }

    public long offsetFlushIntervalMs() {
        return getLong(OFFSET_FLUSH_INTERVAL_MS);
    }

    public int maxBatchSize() {
        return getInt(MAX_BATCH_SIZE);
    }

    public int maxQueueSize() {
        return getInt(MAX_QUEUE_SIZE);
    }

    public long pollIntervalMs() {
        return getLong(POLL_INTERVAL_MS);
    }

    public long retryInitialMs() {
        return getLong(RETRY_INITIAL_MS);
    }

    public long retryMaxMs() {
        return getLong(RETRY_MAX_MS);
    }

    public long slotMonitorIntervalMs() {
        return getLong(SLOT_MONITOR_INTERVAL_MS);
    }

    public int connectTimeoutSeconds() {
        return getInt(CONNECT_TIMEOUT_S);
    }

    public int metricsPort() {
        return getInt(METRICS_PORT);
    }

    public String coordinator() {
        return getString(COORDINATOR);
    }

    /** Every kafka.* setting without its prefix, for all Kafka clients of the process. */
    public Map<String, Object> kafkaClientSettings() {
        final Map<String, Object> kafka = new HashMap<>(ConfigLoader.withPrefix(originals(), KAFKA_PREFIX));
        kafka.put("bootstrap.servers", String.join(",", getList(KAFKA_BOOTSTRAP_SERVERS)));
        return kafka;
    }

    /** Settings of the producer of change events and dead letters. */
    public Map<String, Object> producerSettings() {
        final Map<String, Object> producer = new HashMap<>();
        // Batching for throughput, with a short linger so that commit-to-topic latency stays low at low load.
        producer.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        producer.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        producer.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        producer.putAll(kafkaClientSettings());
        producer.put(ProducerConfig.ACKS_CONFIG, "all");
        producer.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        producer.put(ProducerConfig.CLIENT_ID_CONFIG, getString(ENGINE_NAME) + "-producer");
        return producer;
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
}
