package io.melodyud.topologies.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.melodyud.contracts.metrics.MelodyMetrics;
import io.melodyud.contracts.metrics.PrometheusScrape;
import io.melodyud.contracts.topics.Topics;
import io.melodyud.topologies.common.ErrorCounters;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.state.HostInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /metrics} of the query server on a Kafka Streams instance that is built but not started (no broker
 * needed): the contract's families are there, with the counters of the application, and the scrape is valid text.
 */
class StreamsMetricsTest {

    private static final String JAAS_PASSWORD = "pw-streams-7Hq2xv";

    @TempDir
    Path state;

    private KafkaStreams streams() {
        final StreamsBuilder builder = new StreamsBuilder();
        builder.stream(Topics.PLAYS.name(), Consumed.with(Serdes.Long(), Serdes.ByteArray()))
            .to("melody.out.test-copy", Produced.with(Serdes.Long(), Serdes.ByteArray()));
        final Topology topology = builder.build();
        final Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "melody-ad-reports-test");
        // Nothing listens there; the instance is never started.
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:1");
        props.put(StreamsConfig.STATE_DIR_CONFIG, state.toString());
        props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 2);
        props.put("security.protocol", "SASL_PLAINTEXT");
        props.put("sasl.mechanism", "PLAIN");
        props.put("sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required "
            + "username=\"ad-reports\" password=\"" + JAAS_PASSWORD + "\";");
        return new KafkaStreams(topology, props);
    }

    @Test
    void aNewApplicationGetsEveryContractMetricInOneCall() throws Exception {
        final ErrorCounters counters = new ErrorCounters();
        counters.increment("dead-letter", "unknown-schema-id");
        counters.increment("dead-letter", "unknown-schema-id");
        counters.increment("late", "hour");
        counters.counter("skipped", "duplicate").add(17);
        final KafkaStreams streams = streams();
        try (QueryServer server = new QueryServer(streams, new HostInfo("127.0.0.1", 0), 0)) {
            server.enableMetrics(MelodyMetrics.AD_REPORTS, streams, counters);
            server.start();

            final String url = "http://127.0.0.1:" + server.port() + "/metrics";
            final PrometheusScrape scrape = PrometheusScrape.fetch(url);

            assertEquals(0.0, scrape.value(MelodyMetrics.UP, "app", "ad-reports"), "not started: not up");
            assertEquals(1.0, scrape.value(MelodyMetrics.STREAMS_STATE, "app", "ad-reports", "state", "CREATED"));
            assertEquals(0.0, scrape.value(MelodyMetrics.STREAMS_STATE, "app", "ad-reports", "state", "RUNNING"));
            assertEquals(KafkaStreams.State.values().length,
                scrape.family(MelodyMetrics.STREAMS_STATE).samples().size());
            assertEquals(0.0, scrape.value(MelodyMetrics.RECORDS_PROCESSED, "app", "ad-reports"));
            assertEquals(2.0, scrape.value(MelodyMetrics.DEAD_LETTERS, "app", "ad-reports", "reason",
                "unknown-schema-id"));
            assertEquals(1.0, scrape.value(MelodyMetrics.LATE_EVENTS, "app", "ad-reports", "reason", "hour"));
            assertEquals(17.0, scrape.value(MelodyMetrics.SKIPPED, "app", "ad-reports", "kind", "skipped",
                "reason", "duplicate"));
            assertNotNull(scrape.family(MelodyMetrics.CONSUMER_LAG), "declared before any partition is assigned");
            // Kafka Streams' own metrics, one series per thread.
            final List<PrometheusScrape.Sample> threads = scrape.samples("kafka_stream_thread_metrics_process_total",
                "app", "ad-reports");
            assertEquals(2, threads.size(), scrape.families().keySet().toString());
            assertTrue(threads.get(0).labels().get("thread_id").contains("StreamThread"));
            assertEquals("counter", scrape.family("kafka_stream_thread_metrics_process_total").type());

            final String body = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString()).body();
            assertFalse(body.contains(JAAS_PASSWORD));
            final List<String> lint = PrometheusScrape.promtoolLint(body);
            if (lint != null) {
                assertEquals(List.of(), lint.stream().filter(line -> line.startsWith("melody_")).toList());
            }
            // The JSON routes are unaffected.
            assertEquals(503, HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + server.port() + "/health")).GET().build(),
                HttpResponse.BodyHandlers.ofString()).statusCode());
        } finally {
            streams.close(Duration.ofSeconds(10));
        }
    }

    @Test
    void countersAddedByTheApplicationJoinTheScrape() throws Exception {
        final KafkaStreams streams = streams();
        try (QueryServer server = new QueryServer(streams, new HostInfo("127.0.0.1", 0), 0)) {
            server.enableMetrics(MelodyMetrics.ROYALTIES, streams, new ErrorCounters())
                .with(out -> out.gauge("melody_royalties_pending_plays", "Plays waiting for a rate.")
                    .sample(12, "app", "royalties"));
            server.start();

            final PrometheusScrape scrape = PrometheusScrape.fetch("http://127.0.0.1:" + server.port() + "/metrics");

            assertEquals(12.0, scrape.value("melody_royalties_pending_plays", "app", "royalties"));
        } finally {
            streams.close(Duration.ofSeconds(10));
        }
    }

    @Test
    void onlyTheMainConsumersReadInput() {
        assertTrue(StreamsMetrics.isMainConsumer("melody-play-analytics-4b1e-StreamThread-3-consumer"));
        assertFalse(StreamsMetrics.isMainConsumer("melody-play-analytics-4b1e-StreamThread-3-restore-consumer"));
        assertFalse(StreamsMetrics.isMainConsumer("melody-play-analytics-4b1e-global-consumer"));
        assertFalse(StreamsMetrics.isMainConsumer("melody-play-analytics-4b1e-StreamThread-3-producer"));
    }
}
