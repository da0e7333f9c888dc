package io.melodyud.contracts.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.Incompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityResult;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Guards the compatibility policy: every schema is FULL_TRANSITIVE compatible with all of its released versions.
 *
 * <ul>
 *   <li>Backward (current reads released): consumers re-read retained and compacted topics written with any released
 *       version, and old clients keep sending old events.</li>
 *   <li>Forward (released reads current): consumers are upgraded after producers. Event producers are client apps we
 *       do not control, outputs are read by downstream services and sinks we do not deploy, and CDC rows change shape
 *       when the operational database is migrated, before our topologies are redeployed.</li>
 * </ul>
 *
 * <p>Avro's checker compares the underlying types only (a {@code decimal(10,2)} becoming {@code decimal(10,4)} is
 * "compatible" bytes), so logical types are compared separately: they never change between versions.
 */
class SchemaCompatibilityTest {

    private static List<SchemaFiles.Current> current;
    private static Map<String, List<SchemaFiles.Released>> released;

    @BeforeAll
    static void load() {
        current = SchemaFiles.current();
        released = SchemaFiles.released(current);
    }

    @Test
    void everySchemaHasAReleasedVersion() {
        final List<String> missing = new ArrayList<>();
        for (final SchemaFiles.Current schema : current) {
            if (!released.containsKey(schema.fullName())) {
                missing.add(schema.fullName() + " has never been released: copy " + schema.relativePath() + " to "
                        + releasedFile(schema.fullName(), 1));
            }
        }
        assertTrue(missing.isEmpty(), String.join("\n", missing));
    }

    @Test
    void everyReleasedSchemaStillExists() {
        final Set<String> names = current.stream().map(SchemaFiles.Current::fullName).collect(Collectors.toSet());
        final List<String> orphans = released.keySet().stream().filter(n -> !names.contains(n)).toList();
        assertTrue(orphans.isEmpty(), "released schemas without a current schema (deleting a schema breaks its "
                + "consumers; deprecate it in its doc instead): " + orphans);
    }

    @Test
    void releasedVersionsAreNumberedWithoutGaps() {
        final List<String> problems = new ArrayList<>();
        released.forEach((name, versions) -> {
            for (int i = 0; i < versions.size(); i++) {
                if (versions.get(i).version() != i + 1) {
                    problems.add(name + ": expected v" + (i + 1) + " but found v" + versions.get(i).version());
                    break;
                }
            }
        });
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }

    /** A schema change is a release: the latest released version is exactly the current file. */
    @Test
    void currentSchemaIsItsLatestReleasedVersion() {
        final List<String> unreleased = new ArrayList<>();
        for (final SchemaFiles.Current schema : current) {
            final List<SchemaFiles.Released> versions = released.get(schema.fullName());
            if (versions == null) {
                continue;
            }
            final SchemaFiles.Released latest = versions.get(versions.size() - 1);
            if (!SchemaFiles.readTree(latest.text()).equals(schema.json())) {
                unreleased.add(schema.fullName() + " differs from its latest released version v" + latest.version()
                        + ": once the change passes the compatibility checks, copy " + schema.relativePath() + " to "
                        + releasedFile(schema.fullName(), latest.version() + 1));
            }
        }
        assertTrue(unreleased.isEmpty(), String.join("\n", unreleased));
    }

    @Test
    void currentSchemaReadsDataWrittenWithEveryReleasedVersion() {
        final List<String> problems = new ArrayList<>();
        forEachReleasedVersion((schema, version) -> problems.addAll(
                incompatibilities(schema.schema(), version.schema(),
                        schema.fullName() + " (current, reader) cannot read " + version.label() + " (writer)")));
        assertTrue(problems.isEmpty(), "backward compatibility broken:\n" + String.join("\n", problems));
    }

    @Test
    void everyReleasedVersionReadsDataWrittenWithCurrentSchema() {
        final List<String> problems = new ArrayList<>();
        forEachReleasedVersion((schema, version) -> problems.addAll(
                incompatibilities(version.schema(), schema.schema(),
                        version.label() + " (reader) cannot read " + schema.fullName() + " (current, writer)")));
        assertTrue(problems.isEmpty(), "forward compatibility broken:\n" + String.join("\n", problems));
    }

