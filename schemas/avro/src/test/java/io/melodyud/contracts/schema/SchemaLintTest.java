package io.melodyud.contracts.schema;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.regex.Pattern;
import org.apache.avro.JsonProperties;
import org.apache.avro.LogicalType;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** House conventions for the schemas under {@code src/main/avro}; each failure names the file and the field. */
class SchemaLintTest {

    private static final Map<String, String> NAMESPACE_BY_FOLDER = Map.of(
            "common", "io.melodyud.avro.common",
            "event", "io.melodyud.avro.event",
            "cdc", "io.melodyud.avro.cdc",
            "output", "io.melodyud.avro.output");

    /**
     * Enums that are complete by definition and so declare no default: a new symbol changes how consumers must
     * interpret the record, so an old consumer must fail rather than guess (the forward check then rejects it).
     */
    private static final Set<String> CLOSED_ENUMS = Set.of(
            "io.melodyud.avro.output.ChartWindow",
            "io.melodyud.avro.output.RoyaltyPeriod",
            "io.melodyud.avro.output.RoyaltyRecordKind");

    private static final Pattern SNAKE_CASE = Pattern.compile("[a-z][a-z0-9]*(_[a-z0-9]+)*");
    private static final Set<String> TIMESTAMP_NAMES = Set.of("valid_from", "window_start", "window_end");
    private static final Set<String> DATE_NAMES = Set.of("day", "period_start", "period_end");

    private static List<SchemaFiles.Current> schemas;

    @BeforeAll
    static void load() {
        schemas = SchemaFiles.current();
    }

    @Test
    void everySchemaSitsInTheFolderOfItsNamespaceAndIsNamedAfterItsFile() {
        final List<String> problems = new ArrayList<>();
        for (final SchemaFiles.Current file : schemas) {
            final String expectedNamespace = NAMESPACE_BY_FOLDER.get(file.folder());
            final String fileName = file.path().getFileName().toString();
            if (expectedNamespace == null) {
                problems.add(file.relativePath() + ": folder " + file.folder() + " is not one of "
                        + NAMESPACE_BY_FOLDER.keySet());
            } else if (!expectedNamespace.equals(file.schema().getNamespace())) {
                problems.add(file.relativePath() + ": namespace " + file.schema().getNamespace() + ", expected "
                        + expectedNamespace);
            }
            if (!fileName.equals(file.schema().getName() + ".avsc")) {
                problems.add(file.relativePath() + " declares " + file.schema().getName());
            }
        }
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }

    @Test
    void everySchemaFileDeclaresExactlyOneNamedType() {
        final List<String> problems = new ArrayList<>();
        for (final SchemaFiles.Current file : schemas) {
            final List<String> declared = new ArrayList<>();
            collectDeclarations(file.json(), declared);
            if (declared.size() != 1) {
                problems.add(file.relativePath() + " declares " + declared
                        + ": give each named type its own file and refer to it by full name");
            }
        }
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }

    @Test
    void everyRecordFieldAndEnumHasADoc() {
        final List<String> problems = new ArrayList<>();
        for (final SchemaFiles.Current file : schemas) {
            final Schema schema = file.schema();
            if (isBlank(schema.getDoc())) {
                problems.add(file.relativePath() + ": " + schema.getType() + " " + schema.getName() + " has no doc");
            }
            if (schema.getType() == Schema.Type.RECORD) {
                for (final Schema.Field field : schema.getFields()) {
                    if (isBlank(field.doc())) {
                        problems.add(file.relativePath() + ": field " + field.name() + " has no doc");
                    }
                }
            }
        }
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }

    @Test
    void noFloatOrDoubleAnywhere() {
        final List<String> problems = new ArrayList<>();
        forEachPosition((file, position) -> {
            final Schema.Type type = position.schema().getType();
            if (type == Schema.Type.FLOAT || type == Schema.Type.DOUBLE) {
                problems.add(file.relativePath() + ": " + position.path() + " is " + type.getName()
                        + "; use a decimal for money and ratios, or an integer in parts per million");
            }
        });
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }

    @Test
    void instantFieldsAreTimestampMillis() {
        final List<String> problems = new ArrayList<>();
        forEachField((file, field, type) -> {
            if ((field.endsWith("_at") || TIMESTAMP_NAMES.contains(field))
                    && !(type.getLogicalType() instanceof LogicalTypes.TimestampMillis)) {
                problems.add(file.relativePath() + ": " + field + " must be a long with logicalType timestamp-millis");
            }
        });
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }

    @Test
    void calendarDayFieldsAreDates() {
        final List<String> problems = new ArrayList<>();
        forEachField((file, field, type) -> {
            if ((field.endsWith("_on") || DATE_NAMES.contains(field))
                    && !(type.getLogicalType() instanceof LogicalTypes.Date)) {
                problems.add(file.relativePath() + ": " + field + " must be an int with logicalType date");
            }
        });
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }

    /**
     * Checked on the JSON as written: Avro silently drops an invalid decimal (scale above precision, say) to plain
     * bytes, and a missing scale means 0, which is never what money wants.
     */
    @Test
    void everyDecimalDeclaresPrecisionAndScale() {
        final List<String> problems = new ArrayList<>();
        for (final SchemaFiles.Current file : schemas) {
            collectDecimalProblems(file, file.json(), problems);
        }
        forEachPosition((file, position) -> {
            final String declared = position.schema().getProp("logicalType");
            final LogicalType parsed = position.schema().getLogicalType();
            if ("decimal".equals(declared) && !(parsed instanceof LogicalTypes.Decimal)) {
                problems.add(file.relativePath() + ": " + position.path() + " is an invalid decimal, Avro reads it"
                        + " as plain " + position.schema().getType().getName());
            }
        });
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }

