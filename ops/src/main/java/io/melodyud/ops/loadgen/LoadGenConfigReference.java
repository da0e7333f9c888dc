package io.melodyud.ops.loadgen;

import io.melodyud.contracts.config.ConfigDocs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Generates {@value #FILE} from {@link LoadGenConfig#DEFINITION}; {@code LoadGenConfigTest} fails when the
 * committed file differs. Run {@code main} with the repository root to update it.
 */
public final class LoadGenConfigReference {

    public static final String FILE = "docs/config/loadgen.md";

    private LoadGenConfigReference() {
    }

    public static String markdown() {
        return ConfigDocs.markdown("Configuration of loadgen", LoadGenConfig.DEFINITION, LoadGenConfigReference.class,
            Map.of());
    }

    public static void main(final String[] args) throws IOException {
        final Path file = Path.of(args.length > 0 ? args[0] : ".").resolve(FILE);
        Files.createDirectories(file.getParent());
        Files.writeString(file, markdown());
    }
}
