package io.melodyud.ops.loadgen;

import io.melodyud.contracts.config.ConfigLoader;
import io.melodyud.contracts.config.LocalStack;
import io.melodyud.contracts.registry.RegistryConfig;
import io.melodyud.contracts.registry.SchemaRegistryClient;
import io.melodyud.contracts.serde.TopicSerdes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code OpsCli loadgen [--config FILE] [--stack FILE] [--SETTING VALUE]...}: runs the load generator. Settings
 * come from the file, then {@code MELODY_*} environment variables, then the command line ({@code --loadgen.rate
 * 5000}); with {@code --stack}, the local stack's broker and registry fill {@code kafka.bootstrap.servers} and
 * {@code schema.registry.url} when they are not set. The report is the last line on standard output (JSON).
 */
public final class LoadGenCli {

    private static final Logger LOG = LoggerFactory.getLogger(LoadGenCli.class);

    private LoadGenCli() {
    }

    /** Parses the arguments after {@code loadgen} into settings. */
    static Map<String, String> settings(final String[] args, final Map<String, String> env) {
        final Map<String, String> options = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("Expected --option value, got: " + args[i]);
            }
            options.put(args[i].substring(2), args[++i]);
        }
        final String file = options.remove("config");
        final String stackFile = options.remove("stack");
        final Map<String, String> settings = ConfigLoader.load(file == null ? null : Path.of(file), env,
            LoadGenConfig.DEFINITION.names());
        for (final String key : options.keySet()) {
            if (!LoadGenConfig.DEFINITION.names().contains(key) && !key.startsWith(LoadGenConfig.KAFKA_PREFIX)) {
                throw new IllegalArgumentException("Unknown setting --" + key + " (see docs/config/loadgen.md)");
            }
        }
        settings.putAll(options);
        if (stackFile != null) {
            final LocalStack stack = LocalStack.load(Path.of(stackFile));
            settings.putIfAbsent(LoadGenConfig.KAFKA_BOOTSTRAP_SERVERS, stack.kafkaBootstrapServers());
            settings.putIfAbsent(RegistryConfig.URL, stack.registryUrl());
        }
        return settings;
    }

    public static int run(final String[] args) throws IOException, InterruptedException {
        final LoadGenConfig config = new LoadGenConfig(settings(args, System.getenv()));
        final ReferenceData reference = config.referenceData();
        final TopicSerdes serdes = new TopicSerdes(new SchemaRegistryClient(config.registryConfig()));
        final AtomicBoolean stop = new AtomicBoolean();
        final CountDownLatch finished = new CountDownLatch(1);
        // SIGTERM stops sending; the hook waits so that the producer is flushed and the report written.
        final Thread hook = new Thread(() -> {
            stop.set(true);
            try {
                finished.await(30, TimeUnit.SECONDS);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "loadgen-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        final LoadReport report;
        try {
            final LoadGenerator generator;
            try (Producer<byte[], byte[]> producer = new KafkaProducer<>(config.producerConfig())) {
                generator = new LoadGenerator(config, reference, Instant.now(), serdes, producer);
                LOG.info("Load generator: seed {}, {} events/s {}, event time from {} ({}x), {}",
                    generator.spec().seed(), config.rate(), config.paced() ? "paced" : "unpaced (as fast as possible)",
                    Instant.ofEpochMilli(generator.spec().startMs()), config.speedup(), limits(config));
                report = generator.run(stop);
            }
            final String json = report.toJson(generator.topicNames());
            if (config.reportFile() != null) {
                final Path file = Path.of(config.reportFile());
                if (file.getParent() != null) {
                    Files.createDirectories(file.getParent());
                }
                Files.writeString(file, json + "\n", StandardCharsets.UTF_8);
            }
            LOG.info("Sent {} events in {} ms ({} events/s), {} acknowledged, {} failed", report.sent(),
                report.elapsedMs(), Math.round(report.eventsPerSecond()), report.delivered(), report.failed());
            System.out.println(json);
        } finally {
            // Only now may a SIGTERM-initiated exit proceed: the report is out.
            finished.countDown();
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (final IllegalStateException e) {
            // Already shutting down: the hook is running and will return now that the report is written.
        }
        return report.failed() == 0 && report.delivered() == report.sent() ? 0 : 1;
    }

    private static String limits(final LoadGenConfig config) {
        if (config.maxEvents() == 0 && config.durationMs() == 0) {
            return "until stopped";
        }
        return (config.maxEvents() > 0 ? config.maxEvents() + " events" : "")
            + (config.maxEvents() > 0 && config.durationMs() > 0 ? " or " : "")
            + (config.durationMs() > 0 ? config.durationMs() + " ms" : "");
    }
}
