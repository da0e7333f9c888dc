package io.melodyud.ops.loadgen;

import io.melodyud.contracts.serde.TopicSerdes;
import io.melodyud.contracts.topics.Topics;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends the {@link EventStream} to Kafka: worker threads build and serialize blocks of events ahead, and one thread
 * sends them in index order, paced on the wall clock (or as fast as the producer goes), until the event count or
 * the duration is reached or it is stopped. Sending in index order keeps the report exact: a run always sent
 * indexes {@code [0, nextIndex)}.
 */
public final class LoadGenerator {

    private static final Logger LOG = LoggerFactory.getLogger(LoadGenerator.class);

    private final LoadGenConfig config;
    private final ReferenceData reference;
    private final StreamSpec spec;
    private final Producer<byte[], byte[]> producer;
    private final Serializer<Long> keys;
    private final Map<GeneratedEvent.Kind, Serializer<SpecificRecord>> values = new EnumMap<>(GeneratedEvent.Kind.class);
    private final Map<GeneratedEvent.Kind, String> topics = new EnumMap<>(GeneratedEvent.Kind.class);

    /** A block of events, built and serialized by a worker. */
    private record Batch(GeneratedEvent[] events, byte[][] keys, byte[][] values, long[] dueNanos) {
    }

    @SuppressWarnings("unchecked")
    public LoadGenerator(final LoadGenConfig config, final ReferenceData reference, final Instant now,
                         final TopicSerdes serdes, final Producer<byte[], byte[]> producer) {
        this.config = config;
        this.reference = reference;
        this.spec = config.streamSpec(now);
        this.producer = producer;
        this.keys = serdes.key(Topics.PLAYS).serializer();
        values.put(GeneratedEvent.Kind.PLAY, (Serializer<SpecificRecord>) (Serializer<?>) serdes.value(Topics.PLAYS)
            .serializer());
        values.put(GeneratedEvent.Kind.IMPRESSION, (Serializer<SpecificRecord>) (Serializer<?>) serdes
            .value(Topics.AD_IMPRESSIONS).serializer());
        values.put(GeneratedEvent.Kind.CLICK, (Serializer<SpecificRecord>) (Serializer<?>) serdes
            .value(Topics.AD_CLICKS).serializer());
        topics.put(GeneratedEvent.Kind.PLAY, config.topicPlays());
        topics.put(GeneratedEvent.Kind.IMPRESSION, config.topicImpressions());
        topics.put(GeneratedEvent.Kind.CLICK, config.topicClicks());
    }

    public StreamSpec spec() {
        return spec;
    }

    /** Topic names by kind name, for {@link LoadReport#toJson}. */
    public Map<String, String> topicNames() {
        final Map<String, String> names = new HashMap<>();
        topics.forEach((kind, topic) -> names.put(kind.name(), topic));
        return names;
    }

