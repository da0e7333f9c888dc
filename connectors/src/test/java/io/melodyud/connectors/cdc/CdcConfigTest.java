package io.melodyud.connectors.cdc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CdcConfigTest {

    @TempDir
    Path dir;

    static Map<String, String> minimal() {
        final Map<String, String> settings = new HashMap<>();
        settings.put("kafka.bootstrap.servers", "kafka-1:9092,kafka-2:9092");
        settings.put("schema.registry.url", "http://registry:8080/apis/ccompat/v7");
        settings.put("cdc.nodes", "worker1=10.0.0.11:5432, worker2=10.0.0.12:5432");
        settings.put("cdc.password", "s3cret-Passw0rd");
        return settings;
    }

    private static ConfigException refused(final Map<String, String> settings) {
        return assertThrows(ConfigException.class, () -> new CdcConfig(settings));
    }

    @Test
    void minimalSettingsGiveTheCatalogueTopicsAndOneEnginePerNode() {
        final CdcConfig config = new CdcConfig(minimal());
        assertEquals(List.of(new Node("worker1", "10.0.0.11", 5432), new Node("worker2", "10.0.0.12", 5432)),
            config.nodes());
        assertEquals("worker1", config.referenceNode(config.nodes()));
        assertEquals("melody.cdc.users", config.topic(LogicalTable.USERS));
        assertEquals("melody.cdc.offsets", config.offsetsTopic());
        assertEquals("melody.dlq.cdc", config.dlqTopic());
        assertEquals("melody-cdc-worker1", config.engineName(config.nodes().get(0)));
        assertEquals(List.of(LogicalTable.values()), config.tables());
    }

    @Test
    void malformedNodeIsRefusedWithTheExpectedForm() {
        final Map<String, String> settings = minimal();
        settings.put("cdc.nodes", "worker1=10.0.0.11");
        final ConfigException e = refused(settings);
        assertTrue(e.getMessage().contains("name=host:port"), e.getMessage());
    }

    @Test
    void duplicateNodeNamesAreRefused() {
        final Map<String, String> settings = minimal();
        settings.put("cdc.nodes", "worker1=10.0.0.11:5432,worker1=10.0.0.12:5432");
        assertTrue(refused(settings).getMessage().contains("appears twice"));
    }

    @Test
    void referenceNodeMustBeOneOfTheNodes() {
        final Map<String, String> settings = minimal();
        settings.put("cdc.reference.node", "worker9");
        final ConfigException e = refused(settings);
        assertTrue(e.getMessage().contains("worker9") && e.getMessage().contains("worker1"), e.getMessage());
    }

    @Test
    void unknownTableIsRefused() {
        final Map<String, String> settings = minimal();
        settings.put("cdc.tables", "users,sessions");
        assertTrue(refused(settings).getMessage().contains("sessions"));
    }

    @Test
    void slotNameMustBeASqlIdentifier() {
        final Map<String, String> settings = minimal();
        settings.put("cdc.slot.name", "melody-cdc; drop table users");
        assertTrue(refused(settings).getMessage().contains("cdc.slot.name"));
    }

    @Test
    void topicPrefixMustBeLegalInATopicName() {
        final Map<String, String> settings = minimal();
        settings.put("cdc.topic.prefix", "melody cdc");
        assertTrue(refused(settings).getMessage().contains("cdc.topic.prefix"));
    }

    @Test
    void weakerAcksOrNoIdempotenceAreRefusedBecauseTheyCouldLoseChanges() {
        final Map<String, String> acks = minimal();
        acks.put("kafka.acks", "1");
        assertTrue(refused(acks).getMessage().contains("acks=all"));
        final Map<String, String> idempotence = minimal();
        idempotence.put("kafka.enable.idempotence", "false");
        assertTrue(refused(idempotence).getMessage().contains("idempotent"));
    }

    @Test
    void citusDiscoveryNeedsTheCoordinator() {
        final Map<String, String> settings = minimal();
        settings.put("cdc.nodes.source", "citus");
        assertTrue(refused(settings).getMessage().contains("cdc.coordinator"));
    }

    @Test
    void batchLargerThanQueueIsRefusedWithBothValues() {
        final Map<String, String> settings = minimal();
        settings.put("cdc.max.batch.size", "4096");
        settings.put("cdc.max.queue.size", "1024");
        final ConfigException e = refused(settings);
        assertTrue(e.getMessage().contains("4096") && e.getMessage().contains("1024"), e.getMessage());
    }

    @Test
    void passwordComesFromAFileWithoutItsTrailingNewline() throws IOException {
        final Path secret = dir.resolve("cdc-password");
        Files.writeString(secret, "from-a-file\n");
        final Map<String, String> settings = minimal();
        settings.remove("cdc.password");
        settings.put("cdc.password.file", secret.toString());
        assertEquals("from-a-file", new CdcConfig(settings).password().value());
    }

    @Test
    void missingPasswordNamesTheEnvironmentVariable() {
        final Map<String, String> settings = minimal();
        settings.remove("cdc.password");
        final CdcConfig config = new CdcConfig(settings);
        final ConfigException e = assertThrows(ConfigException.class, config::password);
        assertTrue(e.getMessage().contains("MELODY_CDC_PASSWORD"), e.getMessage());
    }

    @Test
    void passwordAndPasswordFileTogetherAreRefused() {
        final Map<String, String> settings = minimal();
        settings.put("cdc.password.file", "/run/secrets/cdc");
        assertTrue(refused(settings).getMessage().contains("give one"));
    }

    @Test
    void passwordIsHiddenWhenTheConfigIsPrinted() {
        final CdcConfig config = new CdcConfig(minimal());
        assertFalse(config.values().toString().contains("s3cret-Passw0rd"));
    }

    @Test
    void kafkaSettingsReachTheProducerTheOffsetStoreAndTheSignalConsumer() {
        final Map<String, String> settings = minimal();
        settings.put("kafka.security.protocol", "SASL_SSL");
        settings.put("kafka.linger.ms", "20");
        final CdcConfig config = new CdcConfig(settings);
        final Map<String, Object> producer = config.producerSettings();
        assertEquals("SASL_SSL", producer.get("security.protocol"));
        assertEquals("20", producer.get("linger.ms"));
        assertEquals("all", producer.get("acks"));
        assertEquals(true, producer.get("enable.idempotence"));
        final Properties engine = engineProperties(config, 0, List.of(LogicalTable.USERS));
        assertEquals("SASL_SSL", engine.get("security.protocol"));
        assertEquals("SASL_SSL", engine.get("signal.consumer.security.protocol"));
        assertEquals("kafka-1:9092,kafka-2:9092", engine.get("bootstrap.servers"));
        assertEquals("org.apache.kafka.connect.storage.KafkaOffsetBackingStore", engine.get("offset.storage"));
        assertEquals("melody.cdc.offsets", engine.get("offset.storage.topic"));
    }

    @Test
    void engineCapturesShardTablesWithPgoutputWithoutCreatingThePublication() {
        final CdcConfig config = new CdcConfig(minimal());
        final Properties engine = engineProperties(config, 1, List.of(LogicalTable.USERS,
            LogicalTable.SUBSCRIPTIONS));
        assertEquals("pgoutput", engine.get("plugin.name"));
        assertEquals("disabled", engine.get("publication.autocreate.mode"));
        assertEquals("public\\.(subscriptions|users)_[0-9]+", engine.get("table.include.list"));
        assertEquals("melody-cdc-worker2", engine.get("topic.prefix"));
        assertEquals("10.0.0.12", engine.get("database.hostname"));
        assertEquals("false", engine.get("tombstones.on.delete"));
    }

    private static Properties engineProperties(final CdcConfig config, final int node,
                                               final List<LogicalTable> tables) {
        return new NodeEngine(config.nodes().get(node), tables, config, null, null, null, null, e -> { })
            .engineProperties();
    }
}
