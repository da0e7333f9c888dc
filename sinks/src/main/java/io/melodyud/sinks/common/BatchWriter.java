package io.melodyud.sinks.common;

import java.util.Collection;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;

/** Writes batches into one store. Used by one thread, the sink's consumer loop. */
public interface BatchWriter extends AutoCloseable {

    /** Prepares the store (migrations); called once before the first batch. */
    void start() throws Exception;

    /**
     * Writes every record of {@code batch}; records that cannot be written go to {@code deadLetters}, which must be
     * flushed before the write is made durable. When {@link #storesOffsets()}, the batch's offsets are stored in the
     * same transaction as its rows. Throws {@link TransientWriteException} when the store is unreachable: nothing
     * is acknowledged and the same batch is written again later.
     */
    void write(Batch batch, DeadLetters deadLetters) throws TransientWriteException;

    /** Whether the store keeps the consumed offsets itself (exactly once) instead of the consumer group. */
    boolean storesOffsets();

    /** The offsets stored in the store for {@code partitions}, when {@link #storesOffsets()}; absent when none. */
    Map<TopicPartition, Long> storedOffsets(Collection<TopicPartition> partitions) throws TransientWriteException;

    @Override
    void close();
}
