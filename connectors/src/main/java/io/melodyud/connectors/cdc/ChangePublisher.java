package io.melodyud.connectors.cdc;

import io.melodyud.contracts.topics.DeadLetterHeaders;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.avro.generic.IndexedRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.LongSerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Receives one node's change events from its Debezium engine and publishes them: each row change to the logical
 * topic of its table (keyed by the table's key column, value the after-state in the contract's Avro, or a
 * tombstone for a delete), each change that cannot be converted to {@code melody.dlq.cdc}. A batch is
 * acknowledged to the engine ({@code markProcessed}, {@code markBatchFinished}) only once the broker has
 * acknowledged every record of it, so that an offset is never committed ahead of its records: a crash repeats
 * changes, it never skips them.
 */
public final class ChangePublisher implements DebeziumEngine.ChangeConsumer<RecordChangeEvent<SourceRecord>> {

    /** Dead-letter headers: the same names as the topologies' dead letters. */
    public static final String REASON_HEADER = DeadLetterHeaders.REASON;
    public static final String MESSAGE_HEADER = DeadLetterHeaders.MESSAGE;
    public static final String EXCEPTION_HEADER = DeadLetterHeaders.EXCEPTION;
    public static final String STAGE_HEADER = DeadLetterHeaders.STAGE;
    public static final String TOPIC_HEADER = DeadLetterHeaders.SOURCE_TOPIC;
    public static final String NODE_HEADER = "melody.source.node";
    public static final String TABLE_HEADER = "melody.source.table";
    public static final String LSN_HEADER = "melody.source.lsn";
    public static final String STAGE_CONVERSION = "conversion";

    private static final Logger LOG = LoggerFactory.getLogger(ChangePublisher.class);
    private static final String HEARTBEAT_TOPIC_PREFIX = "__debezium-heartbeat";

    private final Node node;
    private final CdcConfig config;
    private final Producer<byte[], byte[]> producer;
    private final Serializer<IndexedRecord> valueSerializer;
    private final CdcMetrics metrics;
    private final LongSerializer keySerializer = new LongSerializer();
    private final JsonConverter json = new JsonConverter();

    public ChangePublisher(final Node node, final CdcConfig config, final Producer<byte[], byte[]> producer,
                           final Serializer<IndexedRecord> valueSerializer, final CdcMetrics metrics) {
        this.node = node;
        this.config = config;
        this.producer = producer;
        this.valueSerializer = valueSerializer;
        this.metrics = metrics;
        json.configure(Map.of("schemas.enable", "false", "converter.type", "value"));
    }

    @Override
    public void handleBatch(final List<RecordChangeEvent<SourceRecord>> records,
                            final DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer)
            throws InterruptedException {
        final List<Future<RecordMetadata>> sends = new ArrayList<>(records.size());
        int changes = 0;
        long newestCommit = -1;
        boolean endsWithHeartbeat = false;
        for (final RecordChangeEvent<SourceRecord> event : records) {
            final ProducerRecord<byte[], byte[]> out = toProducerRecord(event.record());
            if (out != null) {
                sends.add(producer.send(out));
                if (out.topic().equals(config.heartbeatsTopic())) {
                    endsWithHeartbeat = true;
                } else if (!out.topic().equals(config.dlqTopic())) {
                    changes++;
                    endsWithHeartbeat = false;
                    // Change events carry their commit time as timestamp; snapshot rows have none.
                    if (out.timestamp() != null) {
                        newestCommit = Math.max(newestCommit, out.timestamp());
                    }
                }
            }
        }
        for (final Future<RecordMetadata> send : sends) {
            try {
                send.get();
            } catch (final ExecutionException e) {
                // Nothing of this batch is acknowledged: the engine stops, and restarts from the last committed
                // offset, so these changes are published again rather than lost.
                throw new ConnectException("Kafka did not acknowledge a change of node " + node.name() + ": "
                    + e.getCause().getMessage(), e.getCause());
            }
        }
        for (final RecordChangeEvent<SourceRecord> event : records) {
            committer.markProcessed(event);
        }
        committer.markBatchFinished();
        metrics.published(node.name(), changes);
        metrics.node(node.name()).batchPublished(newestCommit, endsWithHeartbeat, System.currentTimeMillis());
    }

