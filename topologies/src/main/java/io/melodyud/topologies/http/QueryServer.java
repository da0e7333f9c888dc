package io.melodyud.topologies.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.melodyud.contracts.metrics.MetricsServer;
import io.melodyud.topologies.common.ErrorCounters;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small HTTP server for interactive queries. A route answers for a key from the local state store when this
 * instance holds the key's partition, and otherwise forwards the request to the instance that does (found through
 * Kafka Streams' metadata, from {@code application.server}), like Confluent's KafkaMusicExample. JSON answers,
 * except {@code GET /metrics} (Prometheus text, see {@link #enableMetrics}).
 */
public final class QueryServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(QueryServer.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Set on forwarded requests, so that a request is forwarded at most once (no loops during rebalances). */
    private static final String FORWARDED = "X-Melody-Forwarded";

    /** An answer: HTTP status and a JSON-able body. */
    public record Answer(int status, Object body) {

        public static Answer ok(final Object body) {
            return new Answer(200, body);
        }

        public static Answer notFound(final String message) {
            return new Answer(404, Map.of("error", message));
        }

        public static Answer badRequest(final String message) {
            return new Answer(400, Map.of("error", message));
        }
    }

    /** Answers a request from local state, given its path segments and query parameters. */
    @FunctionalInterface
    public interface LocalRoute {
        Answer answer(String[] segments, Map<String, String> query);
    }

    /** Finds which instance holds the data of a request, or null when any instance may answer. */
    @FunctionalInterface
    public interface KeyLocator {
        KeyQueryMetadata locate(String[] segments, Map<String, String> query);
    }

    private final HttpServer server;
    private final KafkaStreams streams;
    private final HostInfo self;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    public QueryServer(final KafkaStreams streams, final HostInfo self, final int port) throws IOException {
        this.streams = streams;
        this.self = self;
        this.server = HttpServer.create(new InetSocketAddress(port), 0);
        server.setExecutor(Executors.newFixedThreadPool(4));
        route("/health", (segments, query) -> {
            final KafkaStreams.State state = streams.state();
            final boolean up = state == KafkaStreams.State.RUNNING || state == KafkaStreams.State.REBALANCING;
            return new Answer(up ? 200 : 503, Map.of("state", state.name()));
        }, null);
    }

    /** Serves GET requests under {@code prefix}; with a locator, requests for other instances' keys are forwarded. */
    public void route(final String prefix, final LocalRoute route, final KeyLocator locator) {
        server.createContext(prefix, exchange -> {
            try (exchange) {
                if (!"GET".equals(exchange.getRequestMethod())) {
                    send(exchange, new Answer(405, Map.of("error", "only GET is served")));
                    return;
                }
                Answer computed;
                try {
                    final String[] segments = exchange.getRequestURI().getPath().replaceAll("^/+|/+$", "")
                        .split("/");
                    computed = answer(exchange, segments, query(exchange.getRequestURI()), route, locator);
                } catch (final RuntimeException e) {
                    // Answered, not thrown: a handler that throws closes the connection without a response.
                    LOG.warn("HTTP {} failed", exchange.getRequestURI(), e);
                    computed = new Answer(500, Map.of("error", String.valueOf(e.getMessage())));
                }
                send(exchange, computed);
            }
        });
    }

    /**
     * Serves the application's metrics at {@code GET /metrics} in the Prometheus text format: one call per
     * application, before or after {@link #start()}. Each instance answers for itself (no forwarding): Prometheus
     * scrapes every instance.
     *
     * @param app the application's {@code app} label ({@code io.melodyud.contracts.metrics.MelodyMetrics})
     * @return the collector, to add the application's own metrics with {@link StreamsMetrics#with}
     */
    public StreamsMetrics enableMetrics(final String app, final KafkaStreams streams, final ErrorCounters counters) {
        final StreamsMetrics metrics = new StreamsMetrics(app, streams, counters);
        server.createContext(MetricsServer.PATH, MetricsServer.handler(metrics));
        return metrics;
    }

    private Answer answer(final HttpExchange exchange, final String[] segments, final Map<String, String> query,
                          final LocalRoute route, final KeyLocator locator) {
        if (locator != null) {
            final KeyQueryMetadata metadata;
            try {
                metadata = locator.locate(segments, query);
            } catch (final IllegalArgumentException e) {
                return Answer.badRequest(e.getMessage());
            }
            if (metadata != null && metadata != KeyQueryMetadata.NOT_AVAILABLE
                    && !metadata.activeHost().equals(self)
                    && exchange.getRequestHeaders().getFirst(FORWARDED) == null) {
                return forward(metadata.activeHost(), exchange.getRequestURI());
            }
            if (metadata == KeyQueryMetadata.NOT_AVAILABLE || metadata == null) {
                return new Answer(503, Map.of("error", "state is being rebalanced; retry shortly",
                    "state", streams.state().name()));
            }
        }
        try {
            return route.answer(segments, query);
        } catch (final IllegalArgumentException e) {
            return Answer.badRequest(e.getMessage());
        } catch (final org.apache.kafka.streams.errors.InvalidStateStoreException e) {
            return new Answer(503, Map.of("error", "state store not queryable yet: " + e.getMessage()));
        }
    }

    private Answer forward(final HostInfo host, final URI uri) {
        final URI target = URI.create("http://" + host.host() + ":" + host.port() + uri.getRawPath()
            + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery()));
        try {
            final HttpResponse<String> response = client.send(HttpRequest.newBuilder(target)
                .timeout(Duration.ofSeconds(5)).header(FORWARDED, self.host() + ":" + self.port()).GET().build(),
                HttpResponse.BodyHandlers.ofString());
            return new Answer(response.statusCode(), JSON.readTree(response.body()));
        } catch (final IOException e) {
            return new Answer(502, Map.of("error", "instance " + host + " holding this key did not answer: " + e));
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Answer(503, Map.of("error", "interrupted"));
        }
    }

    private static Map<String, String> query(final URI uri) {
        final Map<String, String> query = new LinkedHashMap<>();
        final String raw = uri.getRawQuery();
        if (raw != null) {
            for (final String pair : raw.split("&")) {
                final int eq = pair.indexOf('=');
                if (eq > 0) {
                    query.put(java.net.URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                        java.net.URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
                }
            }
        }
        return query;
    }

    private static void send(final HttpExchange exchange, final Answer answer) throws IOException {
        final byte[] body = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(answer.body());
        exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        exchange.sendResponseHeaders(answer.status(), body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    /**
     * Serves a fixed document at exactly {@code path} (GET only), for the dashboard's page. Other paths under it
     * answer 404, so that it does not shadow the JSON routes.
     */
    public void page(final String path, final String contentType, final byte[] body) {
        server.createContext(path, exchange -> {
            try (exchange) {
                final boolean exact = exchange.getRequestURI().getPath().equals(path);
                if (!"GET".equals(exchange.getRequestMethod()) || !exact) {
                    send(exchange, new Answer(exact ? 405 : 404, Map.of("error", exact ? "only GET is served"
                        : "no such route: " + exchange.getRequestURI().getPath())));
                    return;
                }
                exchange.getResponseHeaders().set("Content-Type", contentType);
                exchange.getResponseHeaders().set("Cache-Control", "no-cache");
                exchange.sendResponseHeaders(200, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
        });
    }

    /** Answers a request with a JSON body computed on the spot, without key location (e.g. a proxy). */
    public void json(final String prefix, final java.util.function.Function<URI, Answer> answer) {
        server.createContext(prefix, exchange -> {
            try (exchange) {
                Answer computed;
                try {
                    computed = answer.apply(exchange.getRequestURI());
                } catch (final RuntimeException e) {
                    // Answered, not thrown: a handler that throws closes the connection without a response.
                    LOG.warn("HTTP {} failed", exchange.getRequestURI(), e);
                    computed = new Answer(500, Map.of("error", String.valueOf(e.getMessage())));
                }
                send(exchange, computed);
            }
        });
    }

    /** GETs a JSON document from another service, as an answer (502 when it does not answer). */
    public Answer fetch(final URI target) {
        try {
            final HttpResponse<String> response = client.send(HttpRequest.newBuilder(target)
                .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
            return new Answer(response.statusCode(), JSON.readTree(response.body()));
        } catch (final IOException e) {
            return new Answer(502, Map.of("error", target.getHost() + ":" + target.getPort() + " did not answer: " + e));
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Answer(503, Map.of("error", "interrupted"));
        }
    }

    public void start() {
        server.start();
        LOG.info("HTTP API listening on port {}", server.getAddress().getPort());
    }

    /** This instance, as other instances reach it. */
    public HostInfo self() {
        return self;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(1);
    }
}
