package io.melodyud.connectors.cdc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.melodyud.contracts.metrics.MelodyMetrics;
import io.melodyud.contracts.metrics.PrometheusScrape;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * The CDC process on both workers of the local stack, scraped at {@code GET /metrics}: changes processed and dead
 * letters, per node the lag (0 once idle with heartbeats flowing), the WAL its slot retains and its engine state,
 * the producer's metrics; and the endpoint goes away with the process.
 */
class CdcMetricsIT {

    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final String APP = MelodyMetrics.CDC;

    private String testName;

    @BeforeEach
    void setUp(final TestInfo test) {
        testName = test.getTestMethod().orElseThrow().getName();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static PrometheusScrape awaitScrape(final String url, final String what,
                                                final Predicate<PrometheusScrape> condition) throws Exception {
        return PrometheusScrape.await(url, WAIT, what, condition);
    }

    private static double value(final PrometheusScrape scrape, final String name, final String... labels) {
        final Double value = scrape.value(name, labels);
        return value == null ? -1 : value;
    }

    @Test
    void theScrapeFollowsChangesDeadLettersLagAndSlotsOfEveryNode() throws Exception {
        try (CdcScratch scratch = new CdcScratch(testName)) {
            final int port = freePort();
            final Map<String, String> settings = scratch.settings(null);
            settings.put(CdcConfig.METRICS_PORT, Integer.toString(port));
            final CdcConfig config = new CdcConfig(settings);
            scratch.provision(config);
            final CdcScratch.ShardPlace badPlace = scratch.place("users", 301L);
            // The source lets through what the contract forbids: a user without a country.
            scratch.execute(badPlace.worker(), "ALTER TABLE " + badPlace.table()
                + " ALTER COLUMN country DROP NOT NULL");
            final String url = "http://127.0.0.1:" + port + "/metrics";
            final List<String> nodes = scratch.workers.stream().map(Node::name).toList();
            try (CdcRunner runner = new CdcRunner(config)) {
                runner.start();
                assertEquals(port, runner.metricsPort());
                awaitScrape(url, "every node streaming", s -> nodes.stream().allMatch(node ->
                    value(s, CdcPrometheus.NODE_STATE, "app", APP, "node", node, "state", "RUNNING") == 1.0
                        && value(s, MelodyMetrics.CDC_LAG, "app", APP, "node", node) >= 0));
                // The slot exists a moment before the engine reads it.
                CdcScratch.sleep(1500);

                double maxLag = 0;
                for (long id = 400; id < 440; id++) {
                    scratch.insertUser(id, id % 3 == 0 ? "PREMIUM" : "FREE");
                    if (id % 10 == 0) {
                        final PrometheusScrape during = PrometheusScrape.fetch(url);
                        for (final String node : nodes) {
                            maxLag = Math.max(maxLag, value(during, MelodyMetrics.CDC_LAG, "app", APP, "node", node));
                        }
                    }
                }
                scratch.execute(badPlace.worker(), "INSERT INTO " + badPlace.table() + " (user_id, email, "
                    + "display_name, country, tier, signup_at) VALUES (301, 'sinpais@example.co', 'Sin País', NULL, "
                    + "'FREE', now())");

                final PrometheusScrape done = awaitScrape(url, "40 changes and a dead letter", s ->
                    s.sum(CdcPrometheus.CHANGES_PUBLISHED, "app", APP) >= 40
                        && value(s, MelodyMetrics.DEAD_LETTERS, "app", APP, "reason", "null-in-required-field") == 1.0);
                assertEquals(41.0, done.value(MelodyMetrics.RECORDS_PROCESSED, "app", APP), "40 users and the dead "
                    + "letter, from an empty database (no snapshot rows)");
                assertTrue(nodes.stream().allMatch(node -> value(done, CdcPrometheus.CHANGES_PUBLISHED, "app", APP,
                    "node", node) > 0), "both workers hold some of the users");
                assertEquals(1.0, done.value(MelodyMetrics.UP, "app", APP));

                final PrometheusScrape idle = awaitScrape(url, "no lag once idle, and the slots measured",
                    s -> nodes.stream().allMatch(node -> value(s, MelodyMetrics.CDC_LAG, "app", APP, "node", node) == 0
                        && value(s, MelodyMetrics.CDC_SLOT_RETAINED_WAL, "app", APP, "node", node, "slot",
                            scratch.slotName()) >= 0));
                assertNotNull(idle.value("kafka_producer_metrics_record_send_total", "app", APP, "client_id",
                    config.engineNamePrefix() + "-producer"));
                assertTrue(idle.value("kafka_producer_metrics_record_send_total", "app", APP, "client_id",
                    config.engineNamePrefix() + "-producer") >= 41);
                final List<String> lint = PrometheusScrape.promtoolLint(idle.text());
                if (lint != null) {
                    assertEquals(List.of(), lint.stream().filter(line -> line.startsWith("melody_")).toList());
                }
                System.err.printf("CdcMetricsIT: highest lag seen while inserting %.3f s; scrape %d bytes, %d "
                    + "series%n", maxLag, idle.text().length(),
                    idle.families().values().stream().mapToInt(f -> f.samples().size()).sum());
            }
            assertThrows(IOException.class, () -> PrometheusScrape.fetch(url), "the endpoint closes with CDC");
        }
    }
}
