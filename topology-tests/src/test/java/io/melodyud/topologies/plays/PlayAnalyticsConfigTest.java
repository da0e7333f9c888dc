package io.melodyud.topologies.plays;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.melodyud.contracts.registry.RegistryConfig;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The Kafka Streams settings of play analytics: the common defaults, its own, and the operator's, which win. */
class PlayAnalyticsConfigTest {

    private static final String DLQ = "melody.dlq.play-analytics";
    private static final String REGISTRY = "http://registry:8080/apis/ccompat/v7";

    @Test
    void taskIdlingIsOffBecauseEveryTaskReadsOnePartition() {
        final var props = new PlayAnalyticsConfig(Map.of(RegistryConfig.URL, REGISTRY)).streamsProperties(DLQ);
        assertEquals(-1L, props.get("max.task.idle.ms"));
        assertEquals("exactly_once_v2", props.get("processing.guarantee"));
        assertEquals(DLQ, props.get("errors.dead.letter.queue.topic.name"));
    }

    @Test
    void anOperatorSettingWinsOverTheApplicationsDefault() {
        final var props = new PlayAnalyticsConfig(Map.of(RegistryConfig.URL, REGISTRY,
            "kafka.max.task.idle.ms", "0")).streamsProperties(DLQ);
        assertEquals("0", props.get("max.task.idle.ms"));
    }
}
