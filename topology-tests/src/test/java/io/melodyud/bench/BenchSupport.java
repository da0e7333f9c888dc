package io.melodyud.bench;

import io.melodyud.contracts.registry.RegistryConfig;
import io.melodyud.contracts.registry.SchemaRegistryClient;
import io.melodyud.contracts.serde.TopicSerdes;
import io.melodyud.contracts.topics.Topic;
import io.melodyud.contracts.topics.TopicCatalogue;
import io.melodyud.contracts.topics.TopicSpec;
import io.melodyud.contracts.config.LocalStack;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * What the benchmarks share: sampling realistic input (Zipf popularity, weighted countries), starting the
 * application under test as its own JVM, and timing it until it has caught up with its input, with the figures
 * printed the same way for every application.
 */
final class BenchSupport {

    private BenchSupport() {
    }

    /** A producer for loading input fast: large lz4 batches, acknowledged by all replicas. */
    static KafkaProducer<byte[], byte[]> loadProducer(final LocalStack stack) {
        final Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrapServers());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.LINGER_MS_CONFIG, 50);
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, 512 * 1024);
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        props.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 128L * 1024 * 1024);
        return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** Empties a topic by deleting it and creating it again as the catalogue declares it. */
    static void recreate(final LocalStack stack, final Topic<?, ?> topic) throws Exception {
        final TopicSpec spec = TopicCatalogue.load().get(topic.name());
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                stack.kafkaBootstrapServers()))) {
            if (admin.listTopics().names().get().contains(spec.name())) {
                admin.deleteTopics(List.of(spec.name())).all().get();
            }
            final long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (true) {
                try {
                    admin.createTopics(List.of(new NewTopic(spec.name(), spec.partitions(), (short) 1)
                        .configs(spec.configs()))).all().get();
                    break;
                } catch (final ExecutionException e) {
                    // Deletion completes asynchronously on the broker.
                    if (!(e.getCause() instanceof TopicExistsException) || System.nanoTime() > deadline) {
                        throw e;
                    }
                    Thread.sleep(200);
                }
            }
        }
    }

    /** Serdes on the stack's registry. */
    static TopicSerdes serdes(final LocalStack stack) {
        return new TopicSerdes(new SchemaRegistryClient(new RegistryConfig(
            Map.of(RegistryConfig.URL, stack.registryUrl()))));
    }

    /** Cumulative Zipf probabilities over ranks 1..n (a benchmark input, not money). */
    static double[] zipfCdf(final int n, final double exponent) {
        final double[] cdf = new double[n];
        double sum = 0;
        for (int k = 1; k <= n; k++) {
            sum += 1 / Math.pow(k, exponent);
            cdf[k - 1] = sum;
        }
        for (int k = 0; k < n; k++) {
            cdf[k] /= sum;
        }
        return cdf;
    }

    /** The rank (0-based) a uniform draw {@code u} falls on in a cumulative distribution. */
    static int sample(final double[] cdf, final double u) {
        int lo = 0;
        int hi = cdf.length - 1;
        while (lo < hi) {
            final int mid = (lo + hi) >>> 1;
            if (cdf[mid] < u) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** Running sums of integer weights; draw with {@code weighted(cdf, random.nextInt(cdf[cdf.length - 1]))}. */
    static int[] cdf(final int[] weights) {
        final int[] cdf = new int[weights.length];
        int sum = 0;
        for (int i = 0; i < weights.length; i++) {
            sum += weights[i];
            cdf[i] = sum;
        }
        return cdf;
    }

    static int weighted(final int[] cdf, final int r) {
        for (int i = 0; i < cdf.length; i++) {
            if (r < cdf[i]) {
                return i;
            }
        }
        return cdf.length - 1;
    }

    /**
     * Starts {@code mainClass} on {@code settings} in its own JVM (heap from {@code --heap}, collector from
     * {@code --gc}: G1, the default, or Parallel), logging to
     * {@code dir/<log>.log}; with {@code jfr}, records a profile to {@code dir/app.jfr}, for
     * {@code jfr print --events jdk.ExecutionSample}.
     */
    static Process startApp(final Map<String, String> options, final String mainClass, final Path settings,
                            final Path dir, final String log, final boolean jfr) throws IOException {
        final List<String> command = new ArrayList<>(List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx" + options.get("heap"),
            "-XX:+Use" + options.getOrDefault("gc", "G1") + "GC"));
        if (jfr) {
            command.add("-XX:StartFlightRecording=filename=" + dir.resolve("app.jfr") + ",settings=profile");
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass, settings.toString()));
        return new ProcessBuilder(command).redirectErrorStream(true)
            .redirectOutput(dir.resolve(log + ".log").toFile()).start();
    }

    /**
     * Waits until the application's group has consumed {@code total} events of {@code input} past {@code from}
     * and every partition it commits is drained (internal topics included), then prints the time from process
     * start ({@code started}, nanos) and from the first commit, events per second, peak RSS and state size.
     */
    static void awaitCaughtUp(final Admin admin, final String applicationId, final Process app, final Path log,
                              final List<TopicPartition> input, final Map<TopicPartition, Long> from,
                              final long total, final long started, final String unit, final Path stateDir)
            throws Exception {
        long firstCommit = 0;
        long inputDone = 0;
        while (true) {
            if (!app.isAlive()) {
                throw new IllegalStateException("application exited; see " + log);
            }
            Thread.sleep(500);
            final Map<TopicPartition, OffsetAndMetadata> committed = admin
                .listConsumerGroupOffsets(applicationId).partitionsToOffsetAndMetadata().get();
            final long consumed = input.stream().mapToLong(tp -> committed.containsKey(tp)
                ? committed.get(tp).offset() - from.getOrDefault(tp, 0L) : 0).sum();
            if (firstCommit == 0 && consumed > 0) {
                firstCommit = System.nanoTime();
            }
            if (inputDone == 0 && consumed >= total) {
                inputDone = System.nanoTime();
            }
            if (inputDone != 0 && drained(admin, committed)) {
                break;
            }
        }
        final long end = System.nanoTime();
        final Map<String, String> status = procStatus(app.pid());
        final double seconds = (end - started) / 1e9;
        final double fromCommit = (end - firstCommit) / 1e9;
        System.out.printf("run: caught up in %.1f s from process start (%,.0f %s/s), %.1f s from the first commit "
            + "(%,.0f %s/s); input consumed after %.1f s%n", seconds, total / seconds, unit, fromCommit,
            total / fromCommit, unit, (inputDone - started) / 1e9);
        System.out.printf("run: peak RSS %s, RSS now %s, state on disk %s%n", status.get("VmHWM"),
            status.get("VmRSS"), du(stateDir));
    }

    /** True when every partition of {@code committed} is at its end (a transaction marker may follow). */
    static boolean drained(final Admin admin, final Map<TopicPartition, OffsetAndMetadata> committed)
            throws Exception {
        final Map<TopicPartition, Long> ends = endOffsets(admin, committed.keySet().stream().toList());
        return committed.entrySet().stream().allMatch(e -> ends.get(e.getKey()) - e.getValue().offset() <= 1);
    }

    static Map<TopicPartition, Long> endOffsets(final Admin admin, final List<TopicPartition> partitions)
            throws Exception {
        final Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        partitions.forEach(tp -> request.put(tp, OffsetSpec.latest()));
        final Map<TopicPartition, Long> ends = new HashMap<>();
        admin.listOffsets(request).all().get().forEach((tp, info) -> ends.put(tp, info.offset()));
        return ends;
    }

    /** Deletes a run's internal topics and consumer group, so that runs do not pile up on the broker. */
    static void removeRun(final Admin admin, final String applicationId) throws Exception {
        final List<String> internal = admin.listTopics().names().get().stream()
            .filter(n -> n.startsWith(applicationId)).toList();
        admin.deleteTopics(internal).all().get();
        try {
            admin.deleteConsumerGroups(List.of(applicationId)).all().get();
        } catch (final ExecutionException e) {
            System.out.println("run: consumer group " + applicationId + " left behind: " + e.getCause());
        }
    }

    private static Map<String, String> procStatus(final long pid) throws IOException {
        final Map<String, String> status = new HashMap<>();
        for (final String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            final int colon = line.indexOf(':');
            if (colon > 0) {
                status.put(line.substring(0, colon), line.substring(colon + 1).trim());
            }
        }
        return status;
    }

    private static String du(final Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return "0 MB";
        }
        try (var files = Files.walk(dir)) {
            final long bytes = files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
            return String.format("%.1f MB", bytes / 1e6);
        }
    }
}
