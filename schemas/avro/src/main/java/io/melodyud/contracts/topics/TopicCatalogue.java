package io.melodyud.contracts.topics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The topic catalogue ({@code ops/topics/catalogue.yaml}, shipped in this jar): every topic the product uses, with
 * its partitions and configs. Parsing validates each entry, so a typo fails the build rather than the broker.
 */
public final class TopicCatalogue {

    public static final String RESOURCE = "/io/melodyud/contracts/topics/catalogue.yaml";

    private static final Pattern FORMAT = Pattern.compile("long|string|bytes|avro:[A-Za-z_][A-Za-z0-9_.]*");

    private final Map<String, TopicSpec> topics;

    private TopicCatalogue(final Map<String, TopicSpec> topics) {
        this.topics = Collections.unmodifiableMap(topics);
    }

    /** The catalogue shipped with this version of the contracts. */
    public static TopicCatalogue load() {
        try (InputStream in = TopicCatalogue.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("Topic catalogue " + RESOURCE + " is missing from the classpath");
            }
            return parse(in);
        } catch (final IOException e) {
            throw new UncheckedIOException("Cannot read the topic catalogue " + RESOURCE, e);
        }
    }

    public static TopicCatalogue parse(final InputStream yaml) throws IOException {
        final JsonNode root = new ObjectMapper(new YAMLFactory()).readTree(yaml);
        final JsonNode list = root == null ? null : root.get("topics");
        if (list == null || !list.isArray()) {
            throw new IllegalArgumentException("Topic catalogue has no 'topics' list");
        }
        final Map<String, TopicSpec> topics = new LinkedHashMap<>();
        for (final JsonNode node : list) {
            final TopicSpec spec = toSpec(node);
            if (topics.put(spec.name(), spec) != null) {
                throw new IllegalArgumentException("Topic " + spec.name() + " is declared twice in the catalogue");
            }
        }
        return new TopicCatalogue(topics);
    }

    private static TopicSpec toSpec(final JsonNode node) {
        final String name = node.path("name").asText("");
        if (!TopicNames.isLegal(name)) {
            throw new IllegalArgumentException("Invalid topic name in catalogue: '" + name + "'");
        }
        final int partitions = node.path("partitions").asInt(0);
        if (partitions < 1) {
            throw new IllegalArgumentException("Topic " + name + ": partitions must be at least 1");
        }
        final String key = node.path("key").asText("");
        final String value = node.path("value").asText("");
        for (final String format : List.of(key, value)) {
            if (!FORMAT.matcher(format).matches()) {
                throw new IllegalArgumentException("Topic " + name + ": unknown format '" + format
                    + "' (long, string, bytes or avro:<FullName>)");
            }
        }
        final String description = node.path("description").asText("");
        if (description.isBlank()) {
            throw new IllegalArgumentException("Topic " + name + " has no description");
        }
        final Map<String, String> configs = new LinkedHashMap<>();
        final Iterator<Map.Entry<String, JsonNode>> fields = node.path("configs").fields();
        while (fields.hasNext()) {
            final Map.Entry<String, JsonNode> field = fields.next();
            configs.put(field.getKey(), field.getValue().asText());
        }
        if (!configs.containsKey("cleanup.policy")) {
            throw new IllegalArgumentException("Topic " + name + " must state its cleanup.policy");
        }
        return new TopicSpec(name, description, key, value, partitions, configs);
    }

    public List<TopicSpec> topics() {
        return new ArrayList<>(topics.values());
    }

    public Optional<TopicSpec> find(final String name) {
        return Optional.ofNullable(topics.get(name));
    }

    /** The entry for {@code name}, failing with a clear message when the catalogue does not declare it. */
    public TopicSpec get(final String name) {
        return find(name).orElseThrow(() -> new IllegalArgumentException(
            "Topic " + name + " is not declared in the topic catalogue (ops/topics/catalogue.yaml)"));
    }
}
