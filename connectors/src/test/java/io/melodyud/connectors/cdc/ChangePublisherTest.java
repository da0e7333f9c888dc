package io.melodyud.connectors.cdc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.melodyud.avro.cdc.Subscription;
import io.melodyud.avro.cdc.User;
import io.melodyud.contracts.fixtures.InMemorySchemaRegistry;
import io.melodyud.contracts.serde.AvroDeserializer;
import io.melodyud.contracts.serde.AvroSerializer;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.apache.avro.generic.IndexedRecord;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.LongDeserializer;
import org.apache.kafka.connect.source.SourceRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ChangePublisherTest {

    private final InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
    private final CdcConfig config = new CdcConfig(CdcConfigTest.minimal());
    private final CdcMetrics metrics = new CdcMetrics("test-" + System.nanoTime());
    private final Committer committer = new Committer();

    @AfterEach
    void closeMetrics() {
        metrics.close();
    }

    private ChangePublisher publisher(final MockProducer<byte[], byte[]> producer) {
        return new ChangePublisher(config.nodes().get(0), config, producer,
            new AvroSerializer<IndexedRecord>(registry, false), metrics);
    }

    private static MockProducer<byte[], byte[]> producer(final boolean autoComplete) {
        return new MockProducer<>(autoComplete, null, new ByteArraySerializer(), new ByteArraySerializer());
    }

    private static RecordChangeEvent<SourceRecord> event(final SourceRecord record) {
        return () -> record;
    }

    private static Map<String, Long> key(final String column, final long value) {
        final Map<String, Long> key = new LinkedHashMap<>();
        key.put(column, value);
        return key;
    }

    @Test
    void shardInsertIsPublishedOnTheLogicalTopicKeyedByUserIdInWireFormat() throws Exception {
        final MockProducer<byte[], byte[]> producer = producer(true);
        publisher(producer).handleBatch(List.of(event(DebeziumRecords.change("users_102009", "c",
            DebeziumRecords.user(42L, "CO", "PREMIUM"), key("user_id", 42L), 777L))), committer);
        final ProducerRecord<byte[], byte[]> out = producer.history().get(0);
        assertEquals("melody.cdc.users", out.topic());
        assertEquals(42L, new LongDeserializer().deserialize(out.topic(), out.key()));
        assertEquals(0, out.value()[0], "Confluent magic byte");
        final User user = AvroDeserializer.specific(registry, User.class).deserialize(out.topic(), out.value());
        assertEquals(777L, user.getCdcLsn());
        assertEquals(1_793_000_000_000L, out.timestamp(), "record time is the commit time");
        assertEquals(1, committer.processed.size());
        assertTrue(committer.batchFinished);
        assertEquals(1, metrics.changesPublished());
    }

    @Test
    void subscriptionsAreKeyedBySubscriptionIdNotByTheDistributionColumn() throws Exception {
        final MockProducer<byte[], byte[]> producer = producer(true);
        final Map<String, Long> primaryKey = key("user_id", 42L);
        primaryKey.put("subscription_id", 9_000_001L);
        publisher(producer).handleBatch(List.of(event(DebeziumRecords.change("subscriptions_102041", "u",
            DebeziumRecords.subscription(9_000_001L, 42L, new BigDecimal("16900.00")), primaryKey, 778L))),
            committer);
        final ProducerRecord<byte[], byte[]> out = producer.history().get(0);
        assertEquals("melody.cdc.subscriptions", out.topic());
        assertEquals(9_000_001L, new LongDeserializer().deserialize(out.topic(), out.key()));
        assertEquals(42L, AvroDeserializer.specific(registry, Subscription.class)
            .deserialize(out.topic(), out.value()).getUserId());
    }

    @Test
    void deleteBecomesATombstoneOnTheCompactedTopic() throws Exception {
        final MockProducer<byte[], byte[]> producer = producer(true);
        publisher(producer).handleBatch(List.of(event(DebeziumRecords.change("users_102008", "d",
            DebeziumRecords.user(42L, "CO", "FREE"), key("user_id", 42L), 779L))), committer);
        final ProducerRecord<byte[], byte[]> out = producer.history().get(0);
        assertEquals("melody.cdc.users", out.topic());
        assertEquals(42L, new LongDeserializer().deserialize(out.topic(), out.key()));
        assertNull(out.value());
    }

    @Test
    void aRowViolatingItsContractGoesToTheDeadLetterTopicWithReasonAndIsCounted() throws Exception {
        final MockProducer<byte[], byte[]> producer = producer(true);
        publisher(producer).handleBatch(List.of(event(DebeziumRecords.change("users_102008", "c",
            DebeziumRecords.user(43L, null, "FREE"), key("user_id", 43L), 780L))), committer);
        final ProducerRecord<byte[], byte[]> out = producer.history().get(0);
        assertEquals("melody.dlq.cdc", out.topic());
        assertEquals("null-in-required-field", header(out, ChangePublisher.REASON_HEADER));
        assertEquals("conversion", header(out, ChangePublisher.STAGE_HEADER));
        assertEquals("users_102008", header(out, ChangePublisher.TABLE_HEADER));
        assertEquals("worker1", header(out, ChangePublisher.NODE_HEADER));
        assertEquals("780", header(out, ChangePublisher.LSN_HEADER));
        assertTrue(DebeziumRecords.headerNames(out.headers()).containsAll(List.of(ChangePublisher.MESSAGE_HEADER,
            ChangePublisher.EXCEPTION_HEADER, ChangePublisher.TOPIC_HEADER)));
        final String value = new String(out.value(), StandardCharsets.UTF_8);
        assertTrue(value.contains("\"user_id\":\"43\""), value);
        assertFalse(value.contains("@example.co"), "personal data stays out of the DLQ: " + value);
        assertEquals(Map.of("null-in-required-field", 1L), metrics.deadLettersByReason());
        assertEquals(1, committer.processed.size(), "a dead letter is acknowledged like a change");
    }

    @Test
    void aTableWithoutPrimaryKeyGoesToTheDeadLetterTopic() throws Exception {
        final MockProducer<byte[], byte[]> producer = producer(true);
        publisher(producer).handleBatch(List.of(event(DebeziumRecords.change("users_102008", "c",
            DebeziumRecords.user(44L, "CO", "FREE"), null, 781L))), committer);
        assertEquals("no-primary-key", header(producer.history().get(0), ChangePublisher.REASON_HEADER));
    }

    @Test
    void nothingIsAcknowledgedWhenTheBrokerRejectsARecord() {
        final MockProducer<byte[], byte[]> producer = producer(false);
        final ChangePublisher publisher = publisher(producer);
        final CompletableFuture<Void> batch = CompletableFuture.runAsync(() -> {
            try {
                publisher.handleBatch(List.of(
                    event(DebeziumRecords.change("users_102008", "c", DebeziumRecords.user(1L, "CO", "FREE"),
                        key("user_id", 1L), 790L)),
                    event(DebeziumRecords.change("users_102008", "c", DebeziumRecords.user(2L, "CO", "FREE"),
                        key("user_id", 2L), 791L))), committer);
            } catch (final InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        while (producer.history().size() < 2) {
            Thread.onSpinWait();
        }
        producer.completeNext();
        producer.errorNext(new NotEnoughReplicasException("only 1 in-sync replica"));
        final CompletionException e = assertThrows(CompletionException.class, batch::join);
        assertTrue(e.getCause().getMessage().contains("did not acknowledge"), e.getCause().getMessage());
        assertTrue(committer.processed.isEmpty(), "no offset may move past an unacknowledged change");
        assertFalse(committer.batchFinished);
    }

    @Test
    void heartbeatsArePublishedAndAcknowledgedSoIdleSlotsAdvance() throws Exception {
        final MockProducer<byte[], byte[]> producer = producer(true);
        final SourceRecord heartbeat = new SourceRecord(Map.of("server", "melody-cdc-worker1"),
            Map.of("lsn", 800L), "__debezium-heartbeat.melody-cdc-worker1", null, null, null, null, null);
        publisher(producer).handleBatch(List.of(event(heartbeat)), committer);
        assertEquals("melody.cdc.heartbeats", producer.history().get(0).topic());
        assertEquals(1, committer.processed.size());
        assertEquals(0, metrics.changesPublished());
    }

    private static String header(final ProducerRecord<byte[], byte[]> record, final String name) {
        return new String(record.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
    }

    /** Records what the engine was told. */
    private static final class Committer implements DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> {
        final List<RecordChangeEvent<SourceRecord>> processed = new ArrayList<>();
        boolean batchFinished;

        @Override
        public void markProcessed(final RecordChangeEvent<SourceRecord> record) {
            processed.add(record);
        }

        @Override
        public void markBatchFinished() {
            batchFinished = true;
        }

        @Override
        public void markProcessed(final RecordChangeEvent<SourceRecord> record, final DebeziumEngine.Offsets offsets) {
            processed.add(record);
        }

        @Override
        public DebeziumEngine.Offsets buildOffsets() {
            return null;
        }
    }
}
