package io.melodyud.topologies.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.melodyud.avro.cdc.Track;
import io.melodyud.avro.common.Tier;
import io.melodyud.avro.event.PlayEvent;
import io.melodyud.contracts.config.LocalStack;
import io.melodyud.contracts.fixtures.AvroFixtures;
import io.melodyud.contracts.registry.RegistryConfig;
import io.melodyud.contracts.registry.SchemaRegistryClient;
import io.melodyud.contracts.serde.TopicSerdes;
import io.melodyud.contracts.topics.Topic;
import io.melodyud.contracts.topics.Topics;
import io.melodyud.topologies.StackClient;
import io.melodyud.topologies.plays.PlayAnalyticsApp;
import io.melodyud.topologies.plays.PlayAnalyticsConfig;
import io.melodyud.topologies.royalties.RoyaltiesApp;
import io.melodyud.topologies.royalties.RoyaltiesConfig;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * The live dashboard in a real headless browser (Debian's chromium) on running applications: play analytics (which
 * serves the page) and royalties, on the real broker and registry, fed plays of this run's tracks. The page's
 * scripts must have rendered the hourly chart with this run's tracks in play order, and the royalties so far; a
 * screenshot is kept in target/ for people to look at.
 */
class DashboardIT {

    @TempDir
    Path work;

