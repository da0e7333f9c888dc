package io.melodyud.topologies.ads;

import io.melodyud.contracts.config.LocalStack;
import io.melodyud.contracts.registry.RegistryConfig;
import io.melodyud.contracts.registry.SchemaRegistryClient;
import io.melodyud.contracts.serde.TopicSerdes;
import io.melodyud.contracts.topics.Topic;
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
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * What the ad-reports integration tests do on the local stack's broker: produce typed records, read what an
 * application commits, move a consumer group to the end of shared topics (earlier runs and benchmarks leave millions
 * of records there), and remove what a test created.
 */
final class AdStackClient implements AutoCloseable {

    static final Duration DEADLINE = Duration.ofSeconds(240);

    final LocalStack stack;
    final TopicSerdes serdes;
    final KafkaProducer<byte[], byte[]> producer;
    final Admin admin;

    AdStackClient() {
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

    <V> void send(final Topic<Long, V> topic, final long key, final V value) {
        producer.send(new ProducerRecord<>(topic.name(), serdes.key(topic).serializer().serialize(topic.name(), key),
            value == null ? null : serdes.value(topic).serializer().serialize(topic.name(), value)));
    }

    void sendRaw(final Topic<?, ?> topic, final byte[] key, final byte[] value) {
        producer.send(new ProducerRecord<>(topic.name(), key, value));
    }

    /** A reader of what is committed to {@code topic} from now on. */
    KafkaConsumer<byte[], byte[]> committedReader(final Topic<?, ?> topic) {
        final Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrapServers());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        final KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
            new ByteArrayDeserializer());
        final List<TopicPartition> partitions = consumer.partitionsFor(topic.name()).stream()
            .map(p -> new TopicPartition(topic.name(), p.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(consumer::position);
        return consumer;
    }

    <V> List<V> poll(final KafkaConsumer<byte[], byte[]> reader, final Topic<?, V> topic) {
        final List<V> values = new ArrayList<>();
        for (final ConsumerRecord<byte[], byte[]> record : reader.poll(Duration.ofMillis(400))) {
            values.add(serdes.value(topic).deserializer().deserialize(topic.name(), record.value()));
        }
        return values;
    }

    /** Commits the end of each topic for the application's group, so that it reads only what the test sends. */
    void startAtEnd(final String applicationId, final Topic<?, ?>... topics) throws Exception {
        final Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        final List<String> names = java.util.Arrays.stream(topics).map(Topic::name).toList();
        admin.describeTopics(names).allTopicNames().get().forEach((name, description) -> description.partitions()
            .forEach(p -> request.put(new TopicPartition(name, p.partition()), OffsetSpec.latest())));
        final Map<TopicPartition, OffsetAndMetadata> positions = new HashMap<>();
        admin.listOffsets(request).all().get()
            .forEach((partition, info) -> positions.put(partition, new OffsetAndMetadata(info.offset())));
        admin.alterConsumerGroupOffsets(applicationId, positions).all().get();
    }

    /** Offsets the group has committed on {@code topic}, summed over its partitions. */
    long committed(final String applicationId, final String topic) throws Exception {
        return admin.listConsumerGroupOffsets(applicationId).partitionsToOffsetAndMetadata().get().entrySet().stream()
            .filter(e -> e.getKey().topic().equals(topic) && e.getValue() != null)
            .mapToLong(e -> e.getValue().offset()).sum();
    }

    /**
     * Whether every partition of {@code topic} holds at least {@code records} offsets more than zero and the group has
     * consumed each of them to its end.
     */
    boolean consumedToEnd(final String applicationId, final String topic, final int records) throws Exception {
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
    long endOffset(final String topic) throws Exception {
        final Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions()
            .forEach(p -> request.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
        return admin.listOffsets(request).all().get().values().stream().mapToLong(i -> i.offset()).sum();
    }

    /** Deletes the application's internal topics and its consumer group. */
    void deleteApplication(final String applicationId) throws Exception {
        final List<String> internal = admin.listTopics().names().get().stream()
            .filter(n -> n.startsWith(applicationId + "-")).collect(Collectors.toList());
        admin.deleteTopics(internal).all().get();
        try {
            admin.deleteConsumerGroups(List.of(applicationId)).all().get();
        } catch (final java.util.concurrent.ExecutionException e) {
            // The group may still be shutting down; it expires on its own.
        }
    }

    static void await(final String what, final BooleanSupplier condition) throws InterruptedException {
        final long deadline = System.nanoTime() + DEADLINE.toNanos();
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
