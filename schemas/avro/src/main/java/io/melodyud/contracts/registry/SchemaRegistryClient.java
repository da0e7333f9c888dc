package io.melodyud.contracts.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small client of the Confluent-compatible schema registry API: register a schema under a subject, look a
 * schema up by id. Thread-safe; answers are cached forever because ids and schemas are immutable once assigned.
 *
 * <p>Only the calls the serdes need are implemented, so that we depend on nothing but the JDK's HTTP client
 * (Confluent's client is not on Maven Central, and Apicurio's speaks its own v3 API).
 */
public final class SchemaRegistryClient implements SchemaRegistry {

    private static final Logger LOG = LoggerFactory.getLogger(SchemaRegistryClient.class);
    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final RegistryConfig config;
    private final HttpClient http;
    private final String authorization;
    private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();
    private final Map<String, Map<Schema, Integer>> idsBySubject = new ConcurrentHashMap<>();

    public SchemaRegistryClient(final RegistryConfig config) {
        this.config = config;
        this.http = HttpClient.newBuilder()
            .connectTimeout(Duration.ofMillis(config.requestTimeoutMs()))
            .build();
        this.authorization = config.userInfo() == null ? null
            : "Basic " + Base64.getEncoder().encodeToString(
                config.userInfo().value().getBytes(StandardCharsets.UTF_8));
    }

    public RegistryConfig config() {
        return config;
    }

    @Override
    public boolean autoRegister() {
        return config.autoRegister();
    }

    /**
     * Registers {@code schema} under {@code subject} (a no-op returning the existing id when the registry already
     * has it) and returns its id.
     */
    @Override
    public int register(final String subject, final Schema schema) {
        return idsBySubject.computeIfAbsent(subject, s -> new ConcurrentHashMap<>())
            .computeIfAbsent(schema, s -> {
                final JsonNode answer = post("/subjects/" + encode(subject) + "/versions", schemaBody(s),
                    "register a schema under subject " + subject);
                final int id = answer.path("id").asInt(-1);
                if (id < 0) {
                    throw new RegistryException("Registry at " + config.url() + " answered without an id when "
                        + "registering under subject " + subject + ": " + answer, 200, -1, null);
                }
                schemasById.putIfAbsent(id, s);
                LOG.info("Schema {} registered under subject {} with id {}", s.getFullName(), subject, id);
                return id;
            });
    }

    /**
     * Returns the id of {@code schema} under {@code subject}, failing when it was never registered there. Used by
     * serializers that must not register (production: only the release process changes contracts).
     */
    @Override
    public int lookup(final String subject, final Schema schema) {
        return idsBySubject.computeIfAbsent(subject, s -> new ConcurrentHashMap<>())
            .computeIfAbsent(schema, s -> {
                final JsonNode answer = post("/subjects/" + encode(subject), schemaBody(s),
                    "look up the schema " + s.getFullName() + " under subject " + subject);
                final int id = answer.path("id").asInt(-1);
                schemasById.putIfAbsent(id, s);
                return id;
            });
    }

    /** The schema registered with {@code id}; throws {@link RegistryException} (404) when the id is unknown. */
    @Override
    public Schema schemaById(final int id) {
        final Schema cached = schemasById.get(id);
        if (cached != null) {
            return cached;
        }
        final JsonNode answer = get("/schemas/ids/" + id, "fetch the schema with id " + id);
        final String type = answer.path("schemaType").asText("AVRO");
        if (!"AVRO".equals(type)) {
            throw new RegistryException("Schema id " + id + " is a " + type + " schema, not Avro", 200, -1, null);
        }
        final Schema schema = new Schema.Parser().parse(answer.path("schema").asText());
        final Schema previous = schemasById.putIfAbsent(id, schema);
        return previous == null ? schema : previous;
    }

    /** Sets the compatibility level (BACKWARD, FORWARD, FULL, NONE...) the registry enforces for a subject. */
    public void setCompatibility(final String subject, final String level) {
        final ObjectNode body = JSON.createObjectNode().put("compatibility", level);
        send(request("/config/" + encode(subject)).PUT(HttpRequest.BodyPublishers.ofString(body.toString())).build(),
            "set compatibility " + level + " on subject " + subject);
    }

    private static String schemaBody(final Schema schema) {
        return JSON.createObjectNode().put("schema", schema.toString()).toString();
    }

    private JsonNode get(final String path, final String what) {
        return send(request(path).GET().build(), what);
    }

    private JsonNode post(final String path, final String body, final String what) {
        return send(request(path).POST(HttpRequest.BodyPublishers.ofString(body)).build(), what);
    }

    private HttpRequest.Builder request(final String path) {
        final HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(config.url() + path))
            .timeout(Duration.ofMillis(config.requestTimeoutMs()))
            .header("Content-Type", CONTENT_TYPE)
            .header("Accept", CONTENT_TYPE + ", application/json");
        if (authorization != null) {
            builder.header("Authorization", authorization);
        }
        return builder;
    }

    private JsonNode send(final HttpRequest request, final String what) {
        long backoff = config.retryBackoffMs();
        RegistryException last = null;
        for (int attempt = 0; attempt <= config.retries(); attempt++) {
            if (attempt > 0) {
                sleep(backoff);
                backoff = Math.min(backoff * 2, 10_000L);
            }
            final HttpResponse<String> response;
            try {
                response = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            } catch (final IOException e) {
                last = new RegistryException("Could not " + what + ": registry at " + config.url()
                    + " is unreachable (" + e + ")", -1, -1, e);
                LOG.warn("{} (attempt {} of {})", last.getMessage(), attempt + 1, config.retries() + 1);
                continue;
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RegistryException("Interrupted while trying to " + what, -1, -1, e);
            }
            final int status = response.statusCode();
            final JsonNode body = parse(response.body());
            if (status >= 200 && status < 300) {
                return body;
            }
            final int errorCode = body.path("error_code").asInt(-1);
            final String message = body.path("message").asText(response.body());
            last = new RegistryException("Could not " + what + ": registry at " + config.url() + " answered HTTP "
                + status + (errorCode >= 0 ? " (error " + errorCode + ")" : "") + ": " + message,
                status, errorCode, null);
            if (status < 500) {
                throw last;
            }
            LOG.warn("{} (attempt {} of {})", last.getMessage(), attempt + 1, config.retries() + 1);
        }
        throw last;
    }

    private static JsonNode parse(final String body) {
        if (body == null || body.isBlank()) {
            return JSON.createObjectNode();
        }
        try {
            return JSON.readTree(body);
        } catch (final IOException e) {
            return JSON.createObjectNode().put("message", body);
        }
    }

    private static String encode(final String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static void sleep(final long millis) {
        try {
            Thread.sleep(millis);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryException("Interrupted while waiting to retry a registry request", -1, -1, e);
        }
    }
}
