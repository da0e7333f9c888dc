package io.melodyud.connectors.cdc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.melodyud.contracts.fixtures.InMemorySchemaRegistry;
import io.melodyud.contracts.metrics.MelodyMetrics;
import io.melodyud.contracts.metrics.PrometheusScrape;
import io.melodyud.contracts.metrics.PrometheusText;
import io.melodyud.contracts.serde.AvroSerializer;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.avro.generic.IndexedRecord;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.connect.source.SourceRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The CDC lag figure and the Prometheus scrape of the CDC process, without servers. */
class CdcMetricsTest {

    /** Commit time of the changes of {@link DebeziumRecords}. */
    private static final long COMMITTED = 1_793_000_000_000L;
    private static final long HEARTBEAT_MS = 10_000;

    private final CdcMetrics metrics = new CdcMetrics("metrics-test-" + System.nanoTime());

    @AfterEach
    void closeMetrics() {
        metrics.close();
    }

    @Test
    void whileChangesFlowTheLagIsTheAgeOfTheNewestPublishedChange() {
        final CdcMetrics.NodeStats stats = metrics.node("worker1");
        assertEquals(-1, stats.lagMillis(COMMITTED, HEARTBEAT_MS), "unknown before anything was published");
        stats.batchPublished(COMMITTED, false, COMMITTED + 300);
        assertEquals(1_700, stats.lagMillis(COMMITTED + 1_700, HEARTBEAT_MS));
        // A batch of snapshot rows (no commit time) does not make the lag look older or younger.
        stats.batchPublished(-1, false, COMMITTED + 2_000);
        assertEquals(2_500, stats.lagMillis(COMMITTED + 2_500, HEARTBEAT_MS));
        // A node clock slightly ahead of ours never gives a negative lag.
        stats.batchPublished(COMMITTED + 5_000, false, COMMITTED + 4_900);
        assertEquals(0, stats.lagMillis(COMMITTED + 4_950, HEARTBEAT_MS));
    }

    @Test
    void anIdleNodeWithHeartbeatsHasNoLagUntilAHeartbeatIsOverdue() {
        final CdcMetrics.NodeStats stats = metrics.node("worker2");
        stats.batchPublished(COMMITTED, false, COMMITTED + 200);
        stats.batchPublished(-1, true, COMMITTED + 10_000);
        assertEquals(0, stats.lagMillis(COMMITTED + 15_000, HEARTBEAT_MS), "idle: nothing is behind");
        assertEquals(0, stats.lagMillis(COMMITTED + 20_000, HEARTBEAT_MS), "the next heartbeat is due now");
        assertEquals(45_000, stats.lagMillis(COMMITTED + 65_000, HEARTBEAT_MS), "stalled for 45 s past the due time");
        // Changes again: back to their age.
        stats.batchPublished(COMMITTED + 70_000, false, COMMITTED + 70_100);
        assertEquals(400, stats.lagMillis(COMMITTED + 70_400, HEARTBEAT_MS));
    }

    @Test
    void thePublisherRecordsTheCommitTimeOfAcknowledgedChangesAndTheHeartbeatsAfterThem() throws Exception {
        final CdcConfig config = new CdcConfig(CdcConfigTest.minimal());
        final ChangePublisher publisher = new ChangePublisher(config.nodes().get(0), config,
            new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer()),
            new AvroSerializer<IndexedRecord>(new InMemorySchemaRegistry(), false), metrics);
        final SourceRecord change = DebeziumRecords.change("users_102009", "u",
            DebeziumRecords.user(42L, "CO", "PREMIUM"), Map.of("user_id", 42L), 901L);
        final SourceRecord heartbeat = new SourceRecord(Map.of("server", "melody-cdc-worker1"),
            Map.of("lsn", 902L), "__debezium-heartbeat.melody-cdc-worker1", null, null, null, null, null);

        publisher.handleBatch(List.of(event(heartbeat), event(change)), new Committer());
        final CdcMetrics.NodeStats stats = metrics.node("worker1");
        assertEquals(3_000, stats.lagMillis(COMMITTED + 3_000, HEARTBEAT_MS),
            "a heartbeat before the change does not hide it");

