package io.melodyud.contracts.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.melodyud.contracts.registry.RegistryConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

    @TempDir
    Path dir;

    @Test
    void environmentOverridesTheFile() throws IOException {
        final Path file = dir.resolve("app.properties");
        Files.writeString(file, "schema.registry.url=http://registry:8080/apis/ccompat/v7\nnum.stream-threads=2\n");
        final Map<String, String> settings = ConfigLoader.load(file, Map.of(
            "MELODY_SCHEMA_REGISTRY_URL", "http://other:8080/apis/ccompat/v7",
            "MELODY_NUM_STREAM_THREADS", "4",
            "HOME", "/root"), List.of());
        assertEquals("http://other:8080/apis/ccompat/v7", settings.get("schema.registry.url"));
        assertEquals("4", settings.get("num.stream-threads"), "a known key keeps its dashes");
        assertFalse(settings.containsKey("home"), "only MELODY_ variables are read");
    }

    @Test
    void unknownEnvironmentKeysMapUnderscoresToDots() {
        final Map<String, String> settings = ConfigLoader.load(null,
            Map.of("MELODY_KAFKA_SECURITY_PROTOCOL", "SASL_SSL"), List.of());
        assertEquals("SASL_SSL", settings.get("kafka.security.protocol"));
    }

    @Test
    void knownKeysWinOverTheDotMapping() {
        final Map<String, String> settings = ConfigLoader.load(null,
            Map.of("MELODY_BASIC_AUTH_USER_INFO", "svc:secret"), List.of(RegistryConfig.BASIC_AUTH_USER_INFO));
        assertEquals("svc:secret", settings.get("basic.auth.user.info"));
    }

    @Test
    void kafkaPrefixedSettingsPassThroughWithoutThePrefix() {
        final Map<String, Object> client = ConfigLoader.withPrefix(Map.of(
            "kafka.security.protocol", "SASL_SSL", "kafka.sasl.mechanism", "SCRAM-SHA-512",
            "schema.registry.url", "http://r"), "kafka.");
        assertEquals(Map.of("security.protocol", "SASL_SSL", "sasl.mechanism", "SCRAM-SHA-512"), client);
    }

    @Test
    void aMissingFileIsAClearError() {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> ConfigLoader.load(dir.resolve("missing.properties"), Map.of(), List.of()));
        assertTrue(e.getMessage().contains("missing.properties"), e.getMessage());
    }

    @Test
    void registryCredentialsAreNeverPrinted() {
        final RegistryConfig config = new RegistryConfig(Map.of(
            RegistryConfig.URL, "http://registry:8080/apis/ccompat/v7",
            RegistryConfig.BASIC_AUTH_USER_INFO, "svc:s3cr3t"));
        assertEquals("svc:s3cr3t", config.userInfo().value());
        assertFalse(config.toString().contains("s3cr3t"));
        assertFalse(config.values().toString().contains("s3cr3t"));
    }
}
