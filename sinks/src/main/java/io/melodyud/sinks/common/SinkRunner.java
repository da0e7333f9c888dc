package io.melodyud.sinks.common;

import io.melodyud.contracts.registry.SchemaRegistry;
import io.melodyud.contracts.serde.AvroDeserializer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The consumer loop of a sink: poll, decode, buffer, write a batch when the {@link AdaptiveBatchPolicy} says so, and
 * only then acknowledge the batch's offsets. When the writer keeps offsets in its store, they are stored in the
 * same transaction as the rows and the consumer seeks to them on assignment; otherwise they are committed to the
 * consumer group after the store acknowledged the write. Either way a record is acknowledged only once it is
 * written (or dead-lettered), so a crash anywhere re-delivers, never loses; the stores make a re-delivered record
 * replace rather than add.
 *
 * <p>While the store is unreachable the same batch is retried with exponential backoff, without polling: offsets
 * do not move, nothing new is buffered. If the outage outlasts {@code max.poll.interval.ms} the consumer leaves
 * the group; the commit then fails, the batch is dropped and its records are read again from the last committed
 * offsets.
 */
public final class SinkRunner implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SinkRunner.class);

    private final String name;
    private final SinkConfig config;
    private final Consumer<byte[], byte[]> consumer;
    private final BatchWriter writer;
    private final DeadLetters deadLetters;
    private final SinkCounters counters;
    private final Map<String, SinkStream> topics;
    private final Map<SinkStream, AvroDeserializer<? extends SpecificRecord>> deserializers = new HashMap<>();
    private final AdaptiveBatchPolicy policy;
    private final Set<TopicPartition> assigned = new HashSet<>();
    private volatile boolean closing;
    private Batch batch = new Batch();

    public SinkRunner(final String name, final SinkConfig config, final Consumer<byte[], byte[]> consumer,
                      final BatchWriter writer, final DeadLetters deadLetters, final SchemaRegistry registry,
                      final SinkCounters counters) {
        this.name = name;
        this.config = config;
        this.consumer = consumer;
        this.writer = writer;
        this.deadLetters = deadLetters;
        this.counters = counters;
        this.topics = config.topics();
        this.policy = config.batchPolicy();
        for (final SinkStream stream : topics.values()) {
            deserializers.put(stream, AvroDeserializer.specific(registry, stream.valueClass()));
        }
    }

    /** Runs until {@link #close()} is called from another thread. */
    public void run() throws Exception {
        writer.start();
        consumer.subscribe(new ArrayList<>(topics.keySet()), new Rebalance());
        long nextStats = System.nanoTime() + config.statsIntervalMs() * 1_000_000L;
        try {
            while (!closing) {
                final ConsumerRecords<byte[], byte[]> records =
                    consumer.poll(Duration.ofMillis(policy.pollTimeoutMs(System.nanoTime())));
                final long now = System.nanoTime();
                policy.arrived(records.count(), now);
                for (final TopicPartition partition : records.partitions()) {
                    final List<ConsumerRecord<byte[], byte[]>> taken = records.records(partition);
                    for (final ConsumerRecord<byte[], byte[]> record : taken) {
                        take(record);
                    }
                    batch.advance(partition, taken.get(0).offset(), taken.get(taken.size() - 1).offset());
                }
                if (policy.shouldFlush(System.nanoTime())) {
                    flush();
                }
                if (config.statsIntervalMs() > 0 && now > nextStats) {
                    LOG.info("{}: {} (arrival rate {}/s, batch target {})", name, counters.snapshot(),
                        Math.round(policy.ratePerSecond()), policy.targetRows());
                    nextStats = now + config.statsIntervalMs() * 1_000_000L;
                }
            }
            flush();
        } catch (final WakeupException e) {
            if (!closing) {
                throw e;
            }
            // Shutting down: the buffered batch is dropped unacknowledged and read again on restart.
        }
    }

    private void take(final ConsumerRecord<byte[], byte[]> record) throws TransientWriteException {
        final SinkStream stream = topics.get(record.topic());
        if (record.value() == null) {
            // Compacted output topics may carry tombstones; no sink table deletes on them.
            counters.increment(SinkCounters.SKIPPED, "tombstone");
            return;
        }
        final AvroDeserializer<? extends SpecificRecord> deserializer = deserializers.get(stream);
        long backoff = 0;
        while (true) {
            try {
                batch.add(new SinkRecord(stream, deserializer.deserialize(record.topic(), record.value()), record));
                return;
            } catch (final SerializationException e) {
                final String reason = DeadLetters.decodeReason(e);
                if (!"registry-unavailable".equals(reason)) {
                    batch.addUndecodable(new Batch.Undecodable(record, reason, e));
                    return;
                }
                // The registry is down, not the record: wait rather than dead-letter good data.
                counters.increment(SinkCounters.RETRIES, "registry");
                backoff = backoff == 0 ? config.retryBackoffMs() : backoff;
                LOG.warn("{}: registry unavailable, retrying in {} ms: {}", name, backoff, e.getMessage());
                sleep(backoff);
                backoff = Math.min(backoff * 2, config.retryBackoffMaxMs());
                if (closing) {
                    throw new WakeupException();
                }
            }
        }
    }

    /** Writes the buffered batch, retrying until the store takes it, then acknowledges its offsets. */
    void flush() throws TransientWriteException {
        if (batch.isEmpty()) {
            policy.flushed();
            return;
        }
        long backoff = config.retryBackoffMs();
        while (true) {
            try {
                if (!batch.deadLettersSent()) {
                    for (final Batch.Undecodable bad : batch.undecodable()) {
                        deadLetters.send(bad.source(), DeadLetters.STAGE_DECODE, bad.reason(), bad.error());
                    }
                    deadLetters.flush();
                    batch.markDeadLettersSent();
                }
                writer.write(batch, deadLetters);
                break;
            } catch (final TransientWriteException e) {
                counters.increment(SinkCounters.RETRIES, "write");
                LOG.warn("{}: write of {} records failed, retrying in {} ms: {}", name, batch.size(), backoff,
                    e.getMessage());
                sleep(backoff);
                backoff = Math.min(backoff * 2, config.retryBackoffMaxMs());
                if (closing) {
                    throw new WakeupException();
                }
            }
        }
        deadLetters.flush();
        counters.add(SinkCounters.RECORDS, "acknowledged", batch.size());
        counters.increment(SinkCounters.BATCHES, "written");
        acknowledge();
        batch = new Batch();
        policy.flushed();
    }

    private void acknowledge() {
        final Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        batch.nextOffsets().forEach((partition, next) -> offsets.put(partition, new OffsetAndMetadata(next)));
        if (writer.storesOffsets()) {
            // The store holds the authoritative offsets; the group's copy only feeds lag monitoring.
            consumer.commitAsync(offsets, null);
            return;
        }
        try {
            consumer.commitSync(offsets);
        } catch (final CommitFailedException | RebalanceInProgressException e) {
            // We lost the partitions while writing: the new owner re-reads from the last commit and the store
            // replaces the rows we wrote, so dropping the acknowledgement loses nothing.
            LOG.warn("{}: offsets of a written batch could not be committed ({}); its records will be re-read",
                name, e.getMessage());
        }
    }

    /** Drops the buffered batch and rewinds the partitions we keep to its first records. */
    private void discard(final Collection<TopicPartition> keep) {
        batch.firstOffsets().forEach((partition, first) -> {
            if (keep.contains(partition)) {
                consumer.seek(partition, first);
            }
        });
        batch = new Batch();
        policy.flushed();
    }

    private void sleep(final long ms) {
        try {
            Thread.sleep(ms);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new WakeupException();
        }
    }

    public SinkCounters counters() {
        return counters;
    }

    /** Asks the loop to stop; it writes what it buffered if it can and returns from {@link #run()}. */
    @Override
    public void close() {
        closing = true;
        consumer.wakeup();
    }

    /**
     * On revocation the buffered batch is discarded, not written: its offsets were never acknowledged, so the new
     * owner reads those records again, and a write here would block the rebalance while the store is down.
     */
    private final class Rebalance implements ConsumerRebalanceListener {

        @Override
        public void onPartitionsRevoked(final Collection<TopicPartition> partitions) {
            assigned.removeAll(partitions);
            discard(assigned);
        }

        @Override
        public void onPartitionsLost(final Collection<TopicPartition> partitions) {
            onPartitionsRevoked(partitions);
        }

        @Override
        public void onPartitionsAssigned(final Collection<TopicPartition> partitions) {
            assigned.addAll(partitions);
            if (!writer.storesOffsets() || partitions.isEmpty()) {
                return;
            }
            // Where to resume is only known to the store: wait for it rather than guess.
            Map<TopicPartition, Long> stored = null;
            long backoff = config.retryBackoffMs();
            while (stored == null) {
                try {
                    stored = writer.storedOffsets(partitions);
                } catch (final TransientWriteException e) {
                    counters.increment(SinkCounters.RETRIES, "read-offsets");
                    LOG.warn("{}: cannot read the stored offsets, retrying in {} ms: {}", name, backoff,
                        e.getMessage());
                    sleep(backoff);
                    backoff = Math.min(backoff * 2, config.retryBackoffMaxMs());
                    if (closing) {
                        throw new WakeupException();
                    }
                }
            }
            final List<TopicPartition> fresh = new ArrayList<>();
            for (final TopicPartition partition : partitions) {
                final Long offset = stored.get(partition);
                if (offset == null) {
                    fresh.add(partition);
                } else {
                    consumer.seek(partition, offset);
                }
            }
            // The store is the authority: a partition it has no offset for was never written, so start at the
            // beginning whatever the group committed.
            if (!fresh.isEmpty()) {
                consumer.seekToBeginning(fresh);
            }
            LOG.info("{}: resuming {} from stored offsets {}, {} from the beginning", name, partitions.size()
                - fresh.size(), stored, fresh.size());
        }
    }
}
