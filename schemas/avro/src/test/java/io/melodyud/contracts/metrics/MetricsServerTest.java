package io.melodyud.contracts.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class MetricsServerTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static HttpResponse<String> request(final int port, final String method, final String path)
            throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void servesEachScrapeFreshlyCollected() throws Exception {
        final AtomicLong rows = new AtomicLong(250);
        try (MetricsServer server = MetricsServer.start(0, out -> {
            MelodyMetrics.up(out, MelodyMetrics.POSTGRES_SINK, true);
            out.counter(MelodyMetrics.SINK_ROWS_WRITTEN, "Rows.").sample(rows.get(), "app", "postgres-sink",
                "table", "track_stats");
        })) {
            final PrometheusScrape first = PrometheusScrape.fetch("http://127.0.0.1:" + server.port() + "/metrics");
            rows.addAndGet(750);
            final PrometheusScrape second = PrometheusScrape.fetch("http://127.0.0.1:" + server.port() + "/metrics");

            assertEquals(1.0, first.value(MelodyMetrics.UP, "app", "postgres-sink"));
            assertEquals(250.0, first.value(MelodyMetrics.SINK_ROWS_WRITTEN, "app", "postgres-sink", "table",
                "track_stats"));
            assertEquals(1000.0, second.value(MelodyMetrics.SINK_ROWS_WRITTEN, "app", "postgres-sink", "table",
                "track_stats"));
        }
    }

    @Test
    void answersOtherMethodsAndPathsWithoutCollecting() throws Exception {
        final AtomicLong collected = new AtomicLong();
        try (MetricsServer server = MetricsServer.start(0, out -> collected.incrementAndGet())) {
            final HttpResponse<String> post = request(server.port(), "POST", "/metrics");
            assertEquals(405, post.statusCode());
            assertEquals("GET, HEAD", post.headers().firstValue("Allow").orElse(""));
            assertEquals(404, request(server.port(), "GET", "/metrics/extra").statusCode());
            assertEquals(404, request(server.port(), "GET", "/").statusCode());
            assertEquals(0, collected.get());
            assertEquals(200, request(server.port(), "HEAD", "/metrics").statusCode());
        }
    }

    @Test
    void aFailingCollectorAnswers500AndTheNextScrapeWorks() throws Exception {
        final AtomicBoolean fail = new AtomicBoolean(true);
        try (MetricsServer server = MetricsServer.start(0, out -> {
            if (fail.getAndSet(false)) {
                throw new IllegalStateException("consumer closed");
            }
            MelodyMetrics.up(out, MelodyMetrics.CDC, true);
        })) {
            final HttpResponse<String> failed = request(server.port(), "GET", "/metrics");
            assertEquals(500, failed.statusCode());
            assertTrue(failed.body().contains("IllegalStateException"), failed.body());
            final HttpResponse<String> next = request(server.port(), "GET", "/metrics");
            assertEquals(200, next.statusCode());
            assertEquals(1.0, PrometheusScrape.parse(next.body()).value(MelodyMetrics.UP, "app", "cdc"));
        }
    }

    @Test
    void portZeroDisablesAndABusyPortLeavesTheApplicationRunningWithoutMetrics() throws Exception {
        assertNull(MetricsServer.startIfEnabled(0, out -> { }, "cdc"));
        try (ServerSocket taken = new ServerSocket(0)) {
            assertNull(MetricsServer.startIfEnabled(taken.getLocalPort(), out -> { }, "cdc"));
        }
        final int free;
        try (ServerSocket socket = new ServerSocket(0)) {
            free = socket.getLocalPort();
        }
        try (MetricsServer server = MetricsServer.startIfEnabled(free, out -> { }, "cdc")) {
            assertNotNull(server);
            assertEquals(free, server.port());
        }
    }
}
