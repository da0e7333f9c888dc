package io.melodyud.connectors.cdc;

import io.melodyud.contracts.config.ConfigDocs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Generates {@code docs/config/cdc.md} from {@link CdcConfig#DEFINITION}; {@code CdcConfigReferenceTest} fails
 * when the committed file differs. Run {@code main} with the repository root to update it.
 */
public final class CdcConfigReference {

    public static final String FILE = "docs/config/cdc.md";

    private CdcConfigReference() {
    }

    public static String markdown() {
        return ConfigDocs.markdown("Configuration of cdc", CdcConfig.DEFINITION, CdcConfigReference.class, Map.of());
    }

    public static void main(final String[] args) throws IOException {
        final Path file = Path.of(args.length > 0 ? args[0] : ".").resolve(FILE);
        Files.createDirectories(file.getParent());
        Files.writeString(file, markdown());
    }
}
