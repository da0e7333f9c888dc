package io.melodyud.sinks.common;

import io.melodyud.contracts.metrics.MetricsServer;
import io.melodyud.contracts.registry.SchemaRegistry;
import io.melodyud.contracts.registry.SchemaRegistryClient;
import java.time.Clock;
import java.util.concurrent.CountDownLatch;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A sink process: its consumer loop, writer, dead-letter producer and metrics endpoint ({@code metrics.port}),
 * started and stopped together.
 */
public final class SinkApp implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SinkApp.class);

    private final String name;
    private final SinkRunner runner;
    private final BatchWriter writer;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final KafkaProducer<byte[], byte[]> producer;
    private final SinkCounters counters;
    private final int metricsPort;
    private final SinkPrometheus metrics;
    private volatile boolean running;

    private SinkApp(final String name, final SinkRunner runner, final BatchWriter writer,
                    final KafkaConsumer<byte[], byte[]> consumer, final KafkaProducer<byte[], byte[]> producer,
                    final SinkCounters counters, final int metricsPort) {
        this.name = name;
        this.runner = runner;
        this.writer = writer;
        this.consumer = consumer;
        this.producer = producer;
        this.counters = counters;
        this.metricsPort = metricsPort;
        this.metrics = new SinkPrometheus(name, counters, () -> running, consumer.metrics(), producer.metrics(),
            Clock.systemUTC());
    }

    public static SinkApp create(final String name, final SinkConfig config,
                                 final Function<SinkCounters, BatchWriter> writerFactory) {
        final SinkCounters counters = new SinkCounters();
        final SchemaRegistry registry = new SchemaRegistryClient(config.registryConfig());
        final KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config.consumerProperties(),
            SinkConfig.bytes(), SinkConfig.bytes());
        final KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(config.producerProperties(),
            new ByteArraySerializer(), new ByteArraySerializer());
        final BatchWriter writer = writerFactory.apply(counters);
        final DeadLetters deadLetters = new DeadLetters(producer, config.deadLetterTopic(), counters);
        final SinkRunner runner = new SinkRunner(name, config, consumer, writer, deadLetters, registry, counters);
        return new SinkApp(name, runner, writer, consumer, producer, counters, config.metricsPort());
    }

    /** Runs the consumer loop on the calling thread until {@link #stop()}. */
    public void run() throws Exception {
        final MetricsServer server = MetricsServer.startIfEnabled(metricsPort, metrics, name);
        running = true;
        try {
            runner.run();
        } finally {
            running = false;
            if (server != null) {
                server.close();
            }
            consumer.close();
            producer.close();
            writer.close();
            LOG.info("{} stopped: {}", name, counters.snapshot());
        }
    }

    /** Asks the loop to stop (from another thread). */
    public void stop() {
        runner.close();
    }

    public SinkCounters counters() {
        return counters;
    }

    /** What {@code GET /metrics} serves. */
    public SinkPrometheus metrics() {
        return metrics;
    }

    @Override
    public void close() {
        stop();
    }

    /** Runs {@code app} on the main thread; SIGTERM stops it cleanly. */
    public static void runUntilStopped(final SinkApp app) throws Exception {
        final CountDownLatch stopped = new CountDownLatch(1);
        final Thread main = Thread.currentThread();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            app.stop();
            try {
                stopped.await();
            } catch (final InterruptedException e) {
                main.interrupt();
            }
        }, "shutdown"));
        try {
            app.run();
        } finally {
            stopped.countDown();
        }
    }
}
