package io.melodyud.contracts.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParser;

/**
 * Loads the module's schema files: the current schemas under {@code src/main/avro} and the released versions under
 * {@code released/<full.name>/vN.avsc}.
 *
 * <p>Each file declares one named type and refers to other types by full name, in any order, so files are parsed with
 * Avro's {@link SchemaParser}, which resolves references once every file is read (the avro-maven-plugin does the same).
 * A released file is resolved against the current definitions of the types it refers to: each of those types is
 * checked against its own released versions, and Avro's compatibility rules are applied type by type, so checking
 * every type separately covers the composition.
 */
final class SchemaFiles {

    static final Path MODULE_DIR = Path.of(System.getProperty("basedir", ""));
    static final Path SOURCE_DIR = MODULE_DIR.resolve("src/main/avro");
    static final Path RELEASED_DIR = MODULE_DIR.resolve("released");

    private static final Pattern VERSION_FILE = Pattern.compile("v([1-9][0-9]*)\\.avsc");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A current schema file: its location, its JSON as written and the parsed, resolved schema. */
    record Current(Path path, String text, JsonNode json, Schema schema) {

        String fullName() {
            return schema.getFullName();
        }

        /** Name of the namespace folder the file sits in, relative to {@link #SOURCE_DIR}. */
        String folder() {
            return SOURCE_DIR.relativize(path).getParent().toString();
        }

        Path relativePath() {
            return MODULE_DIR.toAbsolutePath().relativize(path.toAbsolutePath());
        }
    }

    /** One released version of a schema. */
    record Released(String fullName, int version, Path path, String text, Schema schema) {

        String label() {
            return fullName + " v" + version;
        }
    }

    private SchemaFiles() {
    }

    /** Every current schema, sorted by file path. */
    static List<Current> current() {
        final List<Path> files = avscFiles(SOURCE_DIR);
        final SchemaParser parser = new SchemaParser();
        final List<SchemaParser.ParseResult> results = new ArrayList<>();
        for (final Path file : files) {
            results.add(parse(parser, file));
        }
        final List<Current> schemas = new ArrayList<>();
        for (int i = 0; i < files.size(); i++) {
            final String text = read(files.get(i));
            schemas.add(new Current(files.get(i), text, readTree(text), results.get(i).mainSchema()));
        }
        return schemas;
    }

    /** Released versions by full name, each list ordered by version. */
    static Map<String, List<Released>> released(final List<Current> current) {
        final Map<String, List<Released>> byName = new TreeMap<>();
        if (!Files.isDirectory(RELEASED_DIR)) {
            return byName;
        }
        try (Stream<Path> dirs = Files.list(RELEASED_DIR)) {
            for (final Path dir : dirs.filter(Files::isDirectory).sorted().toList()) {
                final String fullName = dir.getFileName().toString();
                final List<Released> versions = new ArrayList<>();
                try (Stream<Path> files = Files.list(dir)) {
                    for (final Path file : files.sorted().toList()) {
                        final Matcher m = VERSION_FILE.matcher(file.getFileName().toString());
                        if (!m.matches()) {
                            throw new IllegalStateException(
                                    file + ": released versions are named v1.avsc, v2.avsc, ... and nothing else");
                        }
                        final String text = read(file);
                        final Schema schema = parseAgainstCurrent(text, current);
                        if (!schema.getFullName().equals(fullName)) {
                            throw new IllegalStateException(file + " declares " + schema.getFullName()
                                    + " but sits in the folder of " + fullName);
                        }
                        versions.add(new Released(fullName, Integer.parseInt(m.group(1)), file, text, schema));
                    }
                }
                versions.sort(Comparator.comparingInt(Released::version));
                byName.put(fullName, versions);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return byName;
    }

    /**
     * Parses one schema JSON whose references to other named types resolve to the current definitions. The type the
     * JSON declares itself is taken from the JSON, never from the current files.
     */
    static Schema parseAgainstCurrent(final String json, final List<Current> current) {
        final JsonNode node = readTree(json);
        final String ownName = fullName(node);
        final SchemaParser parser = new SchemaParser();
        final SchemaParser.ParseResult result = parser.parse(json);
        for (final Current other : current) {
            if (!other.fullName().equals(ownName)) {
                parse(parser, other.path());
            }
        }
        return result.mainSchema();
    }

    static JsonNode readTree(final String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static ObjectMapper json() {
        return JSON;
    }

    /** Full name a named-type declaration gives itself ({@code namespace.name}, or a dotted {@code name}). */
    static String fullName(final JsonNode declaration) {
        final String name = declaration.path("name").asText();
        final String namespace = declaration.path("namespace").asText("");
        return name.contains(".") || namespace.isEmpty() ? name : namespace + "." + name;
    }

    private static SchemaParser.ParseResult parse(final SchemaParser parser, final Path file) {
        try {
            return parser.parse(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot parse " + file + ": " + e.getMessage(), e);
        }
    }

    private static List<Path> avscFiles(final Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".avsc")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String read(final Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
