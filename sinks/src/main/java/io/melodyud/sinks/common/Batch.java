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

    /** Adds a decoded record; its position is recorded by {@link #advance} for the whole poll. */
    public void add(final SinkRecord record) {
        records.add(record);
    }

    public void addUndecodable(final Undecodable record) {
        undecodable.add(record);
    }

    /**
     * Records that the batch covers {@code partition} from {@code first} to {@code last} inclusive: every record
     * taken from it, written, dead-lettered or skipped. Called once per partition and poll rather than per record.
     */
    public void advance(final TopicPartition partition, final long first, final long last) {
        firstOffsets.putIfAbsent(partition, first);
        nextOffsets.merge(partition, last + 1, Math::max);
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
