package io.melodyud.topologies.common;

import io.melodyud.topologies.plays.PlayAnalyticsConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.config.ConfigDef;

/**
 * Generates the configuration reference of the applications from their {@link ConfigDef}s, so that defaults and
 * documentation are stated once, in code. {@code ConfigReferenceTest} fails when the committed reference
 * ({@code docs/config/}) differs from what this generates: run {@code main} with the repository root to update it.
 */
public final class ConfigReference {

    /** Reference file (relative to the repository root) of each application's definition. */
    public static final Map<String, ConfigDef> REFERENCES = new TreeMap<>(Map.of(
        "docs/config/play-analytics.md", PlayAnalyticsConfig.DEFINITION));

    private ConfigReference() {
    }

    public static String markdown(final String title, final ConfigDef definition) {
        final StringBuilder out = new StringBuilder("# " + title + "\n\n")
            .append("Generated from the code by `io.melodyud.topologies.common.ConfigReference`; do not edit.\n")
            .append("Settings come from the properties file given to the application, then `MELODY_*` environment\n")
            .append("variables (`MELODY_SCHEMA_REGISTRY_URL` overrides `schema.registry.url`). Settings prefixed\n")
            .append("`kafka.` pass through to Kafka Streams and all its clients.\n\n")
            .append("| setting | type | default | importance | description |\n")
            .append("|---|---|---|---|---|\n");
        definition.configKeys().values().stream()
            .sorted(Comparator.comparing((ConfigDef.ConfigKey k) -> k.importance).thenComparing(k -> k.name))
            .forEach(key -> out.append("| `").append(key.name).append("` | ")
                .append(key.type.name().toLowerCase(java.util.Locale.ROOT)).append(" | ")
                .append(defaultOf(key)).append(" | ")
                .append(key.importance.name().toLowerCase(java.util.Locale.ROOT)).append(" | ")
                .append(key.documentation.replace("|", "\\|").replace("\n", " ")).append(" |\n"));
        return out.toString();
    }

    private static String defaultOf(final ConfigDef.ConfigKey key) {
        if (!key.hasDefault()) {
            return "(required)";
        }
        if (key.defaultValue == null) {
            return "(none)";
        }
        if (key.name.equals(StreamsAppConfig.STATE_DIR)) {
            return "`<java.io.tmpdir>/melody-streams`";
        }
        final String value = ConfigDef.convertToString(key.defaultValue, key.type);
        return value.isEmpty() ? "(empty)" : "`" + value + "`";
    }

    public static void main(final String[] args) throws IOException {
        final Path root = Path.of(args.length > 0 ? args[0] : ".");
        for (final Map.Entry<String, ConfigDef> reference : REFERENCES.entrySet()) {
            final Path file = root.resolve(reference.getKey());
            Files.createDirectories(file.getParent());
            Files.writeString(file, markdown(title(reference.getKey()), reference.getValue()));
        }
    }

    static String title(final String file) {
        final String name = Path.of(file).getFileName().toString().replace(".md", "");
        return "Configuration of " + name;
    }
}
