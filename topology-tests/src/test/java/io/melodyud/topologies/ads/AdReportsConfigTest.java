package io.melodyud.topologies.ads;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.melodyud.contracts.registry.RegistryConfig;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

/** The cross-setting checks of the ad-reports configuration, and what the application hands Kafka Streams. */
class AdReportsConfigTest {

    private static Map<String, Object> settings(final Object... pairs) {
        final Map<String, Object> settings = new HashMap<>();
        settings.put(RegistryConfig.URL, "http://registry:8080/apis/ccompat/v7");
        for (int i = 0; i < pairs.length; i += 2) {
            settings.put((String) pairs[i], pairs[i + 1]);
        }
        return settings;
    }

    private static void refused(final String first, final String second, final Object... pairs) {
        final ConfigException e = assertThrows(ConfigException.class, () -> new AdReportsConfig(settings(pairs)));
        assertTrue(e.getMessage().contains(first) && e.getMessage().contains(second), e.getMessage());
    }

    @Test
    void aGraceLongerThanTheDedupHorizonIsRefusedWithBothValues() {
        refused("7200000", "3600000", AdReportsConfig.GRACE_MS, "7200000", AdReportsConfig.DEDUP_HORIZON_MS, "3600000");
    }

    @Test
    void aClickHoldLongerThanTheGraceIsRefused() {
        refused("900000", "600000", AdReportsConfig.CLICK_HOLD_MS, "900000", AdReportsConfig.GRACE_MS, "600000");
    }

    @Test
    void aCampaignHistoryShorterThanTheDedupHorizonIsRefused() {
        refused("60000", "3600000", AdReportsConfig.CAMPAIGN_HISTORY_RETENTION_MS, "60000");
    }

    @Test
    void theDefaultsAreExactlyOnceWithTheDeadLetterTopicAndTheirOwnApplicationId() {
        final AdReportsConfig config = new AdReportsConfig(settings("kafka.commit.interval.ms", "250"));
        assertEquals("melody-ad-reports", config.applicationId());
        final var props = config.streamsProperties("melody.dlq.ad-reports");
        assertEquals("exactly_once_v2", props.get("processing.guarantee"));
        assertEquals("melody.dlq.ad-reports", props.get("errors.dead.letter.queue.topic.name"));
        assertEquals("250", props.get("commit.interval.ms"));
        assertEquals(true, props.get("ensure.explicit.internal.resource.naming"));
        assertEquals(null, props.get("max.task.idle.ms"),
            "Kafka's default: a task waits for its users and events partitions to order them in time");
    }
}
