package io.melodyud.connectors.cdc;

import io.melodyud.contracts.config.ConfigLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CDC process. Usage: {@code CdcApp <config.properties> [command]}, commands:
 * <ul>
 *   <li>{@code run} (default): stream every node until stopped (SIGTERM) or a permanent failure (exit code 2);</li>
 *   <li>{@code provision}: as the admin role, create the CDC role, its grants and the publication on every node;</li>
 *   <li>{@code reset-offsets NODE}: forget a node's offsets, so that its next start takes a new snapshot (the
 *       recovery after a dropped slot);</li>
 *   <li>{@code snapshot TABLE...}: ask every node holding the tables for an incremental snapshot (a backfill
 *       while streaming goes on).</li>
 * </ul>
 */
public final class CdcApp {

    private static final Logger LOG = LoggerFactory.getLogger(CdcApp.class);

    private CdcApp() {
    }

    public static void main(final String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: CdcApp <config.properties> [run | provision | reset-offsets NODE "
                + "| snapshot TABLE...]");
            System.exit(64);
        }
        final CdcConfig config;
        try {
            config = new CdcConfig(ConfigLoader.load(Path.of(args[0]), System.getenv(),
                CdcConfig.DEFINITION.names()));
        } catch (final ConfigException e) {
            System.err.println("Invalid configuration: " + e.getMessage());
            System.exit(78);
            return;
        }
        final String command = args.length > 1 ? args[1] : "run";
        final List<String> rest = Arrays.asList(args).subList(Math.min(2, args.length), args.length);
        switch (command) {
            case "run" -> System.exit(run(config));
            case "provision" -> provision(config);
            case "reset-offsets" -> resetOffsets(config, rest);
            case "snapshot" -> snapshot(config, rest);
            default -> {
                System.err.println("unknown command " + command);
                System.exit(64);
            }
        }
    }

    static int run(final CdcConfig config) throws Exception {
        final CountDownLatch stopped = new CountDownLatch(1);
        final CountDownLatch closed = new CountDownLatch(1);
        // SIGTERM: wake the main thread, and keep the JVM alive until it has closed the engines (offsets flushed,
        // slots released); closing from the hook itself would race with the main thread.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stopped.countDown();
            try {
                closed.await(90, java.util.concurrent.TimeUnit.SECONDS);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "cdc-shutdown"));
        try (CdcRunner runner = new CdcRunner(config)) {
            runner.start();
            runner.failure().thenRun(stopped::countDown);
            stopped.await();
            if (runner.failure().isDone()) {
                LOG.error("CDC stopped: {}", runner.failure().join().getMessage());
                return 2;
            }
            return 0;
        } catch (final CdcFailure e) {
            LOG.error("CDC stopped: {}", e.getMessage());
            return 2;
        } catch (final java.sql.SQLException e) {
            LOG.error("CDC cannot read the node list from the coordinator {}: {}", config.coordinator(),
                e.getMessage());
            return 2;
        } finally {
            closed.countDown();
        }
    }

    static void provision(final CdcConfig config) throws Exception {
        final List<Node> nodes = config.discoverFromCitus() ? CitusNodes.discover(config) : config.nodes();
        final String reference = config.referenceNode(nodes);
        final Provisioner provisioner = new Provisioner(config);
        for (final Node node : nodes) {
            final List<LogicalTable> tables = tablesOf(config, node, reference);
            if (tables.isEmpty()) {
                continue;
            }
            try (Connection admin = PgConnections.open(node, config.database(), config.adminUser(),
                    config.adminPassword(), config.connectTimeoutSeconds())) {
                provisioner.provision(admin, node, tables);
            }
        }
    }

    static void resetOffsets(final CdcConfig config, final List<String> nodeNames) {
        final OffsetStore store = new OffsetStore(config.kafkaClientSettings(), config.offsetsTopic());
        for (final String name : nodeNames) {
            final Node node = config.nodes().stream().filter(n -> n.name().equals(name)).findFirst()
                .orElse(new Node(name, "unknown", 1));
            final int removed = store.reset(config.engineName(node));
            LOG.info("Node {}: removed {} offset keys of engine {}; its next start takes a snapshot", name, removed,
                config.engineName(node));
        }
    }

    static void snapshot(final CdcConfig config, final List<String> tableNames) throws Exception {
        final List<LogicalTable> tables = tableNames.stream().map(t -> LogicalTable.byTableName(t).orElseThrow(
            () -> new IllegalArgumentException("unknown table " + t))).toList();
        final List<Node> nodes = config.discoverFromCitus() ? CitusNodes.discover(config) : config.nodes();
        final String reference = config.referenceNode(nodes);
        final Properties props = new Properties();
        props.putAll(config.producerSettings());
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(),
                new ByteArraySerializer())) {
            for (final Node node : nodes) {
                final List<LogicalTable> own = tables.stream().filter(tablesOf(config, node, reference)::contains)
                    .toList();
                if (!own.isEmpty()) {
                    producer.send(new ProducerRecord<>(config.signalsTopic(),
                        config.engineName(node).getBytes(StandardCharsets.UTF_8),
                        incrementalSnapshotSignal(config.schema(), own).getBytes(StandardCharsets.UTF_8))).get();
                    LOG.info("Node {}: incremental snapshot of {} requested", node, own);
                }
            }
        }
    }

    /** Debezium's execute-snapshot signal for the shard tables of {@code tables} (data collections are regexes). */
    static String incrementalSnapshotSignal(final String schema, final List<LogicalTable> tables) {
        final String collections = tables.stream()
            .map(t -> "\"" + schema + "\\\\." + t.tableName() + "_[0-9]+\"")
            .collect(Collectors.joining(","));
        return "{\"type\":\"execute-snapshot\",\"data\":{\"data-collections\":[" + collections
            + "],\"type\":\"incremental\"}}";
    }

    static List<LogicalTable> tablesOf(final CdcConfig config, final Node node, final String referenceNode) {
        final boolean reference = node.name().equals(referenceNode);
        return config.tables().stream().filter(t -> reference || !t.isReference()).toList();
    }
}
