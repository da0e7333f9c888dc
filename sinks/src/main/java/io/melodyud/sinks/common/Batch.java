package io.melodyud.sinks.common;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * Records buffered for one write, and the consumer position the batch covers: for each partition the offset after
 * the last record taken, whether that record was decoded, sent to the dead-letter topic or skipped. Storing these
 * offsets once the batch is written acknowledges all of it.
 */
public final class Batch {

    /** A record that did not decode, to send to the dead-letter topic with the batch. */
    public record Undecodable(ConsumerRecord<byte[], byte[]> source, String reason, Exception error) {
    }

    private final List<SinkRecord> records = new ArrayList<>();
    private final List<Undecodable> undecodable = new ArrayList<>();
    private final Map<TopicPartition, Long> nextOffsets = new HashMap<>();
    private final Map<TopicPartition, Long> firstOffsets = new HashMap<>();
    private boolean deadLettersSent;

    public void add(final SinkRecord record) {
        records.add(record);
        advance(record.source());
    }

    public void addUndecodable(final Undecodable record) {
        undecodable.add(record);
        advance(record.source());
    }

    /** Moves past a record that needs no write (a tombstone). */
    public void advance(final ConsumerRecord<byte[], byte[]> record) {
        final TopicPartition partition = new TopicPartition(record.topic(), record.partition());
        firstOffsets.putIfAbsent(partition, record.offset());
        nextOffsets.merge(partition, record.offset() + 1, Math::max);
    }

    public List<SinkRecord> records() {
        return Collections.unmodifiableList(records);
    }

    public List<Undecodable> undecodable() {
        return Collections.unmodifiableList(undecodable);
    }

    /** Offset to resume from, per partition the batch touched. */
    public Map<TopicPartition, Long> nextOffsets() {
        return Collections.unmodifiableMap(nextOffsets);
    }

    /** Offset of the first record taken, per partition: where to rewind to when the batch is discarded. */
    public Map<TopicPartition, Long> firstOffsets() {
        return Collections.unmodifiableMap(firstOffsets);
    }

    public boolean isEmpty() {
        return nextOffsets.isEmpty();
    }

    public int size() {
        return records.size() + undecodable.size();
    }

    boolean deadLettersSent() {
        return deadLettersSent;
    }

    void markDeadLettersSent() {
        deadLettersSent = true;
    }
}