    /** Runs until done or until {@code stop} is set; then flushes the producer and reports. */
    public LoadReport run(final AtomicBoolean stop) throws InterruptedException {
        final long maxEvents = config.maxEvents();
        final long durationNanos = config.durationMs() * 1_000_000L;
        final double nanosPerEventMs = 1_000_000.0 / config.speedup();
        final boolean paced = config.paced();
        final int threads = config.threads();
        final AtomicInteger workerNumber = new AtomicInteger();
        final ExecutorService workers = Executors.newFixedThreadPool(threads, r -> {
            final Thread thread = new Thread(r, "loadgen-worker-" + workerNumber.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        final ThreadLocal<EventStream> streams = ThreadLocal.withInitial(() -> new EventStream(spec, reference));
        final ArrayDeque<Future<Batch>> ahead = new ArrayDeque<>();
        final int window = threads * 8;
        long nextBlock = 0;

        final Map<GeneratedEvent.Kind, LoadReport.TopicCounts> counts = new EnumMap<>(GeneratedEvent.Kind.class);
        for (final GeneratedEvent.Kind kind : GeneratedEvent.Kind.values()) {
            counts.put(kind, new LoadReport.TopicCounts());
        }
        final AtomicLong delivered = new AtomicLong();
        final AtomicLong failed = new AtomicLong();
        final AtomicReference<Exception> firstError = new AtomicReference<>();
        final Callback callback = (metadata, exception) -> {
            if (exception == null) {
                delivered.incrementAndGet();
            } else {
                failed.incrementAndGet();
                if (firstError.compareAndSet(null, exception)) {
                    LOG.error("Send failed; stopping", exception);
                }
            }
        };

        final DailyRhythm clock = new DailyRhythm(spec.startMs(), spec.density(), spec.rhythm());
        final long start = System.nanoTime();
        long lastProgress = start;
        long index = 0;
        try {
            sending:
            while (true) {
                while (ahead.size() < window) {
                    final long block = nextBlock++;
                    ahead.add(workers.submit(() -> build(streams.get(), block, nanosPerEventMs)));
                }
                final Batch batch = get(ahead.poll());
                for (int i = 0; i < batch.events().length; i++) {
                    if (paced) {
                        final long due = batch.dueNanos()[i];
                        long wait;
                        // Parking has a granularity of about 50 us: sleep only when well ahead, send in bursts.
                        while ((wait = due - (System.nanoTime() - start)) > 200_000) {
                            if (stop.get()) {
                                break sending;
                            }
                            if (durationNanos > 0 && due >= durationNanos) {
                                LockSupport.parkNanos(durationNanos - (System.nanoTime() - start));
                                break sending;
                            }
                            LockSupport.parkNanos(Math.min(wait, 100_000_000L));
                        }
                    }
                    if (stop.get() || firstError.get() != null || (maxEvents > 0 && index >= maxEvents)
                            || (durationNanos > 0 && System.nanoTime() - start >= durationNanos)) {
                        break sending;
                    }
                    final GeneratedEvent event = batch.events()[i];
                    producer.send(new ProducerRecord<>(topics.get(event.kind()), batch.keys()[i], batch.values()[i]),
                        callback);
                    counts.get(event.kind()).add(event);
                    index++;
                }
                if (config.progressIntervalMs() > 0
                        && System.nanoTime() - lastProgress > config.progressIntervalMs() * 1_000_000L) {
                    lastProgress = System.nanoTime();
                    final double seconds = (lastProgress - start) / 1e9;
                    LOG.info("sent {} events in {} s ({}/s), {} acknowledged, event time {}", index,
                        Math.round(seconds), Math.round(index / seconds), delivered.get(),
                        Instant.ofEpochMilli(clock.timeMs(index)));
                }
            }
        } finally {
            ahead.forEach(f -> f.cancel(true));
            workers.shutdownNow();
        }
        producer.flush();
        final long elapsedMs = (System.nanoTime() - start) / 1_000_000L;
        final Map<String, LoadReport.TopicCounts> byTopic = new HashMap<>();
        counts.forEach((kind, c) -> byTopic.computeIfAbsent(topics.get(kind), t -> new LoadReport.TopicCounts())
            .addAll(c));
        final LoadReport report = new LoadReport(spec, reference.sizes(), byTopic, index, delivered.get(),
            failed.get(), elapsedMs);
        if (firstError.get() != null) {
            LOG.error("{} of {} records were not delivered; first error: {}", failed.get(), index,
                firstError.get().toString());
        }
        return report;
    }

    private Batch build(final EventStream stream, final long block, final double nanosPerEventMs) {
        final int n = EventStream.BLOCK;
        final GeneratedEvent[] events = new GeneratedEvent[n];
        final byte[][] keyBytes = new byte[n][];
        final byte[][] valueBytes = new byte[n][];
        final long[] due = new long[n];
        for (int i = 0; i < n; i++) {
            final long index = block * n + i;
            final GeneratedEvent event = stream.event(index);
            final String topic = topics.get(event.kind());
            events[i] = event;
            keyBytes[i] = keys.serialize(topic, event.key());
            valueBytes[i] = values.get(event.kind()).serialize(topic, event.value());
            due[i] = (long) (stream.clock().sinceStartMs(index) * nanosPerEventMs);
        }
        return new Batch(events, keyBytes, valueBytes, due);
    }

    private static Batch get(final Future<Batch> future) throws InterruptedException {
        try {
            return future.get();
        } catch (final ExecutionException e) {
            throw new IllegalStateException("Building events failed: " + e.getCause().getMessage(), e.getCause());
        }
    }
}
