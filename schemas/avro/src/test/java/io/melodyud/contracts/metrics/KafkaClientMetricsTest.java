package io.melodyud.contracts.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.metrics.Gauge;
import org.apache.kafka.common.metrics.Metrics;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

class KafkaClientMetricsTest {

    private static final String SASL_PASSWORD = "pw-Zq8!kT4#ohm-sasl";
    private static final String TRUSTSTORE_PASSWORD = "pw-truststore-93jd";
    private static final String MAIN = "melody-play-analytics-6f1c-StreamThread-1-consumer";
    private static final String RESTORE = "melody-play-analytics-6f1c-StreamThread-1-restore-consumer";

    private static Properties securedClient() {
        final Properties props = new Properties();
        // Nothing listens there: the clients are built, never connected, so the test needs no broker.
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:1");
        props.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SASL_PLAINTEXT");
        props.put(SaslConfigs.SASL_MECHANISM, "PLAIN");
        props.put(SaslConfigs.SASL_JAAS_CONFIG, "org.apache.kafka.common.security.plain.PlainLoginModule required "
            + "username=\"melody-sink\" password=\"" + SASL_PASSWORD + "\";");
        props.put(SslConfigs.SSL_TRUSTSTORE_PASSWORD_CONFIG, TRUSTSTORE_PASSWORD);
        return props;
    }