    private static String chromium() {
        for (final String candidate : List.of("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")) {
            if (Files.isExecutable(Path.of(candidate))) {
                return candidate;
            }
        }
        return null;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @Test
    void theDashboardRendersLiveChartsAndRoyaltiesInAHeadlessBrowser(final TestInfo test) throws Exception {
        final String browser = chromium();
        assumeTrue(browser != null, "chromium is not installed (ops/melody up installs it)");
        final LocalStack stack = LocalStack.fromSystemProperty();
        final TopicSerdes serdes = new TopicSerdes(new SchemaRegistryClient(new RegistryConfig(
            Map.of(RegistryConfig.URL, stack.registryUrl()))));
        final String run = Long.toHexString(System.nanoTime());
        final long idBase = 3_000_000_000L + new SplittableRandom().nextLong(1_000_000_000L) * 10;
        final int playsPort = freePort();
        final int royaltiesPort = freePort();

        final Map<String, Object> common = new HashMap<>();
        common.put("schema.registry.url", stack.registryUrl());
        common.put("kafka.bootstrap.servers", stack.kafkaBootstrapServers());
        common.put("kafka.commit.interval.ms", "200");
        common.put("http.advertised.host", "127.0.0.1");
        final Map<String, Object> playsSettings = new HashMap<>(common);
        playsSettings.put("application.id", "it-dashboard-plays-" + run);
        playsSettings.put("state.dir", work.resolve("plays").toString());
        playsSettings.put("http.port", playsPort);
        playsSettings.put(PlayAnalyticsConfig.DASHBOARD_ROYALTIES_URL, "http://127.0.0.1:" + royaltiesPort);
        final Map<String, Object> royaltySettings = new HashMap<>(common);
        royaltySettings.put("application.id", "it-dashboard-royalties-" + run);
        royaltySettings.put("state.dir", work.resolve("royalties").toString());
        royaltySettings.put("http.port", royaltiesPort);
        royaltySettings.put(RoyaltiesConfig.LIVE_INTERVAL_MS, 0L);
        for (final String app : List.of("it-dashboard-plays-" + run, "it-dashboard-royalties-" + run)) {
            StackClient.startAtEnd(stack.kafkaBootstrapServers(), app, Topics.PLAYS);
        }

        try (PlayAnalyticsApp plays = new PlayAnalyticsApp(new PlayAnalyticsConfig(playsSettings));
             RoyaltiesApp royalties = new RoyaltiesApp(new RoyaltiesConfig(royaltySettings));
             KafkaProducer<byte[], byte[]> producer = producer(stack)) {
            // Three tracks of one rights holder, played 30, 20 and 10 times by one free user in Colombia.
            final long user = idBase;
            send(producer, serdes, Topics.CDC_USERS, user, AvroFixtures.user().setUserId(user).setCountry("CO")
                .setTier(Tier.FREE).setUpdatedAt(Instant.parse("2025-01-01T00:00:00Z")).build());
            for (int t = 1; t <= 3; t++) {
                final Track track = AvroFixtures.track().setTrackId(idBase + t).setRightsHolderId(idBase).build();
                send(producer, serdes, Topics.CDC_TRACKS, track.getTrackId(), track);
            }
            send(producer, serdes, Topics.CDC_ROYALTY_RATES, idBase, AvroFixtures.royaltyRate().setRateId(idBase)
                .setCountry("CO").setTier(Tier.FREE).setRatePerPlay(new BigDecimal("0.00100000"))
                // Newer than any rate earlier runs left in the shared topic: this one prices the plays.
                .setValidFrom(Instant.now().minus(Duration.ofMinutes(10))).build());
            producer.flush();
            plays.start();
            royalties.start();
            final Instant startedAt = Instant.now().minusSeconds(120);
            int sequence = 0;
            for (int t = 1; t <= 3; t++) {
                for (int i = 0; i < 40 - 10 * t; i++) {
                    final PlayEvent play = AvroFixtures.playEvent().setEventId(new UUID(idBase, ++sequence))
                        .setUserId(user).setTrackId(idBase + t).setStartedAt(startedAt.plusMillis(sequence))
                        .setSentAt(startedAt.plusSeconds(190)).build();
                    send(producer, serdes, Topics.PLAYS, user, play);
                }
            }
            producer.flush();

            final HttpClient http = HttpClient.newHttpClient();
            final String chart = "http://127.0.0.1:" + playsPort + "/charts/hour/CO?at=latest";
            awaitOk(http, chart, body -> body.contains("\"track_id\" : " + (idBase + 3)));
            awaitOk(http, "http://127.0.0.1:" + playsPort + "/dashboard/api/royalties/totals",
                body -> body.contains("\"valid_plays\" : 60"));

            final Path shot = Path.of("target", "dashboard-" + test.getTestMethod().orElseThrow().getName() + ".png")
                .toAbsolutePath();
            final String dom = runBrowser(browser, List.of("--dump-dom", "http://127.0.0.1:" + playsPort + "/"));
            runBrowser(browser, List.of("--screenshot=" + shot, "--window-size=1280,900",
                "http://127.0.0.1:" + playsPort + "/"));

            // The page's defaults: the hour window, GLOBAL; it holds the three tracks of this run only.
            final int first = dom.indexOf("track " + (idBase + 1));
            final int second = dom.indexOf("track " + (idBase + 2));
            final int third = dom.indexOf("track " + (idBase + 3));
            assertTrue(first > 0 && second > first && third > second,
                "the chart lists the tracks by plays (30, 20, 10): " + excerpt(dom));
            assertTrue(dom.contains(">30<") && dom.contains(">20<") && dom.contains(">10<"), excerpt(dom));
            assertTrue(dom.contains("60 paid plays, 0.06000000 USD"), "royalties so far: " + excerpt(dom));
            assertTrue(Files.size(shot) > 10_000, "a screenshot was taken: " + shot);
            assertEquals(200, http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + playsPort + "/"))
                .build(), HttpResponse.BodyHandlers.discarding()).statusCode());
        }
    }

    private static String excerpt(final String dom) {
        final int main = dom.indexOf("<main");
        return main < 0 ? dom : dom.substring(main, Math.min(dom.length(), main + 3000));
    }

    private String runBrowser(final String browser, final List<String> args) throws Exception {
        final List<String> command = new java.util.ArrayList<>(List.of(browser, "--headless", "--no-sandbox",
            "--disable-gpu", "--disable-dev-shm-usage", "--user-data-dir=" + work.resolve("chromium"),
            // Lets the page's scripts fetch and render before the DOM is dumped or the picture taken.
            "--virtual-time-budget=10000"));
        command.addAll(args);
        final Path out = work.resolve("browser.out");
        final Process process = new ProcessBuilder(command).redirectOutput(out.toFile())
            .redirectError(work.resolve("browser.err").toFile()).start();
        assertTrue(process.waitFor(90, TimeUnit.SECONDS), "chromium finished");
        return Files.readString(out, StandardCharsets.UTF_8);
    }

    private static void awaitOk(final HttpClient http, final String url,
                                final java.util.function.Predicate<String> ready) throws Exception {
        final long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            try {
                final HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url)).build(),
                    HttpResponse.BodyHandlers.ofString());
                last = response.statusCode() + " " + response.body();
                if (response.statusCode() == 200 && ready.test(response.body())) {
                    return;
                }
            } catch (final IOException e) {
                // The API is not listening yet, or restarting.
                last = e.toString();
            }
            Thread.sleep(300);
        }
        throw new AssertionError("timed out waiting for " + url + "; last answer: " + last);
    }

    private static KafkaProducer<byte[], byte[]> producer(final LocalStack stack) {
        final Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrapServers());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
    }

    private static <K, V> void send(final KafkaProducer<byte[], byte[]> producer, final TopicSerdes serdes,
                                    final Topic<K, V> topic, final K key, final V value) {
        producer.send(new ProducerRecord<>(topic.name(), serdes.key(topic).serializer().serialize(topic.name(), key),
            serdes.value(topic).serializer().serialize(topic.name(), value)));
    }
}
