package io.melodyud.sinks;

import io.melodyud.contracts.config.ConfigDocs;
import io.melodyud.sinks.clickhouse.ClickHouseSinkConfig;
import io.melodyud.sinks.postgres.PostgresSinkConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.config.ConfigDef;

/**
 * Generates the configuration reference of the sinks from their {@link ConfigDef}s. {@code ConfigReferenceTest}
 * fails when the committed reference ({@code docs/config/}) differs: run {@code main} with the repository root to
 * update it.
 */
public final class ConfigReference {

    /** Reference file (relative to the repository root) of each sink's definition. */
    public static final Map<String, ConfigDef> REFERENCES = new TreeMap<>(Map.of(
        "docs/config/clickhouse-sink.md", ClickHouseSinkConfig.DEFINITION,
        "docs/config/postgres-sink.md", PostgresSinkConfig.DEFINITION));

    private ConfigReference() {
    }

    public static String markdown(final String title, final ConfigDef definition) {
        return ConfigDocs.markdown(title, definition, ConfigReference.class, Map.of());
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
        return "Configuration of " + Path.of(file).getFileName().toString().replace(".md", "");
    }
}
