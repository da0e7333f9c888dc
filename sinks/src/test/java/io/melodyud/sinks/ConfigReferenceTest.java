package io.melodyud.sinks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.melodyud.contracts.registry.RegistryConfig;
import io.melodyud.sinks.clickhouse.ClickHouseSinkConfig;
import io.melodyud.sinks.common.SinkConfig;
import io.melodyud.sinks.common.SinkStream;
import io.melodyud.sinks.postgres.PostgresSinkConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class ConfigReferenceTest {

    /** Surefire runs in the module directory; the reference lives at the repository root. */
    private static final Path ROOT = Path.of("..");

    private static Map<String, String> clickHouse() {
        final Map<String, String> settings = new HashMap<>();
        settings.put(RegistryConfig.URL, "http://registry:8080/apis/ccompat/v7");
        settings.put(ClickHouseSinkConfig.URL, "http://clickhouse:8123");
        return settings;
    }

    @Test
    void theCommittedReferenceMatchesTheDefinitions() throws IOException {
        for (final Map.Entry<String, ConfigDef> reference : ConfigReference.REFERENCES.entrySet()) {
            final Path file = ROOT.resolve(reference.getKey());
            assertTrue(Files.exists(file), file + " is missing: run ConfigReference.main with the repository root");
            assertEquals(ConfigReference.markdown(ConfigReference.title(reference.getKey()), reference.getValue()),
                Files.readString(file), file + " is out of date: run ConfigReference.main with the repository root");
        }
    }

    @Test
    void aHostileTableNameIsRejectedBeforeAnyStatementIsBuilt() {
        final Map<String, String> settings = clickHouse();
        settings.put("table.chart_data_1min", "chart_data_1min; DROP TABLE users --");
        final ConfigException e = assertThrows(ConfigException.class, () -> new ClickHouseSinkConfig(settings));
        assertTrue(e.getMessage().contains("table.chart_data_1min"), e.getMessage());
    }

    @Test
    void aHostileSchemaOrRoleNameIsRejected() {
        for (final String setting : new String[] {PostgresSinkConfig.SCHEMA, PostgresSinkConfig.USER,
                "table.track_stats"}) {
            final Map<String, String> settings = new HashMap<>();
            settings.put(RegistryConfig.URL, "http://registry:8080/apis/ccompat/v7");
            settings.put(PostgresSinkConfig.URL, "jdbc:postgresql://db:5432/melody");
            settings.put(setting, "x\" TO PUBLIC; --");
            assertThrows(ConfigException.class, () -> new PostgresSinkConfig(settings), setting);
        }
    }

    @Test
    void anUnknownStreamIsRejectedAndThePostgresSinkOnlyOffersItsOwn() {
        final Map<String, String> settings = new HashMap<>();
        settings.put(RegistryConfig.URL, "http://registry:8080/apis/ccompat/v7");
        settings.put(PostgresSinkConfig.URL, "jdbc:postgresql://db:5432/melody");
        settings.put(SinkConfig.STREAMS, SinkStream.CHART_COUNTS_MINUTE.id());
        assertThrows(ConfigException.class, () -> new PostgresSinkConfig(settings));
    }

    @Test
    void batchBoundsAreCheckedTogetherWithBothValuesInTheMessage() {
        final Map<String, String> settings = clickHouse();
        settings.put(SinkConfig.BATCH_MIN_ROWS, "5000");
        settings.put(SinkConfig.BATCH_MAX_ROWS, "1000");
        final ConfigException e = assertThrows(ConfigException.class, () -> new ClickHouseSinkConfig(settings));
        assertTrue(e.getMessage().contains("5000") && e.getMessage().contains("1000"), e.getMessage());
    }

    @Test
    void kafkaSettingsReachTheConsumerAndTheDeadLetterProducer() {
        final Map<String, String> settings = clickHouse();
        settings.put("kafka.bootstrap.servers", "broker:9093");
        settings.put("kafka.security.protocol", "SASL_SSL");
        settings.put("kafka.sasl.mechanism", "SCRAM-SHA-512");
        settings.put("kafka.max.poll.records", "777");
        final ClickHouseSinkConfig config = new ClickHouseSinkConfig(settings);
        final Map<String, Object> consumer = config.consumerProperties();
        assertEquals("SASL_SSL", consumer.get("security.protocol"));
        assertEquals("777", consumer.get("max.poll.records"), "kafka.* wins over our defaults");
        assertEquals("read_committed", consumer.get("isolation.level"));
        assertEquals(false, consumer.get("enable.auto.commit"));
        final Map<String, Object> producer = config.producerProperties();
        assertEquals("SASL_SSL", producer.get("security.protocol"));
        assertEquals("SCRAM-SHA-512", producer.get("sasl.mechanism"));
        assertEquals("broker:9093", producer.get("bootstrap.servers"));
        assertTrue(!producer.containsKey("max.poll.records"), "consumer-only settings stay out of the producer");
    }

    @Test
    void topicsDefaultToTheCatalogueAndCanBeRenamed() {
        final Map<String, String> settings = clickHouse();
        settings.put(SinkStream.CHART_COUNTS_MINUTE.topicSetting(), "test.counts");
        final Map<String, SinkStream> topics = new ClickHouseSinkConfig(settings).topics();
        assertEquals(SinkStream.CHART_COUNTS_MINUTE, topics.get("test.counts"));
        assertEquals(SinkStream.TRACK_PLAY_TOTALS, topics.get("melody.out.track-play-totals"));
        assertEquals(SinkStream.values().length, topics.size());
    }

    @Test
    void aPasswordFileWinsAndThePasswordNeverAppearsInTheConfigsText() throws IOException {
        final Path secret = Files.createTempFile("ch", ".secret");
        try {
            Files.writeString(secret, "s3cr3t-from-file\n");
            final Map<String, String> settings = clickHouse();
            settings.put(ClickHouseSinkConfig.PASSWORD, "s3cr3t-inline");
            settings.put(ClickHouseSinkConfig.PASSWORD_FILE, secret.toString());
            final ClickHouseSinkConfig config = new ClickHouseSinkConfig(settings);
            assertEquals("s3cr3t-from-file", config.password());
            assertTrue(!config.values().toString().contains("s3cr3t-inline"), "passwords are hidden when printed");
        } finally {
            Files.delete(secret);
        }
    }
}