    @Test
    void logicalTypesNeverChangeBetweenVersions() {
        final List<String> problems = new ArrayList<>();
        forEachReleasedVersion((schema, version) -> {
            final Map<String, String> now = logicalTypes(schema.schema());
            logicalTypes(version.schema()).forEach((path, then) -> {
                if (now.containsKey(path) && !now.get(path).equals(then)) {
                    problems.add(schema.fullName() + " " + path + ": " + then + " in " + version.label()
                            + ", now " + now.get(path));
                }
            });
        });
        assertTrue(problems.isEmpty(), "logical type changed (the bytes still parse, their meaning does not):\n"
                + String.join("\n", problems));
    }

    @Test
    void checkerRejectsAddingAFieldWithoutDefault() {
        final ObjectNode changed = releasedPlayEvent();
        fields(changed).addObject().put("name", "offline").put("type", "boolean").put("doc", "Played offline.");

        final Schema released = playEventV1();
        final Schema next = SchemaFiles.parseAgainstCurrent(changed.toString(), current);

        assertEquals(SchemaCompatibilityType.INCOMPATIBLE, backward(next, released));
        assertEquals(SchemaCompatibilityType.COMPATIBLE, forward(next, released),
                "old readers skip fields they do not know");
    }

    @Test
    void checkerRejectsChangingAFieldTypeFromLongToString() {
        final ObjectNode changed = releasedPlayEvent();
        ((ObjectNode) field(changed, "user_id")).put("type", "string");

        final Schema released = playEventV1();
        final Schema next = SchemaFiles.parseAgainstCurrent(changed.toString(), current);

        assertEquals(SchemaCompatibilityType.INCOMPATIBLE, backward(next, released));
        assertEquals(SchemaCompatibilityType.INCOMPATIBLE, forward(next, released));
    }

    @Test
    void checkerAcceptsAddingAnOptionalFieldDefaultingToNull() {
        final ObjectNode changed = releasedPlayEvent();
        final ObjectNode offline = fields(changed).addObject().put("name", "offline_playlist_id");
        offline.putArray("type").add("null").add("long");
        offline.putNull("default");
        offline.put("doc", "Downloaded playlist the track was played from; null when streamed.");

        final Schema released = playEventV1();
        final Schema next = SchemaFiles.parseAgainstCurrent(changed.toString(), current);

        assertEquals(SchemaCompatibilityType.COMPATIBLE, backward(next, released));
        assertEquals(SchemaCompatibilityType.COMPATIBLE, forward(next, released));
    }

    @Test
    void addingAnEnumSymbolIsForwardCompatibleOnlyWhenTheEnumDeclaresADefault() {
        final Schema withDefault = enumSchema(true, "MOBILE", "DESKTOP", "UNKNOWN");
        final Schema grownWithDefault = enumSchema(true, "MOBILE", "DESKTOP", "UNKNOWN", "WATCH");
        final Schema withoutDefault = enumSchema(false, "MOBILE", "DESKTOP", "UNKNOWN");
        final Schema grownWithoutDefault = enumSchema(false, "MOBILE", "DESKTOP", "UNKNOWN", "WATCH");

        assertEquals(SchemaCompatibilityType.COMPATIBLE, forward(grownWithDefault, withDefault));
        assertEquals(SchemaCompatibilityType.INCOMPATIBLE, forward(grownWithoutDefault, withoutDefault));
    }

    @Test
    void changingADecimalScaleIsCaughtAsALogicalTypeChange() {
        final Schema cents = decimal(10, 2);
        final Schema tenThousandths = decimal(10, 4);

        assertEquals(SchemaCompatibilityType.COMPATIBLE, backward(tenThousandths, cents),
                "Avro's checker ignores logical types, hence logicalTypesNeverChangeBetweenVersions");
        assertEquals(Map.of("", "decimal(10,2)"), logicalTypes(cents));
        assertEquals(Map.of("", "decimal(10,4)"), logicalTypes(tenThousandths));
    }

    private interface VersionCheck {
        void check(SchemaFiles.Current schema, SchemaFiles.Released version);
    }

    private static void forEachReleasedVersion(final VersionCheck check) {
        for (final SchemaFiles.Current schema : current) {
            for (final SchemaFiles.Released version : released.getOrDefault(schema.fullName(), List.of())) {
                check.check(schema, version);
            }
        }
    }

