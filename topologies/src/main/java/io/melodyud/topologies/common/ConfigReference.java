package io.melodyud.topologies.common;

import io.melodyud.contracts.config.ConfigDocs;
import io.melodyud.topologies.ads.AdReportsConfig;
import io.melodyud.topologies.plays.PlayAnalyticsConfig;
import io.melodyud.topologies.royalties.RoyaltiesConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
        "docs/config/play-analytics.md", PlayAnalyticsConfig.DEFINITION,
        "docs/config/royalties.md", RoyaltiesConfig.DEFINITION,
        "docs/config/ad-reports.md", AdReportsConfig.DEFINITION));

    private ConfigReference() {
    }

    public static String markdown(final String title, final ConfigDef definition) {
        return ConfigDocs.markdown(title, definition, ConfigReference.class,
            Map.of(StreamsAppConfig.STATE_DIR, "`<java.io.tmpdir>/melody-streams`"));
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
