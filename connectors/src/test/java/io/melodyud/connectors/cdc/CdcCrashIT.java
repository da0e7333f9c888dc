package io.melodyud.connectors.cdc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.LongDeserializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Crashes during a burst of writes, and the promise that survives them: every committed row change reaches its
 * topic (duplicates allowed, none missing). The CDC process is killed with SIGKILL (it runs as a child JVM); a
 * PostgreSQL server is stopped with {@code pg_ctl -m immediate} (a throwaway cluster of the test's own: the
 * shared clusters may not be restarted).
 */
class CdcCrashIT {

    private static final Logger LOG = LoggerFactory.getLogger(CdcCrashIT.class);
    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final long FIRST = 1_000_000L;

    @TempDir
    Path work;

    private String testName;

    @BeforeEach
    void setUp(final TestInfo test) {
        testName = test.getTestMethod().orElseThrow().getName();
    }

    @Test
    void killMinusNineOfTheCdcProcessDuringABurstLosesNoCommittedChange() throws Exception {
        Process cdc = null;
        try (CdcScratch scratch = new CdcScratch(testName)) {
            final Map<String, String> settings = scratch.settings(null);
            final String password = settings.remove("cdc.password");
            scratch.provision(configWith(settings, password));
            final Path properties = work.resolve("cdc.properties");
            Files.writeString(properties, settings.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining("\n")));
            try (TopicReader users = new TopicReader(scratch.stack.kafkaBootstrapServers(),
                    scratch.topic(LogicalTable.USERS))) {
                cdc = startCdc(properties, password, "cdc-1.log");
                scratch.insertUser(FIRST - 1, "FREE");
                users.await(WAIT, () -> "the first change", r -> !r.isEmpty());

                final BurstWriter writer = new BurstWriter(scratch, FIRST, 6_000, 40, 15);
                final Thread writing = new Thread(writer, "burst-writer");
                writing.start();
                users.await(WAIT, () -> "a part of the burst", r -> r.size() > 800);
                cdc.destroyForcibly().waitFor();
                LOG.info("CDC killed with SIGKILL after {} records on the topic, {} rows written", users.seen().size(),
                    writer.attempted.get());
                assertTrue(writer.attempted.get() < 6_000, "killed during the burst");
                writing.join();
                cdc = startCdc(properties, password, "cdc-2.log");
                assertNothingMissing(scratch, users, FIRST, FIRST + 6_000);
                // SIGTERM stops it cleanly: engines closed, offsets flushed, within the hook's grace period.
                cdc.destroy();
                assertTrue(cdc.waitFor(90, java.util.concurrent.TimeUnit.SECONDS), "stops on SIGTERM");
                assertTrue(Files.readString(work.resolve("cdc-2.log")).contains("Engine is stopped"),
                    "the engines were closed, not cut off");
            }
        } finally {
            if (cdc != null) {
                cdc.destroyForcibly().waitFor();
            }
        }
    }

    @Test
    void immediateRestartOfAWorkerDuringStreamingLosesNoCommittedChange() throws Exception {
        try (ThrowawayPostgres postgres = new ThrowawayPostgres("crash");
             CdcScratch scratch = new CdcScratch(testName, postgres.node("own1"))) {
            final CdcConfig config = new CdcConfig(scratch.settings(null));
            scratch.provision(config);
            try (CdcRunner runner = new CdcRunner(config);
                 TopicReader users = new TopicReader(scratch.stack.kafkaBootstrapServers(),
                     scratch.topic(LogicalTable.USERS))) {
                runner.start();
                scratch.insertUser(FIRST - 1, "FREE");
                users.await(WAIT, () -> "the first change", r -> !r.isEmpty());
                final BurstWriter writer = new BurstWriter(scratch, FIRST, 4_000, 40, 15);
                final Thread writing = new Thread(writer, "burst-writer");
                writing.start();
                users.await(WAIT, () -> "a part of the burst", r -> r.size() > 600);
                postgres.crash();
                LOG.info("PostgreSQL stopped with -m immediate after {} records, {} rows written", users.seen().size(),
                    writer.attempted.get());
                CdcScratch.sleep(1_000);
                postgres.start();
                writing.join();
                assertTrue(writer.failure == null, String.valueOf(writer.failure));
                assertNothingMissing(scratch, users, FIRST, FIRST + 4_000);
                assertTrue(!runner.failure().isDone(), "a restarted node is not a permanent failure");
            }
        }
    }

    private static CdcConfig configWith(final Map<String, String> settings, final String password) {
        final Map<String, String> withPassword = new java.util.HashMap<>(settings);
        withPassword.put("cdc.password", password);
        return new CdcConfig(withPassword);
    }

    private void assertNothingMissing(final CdcScratch scratch, final TopicReader users, final long from,
                                      final long to) throws Exception {
        final Set<Long> committed = BurstWriter.committedUserIds(scratch, from, to);
        assertTrue(committed.size() > 1_000, "the burst committed rows: " + committed.size());
        final LongDeserializer keys = new LongDeserializer();
        final Set<Long> seen = new HashSet<>();
        try {
            users.await(WAIT, () -> "every committed row", records -> {
                for (int i = 0; i < records.size(); i++) {
                    final ConsumerRecord<byte[], byte[]> r = records.get(i);
                    seen.add(keys.deserialize(r.topic(), r.key()));
                }
                return seen.containsAll(committed);
            });
        } finally {
            final Set<Long> missing = new TreeSet<>(committed);
            missing.removeAll(seen);
            final long inRange = users.seen().stream().map(r -> keys.deserialize(r.topic(), r.key()))
                .filter(k -> k >= from && k < to).count();
            LOG.info("{} committed rows, {} records for them on the topic ({} repeats), {} missing", committed.size(),
                inRange, inRange - committed.size() + missing.size(), missing.size());
            assertEquals(List.of(), List.copyOf(missing).subList(0, Math.min(20, missing.size())),
                "committed changes missing from the topic");
        }
    }

    private Process startCdc(final Path properties, final String password, final String log) throws Exception {
        final ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java")
            .toString(), "-Xmx384m", "-cp", System.getProperty("java.class.path"), CdcApp.class.getName(),
            properties.toString(), "run");
        // The password reaches the process the way a deployment gives it: through the environment.
        builder.environment().put("MELODY_CDC_PASSWORD", password);
        builder.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(work.resolve(log)
            .toFile()));
        return builder.start();
    }
}
