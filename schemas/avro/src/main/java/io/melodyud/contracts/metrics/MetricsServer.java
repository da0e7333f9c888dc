package io.melodyud.contracts.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /metrics} in the Prometheus text format, for applications without an HTTP API of their own (CDC, the
 * sinks); applications with one mount {@link #handler} on it. One thread answers, so that concurrent scrapes queue
 * rather than compete with the application for CPU.
 */
public final class MetricsServer implements AutoCloseable {

    /** The path served. */
    public static final String PATH = "/metrics";

    private static final Logger LOG = LoggerFactory.getLogger(MetricsServer.class);

    private final HttpServer server;
    private final ExecutorService executor;

    private MetricsServer(final HttpServer server, final ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /**
     * Serves {@code collector} on {@code port} of every interface ({@code 0}: a free port, see {@link #port()}).
     *
     * @throws IOException when the port cannot be bound
     */
    public static MetricsServer start(final int port, final MetricsCollector collector) throws IOException {
        final HttpServer server = HttpServer.create(new InetSocketAddress(port), 0);
        final ExecutorService executor = Executors.newSingleThreadExecutor(runnable -> {
            final Thread thread = new Thread(runnable, "metrics-http");
            thread.setDaemon(true);
            return thread;
        });
        server.setExecutor(executor);
        server.createContext(PATH, handler(collector));
        server.start();
        LOG.info("Metrics served on http://0.0.0.0:{}{}", server.getAddress().getPort(), PATH);
        return new MetricsServer(server, executor);
    }

    /**
     * Serves {@code collector} on {@code port} when the port is not 0. A port that cannot be bound is logged as an
     * error and the application goes on without its endpoint: metrics must not stop the data path, and the
     * scrape's absence ({@code absent(melody_up{app="..."})}) is what alerts then.
     *
     * @return the server, or null when disabled or not bound
     */
    public static MetricsServer startIfEnabled(final int port, final MetricsCollector collector, final String app) {
        if (port == 0) {
            LOG.info("Metrics of {} are disabled (metrics.port=0)", app);
            return null;
        }
        try {
            return start(port, collector);
        } catch (final IOException e) {
            LOG.error("Cannot serve the metrics of {} on port {}: {}; running without them", app, port,
                e.getMessage());
            return null;
        }
    }

    /**
     * The handler of {@code GET /metrics}: 200 with the scrape, 404 for other paths under its context, 405 for other
     * methods, 500 (and a log line) when the collector fails.
     */
    public static HttpHandler handler(final MetricsCollector collector) {
        return exchange -> {
            try (exchange) {
                if (!PATH.equals(exchange.getRequestURI().getPath())) {
                    send(exchange, 404, "Not found; metrics are at " + PATH + "\n");
                    return;
                }
                final String method = exchange.getRequestMethod();
                if (!"GET".equals(method) && !"HEAD".equals(method)) {
                    exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                    send(exchange, 405, "Only GET is served\n");
                    return;
                }
                final String body;
                try {
                    final PrometheusText text = new PrometheusText();
                    collector.collect(text);
                    body = text.render();
                } catch (final RuntimeException e) {
                    LOG.warn("Collecting metrics failed", e);
                    send(exchange, 500, "Collecting metrics failed: " + e.getClass().getSimpleName() + "\n");
                    return;
                }
                send(exchange, 200, body);
            }
        };
    }

    private static void send(final HttpExchange exchange, final int status, final String body) throws IOException {
        final byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", status == 200 ? PrometheusText.CONTENT_TYPE
            : "text/plain; charset=utf-8");
        final boolean head = "HEAD".equals(exchange.getRequestMethod());
        exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
        if (!head) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    /** The port listened on. */
    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
