package io.melodyud.ops.loadgen;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.melodyud.contracts.registry.RegistryConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LoadGenConfigTest {

    /** Surefire runs in the module directory; the reference lives at the repository root. */
    private static final Path ROOT = Path.of("..");

    private static Map<String, String> minimal() {
        return new HashMap<>(Map.of(LoadGenConfig.KAFKA_BOOTSTRAP_SERVERS, "kafka-0.kafka:9092",
            RegistryConfig.URL, "http://registry:8080/apis/ccompat/v7"));
    }

    @Test
    void theCommittedReferenceMatchesTheDefinitions() throws IOException {
        final Path file = ROOT.resolve(LoadGenConfigReference.FILE);
        assertTrue(Files.exists(file), file + " is missing: run LoadGenConfigReference.main with the repository root");
        assertEquals(LoadGenConfigReference.markdown(), Files.readString(file),
            file + " is out of date: run LoadGenConfigReference.main with the repository root");
    }

    @Test
    void theLocalPropertiesFileIsValidAndMatchesTheStackSeed() throws IOException {
        final Properties local = new Properties();
        try (var in = Files.newInputStream(ROOT.resolve("ops/config/loadgen.local.properties"))) {
            local.load(in);
        }
        final Map<String, String> settings = minimal();
        local.stringPropertyNames().forEach(k -> settings.put(k, local.getProperty(k)));
        final LoadGenConfig config = new LoadGenConfig(settings);
        // ops/stack/defaults.env seeds the database with MELODY_SEED=20260101 and 10,000 users, 50,000 tracks.
        final String defaults = Files.readString(ROOT.resolve("ops/stack/defaults.env"));
        assertTrue(defaults.contains("MELODY_SEED=" + config.referenceSizes().seed()), "reference seed");
        assertTrue(defaults.contains("MELODY_SEED_USERS=" + config.referenceSizes().users()), "users");
        assertTrue(defaults.contains("MELODY_SEED_TRACKS=" + config.referenceSizes().tracks()), "tracks");
        assertTrue(defaults.contains("MELODY_SEED_CAMPAIGNS=" + config.referenceSizes().campaigns()), "campaigns");
        assertTrue(defaults.contains("MELODY_SEED_RIGHTS_HOLDERS=" + config.referenceSizes().rightsHolders()));
    }

    @Test
    void lateEventsWithinGraceMustBeLessLateThanTheGrace() {
        final Map<String, String> settings = minimal();
        settings.put(LoadGenConfig.LATE_MAX_MS, "1800000");
        settings.put(LoadGenConfig.GRACE_MS, "900000");
        final ConfigException e = assertThrows(ConfigException.class, () -> new LoadGenConfig(settings));
        assertTrue(e.getMessage().contains("1800000") && e.getMessage().contains("900000"), e.getMessage());
    }

    @Test
    void theRhythmNeedsTwentyFourPositiveHoursAndIsNormalised() {
        final Map<String, String> settings = minimal();
        settings.put(LoadGenConfig.RHYTHM, "1,2,3");
        assertThrows(ConfigException.class, () -> new LoadGenConfig(settings));
        settings.put(LoadGenConfig.RHYTHM, "2,2,2,2,2,2,2,2,2,2,2,2,4,4,4,4,4,4,4,4,4,4,4,0");
        assertThrows(ConfigException.class, () -> new LoadGenConfig(settings));
        settings.put(LoadGenConfig.RHYTHM, "2,2,2,2,2,2,2,2,2,2,2,2,4,4,4,4,4,4,4,4,4,4,4,4");
        final double[] rhythm = new LoadGenConfig(settings).rhythm();
        assertEquals(2.0 / 3, rhythm[0], 1e-12);
        assertEquals(4.0 / 3, rhythm[23], 1e-12);
    }

    @Test
    void theEventTimeStartIsNowOrAnInstant() {
        final Map<String, String> settings = minimal();
        final Instant now = Instant.parse("2026-11-24T10:15:30Z");
        assertEquals(now, new LoadGenConfig(settings).eventTimeStart(now));
        settings.put(LoadGenConfig.EVENT_TIME_START, "2026-09-01T18:00:00Z");
        assertEquals(Instant.parse("2026-09-01T18:00:00Z"), new LoadGenConfig(settings).eventTimeStart(now));
        settings.put(LoadGenConfig.EVENT_TIME_START, "yesterday");
        assertThrows(ConfigException.class, () -> new LoadGenConfig(settings));
    }

    @Test
    void densityIsTheRateDividedByTheSpeedup() {
        final Map<String, String> settings = minimal();
        settings.put(LoadGenConfig.RATE, "6000");
        settings.put(LoadGenConfig.SPEEDUP, "60");
        assertEquals(100.0, new LoadGenConfig(settings).streamSpec(Instant.EPOCH).density(), 1e-9);
    }

    @Test
    void kafkaSettingsPassThroughToTheProducerAndWin() {
        final Map<String, String> settings = minimal();
        settings.put("kafka.security.protocol", "SASL_SSL");
        settings.put("kafka.sasl.mechanism", "SCRAM-SHA-512");
        settings.put("kafka.linger.ms", "5");
        final Map<String, Object> producer = new LoadGenConfig(settings).producerConfig();
        assertEquals("SASL_SSL", producer.get("security.protocol"));
        assertEquals("SCRAM-SHA-512", producer.get("sasl.mechanism"));
        assertEquals("5", producer.get("linger.ms"));
        assertEquals("kafka-0.kafka:9092", producer.get("bootstrap.servers"));
        assertEquals("all", producer.get("acks"));
        assertTrue(!producer.containsKey("loadgen.rate") && !producer.containsKey("schema.registry.url"));
    }

    @Test
    void commandLineWinsOverEnvironmentWhichWinsOverFileAndTheStackFillsTheEndpoints(@TempDir final Path dir)
            throws IOException {
        final Path file = dir.resolve("loadgen.properties");
        Files.writeString(file, "loadgen.rate=250\nloadgen.seed=99\n");
        final Path stack = dir.resolve("stack.properties");
        Files.writeString(stack, "kafka.bootstrap.servers=127.0.0.1:19092\nregistry.url=http://127.0.0.1:18081/apis/"
            + "ccompat/v7\npg.coordinator.url=jdbc:postgresql://127.0.0.1:15432/melody\npg.workers=0\n"
            + "pg.superuser=postgres\nclickhouse.http.url=http://127.0.0.1:18123\n");
        final Map<String, String> settings = LoadGenCli.settings(new String[] {"--config", file.toString(),
            "--stack", stack.toString(), "--loadgen.rate", "5000", "--kafka.acks", "1"},
            Map.of("MELODY_LOADGEN_SEED", "7"));
        final LoadGenConfig config = new LoadGenConfig(settings);
        assertEquals(5_000.0, config.rate());
        assertEquals(7L, config.getLong(LoadGenConfig.SEED), "the environment overrides the file");
        assertEquals("127.0.0.1:19092", config.producerConfig().get("bootstrap.servers"));
        assertEquals("1", config.producerConfig().get("acks"));
        assertEquals("http://127.0.0.1:18081/apis/ccompat/v7", config.registryConfig().url());
    }

    @Test
    void aMisspelledSettingOnTheCommandLineIsRefused() {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> LoadGenCli.settings(new String[] {"--loadgen.rat", "5000"}, Map.of()));
        assertTrue(e.getMessage().contains("loadgen.rat"), e.getMessage());
    }

    @Test
    void theStreamSpecCarriesEveryShapeSetting() {
        final Map<String, String> settings = minimal();
        settings.put(LoadGenConfig.DUPLICATE_FRACTION, "0.05");
        settings.put(LoadGenConfig.CLICK_RATE, "0.02");
        final StreamSpec spec = new LoadGenConfig(settings).streamSpec(Instant.EPOCH);
        assertEquals(0.05, spec.duplicateFraction());
        assertEquals(0.02, spec.clickRate());
        assertArrayEquals(new LoadGenConfig(minimal()).rhythm(), spec.rhythm());
    }
}