    @Test
    void fieldNamesAreSnakeCase() {
        final List<String> problems = new ArrayList<>();
        forEachField((file, field, type) -> {
            if (!SNAKE_CASE.matcher(field).matches()) {
                problems.add(file.relativePath() + ": " + field);
            }
        });
        assertTrue(problems.isEmpty(), "field names must be snake_case:\n" + String.join("\n", problems));
    }

    @Test
    void optionalFieldsAreNullFirstUnionsDefaultingToNull() {
        final List<String> problems = new ArrayList<>();
        for (final SchemaFiles.Current file : schemas) {
            if (file.schema().getType() != Schema.Type.RECORD) {
                continue;
            }
            for (final Schema.Field field : file.schema().getFields()) {
                if (field.schema().getType() != Schema.Type.UNION) {
                    continue;
                }
                final List<Schema> branches = field.schema().getTypes();
                final boolean nullFirstPair = branches.size() == 2
                        && branches.get(0).getType() == Schema.Type.NULL
                        && branches.get(1).getType() != Schema.Type.NULL;
                if (!nullFirstPair || !field.hasDefaultValue() || field.defaultVal() != JsonProperties.NULL_VALUE) {
                    problems.add(file.relativePath() + ": " + field.name()
                            + " must be [\"null\", T] with \"default\": null");
                }
            }
        }
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }

    @Test
    void enumsDeclareADefaultSymbolUnlessClosed() {
        final List<String> problems = new ArrayList<>();
        for (final SchemaFiles.Current file : schemas) {
            final Schema schema = file.schema();
            if (schema.getType() == Schema.Type.ENUM && schema.getEnumDefault() == null
                    && !CLOSED_ENUMS.contains(schema.getFullName())) {
                problems.add(file.relativePath() + ": enum " + schema.getName() + " has no default symbol, so"
                        + " adding a symbol breaks consumers built before it (declare \"default\": \"UNKNOWN\")");
            }
        }
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }

    private record Position(String path, Schema schema) {
    }

    private interface FieldVisitor {
        /** {@code type} is the field's schema, or its non-null branch when the field is optional. */
        void visit(SchemaFiles.Current file, String field, Schema type);
    }

    private static void forEachField(final FieldVisitor visitor) {
        for (final SchemaFiles.Current file : schemas) {
            if (file.schema().getType() != Schema.Type.RECORD) {
                continue;
            }
            for (final Schema.Field field : file.schema().getFields()) {
                Schema type = field.schema();
                if (type.getType() == Schema.Type.UNION) {
                    type = type.getTypes().stream().filter(t -> t.getType() != Schema.Type.NULL).findFirst()
                            .orElse(type);
                }
                visitor.visit(file, field.name(), type);
            }
        }
    }

    /** Visits every position of every file's own type, without descending into named types declared elsewhere. */
    private static void forEachPosition(final BiConsumer<SchemaFiles.Current, Position> visitor) {
        for (final SchemaFiles.Current file : schemas) {
            walk(file.schema(), file.schema().getName(), file, visitor, new HashSet<>(), true);
        }
    }

    private static void walk(final Schema schema, final String path, final SchemaFiles.Current file,
            final BiConsumer<SchemaFiles.Current, Position> visitor, final Set<String> seen, final boolean own) {
        final boolean named = schema.getType() == Schema.Type.RECORD || schema.getType() == Schema.Type.ENUM
                || schema.getType() == Schema.Type.FIXED;
        if (named && !own) {
            return;
        }
        visitor.accept(file, new Position(path, schema));
        switch (schema.getType()) {
            case RECORD -> {
                if (seen.add(schema.getFullName())) {
                    for (final Schema.Field f : schema.getFields()) {
                        walk(f.schema(), path + "." + f.name(), file, visitor, seen, false);
                    }
                }
            }
            case ARRAY -> walk(schema.getElementType(), path + "[]", file, visitor, seen, false);
            case MAP -> walk(schema.getValueType(), path + "{}", file, visitor, seen, false);
            case UNION -> schema.getTypes().forEach(t -> walk(t, path, file, visitor, seen, false));
            default -> {
            }
        }
    }

    private static void collectDeclarations(final JsonNode node, final List<String> declared) {
        if (node.isObject()) {
            final String type = node.path("type").asText("");
            if (type.equals("record") || type.equals("enum") || type.equals("fixed") || type.equals("error")) {
                declared.add(SchemaFiles.fullName(node));
            }
            node.elements().forEachRemaining(child -> collectDeclarations(child, declared));
        } else if (node.isArray()) {
            node.elements().forEachRemaining(child -> collectDeclarations(child, declared));
        }
    }

    private static void collectDecimalProblems(final SchemaFiles.Current file, final JsonNode node,
            final List<String> problems) {
        if (node.isObject()) {
            if ("decimal".equals(node.path("logicalType").asText(null))) {
                if (!node.path("precision").isInt() || !node.path("scale").isInt()) {
                    problems.add(file.relativePath() + ": " + node + " must state integer precision and scale");
                }
                if (!"bytes".equals(node.path("type").asText())) {
                    problems.add(file.relativePath() + ": " + node + " must be a bytes decimal");
                }
            }
            node.elements().forEachRemaining(child -> collectDecimalProblems(file, child, problems));
        } else if (node.isArray()) {
            node.elements().forEachRemaining(child -> collectDecimalProblems(file, child, problems));
        }
    }

    private static boolean isBlank(final String doc) {
        return doc == null || doc.isBlank();
    }
}
