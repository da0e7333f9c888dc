package io.melodyud.connectors.cdc;

import io.melodyud.contracts.metrics.MelodyMetrics;
import io.melodyud.contracts.metrics.MetricsServer;
import io.melodyud.contracts.registry.SchemaRegistryClient;
import io.melodyud.contracts.serde.AvroSerializer;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.generic.IndexedRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CDC process without its {@code main}: one supervised Debezium engine per node, one idempotent producer
 * shared by all of them, the slot monitors and the metrics (JMX, and Prometheus at {@code GET /metrics} on
 * {@code metrics.port}). Tests run it in-process; {@link CdcApp} runs it as a JVM of its own.
 */
public final class CdcRunner implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CdcRunner.class);

    private final CdcConfig config;
    private final CompletableFuture<CdcFailure> failure = new CompletableFuture<>();
    private final List<NodeEngine> nodeEngines = new ArrayList<>();
    private final List<SlotMonitor> slotMonitors = new ArrayList<>();
    private final ExecutorService supervisors = Executors.newCachedThreadPool(named("cdc-supervisor"));
    private final ExecutorService engines = Executors.newCachedThreadPool(named("cdc-engine"));
    private final ScheduledExecutorService monitors = Executors.newSingleThreadScheduledExecutor(
        named("cdc-slot-monitor"));
    private final CdcMetrics metrics;
    private volatile KafkaProducer<byte[], byte[]> producer;
    private volatile boolean closing;
    private MetricsServer metricsServer;
    private List<Node> nodes = List.of();

    public CdcRunner(final CdcConfig config) {
        this.config = config;
        this.metrics = new CdcMetrics(config.engineNamePrefix());
    }

    /** Starts an engine per node and returns; failures are reported through {@link #failure()}. */
    public void start() throws SQLException {
        // First, so that a scrape answers (and tells what is wrong) while the nodes are being reached.
        metricsServer = MetricsServer.startIfEnabled(config.metricsPort(), new CdcPrometheus(metrics,
            config.slotName(), config.heartbeatIntervalMs(), () -> !closing && !failure.isDone(), () -> {
                final KafkaProducer<byte[], byte[]> current = producer;
                return current == null ? Map.of() : current.metrics();
            }, Clock.systemUTC()), MelodyMetrics.CDC);
        nodes = config.discoverFromCitus() ? CitusNodes.discover(config) : config.nodes();
        final String referenceNode = config.referenceNode(nodes);
        final AvroSerializer<IndexedRecord> serializer = new AvroSerializer<>(
            new SchemaRegistryClient(config.registryConfig()), false);
        producer = new KafkaProducer<>(config.producerSettings(), new ByteArraySerializer(),
            new ByteArraySerializer());
        final OffsetStore offsets = new OffsetStore(config.kafkaClientSettings(), config.offsetsTopic());
        final Preflight preflight = new Preflight(config, offsets::hasOffsets);
        for (final Node node : nodes) {
            final boolean reference = node.name().equals(referenceNode);
            final List<LogicalTable> tables = config.tables().stream()
                .filter(t -> reference || !t.isReference()).toList();
            if (tables.isEmpty()) {
                LOG.info("Node {} has nothing to capture (only reference tables are published, from {})", node,
                    referenceNode);
                continue;
            }
            final CdcMetrics.NodeStats stats = metrics.node(node.name());
            final NodeEngine engine = new NodeEngine(node, tables, config,
                new ChangePublisher(node, config, producer, serializer, metrics), preflight, stats, engines,
                failure::complete);
            nodeEngines.add(engine);
            supervisors.execute(engine);
            final SlotMonitor monitor = new SlotMonitor(node, config, stats);
            slotMonitors.add(monitor);
            monitors.scheduleWithFixedDelay(monitor, config.slotMonitorIntervalMs(), config.slotMonitorIntervalMs(),
                TimeUnit.MILLISECONDS);
            LOG.info("Node {}: capturing {} as engine {}{}", node, tables.stream().map(LogicalTable::tableName)
                .toList(), config.engineName(node), reference ? " (reference tables from this node)" : "");
        }
    }

    /** Completes with the first permanent failure of any node; the process should then stop. */
    public CompletableFuture<CdcFailure> failure() {
        return failure;
    }

    public CdcMetrics metrics() {
        return metrics;
    }

    public List<Node> nodes() {
        return nodes;
    }

    /** The port metrics are served on; 0 when they are not served. */
    public int metricsPort() {
        return metricsServer == null ? 0 : metricsServer.port();
    }

    @Override
    public void close() {
        closing = true;
        nodeEngines.forEach(NodeEngine::stop);
        supervisors.shutdown();
        try {
            if (!supervisors.awaitTermination(60, TimeUnit.SECONDS)) {
                LOG.warn("Engines did not stop within 60 s");
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // Each engine finishes its own shutdown (offsets flushed, slot connection closed) before we interrupt it.
        engines.shutdown();
        try {
            if (!engines.awaitTermination(30, TimeUnit.SECONDS)) {
                engines.shutdownNow();
            }
        } catch (final InterruptedException e) {
            engines.shutdownNow();
            Thread.currentThread().interrupt();
        }
        monitors.shutdownNow();
        slotMonitors.forEach(SlotMonitor::close);
        if (metricsServer != null) {
            metricsServer.close();
        }
        if (producer != null) {
            producer.close();
        }
        metrics.close();
    }

    private static ThreadFactory named(final String prefix) {
        final AtomicInteger counter = new AtomicInteger();
        return runnable -> {
            final Thread thread = new Thread(runnable, prefix + "-" + counter.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
