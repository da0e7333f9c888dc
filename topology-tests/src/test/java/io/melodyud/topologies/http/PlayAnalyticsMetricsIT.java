package io.melodyud.topologies.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.melodyud.avro.event.PlayEvent;
import io.melodyud.contracts.config.LocalStack;
import io.melodyud.contracts.fixtures.AvroFixtures;
import io.melodyud.contracts.metrics.MelodyMetrics;
import io.melodyud.contracts.metrics.PrometheusScrape;
import io.melodyud.contracts.registry.RegistryConfig;
import io.melodyud.contracts.registry.SchemaRegistryClient;
import io.melodyud.contracts.serde.TopicSerdes;
import io.melodyud.contracts.topics.Topics;
import io.melodyud.topologies.StackClient;
import io.melodyud.topologies.plays.PlayAnalyticsApp;
import io.melodyud.topologies.plays.PlayAnalyticsConfig;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.function.Predicate;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * The play-analytics application on the real broker and registry, scraped at {@code GET /metrics} of its HTTP API:
 * the input it consumed, its dead letters and skipped plays, its lag, its Kafka Streams state and Kafka's own
 * metrics; and scrapes stay valid and the counters monotonic while a second instance joins and the partitions move.
 * The input topic is shared with other tests, so counts are asserted as at least what this test sent.
 */
class PlayAnalyticsMetricsIT {

    private static final Duration DEADLINE = Duration.ofSeconds(90);
    private static final String APP = MelodyMetrics.PLAY_ANALYTICS;
    private static final String PLAYS = Topics.PLAYS.name();

    @TempDir
    Path work;

    private LocalStack stack;
    private TopicSerdes serdes;
    private String applicationId;
    private final List<PlayAnalyticsApp> running = new ArrayList<>();

    @BeforeEach
    void setUp(final TestInfo test) throws Exception {
        stack = LocalStack.fromSystemProperty();
        serdes = new TopicSerdes(new SchemaRegistryClient(new RegistryConfig(
            Map.of(RegistryConfig.URL, stack.registryUrl()))));
        applicationId = "it-" + test.getTestMethod().orElseThrow().getName() + "-"
            + Long.toHexString(System.nanoTime());
        StackClient.startAtEnd(stack.kafkaBootstrapServers(), applicationId, Topics.PLAYS);
    }

    @AfterEach
    void tearDown() {
        running.forEach(PlayAnalyticsApp::close);
    }

    private String start(final String name) throws Exception {
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
        settings.put("kafka.commit.interval.ms", "200");
        final PlayAnalyticsApp app = new PlayAnalyticsApp(new PlayAnalyticsConfig(settings));
        running.add(app);
        app.start();
        return "http://127.0.0.1:" + port + "/metrics";
    }

    private static PrometheusScrape awaitScrape(final String url, final String what,
                                                final Predicate<PrometheusScrape> condition) throws Exception {
        return PrometheusScrape.await(url, DEADLINE, what, condition);
    }

    private static String melodyLines(final PrometheusScrape scrape) {
        final StringBuilder out = new StringBuilder();
        scrape.families().values().stream().filter(f -> f.name().startsWith("melody_"))
            .forEach(f -> f.samples().forEach(s -> out.append(s).append('\n')));
        return out.toString();
    }

    private static double value(final PrometheusScrape scrape, final String name, final String... labels) {
        final Double value = scrape.value(name, labels);
        return value == null ? 0 : value;
    }

