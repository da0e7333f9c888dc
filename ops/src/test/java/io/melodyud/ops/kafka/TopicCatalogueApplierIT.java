package io.melodyud.ops.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.melodyud.contracts.config.LocalStack;
import io.melodyud.contracts.topics.TopicCatalogue;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/** Applying the catalogue on the real broker is idempotent and repairs drift it can repair. */
class TopicCatalogueApplierIT {

    private Admin admin;
    private String prefix;

    @BeforeEach
    void setUp(final TestInfo test) {
        admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
            LocalStack.fromSystemProperty().kafkaBootstrapServers()));
        prefix = "it." + test.getTestMethod().orElseThrow().getName() + "." + Long.toHexString(System.nanoTime());
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            final List<String> mine = admin.listTopics().names().get().stream().filter(n -> n.startsWith(prefix)).toList();
            admin.deleteTopics(mine).all().get();
        } finally {
            admin.close();
        }
    }

    private TopicCatalogue catalogue(final int playPartitions, final String retention) throws Exception {
        final String yaml = """
            topics:
              - name: %1$s.plays
                description: plays
                key: long
                value: avro:io.melodyud.avro.event.PlayEvent
                partitions: %2$d
                configs: {cleanup.policy: delete, retention.ms: "%3$s"}
              - name: %1$s.totals
                description: totals
                key: long
                value: avro:io.melodyud.avro.output.TrackPlayTotal
                partitions: 2
                configs: {cleanup.policy: "compact,delete", retention.ms: "2592000000"}
            """.formatted(prefix, playPartitions, retention);
        return TopicCatalogue.parse(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void applyingTwiceCreatesOnceAndThenChangesNothing() throws Exception {
        final TopicCatalogueApplier applier = new TopicCatalogueApplier(admin, (short) 1);
        final TopicCatalogueApplier.Report first = applier.apply(catalogue(3, "604800000"));
        assertEquals(List.of(prefix + ".plays", prefix + ".totals"), first.created());

        final TopicCatalogueApplier.Report second = applier.apply(catalogue(3, "604800000"));
        assertFalse(second.changedAnything(), "second apply: " + second);
        assertEquals(2, second.unchanged().size());
        assertEquals(3, admin.describeTopics(List.of(prefix + ".plays")).allTopicNames().get()
            .get(prefix + ".plays").partitions().size());
    }

    @Test
    void aConfigChangedByHandIsPutBack() throws Exception {
        final TopicCatalogueApplier applier = new TopicCatalogueApplier(admin, (short) 1);
        applier.apply(catalogue(3, "604800000"));
        final ConfigResource plays = new ConfigResource(ConfigResource.Type.TOPIC, prefix + ".plays");
        admin.incrementalAlterConfigs(Map.of(plays, List.of(new AlterConfigOp(
            new ConfigEntry("retention.ms", "1000"), AlterConfigOp.OpType.SET)))).all().get();
        // The controller acknowledges a change before the broker that answers describeConfigs has applied it.
        awaitRetention(plays, "1000");

        final TopicCatalogueApplier.Report report = applier.apply(catalogue(3, "604800000"));
        assertEquals(List.of(prefix + ".plays"), report.reconfigured());
        awaitRetention(plays, "604800000");
    }

    private void awaitRetention(final ConfigResource topic, final String expected) throws Exception {
        final long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        String seen;
        do {
            seen = admin.describeConfigs(List.of(topic)).all().get().get(topic).get("retention.ms").value();
            if (expected.equals(seen)) {
                return;
            }
            Thread.sleep(50);
        } while (System.nanoTime() < deadline);
        assertEquals(expected, seen, "retention.ms of " + topic.name() + " after 10 s");
    }

    @Test
    void partitionsGrowButNeverShrink() throws Exception {
        final TopicCatalogueApplier applier = new TopicCatalogueApplier(admin, (short) 1);
        applier.apply(catalogue(3, "604800000"));

        final TopicCatalogueApplier.Report grown = applier.apply(catalogue(6, "604800000"));
        assertEquals(List.of(prefix + ".plays"), grown.repartitioned());

        final TopicCatalogueApplier.Report shrunk = applier.apply(catalogue(4, "604800000"));
        assertFalse(shrunk.changedAnything());
        assertEquals(1, shrunk.drift().size());
        assertTrue(shrunk.drift().get(0).contains("has 6 partitions, the catalogue says 4"), shrunk.drift().get(0));
    }

    @Test
    void theProductCatalogueIsAlreadyAppliedByTheStack() throws Exception {
        // `ops/melody up` applied it; applying again must find nothing to change (no value the broker rewrites).
        final TopicCatalogueApplier.Report report =
            new TopicCatalogueApplier(admin, (short) 1).apply(TopicCatalogue.load());
        assertFalse(report.changedAnything(), report.toString());
        assertEquals(TopicCatalogue.load().topics().size(), report.unchanged().size());
    }
}
