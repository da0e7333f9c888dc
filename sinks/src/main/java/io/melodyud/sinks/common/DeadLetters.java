package io.melodyud.sinks.common;

import io.melodyud.contracts.topics.DeadLetterHeaders;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends records a sink cannot decode or write to the dead-letter topic, with the original key and value bytes and
 * the same headers as the topologies' dead letters (see {@code DeadLetterHandlers} in the topologies module), and
 * counts them. Sends are asynchronous; {@link #flush()} waits for all of them and must succeed before the offsets
 * of a batch are stored, so that a dead letter is never lost. A crash between the send and the offset commit sends
 * the dead letter again on restart: dead letters are at least once.
 */
public final class DeadLetters {

    public static final String REASON_HEADER = DeadLetterHeaders.REASON;
    public static final String MESSAGE_HEADER = DeadLetterHeaders.MESSAGE;
    public static final String EXCEPTION_HEADER = DeadLetterHeaders.EXCEPTION;
    public static final String STAGE_HEADER = DeadLetterHeaders.STAGE;
    public static final String TOPIC_HEADER = DeadLetterHeaders.SOURCE_TOPIC;
    public static final String PARTITION_HEADER = DeadLetterHeaders.SOURCE_PARTITION;
    public static final String OFFSET_HEADER = DeadLetterHeaders.SOURCE_OFFSET;

    /** Stage of a record that did not decode. */
    public static final String STAGE_DECODE = "deserialization";
    /** Stage of a record that decoded but could not be turned into a row or was refused by the store. */
    public static final String STAGE_WRITE = "sink-write";

    private static final Logger LOG = LoggerFactory.getLogger(DeadLetters.class);

    private final Producer<byte[], byte[]> producer;
    private final String topic;
    private final SinkCounters counters;
    private final List<Future<RecordMetadata>> pending = new ArrayList<>();

    public DeadLetters(final Producer<byte[], byte[]> producer, final String topic, final SinkCounters counters) {
        this.producer = producer;
        this.topic = topic;
        this.counters = counters;
    }

    /** Sends {@code record} to the dead-letter topic with {@code reason}; returns at once. */
    public void send(final ConsumerRecord<byte[], byte[]> record, final String stage, final String reason,
                     final Exception exception) {
        counters.increment(SinkCounters.DEAD_LETTER, reason);
        LOG.warn("Dead letter ({} {}): {}-{}@{}: {}", stage, reason, record.topic(), record.partition(),
            record.offset(), exception.getMessage());
        final Headers headers = new RecordHeaders();
        headers.add(REASON_HEADER, utf8(reason));
        headers.add(MESSAGE_HEADER, utf8(String.valueOf(exception.getMessage())));
        headers.add(EXCEPTION_HEADER, utf8(exception.getClass().getName()));
        headers.add(STAGE_HEADER, utf8(stage));
        headers.add(TOPIC_HEADER, utf8(record.topic()));
        headers.add(PARTITION_HEADER, utf8(Integer.toString(record.partition())));
        headers.add(OFFSET_HEADER, utf8(Long.toString(record.offset())));
        record.headers().forEach(headers::add);
        pending.add(producer.send(new ProducerRecord<>(topic, null, record.timestamp() < 0 ? null
            : record.timestamp(), record.key(), record.value(), headers)));
    }

    /** Waits until every dead letter sent so far is acknowledged; fails when one could not be written. */
    public void flush() throws TransientWriteException {
        if (pending.isEmpty()) {
            return;
        }
        producer.flush();
        try {
            for (final Future<RecordMetadata> future : pending) {
                future.get();
            }
            pending.clear();
        } catch (final ExecutionException e) {
            pending.clear();
            throw new TransientWriteException("Could not write a dead letter to " + topic, e.getCause());
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TransientWriteException("Interrupted while writing dead letters", e);
        }
    }

    /** Classifies decoding failures by the contracts' serde messages, as the topologies do. */
    public static String decodeReason(final Exception exception) {
        final String message = String.valueOf(exception.getMessage());
        if (message.contains("Unknown schema id")) {
            return "unknown-schema-id";
        }
        if (message.contains("magic byte") || message.contains("wire-format header")) {
            return "not-wire-format";
        }
        if (message.contains("Cannot fetch schema id")) {
            return "registry-unavailable";
        }
        return "undecodable";
    }

    private static byte[] utf8(final String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
