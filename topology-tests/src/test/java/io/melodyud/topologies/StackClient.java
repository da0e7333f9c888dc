package io.melodyud.topologies;

import io.melodyud.contracts.config.LocalStack;
import io.melodyud.contracts.registry.RegistryConfig;
import io.melodyud.contracts.registry.SchemaRegistryClient;
import io.melodyud.contracts.serde.TopicSerdes;
import io.melodyud.contracts.topics.Topic;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * What the integration tests do on the local stack: start an application as its own JVM, produce typed records,
 * read what an application commits, move a consumer group to the end of shared topics (earlier runs and benchmarks
 * leave millions of records there), and remove what a test created.
 */
public final class StackClient implements AutoCloseable {

    public static final Duration DEADLINE = Duration.ofSeconds(240);

    public final LocalStack stack;
    public final TopicSerdes serdes;
    public final KafkaProducer<byte[], byte[]> producer;
    public final Admin admin;

    public StackClient() {
        stack = LocalStack.fromSystemProperty();
        serdes = new TopicSerdes(new SchemaRegistryClient(new RegistryConfig(
            Map.of(RegistryConfig.URL, stack.registryUrl()))));
        final Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrapServers());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
        admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrapServers()));
    }

    public <K, V> void send(final Topic<K, V> topic, final K key, final V value) {
        producer.send(new ProducerRecord<>(topic.name(), serdes.key(topic).serializer().serialize(topic.name(), key),
            value == null ? null : serdes.value(topic).serializer().serialize(topic.name(), value)));
    }

    public void sendRaw(final Topic<?, ?> topic, final byte[] key, final byte[] value) {
        producer.send(new ProducerRecord<>(topic.name(), key, value));
    }

    /** A reader of what is committed to {@code topics} from now on. */
    public KafkaConsumer<byte[], byte[]> committedReader(final Topic<?, ?>... topics) {
        final Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrapServers());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        final KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
            new ByteArrayDeserializer());
        final List<TopicPartition> partitions = java.util.Arrays.stream(topics).flatMap(topic -> consumer
            .partitionsFor(topic.name()).stream().map(p -> new TopicPartition(topic.name(), p.partition()))).toList();
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(consumer::position);
        return consumer;
    }

    public <V> List<V> poll(final KafkaConsumer<byte[], byte[]> reader, final Topic<?, V> topic) {
        final List<V> values = new ArrayList<>();
        for (final ConsumerRecord<byte[], byte[]> record : reader.poll(Duration.ofMillis(400))) {
            values.add(serdes.value(topic).deserializer().deserialize(topic.name(), record.value()));
        }
        return values;
    }

    /** Commits the end of each topic for the application's group, so that it reads only what the test sends. */
    public void startAtEnd(final String applicationId, final Topic<?, ?>... topics) throws Exception {
        startAtEnd(admin, applicationId, java.util.Arrays.stream(topics).map(Topic::name).toList());
    }

    /** {@link #startAtEnd(String, Topic[])} for a test that has no client of its own. */
    public static void startAtEnd(final String bootstrapServers, final String applicationId,
                                  final Topic<?, ?>... topics) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
            startAtEnd(admin, applicationId, java.util.Arrays.stream(topics).map(Topic::name).toList());
        }
    }

    private static void startAtEnd(final Admin admin, final String applicationId, final List<String> names)
            throws Exception {
        final Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        admin.describeTopics(names).allTopicNames().get().forEach((name, description) -> description.partitions()
            .forEach(p -> request.put(new TopicPartition(name, p.partition()), OffsetSpec.latest())));
        final Map<TopicPartition, OffsetAndMetadata> positions = new HashMap<>();
        admin.listOffsets(request).all().get()
            .forEach((partition, info) -> positions.put(partition, new OffsetAndMetadata(info.offset())));
        admin.alterConsumerGroupOffsets(applicationId, positions).all().get();
    }

    /**
     * The settings every test application starts from (two stream threads, commits every 200 ms); add the test's
     * own after them.
     */
    public List<String> appSettings(final String applicationId, final Path stateDir, final int httpPort) {
        return new ArrayList<>(List.of(
            "application.id=" + applicationId,
            "state.dir=" + stateDir,
            "http.port=" + httpPort,
            "schema.registry.url=" + stack.registryUrl(),
            "kafka.bootstrap.servers=" + stack.kafkaBootstrapServers(),
            "kafka.num.stream.threads=2",
            "kafka.commit.interval.ms=200"));
    }

    /**
     * Starts {@code main} in its own JVM (512 MB of heap) on {@code settings}, written to {@code settingsFile},
     * appending its output to {@code log}.
     */
    public static Process startApp(final Class<?> main, final List<String> settings, final Path settingsFile,
                                   final Path log) throws IOException {
        Files.writeString(settingsFile, String.join("\n", settings));
        return new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
            "-cp", System.getProperty("java.class.path"), main.getName(), settingsFile.toString())
            .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    }

    /** The value of a record's last header {@code name}, as text. */
    public static String header(final ConsumerRecord<byte[], byte[]> record, final String name) {
        final Header header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    /** Offsets the group has committed on {@code topic}, summed over its partitions. */
    public long committed(final String applicationId, final String topic) throws Exception {
        return admin.listConsumerGroupOffsets(applicationId).partitionsToOffsetAndMetadata().get().entrySet().stream()
            .filter(e -> e.getKey().topic().equals(topic) && e.getValue() != null)
            .mapToLong(e -> e.getValue().offset()).sum();
    }

    /**
     * Whether every partition of {@code topic} holds at least {@code records} offsets more than zero and the group has
     * consumed each of them to its end.
     */
    public boolean consumedToEnd(final String applicationId, final String topic, final int records) throws Exception {
        final var description = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
        final Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        description.partitions().forEach(p -> request.put(new TopicPartition(topic, p.partition()),
            OffsetSpec.latest()));
        final var ends = admin.listOffsets(request).all().get();
        final Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(applicationId)
            .partitionsToOffsetAndMetadata().get();
        return ends.entrySet().stream().allMatch(e -> e.getValue().offset() > records
            && committed.get(e.getKey()) != null && committed.get(e.getKey()).offset() >= e.getValue().offset());
    }

    /** End offset of a topic, summed over its partitions. */
    public long endOffset(final String topic) throws Exception {
        final Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions()
            .forEach(p -> request.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
        return admin.listOffsets(request).all().get().values().stream().mapToLong(i -> i.offset()).sum();
    }

    /** Deletes the application's internal topics and its consumer group. */
    public void deleteApplication(final String applicationId) throws Exception {
        final List<String> internal = admin.listTopics().names().get().stream()
            .filter(n -> n.startsWith(applicationId + "-")).collect(Collectors.toList());
        admin.deleteTopics(internal).all().get();
        try {
            admin.deleteConsumerGroups(List.of(applicationId)).all().get();
        } catch (final java.util.concurrent.ExecutionException e) {
            // The group may still be shutting down; it expires on its own.
        }
    }

    public static void await(final String what, final BooleanSupplier condition) throws InterruptedException {
        await(what, DEADLINE, condition);
    }

    public static void await(final String what, final Duration timeout, final BooleanSupplier condition)
            throws InterruptedException {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(200);
        }
    }

    @Override
    public void close() {
        producer.close();
        admin.close();
    }
}
