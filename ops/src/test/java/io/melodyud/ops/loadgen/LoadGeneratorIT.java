package io.melodyud.ops.loadgen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.melodyud.contracts.config.LocalStack;
import io.melodyud.contracts.registry.RegistryConfig;
import io.melodyud.contracts.registry.SchemaRegistryClient;
import io.melodyud.contracts.serde.TopicSerdes;
import io.melodyud.contracts.topics.Topics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * The load generator against the local stack's broker and registry: what it reports is what the topics hold, and
 * what the topics hold is what {@link EventStream} regenerates from the report alone.
 */
class LoadGeneratorIT {

    private static final int PARTITIONS = 3;

    private final LocalStack stack = LocalStack.fromSystemProperty();
    private Admin admin;
    private String prefix;
    private Map<GeneratedEvent.Kind, String> topics;

    @BeforeEach
    void setUp(final TestInfo test) throws Exception {
        admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrapServers()));
        prefix = "it.loadgen." + test.getTestMethod().orElseThrow().getName() + "." + Long.toHexString(System.nanoTime());
        topics = Map.of(GeneratedEvent.Kind.PLAY, prefix + ".plays", GeneratedEvent.Kind.IMPRESSION,
            prefix + ".ad-impressions", GeneratedEvent.Kind.CLICK, prefix + ".ad-clicks");
        admin.createTopics(topics.values().stream().map(t -> new NewTopic(t, PARTITIONS, (short) 1)).toList())
            .all().get();
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            admin.deleteTopics(List.copyOf(topics.values())).all().get();
        } finally {
            admin.close();
            deleteSubjects();
        }
    }

    private Map<String, String> settings(final Map<String, String> more) {
        final Map<String, String> settings = new HashMap<>(Map.of(
            LoadGenConfig.KAFKA_BOOTSTRAP_SERVERS, stack.kafkaBootstrapServers(),
            RegistryConfig.URL, stack.registryUrl(),
            LoadGenConfig.TOPIC_PLAYS, topics.get(GeneratedEvent.Kind.PLAY),
            LoadGenConfig.TOPIC_IMPRESSIONS, topics.get(GeneratedEvent.Kind.IMPRESSION),
            LoadGenConfig.TOPIC_CLICKS, topics.get(GeneratedEvent.Kind.CLICK),
            LoadGenConfig.EVENT_TIME_START, "2026-09-01T19:30:00Z",
            LoadGenConfig.PROGRESS_INTERVAL_MS, "0"));
        settings.putAll(more);
        return settings;
    }

    private LoadGenerator generator(final LoadGenConfig config, final KafkaProducer<byte[], byte[]> producer) {
        final ReferenceData reference = config.referenceData();
        final TopicSerdes serdes = new TopicSerdes(new SchemaRegistryClient(config.registryConfig()));
        return new LoadGenerator(config, reference, Instant.now(), serdes, producer);
    }

    @Test
    void theTopicsHoldExactlyTheStreamTheReportDescribes() throws Exception {
        final LoadGenConfig config = new LoadGenConfig(settings(Map.of(LoadGenConfig.EVENTS, "30000",
            LoadGenConfig.PACED, "false", LoadGenConfig.RATE, "100", LoadGenConfig.THREADS, "2",
            LoadGenConfig.SEED, "424242")));
        final LoadReport report;
        final LoadGenerator generator;
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(config.producerConfig())) {
            generator = generator(config, producer);
            report = generator.run(new AtomicBoolean());
        }
        assertEquals(30_000, report.nextIndex());
        assertEquals(30_000, report.delivered());
        assertEquals(0, report.failed());

        // At 100 events/s, clicks (up to 3 minutes after their impression) start after 9,000 events.
        // Rebuild the stream from the report's JSON alone, as an end-to-end test would.
        final JsonNode json = new ObjectMapper().readTree(report.toJson(generator.topicNames()));
        final EventStream regenerated = LoadReport.streamOf(json);
        final Map<GeneratedEvent.Kind, List<GeneratedEvent>> expected = new HashMap<>();
        for (long i = 0; i < json.get("nextIndex").asLong(); i++) {
            final GeneratedEvent event = regenerated.event(i);
            expected.computeIfAbsent(event.kind(), k -> new ArrayList<>()).add(event);
        }

        final TopicSerdes serdes = new TopicSerdes(new SchemaRegistryClient(config.registryConfig()));
        for (final GeneratedEvent.Kind kind : GeneratedEvent.Kind.values()) {
            final String topic = topics.get(kind);
            final List<ConsumerRecord<byte[], byte[]>> records = readAll(topic);
            final List<GeneratedEvent> sent = expected.get(kind);
            assertEquals(sent.size(), records.size(), topic);
            assertEquals(sent.size(), json.get("topics").get(topic).get("sent").asLong(), topic);
            assertEquals(sent.stream().filter(GeneratedEvent::duplicate).count(),
                json.get("topics").get(topic).get("duplicates").asLong(), topic);
            assertEquals(sent.stream().filter(e -> !e.duplicate() && e.lateness() == GeneratedEvent.Lateness.LATE)
                .count(), json.get("topics").get(topic).get("late").asLong(), topic);

            // Per partition, the records are the regenerated events in index order (keys decide partitions).
            final Deserializer<? extends SpecificRecord> values = valueDeserializer(serdes, kind);
            final Deserializer<Long> keys = serdes.key(Topics.PLAYS).deserializer();
            final Map<Integer, List<SpecificRecord>> actual = new HashMap<>();
            final Map<Long, Integer> partitionOfKey = new HashMap<>();
            for (final ConsumerRecord<byte[], byte[]> record : records) {
                actual.computeIfAbsent(record.partition(), p -> new ArrayList<>())
                    .add(values.deserialize(topic, record.value()));
                partitionOfKey.put(keys.deserialize(topic, record.key()), record.partition());
            }
            final Map<Integer, List<SpecificRecord>> wanted = new HashMap<>();
            for (final GeneratedEvent event : sent) {
                wanted.computeIfAbsent(partitionOfKey.get(event.key()), p -> new ArrayList<>()).add(event.value());
            }
            assertEquals(wanted, actual, topic);
        }
        assertTrue(json.get("topics").get(topics.get(GeneratedEvent.Kind.PLAY)).get("duplicates").asLong() > 300);
    }

    @Test
    void pacedSendingFollowsTheClockAndTheHourOfTheDay() throws Exception {
        // 19:30 UTC weighs 1.70 (about 1.8x the mean once normalised): 400 events/s on average, ~730/s then.
        final LoadGenConfig config = new LoadGenConfig(settings(Map.of(LoadGenConfig.RATE, "400",
            LoadGenConfig.DURATION_MS, "3000")));
        final LoadReport report;
        final LoadGenerator generator;
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(config.producerConfig())) {
            generator = generator(config, producer);
            report = generator.run(new AtomicBoolean());
        }
        final DailyRhythm clock = new DailyRhythm(generator.spec().startMs(), generator.spec().density(),
            generator.spec().rhythm());
        long due = 0;
        while (clock.sinceStartMs(due) < 3_000) {
            due++;
        }
        assertEquals(due, report.nextIndex(), due * 0.03, "events due in 3 s at this hour");
        assertTrue(report.nextIndex() > 400 * 3 * 1.5, "evening rate above the mean: " + report.nextIndex());
        assertTrue(report.elapsedMs() >= 2_900 && report.elapsedMs() < 6_000, report.elapsedMs() + " ms");
        assertEquals(report.nextIndex(), report.delivered());
        final long onBroker = topics.values().stream().mapToLong(t -> readAll(t).size()).sum();
        assertEquals(report.nextIndex(), onBroker);
    }

    private static Deserializer<? extends SpecificRecord> valueDeserializer(final TopicSerdes serdes,
                                                                            final GeneratedEvent.Kind kind) {
        return switch (kind) {
            case PLAY -> serdes.value(Topics.PLAYS).deserializer();
            case IMPRESSION -> serdes.value(Topics.AD_IMPRESSIONS).deserializer();
            case CLICK -> serdes.value(Topics.AD_CLICKS).deserializer();
        };
    }

    private List<ConsumerRecord<byte[], byte[]>> readAll(final String topic) {
        final Map<String, Object> props = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrapServers(),
            ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        final List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            final List<TopicPartition> partitions = new ArrayList<>();
            for (int p = 0; p < PARTITIONS; p++) {
                partitions.add(new TopicPartition(topic, p));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            final Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            final long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("could not read " + topic + " to its end in 60 s");
                }
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
        }
        return records;
    }

    /** Best effort: the registry keeps a subject per test topic otherwise. */
    private void deleteSubjects() {
        final HttpClient http = HttpClient.newHttpClient();
        for (final String topic : topics.values()) {
            for (final String query : List.of("", "?permanent=true")) {
                try {
                    http.send(HttpRequest.newBuilder(URI.create(stack.registryUrl() + "/subjects/" + topic + "-value"
                        + query)).DELETE().timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding());
                } catch (final Exception e) {
                    // Left behind: harmless, the subject names the test run.
                }
            }
        }
    }
}