    @Test
    void realClientMetricsExportAsValidTextWithoutAnyConfiguredSecret() throws Exception {
        final Properties producerProps = securedClient();
        producerProps.put(ProducerConfig.CLIENT_ID_CONFIG, "melody-cdc-producer");
        final Properties consumerProps = securedClient();
        consumerProps.put(ConsumerConfig.GROUP_ID_CONFIG, "melody-sink-clickhouse");
        final PrometheusText text = new PrometheusText();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProps, new ByteArraySerializer(),
                 new ByteArraySerializer());
             KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerProps,
                 new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            MelodyMetrics.up(text, MelodyMetrics.CDC, true);
            KafkaClientMetrics.export(text, producer.metrics(), MelodyMetrics.APP, MelodyMetrics.CDC);
            KafkaClientMetrics.export(text, consumer.metrics(), MelodyMetrics.APP, MelodyMetrics.CDC);
            producer.close(Duration.ZERO);
        }
        final String rendered = text.render();

        assertFalse(rendered.contains(SASL_PASSWORD), "the SASL password appears in the scrape");
        assertFalse(rendered.contains(TRUSTSTORE_PASSWORD), "the truststore password appears in the scrape");
        assertFalse(rendered.contains("127.0.0.1:1"), "no configuration value appears, not even the brokers");
        final PrometheusScrape scrape = PrometheusScrape.parse(rendered);
        final PrometheusScrape.Family sendTotal = scrape.family("kafka_producer_metrics_record_send_total");
        assertNotNull(sendTotal, rendered);
        assertEquals("counter", sendTotal.type());
        assertEquals(Map.of("app", "cdc", "client_id", "melody-cdc-producer"), sendTotal.samples().get(0).labels());
        assertEquals("gauge", scrape.family("kafka_producer_metrics_buffer_available_bytes").type());
        assertNotNull(scrape.value("kafka_consumer_metrics_connection_count", "app", "cdc", "client_id",
            "consumer-melody-sink-clickhouse-" + clientIndex(rendered)), rendered);
        // String metrics (versions, commit ids) are not exported: their values are not numbers.
        assertTrue(scrape.families().keySet().stream().noneMatch(n -> n.endsWith("_commit_id")),
            scrape.families().keySet().toString());
        assertTrue(scrape.families().keySet().stream()
            .allMatch(n -> n.startsWith("kafka_") || n.startsWith("melody_")));

        final List<String> lint = PrometheusScrape.promtoolLint(rendered);
        if (lint != null) {
            // Kafka's own names are kept as they are (abbreviated units and all); ours must pass the lint.
            assertEquals(List.of(), lint.stream().filter(line -> line.startsWith("melody_")).toList());
        }
    }

    private static String clientIndex(final String rendered) {
        final int at = rendered.indexOf("client_id=\"consumer-melody-sink-clickhouse-");
        final int start = at + "client_id=\"consumer-melody-sink-clickhouse-".length();
        return rendered.substring(start, rendered.indexOf('"', start));
    }

    private static void gauge(final Metrics registry, final String name, final Map<String, String> tags,
                              final double value) {
        registry.addMetric(new MetricName(name, KafkaClientMetrics.FETCH_GROUP, "", tags),
            (Gauge<Double>) (config, now) -> value);
    }

    private static Map<String, String> partition(final String client, final String topic, final int partition) {
        return Map.of("client-id", client, "topic", topic, "partition", Integer.toString(partition));
    }

    @Test
    void lagIsSummedPerTopicOverPartitionsCountingDottedTopicsOnceAndIgnoringRestoreConsumers() {
        try (Metrics registry = new Metrics()) {
            // Kafka 4 reports a dotted topic twice: under its name and under the deprecated underscore form.
            for (int p = 0; p < 3; p++) {
                gauge(registry, "records-lag", partition(MAIN, "melody.events.plays", p), 100 * (p + 1));
                gauge(registry, "records-lag", partition(MAIN, "melody_events_plays", p), 100 * (p + 1));
            }
            gauge(registry, "records-lag", partition(MAIN,
                "melody-play-analytics-track-counts-repartition", 0), 7);
            gauge(registry, "records-lag", partition(RESTORE,
                "melody-play-analytics-track-totals-changelog", 0), 50_000);
            // Per-client and per-topic maxima share the name's prefix, not the partition tag: not summed.
            gauge(registry, "records-lag-max", Map.of("client-id", MAIN, "topic", "melody.events.plays"), 300);

            final Map<String, Long> lag = KafkaClientMetrics.consumerLagByTopic(registry.metrics(),
                client -> !client.endsWith("-restore-consumer"));

            assertEquals(Map.of("melody.events.plays", 600L, "melody-play-analytics-track-counts-repartition", 7L),
                lag);
        }
    }

    @Test
    void aTopicWithUnderscoresAndNoDottedTwinIsKept() {
        try (Metrics registry = new Metrics()) {
            gauge(registry, "records-lag", partition("consumer-melody-sink-postgres-1", "royalty_adjustments", 0),
                12);
            assertEquals(Map.of("royalty_adjustments", 12L), KafkaClientMetrics.consumerLagByTopic(
                registry.metrics(), client -> true));
        }
    }

    @Test
    void recordsConsumedAreKeyedByClientAndTopicWithoutTwins() {
        try (Metrics registry = new Metrics()) {
            final Map<String, String> dotted = Map.of("client-id", MAIN, "topic", "melody.events.plays");
            final Map<String, String> twin = Map.of("client-id", MAIN, "topic", "melody_events_plays");
            gauge(registry, "records-consumed-total", dotted, 1_500);
            gauge(registry, "records-consumed-total", twin, 1_500);
            gauge(registry, "records-consumed-total", Map.of("client-id", MAIN, "topic",
                "melody-play-analytics-chart-partials-repartition"), 900);
            gauge(registry, "records-consumed-total", Map.of("client-id", MAIN), 2_400);

            final Map<KafkaClientMetrics.ConsumedSource, Long> consumed =
                KafkaClientMetrics.recordsConsumedByClientAndTopic(registry.metrics(), client -> true,
                    topic -> !topic.endsWith("-repartition"));

            assertEquals(1, consumed.size(), consumed.toString());
            final KafkaClientMetrics.ConsumedSource source = consumed.keySet().iterator().next();
            assertEquals(MAIN, source.clientId());
            assertEquals("melody.events.plays", source.topic());
            assertEquals(1_500L, consumed.get(source));
        }
    }

    @Test
    void aThreadReplacedUnderTheSameClientIdCountsAsANewSourceEvenOnceItHasCountedMore() {
        final Map<String, String> tags = Map.of("client-id", MAIN, "topic", "melody.events.plays");
        final MonotonicCounter processed = new MonotonicCounter();
        try (Metrics dying = new Metrics()) {
            gauge(dying, "records-consumed-total", tags, 1_000);
            assertEquals(1_000, processed.update(KafkaClientMetrics.recordsConsumedByClientAndTopic(
                dying.metrics(), client -> true, topic -> true)));
        }
        // Its replacement, with new metric objects, read 1,500 records before the next scrape.
        try (Metrics replacement = new Metrics()) {
            gauge(replacement, "records-consumed-total", tags, 1_500);
            assertEquals(2_500, processed.update(KafkaClientMetrics.recordsConsumedByClientAndTopic(
                replacement.metrics(), client -> true, topic -> true)));
        }
    }

    @Test
    void aGaugeThatFailsOrIsNotANumberIsLeftOutOfTheScrape() {
        try (Metrics registry = new Metrics()) {
            registry.addMetric(new MetricName("estimate-num-keys", "stream-state-metrics", "",
                Map.of("thread-id", "t1", "task-id", "0_1", "rocksdb-state-id", "track-totals")),
                (Gauge<Long>) (config, now) -> {
                    throw new IllegalStateException("RocksDB store track-totals is closed");
                });
            registry.addMetric(new MetricName("state", "stream-metrics", "", Map.of("client-id", "c")),
                (Gauge<String>) (config, now) -> "RUNNING");
            registry.addMetric(new MetricName("process-total", "stream-thread-metrics", "The total number of "
                + "records processed", Map.of("thread-id", "t1")), (Gauge<Double>) (config, now) -> 42.0);
            final PrometheusText text = new PrometheusText();

            KafkaClientMetrics.export(text, registry.metrics(), "app", "play-analytics");

            final PrometheusScrape scrape = PrometheusScrape.parse(text.render());
            assertNull(scrape.family("kafka_stream_state_metrics_estimate_num_keys"));
            assertNull(scrape.family("kafka_stream_metrics_state"));
            assertEquals(42.0, scrape.value("kafka_stream_thread_metrics_process_total", "app", "play-analytics",
                "thread_id", "t1"));
            assertEquals("The total number of records processed",
                scrape.family("kafka_stream_thread_metrics_process_total").help());
        }
    }
}
