package io.melodyud.topologies.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.melodyud.contracts.registry.RegistryConfig;
import io.melodyud.topologies.plays.PlayAnalyticsConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class ConfigReferenceTest {

    /** Surefire runs in the module directory; the reference lives at the repository root. */
    private static final Path ROOT = Path.of("..");

    @Test
    void theCommittedReferenceMatchesTheDefinitions() throws IOException {
        for (final Map.Entry<String, org.apache.kafka.common.config.ConfigDef> reference
                : ConfigReference.REFERENCES.entrySet()) {
            final Path file = ROOT.resolve(reference.getKey());
            assertTrue(Files.exists(file), file + " is missing: run ConfigReference.main with the repository root");
            assertEquals(ConfigReference.markdown(ConfigReference.title(reference.getKey()), reference.getValue()),
                Files.readString(file), file + " is out of date: run ConfigReference.main with the repository root");
        }
    }

    @Test
    void aGraceLongerThanTheDedupHorizonIsRefusedWithBothValues() {
        final ConfigException e = assertThrows(ConfigException.class, () -> new PlayAnalyticsConfig(Map.of(
            RegistryConfig.URL, "http://registry:8080/apis/ccompat/v7",
            PlayAnalyticsConfig.GRACE_DAY_MS, "7200000",
            PlayAnalyticsConfig.DEDUP_HORIZON_MS, "3600000")));
        assertTrue(e.getMessage().contains("7200000") && e.getMessage().contains("3600000"), e.getMessage());
    }

    @Test
    void kafkaSettingsPassThroughAndWinOverOurDefaults() {
        final PlayAnalyticsConfig config = new PlayAnalyticsConfig(Map.of(
            RegistryConfig.URL, "http://registry:8080/apis/ccompat/v7",
            "kafka.security.protocol", "SASL_SSL",
            "kafka.commit.interval.ms", "250"));
        final var props = config.streamsProperties("dlq");
        assertEquals("SASL_SSL", props.get("security.protocol"));
        assertEquals("250", props.get("commit.interval.ms"));
        assertEquals("exactly_once_v2", props.get("processing.guarantee"));
    }
}
