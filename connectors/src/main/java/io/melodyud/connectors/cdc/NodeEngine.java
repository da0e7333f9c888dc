package io.melodyud.connectors.cdc;

import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import io.debezium.embedded.Connect;
import java.io.IOException;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.function.Consumer;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Supervises the Debezium engine of one node: checks the node ({@link Preflight}), runs the engine on the engines'
 * executor, and when the engine stops with an error either restarts it with exponential backoff (connection
 * drops, a node restarting, a broker unavailable: it resumes from the last committed offset, so changes are
 * repeated, never skipped) or reports a permanent failure (authentication, privileges, a dropped slot) to the
 * process, which stops.
 */
final class NodeEngine implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(NodeEngine.class);

    private final Node node;
    private final List<LogicalTable> tables;
    private final CdcConfig config;
    private final ChangePublisher publisher;
    private final Preflight preflight;
    private final CdcMetrics.NodeStats stats;
    private final ExecutorService engines;
    private final Consumer<CdcFailure> onFatal;
    private final CompletableFuture<Void> stopRequested = new CompletableFuture<>();

    NodeEngine(final Node node, final List<LogicalTable> tables, final CdcConfig config,
               final ChangePublisher publisher, final Preflight preflight, final CdcMetrics.NodeStats stats,
               final ExecutorService engines, final Consumer<CdcFailure> onFatal) {
        this.node = node;
        this.tables = tables;
        this.config = config;
        this.publisher = publisher;
        this.preflight = preflight;
        this.stats = stats;
        this.engines = engines;
        this.onFatal = onFatal;
    }

    @Override
    public void run() {
        long backoff = config.retryInitialMs();
        while (!stopRequested.isDone()) {
            try {
                stats.state("CHECKING");
                preflight.check(node, tables);
                stats.state("RUNNING");
                final long startedAt = System.nanoTime();
                final Throwable error = runEngineOnce();
                if (System.nanoTime() - startedAt > config.retryMaxMs() * 1_000_000L) {
                    // It streamed for a while: this failure is a new incident, not the next of a series.
                    backoff = config.retryInitialMs();
                }
                if (stopRequested.isDone()) {
                    break;
                }
                if (error != null && PgConnections.isAuthenticationFailure(error)) {
                    throw new CdcFailure("Node " + node + ": authentication failed for role " + config.user()
                        + " while streaming: " + error.getMessage(), error);
                }
                LOG.warn("Node {}: engine stopped ({}); restarting in {} ms from the last committed offset", node,
                    error == null ? "no error" : error.getMessage(), backoff);
            } catch (final CdcFailure e) {
                stats.state("FAILED");
                LOG.error(e.getMessage());
                onFatal.accept(e);
                return;
            } catch (final SQLException | RuntimeException e) {
                LOG.warn("Node {}: cannot start ({}); retrying in {} ms", node, e.getMessage(), backoff);
            }
            stats.state("RETRYING");
            try {
                stopRequested.get(backoff, java.util.concurrent.TimeUnit.MILLISECONDS);
            } catch (final java.util.concurrent.TimeoutException e) {
                backoff = Math.min(backoff * 2, config.retryMaxMs());
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (final ExecutionException e) {
                return;
            }
        }
        stats.state("STOPPED");
    }

    /** Runs the engine until it stops or a stop is requested; returns the engine's error, if any. */
    private Throwable runEngineOnce() {
        final CompletableFuture<Throwable> completed = new CompletableFuture<>();
        final ChangeEventFormat<Connect> format = ChangeEventFormat.of(Connect.class);
        try (DebeziumEngine<RecordChangeEvent<SourceRecord>> engine = DebeziumEngine.create(format)
                .using(engineProperties())
                .notifying(publisher)
                .using((success, message, error) -> {
                    if (!success) {
                        LOG.warn("Node {}: engine completed with failure: {}", node, message);
                    }
                    completed.complete(success ? null : error != null ? error : new IllegalStateException(message));
                })
                .build()) {
            engines.execute(engine);
            CompletableFuture.anyOf(completed, stopRequested).join();
        } catch (final IOException e) {
            LOG.warn("Node {}: closing the engine failed: {}", node, e.getMessage());
        }
        return completed.getNow(null);
    }

    Properties engineProperties() {
        final Properties props = new Properties();
        final String engine = config.engineName(node);
        // Every kafka.* setting reaches the offset store's clients and the signal consumer (SASL, TLS).
        final Map<String, Object> kafka = config.kafkaClientSettings();
        kafka.forEach((k, v) -> props.put(k, v.toString()));
        kafka.forEach((k, v) -> props.put("signal.consumer." + k, v.toString()));
        props.put("name", engine);
        props.put("connector.class", "io.debezium.connector.postgresql.PostgresConnector");
        props.put("offset.storage", "org.apache.kafka.connect.storage.KafkaOffsetBackingStore");
        props.put("offset.storage.topic", config.offsetsTopic());
        props.put("offset.storage.partitions", "1");
        props.put("offset.storage.replication.factor", "-1");
        props.put("offset.flush.interval.ms", Long.toString(config.offsetFlushIntervalMs()));
        props.put("offset.flush.timeout.ms", "10000");
        props.put("database.hostname", node.host());
        props.put("database.port", Integer.toString(node.port()));
        props.put("database.user", config.user());
        props.put("database.password", config.password().value());
        props.put("database.dbname", config.database());
        props.put("driver.connectTimeout", Integer.toString(config.connectTimeoutSeconds()));
        props.put("topic.prefix", engine);
        props.put("plugin.name", "pgoutput");
        props.put("slot.name", config.slotName());
        props.put("publication.name", config.publicationName());
        // The streaming role cannot create publications (that needs table ownership): provisioning does.
        props.put("publication.autocreate.mode", "disabled");
        props.put("table.include.list", ShardRouting.includeList(config.schema(), tables));
        props.put("snapshot.mode", config.snapshotMode());
        props.put("tombstones.on.delete", "false");
        props.put("decimal.handling.mode", "precise");
        props.put("heartbeat.interval.ms", Integer.toString(config.heartbeatIntervalMs()));
        // Debezium confirms an LSN to the slot only after the offsets holding it are stored. The driver may also
        // confirm the server's keepalive position, but pgjdbc does so only when everything it received has been
        // confirmed already (explicitly flushed LSN >= start of the last message): so the slot of a node whose
        // published tables are idle advances past WAL written by other tables (PostgreSQL 15's pgoutput sends
        // nothing for those transactions, so heartbeats alone cannot move it), without a heartbeat table the
        // least-privileged role would need write access to. Tested by heartbeatsLetAnIdleSlotAdvance... and the
        // crash tests.
        props.put("lsn.flush.mode", "connector_and_driver");
        // Incremental snapshots through Kafka signals, without write access to the source (no signal table).
        props.put("read.only", "true");
        props.put("signal.enabled.channels", "kafka");
        props.put("signal.kafka.topic", config.signalsTopic());
        props.put("signal.kafka.bootstrap.servers", kafka.get("bootstrap.servers").toString());
        props.put("signal.kafka.groupId", engine + "-signals");
        props.put("max.batch.size", Integer.toString(config.maxBatchSize()));
        props.put("max.queue.size", Integer.toString(config.maxQueueSize()));
        props.put("poll.interval.ms", Long.toString(config.pollIntervalMs()));
        // Debezium's lag statistics queue holds 1,000 events and logs a warning for every event it drops: at a few
        // thousand changes per second that is a warning per change. Our own metrics and the benchmark cover lag.
        props.put("statistics.metrics.enabled", "false");
        props.put("errors.max.retries", "-1");
        props.put("errors.retry.delay.initial.ms", Long.toString(config.retryInitialMs()));
        props.put("errors.retry.delay.max.ms", Long.toString(config.retryMaxMs()));
        return props;
    }

    void stop() {
        stopRequested.complete(null);
    }
}