    /** The record to produce for a Debezium record, or null for records with nothing to publish. */
    ProducerRecord<byte[], byte[]> toProducerRecord(final SourceRecord record) {
        if (record.topic().startsWith(HEARTBEAT_TOPIC_PREFIX)) {
            return new ProducerRecord<>(config.heartbeatsTopic(), utf8(node.name()),
                utf8(String.valueOf(record.sourceOffset())));
        }
        if (!(record.value() instanceof Struct envelope) || envelope.schema().field("op") == null) {
            // Debezium's own tombstones are off (tombstones.on.delete=false); we write ours for deletes.
            return null;
        }
        final Struct source = envelope.getStruct("source");
        final String physicalTable = source.getString("table");
        final String op = envelope.getString("op");
        final boolean snapshot = "r".equals(op);
        final Long lsn = snapshot ? null : source.getInt64("lsn");
        final Long committedAt = snapshot ? null : source.getInt64("ts_ms");
        final LogicalTable table = ShardRouting.logicalTable(physicalTable).orElse(null);
        final Struct row = "d".equals(op) ? envelope.getStruct("before") : envelope.getStruct("after");
        try {
            if (table == null) {
                throw new ConversionException("unknown-table", "Table " + physicalTable + " is not a shard of a "
                    + "published table");
            }
            final long key = key(table, record, row);
            final String topic = config.topic(table);
            final byte[] keyBytes = keySerializer.serialize(topic, key);
            if ("d".equals(op)) {
                return new ProducerRecord<>(topic, null, committedAt, keyBytes, (byte[]) null);
            }
            if (!"c".equals(op) && !"u".equals(op) && !"r".equals(op)) {
                throw new ConversionException("unsupported-operation", "Operation " + op + " is not published");
            }
            final IndexedRecord value = RowConverter.convert(table.valueSchema(), row, lsn, committedAt);
            final byte[] valueBytes;
            try {
                valueBytes = valueSerializer.serialize(topic, value);
            } catch (final SerializationException e) {
                throw new ConversionException("contract-violation", e.getMessage(), e);
            }
            return new ProducerRecord<>(topic, null, committedAt, keyBytes, valueBytes);
        } catch (final ConversionException e) {
            metrics.deadLetter(node.name(), e.reason());
            LOG.warn("Dead letter from node {} table {} at LSN {}: {} ({})", node.name(), physicalTable,
                source.get("lsn"), e.reason(), e.getMessage());
            return deadLetter(record, table, row, op, physicalTable, source.get("lsn"), e);
        }
    }

    private static long key(final LogicalTable table, final SourceRecord record, final Struct row)
            throws ConversionException {
        if (!(record.key() instanceof Struct key)) {
            throw new ConversionException("no-primary-key", "Table has no primary key: its changes cannot be "
                + "keyed, compacted or deleted downstream");
        }
        Object value = key.schema().field(table.keyColumn()) != null ? key.get(table.keyColumn()) : null;
        if (value == null && row != null && row.schema().field(table.keyColumn()) != null) {
            value = row.get(table.keyColumn());
        }
        if (!(value instanceof Number number)) {
            throw new ConversionException("no-key-column", "Key column " + table.keyColumn() + " is missing or "
                + "not a number (" + value + ")");
        }
        return number.longValue();
    }

    private ProducerRecord<byte[], byte[]> deadLetter(final SourceRecord record, final LogicalTable table,
                                                      final Struct row, final String op,
                                                      final String physicalTable, final Object lsn,
                                                      final ConversionException error) {
        final Headers headers = new RecordHeaders();
        headers.add(REASON_HEADER, utf8(error.reason()));
        headers.add(MESSAGE_HEADER, utf8(String.valueOf(error.getMessage())));
        final Throwable cause = error.getCause() != null ? error.getCause() : error;
        headers.add(EXCEPTION_HEADER, utf8(cause.getClass().getName()));
        headers.add(STAGE_HEADER, utf8(STAGE_CONVERSION));
        headers.add(TOPIC_HEADER, utf8(record.topic()));
        headers.add(NODE_HEADER, utf8(node.name()));
        headers.add(TABLE_HEADER, utf8(String.valueOf(physicalTable)));
        headers.add(LSN_HEADER, utf8(String.valueOf(lsn)));
        // Key as Debezium saw it; the value holds only the columns the contract publishes (as text), so that
        // personal data (e-mail, name) never leaves the operational database, not even through the DLQ.
        final byte[] key = record.key() == null ? null
            : json.fromConnectData(record.topic(), record.keySchema(), record.key());
        final Map<String, Object> visible = new LinkedHashMap<>();
        visible.put("op", op);
        if (table != null && row != null) {
            for (final org.apache.avro.Schema.Field field : table.valueSchema().getFields()) {
                if (row.schema().field(field.name()) != null) {
                    final Object columnValue = row.get(field.name());
                    visible.put(field.name(), columnValue == null ? null : columnValue.toString());
                }
            }
        }
        final byte[] value = json.fromConnectData(record.topic(), null, visible);
        return new ProducerRecord<>(config.dlqTopic(), null, null, key, value, headers);
    }

    private static byte[] utf8(final String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