    private KafkaProducer<byte[], byte[]> producer() {
        final Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrapServers());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
    }

    private void sendPlay(final KafkaProducer<byte[], byte[]> producer, final PlayEvent play) {
        producer.send(new ProducerRecord<>(PLAYS, serdes.key(Topics.PLAYS).serializer().serialize(PLAYS,
            play.getUserId()), serdes.value(Topics.PLAYS).serializer().serialize(PLAYS, play)));
    }

    @Test
    void theApplicationReportsWhatItConsumedRejectedAndSkippedAndItsLag() throws Exception {
        final String url = start("a");
        final PrometheusScrape before = awaitScrape(url, "the application running",
            s -> value(s, MelodyMetrics.STREAMS_STATE, "app", APP, "state", "RUNNING") == 1.0);
        assertEquals(1.0, before.value(MelodyMetrics.UP, "app", APP));

        final long trackBase = 5_000_000_000L + System.nanoTime() % 1_000_000_000L;
        final Instant startedAt = Instant.now().minusSeconds(90);
        final int valid = 400;
        final int shortPlays = 25;
        final int duplicates = 10;
        final int undecodable = 3;
        try (KafkaProducer<byte[], byte[]> producer = producer()) {
            final List<PlayEvent> sent = new ArrayList<>();
            for (int i = 0; i < valid + shortPlays; i++) {
                final PlayEvent play = AvroFixtures.playEvent().setEventId(UUID.randomUUID()).setUserId(10_000 + i)
                    .setTrackId(trackBase + i % 7).setCountry(i % 2 == 0 ? "CO" : "MX")
                    .setStartedAt(startedAt.plusMillis(i * 40L)).setSentAt(startedAt.plusMillis(i * 40L + 500))
                    .setMsPlayed(i < valid ? 187_000L : 12_000L).build();
                sendPlay(producer, play);
                sent.add(play);
            }
            // A client retrying: the same events again.
            for (int i = 0; i < duplicates; i++) {
                sendPlay(producer, sent.get(i));
            }
            for (int i = 0; i < undecodable; i++) {
                producer.send(new ProducerRecord<>(PLAYS, new byte[8], ("{\"track_id\": " + (trackBase + i) + "}")
                    .getBytes(StandardCharsets.UTF_8)));
            }
        }
        final int total = valid + shortPlays + duplicates + undecodable;

        final PrometheusScrape after = awaitScrape(url, total + " input records processed", s ->
            value(s, MelodyMetrics.RECORDS_PROCESSED, "app", APP) >= total
                && value(s, MelodyMetrics.DEAD_LETTERS, "app", APP, "reason", "not-wire-format") >= undecodable
                && value(s, MelodyMetrics.SKIPPED, "app", APP, "kind", "skipped", "reason", "short-play")
                    >= shortPlays
                && value(s, MelodyMetrics.SKIPPED, "app", APP, "kind", "skipped", "reason", "duplicate")
                    >= duplicates);
        assertEquals("counter", after.family(MelodyMetrics.RECORDS_PROCESSED).type());

        final PrometheusScrape caughtUp = awaitScrape(url, "no lag on " + PLAYS, s ->
            s.value(MelodyMetrics.CONSUMER_LAG, "app", APP, "topic", PLAYS) != null
                && s.value(MelodyMetrics.CONSUMER_LAG, "app", APP, "topic", PLAYS) == 0.0);
        assertTrue(caughtUp.samples(MelodyMetrics.CONSUMER_LAG, "app", APP).stream()
            .noneMatch(sample -> sample.labels().get("topic").equals("melody_events_plays")),
            "the deprecated underscore twin of the topic is not a topic of its own");
        assertNotNull(caughtUp.value("kafka_consumer_fetch_manager_metrics_records_lag", "app", APP,
            "client_id", caughtUp.samples("kafka_consumer_fetch_manager_metrics_records_lag", "topic", PLAYS)
                .get(0).labels().get("client_id"), "topic", PLAYS, "partition", "0"));
        assertTrue(caughtUp.sum("kafka_stream_thread_metrics_process_total", "app", APP) >= total);

        final List<String> lint = PrometheusScrape.promtoolLint(caughtUp.text());
        if (lint != null) {
            assertEquals(List.of(), lint.stream().filter(line -> line.startsWith("melody_")).toList());
        }
    }

    @Test
    void scrapesStayValidAndCountersMonotonicWhileASecondInstanceJoins() throws Exception {
        final String urlA = start("a");
        awaitScrape(urlA, "instance a running",
            s -> value(s, MelodyMetrics.STREAMS_STATE, "app", APP, "state", "RUNNING") == 1.0);
        try (KafkaProducer<byte[], byte[]> producer = producer()) {
            final Instant startedAt = Instant.now().minusSeconds(60);
            for (int i = 0; i < 300; i++) {
                sendPlay(producer, AvroFixtures.playEvent().setEventId(UUID.randomUUID()).setUserId(20_000 + i)
                    .setTrackId(6_000_000_000L + i % 5).setStartedAt(startedAt).setSentAt(startedAt).build());
            }
        }
        awaitScrape(urlA, "300 records processed", s -> value(s, MelodyMetrics.RECORDS_PROCESSED, "app", APP) >= 300);

        final String urlB = start("b");
        double processed = 0;
        boolean sawRebalance = false;
        long slowest = 0;
        long spent = 0;
        int scrapes = 0;
        final long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < until) {
            final long began = System.nanoTime();
            final PrometheusScrape scrape = PrometheusScrape.fetch(urlA);
            slowest = Math.max(slowest, System.nanoTime() - began);
            spent += System.nanoTime() - began;
            scrapes++;
            final double now = value(scrape, MelodyMetrics.RECORDS_PROCESSED, "app", APP);
            assertTrue(now >= processed, "records processed went from " + processed + " to " + now);
            processed = now;
            sawRebalance |= value(scrape, MelodyMetrics.STREAMS_STATE, "app", APP, "state", "REBALANCING") == 1.0;
            assertEquals(1.0, scrape.value(MelodyMetrics.UP, "app", APP), "up while rebalancing");
            Thread.sleep(50);
        }
        final PrometheusScrape b = awaitScrape(urlB, "instance b running",
            s -> value(s, MelodyMetrics.STREAMS_STATE, "app", APP, "state", "RUNNING") == 1.0);
        // On a quiet machine a cooperative rebalance can come and go between two scrapes 50 ms apart: the join
        // happened (b is RUNNING in the same group), and every scrape during it was checked above either way.
        if (!sawRebalance) {
            System.err.println("PlayAnalyticsMetricsIT: the rebalance was shorter than the scrape interval");
        }
        assertEquals(1.0, b.value(MelodyMetrics.UP, "app", APP));
        System.err.printf("PlayAnalyticsMetricsIT: %d scrapes during the rebalance, mean %.1f ms, slowest %d ms; a "
            + "scrape of b: %d bytes, %d families, %d series%n", scrapes, spent / 1e6 / scrapes, slowest / 1_000_000,
            b.text().length(),
            b.families().size(), b.families().values().stream().mapToInt(f -> f.samples().size()).sum());
        assertTrue(running.get(0).streams().state() == KafkaStreams.State.RUNNING
            || running.get(0).streams().state() == KafkaStreams.State.REBALANCING);
    }
}