        publisher.handleBatch(List.of(event(heartbeat)), new Committer());
        final long now = System.currentTimeMillis();
        assertEquals(0, stats.lagMillis(now, HEARTBEAT_MS));
        final long overdue = stats.lagMillis(now + 25_000, HEARTBEAT_MS);
        assertTrue(overdue > 14_000 && overdue <= 15_000, "overdue by " + overdue);
    }

    @Test
    void theScrapeHoldsTheSharedMetricsAndOneSeriesPerNode() throws Exception {
        metrics.published("worker1", 1_200);
        metrics.published("worker2", 800);
        metrics.deadLetter("worker2", "null-in-required-field");
        metrics.deadLetter("worker2", "null-in-required-field");
        metrics.deadLetter("worker1", "unknown-table");
        final CdcMetrics.NodeStats worker1 = metrics.node("worker1");
        worker1.state("RUNNING");
        worker1.slot(48_234_496L, 16_384L);
        worker1.batchPublished(COMMITTED, false, COMMITTED + 100);
        final CdcMetrics.NodeStats worker2 = metrics.node("worker2");
        worker2.state("RETRYING");
        final AtomicBoolean running = new AtomicBoolean(true);
        final CdcPrometheus collector = new CdcPrometheus(metrics, "melody_cdc", HEARTBEAT_MS, running::get,
            Map::of, Clock.fixed(Instant.ofEpochMilli(COMMITTED + 2_250), ZoneOffset.UTC));

        final PrometheusText text = new PrometheusText();
        collector.collect(text);
        final PrometheusScrape scrape = PrometheusScrape.parse(text.render());

        assertEquals(1.0, scrape.value(MelodyMetrics.UP, "app", "cdc"));
        assertEquals(2_003.0, scrape.value(MelodyMetrics.RECORDS_PROCESSED, "app", "cdc"));
        assertEquals(2.0, scrape.value(MelodyMetrics.DEAD_LETTERS, "app", "cdc", "reason", "null-in-required-field"));
        assertEquals(2.25, scrape.value(MelodyMetrics.CDC_LAG, "app", "cdc", "node", "worker1"));
        assertNull(scrape.value(MelodyMetrics.CDC_LAG, "app", "cdc", "node", "worker2"), "nothing published yet");
        assertEquals(48_234_496.0, scrape.value(MelodyMetrics.CDC_SLOT_RETAINED_WAL, "app", "cdc", "node", "worker1",
            "slot", "melody_cdc"));
        assertEquals(List.of(), scrape.samples(MelodyMetrics.CDC_SLOT_RETAINED_WAL, "node", "worker2"),
            "not measured: no value rather than -1");
        assertEquals(1.0, scrape.value(CdcPrometheus.NODE_STATE, "app", "cdc", "node", "worker2", "state",
            "RETRYING"));
        assertEquals(0.0, scrape.value(CdcPrometheus.NODE_STATE, "app", "cdc", "node", "worker2", "state",
            "RUNNING"));
        assertEquals(800.0, scrape.value(CdcPrometheus.CHANGES_PUBLISHED, "app", "cdc", "node", "worker2"));

        running.set(false);
        final PrometheusText failed = new PrometheusText();
        collector.collect(failed);
        assertEquals(0.0, PrometheusScrape.parse(failed.render()).value(MelodyMetrics.UP, "app", "cdc"));
        final List<String> lint = PrometheusScrape.promtoolLint(text.render());
        if (lint != null) {
            assertEquals(List.of(), lint);
        }
    }

    private static RecordChangeEvent<SourceRecord> event(final SourceRecord record) {
        return () -> record;
    }

    private static final class Committer implements DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> {

        @Override
        public void markProcessed(final RecordChangeEvent<SourceRecord> record) {
        }

        @Override
        public void markBatchFinished() {
        }

        @Override
        public DebeziumEngine.Offsets buildOffsets() {
            return null;
        }

        @Override
        public void markProcessed(final RecordChangeEvent<SourceRecord> record, final DebeziumEngine.Offsets offsets) {
        }
    }
}