    private static List<String> incompatibilities(final Schema reader, final Schema writer, final String heading) {
        final SchemaCompatibilityResult result =
                SchemaCompatibility.checkReaderWriterCompatibility(reader, writer).getResult();
        if (result.getCompatibility() == SchemaCompatibilityType.COMPATIBLE) {
            return List.of();
        }
        final List<String> lines = new ArrayList<>();
        lines.add(heading + ":");
        for (final Incompatibility i : result.getIncompatibilities()) {
            lines.add("  " + i.getType() + " at " + i.getLocation() + ": " + i.getMessage());
        }
        return lines;
    }

    private static SchemaCompatibilityType backward(final Schema next, final Schema previous) {
        return SchemaCompatibility.checkReaderWriterCompatibility(next, previous).getType();
    }

    private static SchemaCompatibilityType forward(final Schema next, final Schema previous) {
        return SchemaCompatibility.checkReaderWriterCompatibility(previous, next).getType();
    }

    /**
     * Logical type of every position in a schema, keyed by path ({@code started_at}, {@code entries[].plays},
     * {@code ends_at|long}); positions without a logical type are left out.
     */
    static Map<String, String> logicalTypes(final Schema schema) {
        final Map<String, String> types = new LinkedHashMap<>();
        collectLogicalTypes(schema, "", types, new HashSet<>());
        return types;
    }

    private static void collectLogicalTypes(final Schema schema, final String path, final Map<String, String> types,
            final Set<String> visiting) {
        final String logical = schema.getProp("logicalType");
        if (logical != null) {
            final String detail = "decimal".equals(logical)
                    ? "decimal(" + schema.getObjectProp("precision") + "," + schema.getObjectProp("scale") + ")"
                    : logical;
            types.put(path, detail);
        }
        switch (schema.getType()) {
            case RECORD -> {
                if (visiting.add(schema.getFullName())) {
                    for (final Schema.Field f : schema.getFields()) {
                        collectLogicalTypes(f.schema(), path.isEmpty() ? f.name() : path + "." + f.name(), types,
                                visiting);
                    }
                    visiting.remove(schema.getFullName());
                }
            }
            case ARRAY -> collectLogicalTypes(schema.getElementType(), path + "[]", types, visiting);
            case MAP -> collectLogicalTypes(schema.getValueType(), path + "{}", types, visiting);
            case UNION -> {
                for (final Schema branch : schema.getTypes()) {
                    final String name = branch.getType() == Schema.Type.RECORD || branch.getType() == Schema.Type.ENUM
                            || branch.getType() == Schema.Type.FIXED ? branch.getFullName() : branch.getName();
                    collectLogicalTypes(branch, path + "|" + name, types, visiting);
                }
            }
            default -> {
            }
        }
    }

    private static String releasedFile(final String fullName, final int version) {
        return SchemaFiles.MODULE_DIR.toAbsolutePath().relativize(
                SchemaFiles.RELEASED_DIR.toAbsolutePath().resolve(fullName).resolve("v" + version + ".avsc"))
                .toString();
    }

    private static Schema playEventV1() {
        return released.get("io.melodyud.avro.event.PlayEvent").get(0).schema();
    }

    private static ObjectNode releasedPlayEvent() {
        return (ObjectNode) SchemaFiles.readTree(released.get("io.melodyud.avro.event.PlayEvent").get(0).text());
    }

    private static ArrayNode fields(final ObjectNode record) {
        return (ArrayNode) record.get("fields");
    }

    private static JsonNode field(final ObjectNode record, final String name) {
        for (final JsonNode f : fields(record)) {
            if (name.equals(f.path("name").asText())) {
                return f;
            }
        }
        return fail("no field " + name);
    }

    private static Schema decimal(final int precision, final int scale) {
        return new Schema.Parser().parse("{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":" + precision
                + ",\"scale\":" + scale + "}");
    }

    private static Schema enumSchema(final boolean withDefault, final String... symbols) {
        final ObjectNode node = SchemaFiles.json().createObjectNode()
                .put("type", "enum").put("name", "Device").put("namespace", "io.example");
        final ArrayNode array = node.putArray("symbols");
        for (final String symbol : symbols) {
            array.add(symbol);
        }
        if (withDefault) {
            node.put("default", "UNKNOWN");
        }
        return new Schema.Parser().parse(node.toString());
    }
}
