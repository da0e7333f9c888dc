package io.melodyud.topologies.plays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.melodyud.avro.event.PlayEvent;
import io.melodyud.contracts.config.LocalStack;
import io.melodyud.contracts.fixtures.AvroFixtures;
import io.melodyud.contracts.registry.RegistryConfig;
import io.melodyud.contracts.registry.SchemaRegistryClient;
import io.melodyud.contracts.serde.TopicSerdes;
import io.melodyud.contracts.topics.Topics;
import io.melodyud.topologies.StackClient;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.state.HostInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two instances of the application share the work on the real broker; each one's HTTP API answers for every
 * track and chart, asking the other instance for the keys it does not hold.
 */
class PlayAnalyticsQueriesIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path work;

    private final List<AutoCloseable> running = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (final AutoCloseable closeable : running) {
            closeable.close();
        }
    }

    private record Instance(KafkaStreams streams, int port) {
    }

    private Instance start(final String applicationId, final String name, final LocalStack stack) throws Exception {
        final int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        final Map<String, Object> settings = new HashMap<>();
        settings.put(PlayAnalyticsConfig.APPLICATION_ID, applicationId);
        settings.put(PlayAnalyticsConfig.STATE_DIR, work.resolve(name).toString());
        settings.put(PlayAnalyticsConfig.HTTP_PORT, port);
        settings.put(RegistryConfig.URL, stack.registryUrl());
        settings.put("kafka.bootstrap.servers", stack.kafkaBootstrapServers());
        final PlayAnalyticsApp app = new PlayAnalyticsApp(new PlayAnalyticsConfig(settings));
        running.add(app);
        app.start();
        return new Instance(app.streams(), port);
    }

    private static JsonNode get(final int port, final String path) throws Exception {
        final HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + port + path)).GET().build(), HttpResponse.BodyHandlers.ofString());
        final JsonNode body = JSON.readTree(response.body());
        return response.statusCode() == 200 ? body : JSON.createObjectNode().put("status", response.statusCode());
    }

    @Test
    void eitherInstanceAnswersForEveryTrackAndChart(final TestInfo test) throws Exception {
        final LocalStack stack = LocalStack.fromSystemProperty();
        final String applicationId = "it-queries-" + Long.toHexString(System.nanoTime());
        StackClient.startAtEnd(stack.kafkaBootstrapServers(), applicationId, Topics.PLAYS);
        final Instance a = start(applicationId, "a", stack);
        final Instance b = start(applicationId, "b", stack);
        final long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (a.streams().state() != KafkaStreams.State.RUNNING || b.streams().state() != KafkaStreams.State.RUNNING) {
            assertTrue(System.nanoTime() < deadline, "both instances running");
            Thread.sleep(100);
        }

        final long base = 3_000_000_000L + System.nanoTime() % 1_000_000_000L;
        final Instant startedAt = Instant.now().minusSeconds(30);
        final Map<Long, Long> expected = new HashMap<>();
        final TopicSerdes serdes = new TopicSerdes(new SchemaRegistryClient(new RegistryConfig(
            Map.of(RegistryConfig.URL, stack.registryUrl()))));
        final Properties producerProps = new Properties();
        producerProps.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrapServers());
        try (KafkaProducer<Long, PlayEvent> producer = new KafkaProducer<>(producerProps,
                serdes.key(Topics.PLAYS).serializer(), serdes.value(Topics.PLAYS).serializer())) {
            for (int i = 0; i < 400; i++) {
                final long track = base + i % 20;
                final PlayEvent play = AvroFixtures.playEvent().setEventId(UUID.randomUUID()).setUserId(1 + i)
                    .setTrackId(track).setCountry("SE").setStartedAt(startedAt).setSentAt(startedAt).build();
                producer.send(new ProducerRecord<>(Topics.PLAYS.name(), play.getUserId(), play));
                expected.merge(track, 1L, Long::sum);
            }
        }

        final Set<HostInfo> owners = new HashSet<>();
        for (final Map.Entry<Long, Long> track : expected.entrySet()) {
            long seenA = -1;
            long seenB = -1;
            while (seenA != track.getValue() || seenB != track.getValue()) {
                assertTrue(System.nanoTime() < deadline, "track " + track + " answered by both: " + seenA + "/" + seenB);
                seenA = get(a.port(), "/tracks/" + track.getKey()).path("valid_plays").asLong(-1);
                seenB = get(b.port(), "/tracks/" + track.getKey()).path("valid_plays").asLong(-1);
                Thread.sleep(100);
            }
            final KeyQueryMetadata metadata = a.streams().queryMetadataForKey(TrackCountingProcessor.TOTALS_STORE,
                track.getKey(), Serdes.Long().serializer());
            owners.add(metadata.activeHost());
        }
        assertEquals(2, owners.size(), "the tracks are spread over both instances, so answers were forwarded");

        final String chartPath = "/charts/minute/SE?at=" + startedAt.toEpochMilli();
        JsonNode fromA = get(a.port(), chartPath);
        while (fromA.path("entries").size() < 20) {
            assertTrue(System.nanoTime() < deadline, "chart complete: " + fromA);
            Thread.sleep(200);
            fromA = get(a.port(), chartPath);
        }
        final JsonNode fromB = get(b.port(), chartPath);
        assertEquals(fromA.path("entries"), fromB.path("entries"));
        assertEquals(20L, fromA.path("entries").get(0).path("plays").asLong());
        assertEquals(base, fromA.path("entries").get(0).path("track_id").asLong(), "ties rank by track id");
        assertNotEquals(200, get(a.port(), "/charts/fortnight/SE").path("status").asInt(200), "bad window: 400");
    }
}
