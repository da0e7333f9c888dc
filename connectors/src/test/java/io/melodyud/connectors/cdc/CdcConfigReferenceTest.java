package io.melodyud.connectors.cdc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class CdcConfigReferenceTest {

    /** Surefire runs in the module directory; the reference lives at the repository root. */
    private static final Path FILE = Path.of("..").resolve(CdcConfigReference.FILE);

    @Test
    void theCommittedReferenceMatchesTheDefinitions() throws IOException {
        assertTrue(Files.exists(FILE), FILE + " is missing: run CdcConfigReference.main with the repository root");
        assertEquals(CdcConfigReference.markdown(), Files.readString(FILE),
            FILE + " is out of date: run CdcConfigReference.main with the repository root");
    }
}
