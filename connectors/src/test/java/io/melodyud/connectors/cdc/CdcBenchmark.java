package io.melodyud.connectors.cdc;

import io.melodyud.ops.citus.CitusLayout;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Commit-to-topic latency and throughput of CDC on the local stack (see docs/benchmarks.md and ops/bench/cdc.sh).
 * Writers insert users into the shard tables of both workers (a scratch database of the run's own) at a steady
 * rate ({@code --rate}, row changes per second; 0 = as fast as they can), in transactions of {@code --batch}
 * rows; the connector runs in this JVM; a consumer of the users topic measures, for each record, the time from
 * the source transaction's commit (the record timestamp, which CDC sets to the commit time) to the moment the
 * consumer receives it. Same machine, same clock. The first {@code --warmup} seconds are not measured.
 */
public final class CdcBenchmark {

    private CdcBenchmark() {
    }

    public static void main(final String[] args) throws Exception {
        final Map<String, String> options = new HashMap<>(Map.of("--rate", "5000", "--duration", "60",
            "--warmup", "10", "--batch", "50", "--writers", "4"));
        for (int i = 0; i + 1 < args.length; i += 2) {
            options.put(args[i], args[i + 1]);
        }
        final int rate = Integer.parseInt(options.get("--rate"));
        final int duration = Integer.parseInt(options.get("--duration"));
        final int warmup = Integer.parseInt(options.get("--warmup"));
        final int batch = Integer.parseInt(options.get("--batch"));
        final int writers = Integer.parseInt(options.get("--writers"));
        try (CdcScratch scratch = new CdcScratch("bench")) {
            final Map<String, String> settings = scratch.settings(null);
            settings.put("cdc.heartbeat.interval.ms", "10000");
            settings.put("cdc.offset.flush.interval.ms", "1000");
            settings.put("cdc.slot.monitor.interval.ms", "5000");
            options.forEach((k, v) -> {
                if (k.startsWith("--cdc.") || k.startsWith("--kafka.")) {
                    settings.put(k.substring(2), v);
                }
            });
            final CdcConfig config = new CdcConfig(settings);
            scratch.provision(config);
            final long[] histogram = new long[60_001];
            final AtomicLong measured = new AtomicLong();
            final AtomicLong received = new AtomicLong();
            final AtomicBoolean stop = new AtomicBoolean();
            final AtomicLong written = new AtomicLong();
            try (CdcRunner runner = new CdcRunner(config)) {
                runner.start();
                CdcScratch.sleep(5_000);
                final long measureFrom = System.currentTimeMillis() + warmup * 1000L;
                final long end = System.currentTimeMillis() + (warmup + duration) * 1000L;
                final Thread consumer = new Thread(() -> consume(scratch, histogram, measured, received, measureFrom,
                    end, stop), "bench-consumer");
                consumer.start();
                final List<Thread> threads = new ArrayList<>();
                for (int w = 0; w < writers; w++) {
                    final int writer = w;
                    final Thread thread = new Thread(() -> write(scratch, writer, writers, rate, batch, end, written),
                        "bench-writer-" + w);
                    threads.add(thread);
                    thread.start();
                }
                final long writtenAtStart = waitUntil(measureFrom, written);
                final long receivedAtStart = received.get();
                final long writtenAtEnd = waitUntil(end, written);
                final long receivedAtEnd = received.get();
                for (final Thread thread : threads) {
                    thread.join();
                }
                CdcScratch.sleep(3_000);
                stop.set(true);
                consumer.join();
                final double writeRate = (writtenAtEnd - writtenAtStart) / (double) duration;
                final double cdcRate = (receivedAtEnd - receivedAtStart) / (double) duration;
                System.out.printf("date=%s rate.target=%d writers=%d batch=%d duration=%ds%n", Instant.now(), rate,
                    writers, batch, duration);
                System.out.printf("written=%.0f/s published=%.0f/s (records received by the consumer during the "
                    + "measured window)%n", writeRate, cdcRate);
                System.out.printf("commit-to-consumer latency ms: p50=%d p90=%d p99=%d p99.9=%d max=%d "
                    + "(n=%d)%n", percentile(histogram, measured.get(), 0.50),
                    percentile(histogram, measured.get(), 0.90), percentile(histogram, measured.get(), 0.99),
                    percentile(histogram, measured.get(), 0.999), percentile(histogram, measured.get(), 1.0),
                    measured.get());
                System.out.printf("dead letters=%d, slot WAL retained at end: %s bytes%n",
                    runner.metrics().deadLetters(), runner.nodes().stream().map(n -> n.name() + "="
                        + runner.metrics().node(n.name()).getRetainedWalBytes()).toList());
            }
        }
    }

    private static long waitUntil(final long time, final AtomicLong counter) {
        final long wait = time - System.currentTimeMillis();
        if (wait > 0) {
            CdcScratch.sleep(wait);
        }
        return counter.get();
    }

    private static void write(final CdcScratch scratch, final int writer, final int writers, final int rate,
                              final int batch, final long end, final AtomicLong written) {
        // Each writer owns the users of one worker (its shard tables), ids unique to it.
        final int worker = writer % scratch.workers.size();
        final Map<String, List<Long>> byShard = new HashMap<>();
        final CitusLayout layout = scratch.layout;
        final double perWriter = rate / (double) writers;
        final long intervalNanos = rate == 0 ? 0 : (long) (batch * 1e9 / perWriter);
        long next = 10_000_000L * (writer + 1);
        try (Connection c = scratch.worker(worker)) {
            c.setAutoCommit(false);
            long due = System.nanoTime();
            while (System.currentTimeMillis() < end) {
                byShard.clear();
                int rows = 0;
                while (rows < batch) {
                    final CitusLayout.Shard shard = layout.shardFor("users", next);
                    if (shard.workers().get(0) == worker) {
                        byShard.computeIfAbsent(shard.tableName(), t -> new ArrayList<>()).add(next);
                        rows++;
                    }
                    next++;
                }
                for (final Map.Entry<String, List<Long>> shard : byShard.entrySet()) {
                    try (PreparedStatement st = c.prepareStatement("INSERT INTO " + shard.getKey() + " (user_id, "
                            + "email, display_name, country, tier, signup_at) SELECT id, 'u' || id || '@example.com',"
                            + " 'Oyente', 'MX', 'FREE', now() FROM unnest(?::bigint[]) AS id")) {
                        st.setArray(1, c.createArrayOf("bigint", shard.getValue().toArray()));
                        st.executeUpdate();
                    }
                }
                c.commit();
                written.addAndGet(rows);
                if (intervalNanos > 0) {
                    due += intervalNanos;
                    final long sleep = due - System.nanoTime();
                    if (sleep > 0) {
                        LockSupport.parkNanos(sleep);
                    }
                }
            }
        } catch (final SQLException e) {
            throw new IllegalStateException("writer " + writer + ": " + e.getMessage(), e);
        }
    }

    private static void consume(final CdcScratch scratch, final long[] histogram, final AtomicLong measured,
                                final AtomicLong received, final long measureFrom, final long end,
                                final AtomicBoolean stop) {
        final String topic = scratch.topic(LogicalTable.USERS);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, scratch.stack.kafkaBootstrapServers(),
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false, ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 10_000),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            final List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            while (!stop.get()) {
                for (final ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(100))) {
                    final long now = System.currentTimeMillis();
                    received.incrementAndGet();
                    if (record.timestamp() >= measureFrom && record.timestamp() < end) {
                        final int latency = (int) Math.max(0, Math.min(histogram.length - 1,
                            now - record.timestamp()));
                        histogram[latency]++;
                        measured.incrementAndGet();
                    }
                }
            }
        }
    }

    private static long percentile(final long[] histogram, final long count, final double p) {
        final long rank = Math.max(1, (long) Math.ceil(p * count));
        long seen = 0;
        for (int ms = 0; ms < histogram.length; ms++) {
            seen += histogram[ms];
            if (seen >= rank) {
                return ms;
            }
        }
        return histogram.length - 1;
    }
}
