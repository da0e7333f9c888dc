package io.melodyud.connectors.cdc;

import io.melodyud.contracts.serde.AvroTrust;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.LogicalType;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.specific.SpecificData;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Struct;

/**
 * Converts a row's state, as Debezium hands it over (a Connect {@link Struct}), to a record of its Avro contract.
 * Fields are matched by name, so a column added to the source and then to the contract (as an optional field,
 * a compatible evolution) flows through without code changes, and a column added to the source alone is ignored
 * (the contract decides what leaves the operational database: e-mail and display name never do).
 *
 * <p>Every mismatch is a {@link ConversionException} with a reason code, for the dead-letter topic: a null in a
 * required field, a decimal that does not fit the contract's scale or precision, a type the contract cannot hold.
 * An enum value the contract does not know becomes the enum's default ({@code UNKNOWN}), as the contract intends.
 */
public final class RowConverter {

    public static final String LSN_FIELD = "cdc_lsn";
    public static final String COMMITTED_AT_FIELD = "cdc_committed_at";

    static {
        AvroTrust.trustContractClasses();
    }

    private RowConverter() {
    }

    /**
     * @param lsn source LSN, or null for snapshot rows
     * @param committedAtMs commit time of the source transaction, or null for snapshot rows
     */
    public static IndexedRecord convert(final Schema target, final Struct row, final Long lsn,
                                        final Long committedAtMs) throws ConversionException {
        final IndexedRecord record = (IndexedRecord) SpecificData.get().newRecord(null, target);
        for (final Schema.Field field : target.getFields()) {
            final Object value;
            if (LSN_FIELD.equals(field.name())) {
                value = lsn;
            } else if (COMMITTED_AT_FIELD.equals(field.name())) {
                value = committedAtMs == null ? null : Instant.ofEpochMilli(committedAtMs);
            } else {
                final Field column = row.schema().field(field.name());
                if (column == null) {
                    if (!field.hasDefaultValue()) {
                        throw new ConversionException("missing-column", "Column " + field.name() + " required by "
                            + target.getFullName() + " is not in the source row");
                    }
                    value = SpecificData.get().getDefaultValue(field);
                } else {
                    value = convertValue(field.name(), row.get(column), column.schema(), field.schema());
                }
            }
            record.put(field.pos(), value);
        }
        return record;
    }

    static Object convertValue(final String name, final Object value,
                               final org.apache.kafka.connect.data.Schema source, final Schema target)
            throws ConversionException {
        if (value == null) {
            if (isNullable(target)) {
                return null;
            }
            throw new ConversionException("null-in-required-field", "Column " + name + " is null but the "
                + "contract requires a value");
        }
        final Schema schema = nonNull(target);
        final LogicalType logical = schema.getLogicalType();
        try {
            switch (schema.getType()) {
                case LONG:
                    if (logical instanceof LogicalTypes.TimestampMillis) {
                        return instant(name, value, source);
                    }
                    return ((Number) value).longValue();
                case INT:
                    if (logical instanceof LogicalTypes.Date) {
                        return value instanceof java.util.Date d
                            ? LocalDate.ofEpochDay(Math.floorDiv(d.getTime(), 86_400_000L))
                            : LocalDate.ofEpochDay(((Number) value).longValue());
                    }
                    return Math.toIntExact(((Number) value).longValue());
                case BYTES:
                    if (logical instanceof LogicalTypes.Decimal decimal) {
                        return decimal(name, value, decimal);
                    }
                    return value instanceof byte[] bytes ? ByteBuffer.wrap(bytes) : (ByteBuffer) value;
                case STRING:
                    return value.toString();
                case BOOLEAN:
                    return (Boolean) value;
                case DOUBLE:
                    return ((Number) value).doubleValue();
                case FLOAT:
                    return ((Number) value).floatValue();
                case ENUM:
                    return enumSymbol(name, value.toString(), schema);
                case ARRAY:
                    final List<Object> items = new ArrayList<>();
                    final org.apache.kafka.connect.data.Schema itemSchema = source.valueSchema();
                    for (final Object item : (List<?>) value) {
                        items.add(convertValue(name + "[]", item, itemSchema, schema.getElementType()));
                    }
                    return items;
                default:
                    throw new ConversionException("unsupported-type", "Column " + name + ": the converter "
                        + "does not handle Avro type " + schema.getType());
            }
        } catch (final ClassCastException | ArithmeticException | java.time.DateTimeException e) {
            throw new ConversionException("type-mismatch", "Column " + name + " (" + value.getClass().getSimpleName()
                + ") does not fit the contract's " + schema + ": " + e.getMessage(), e);
        }
    }

    private static Instant instant(final String name, final Object value,
                                   final org.apache.kafka.connect.data.Schema source) throws ConversionException {
        if (value instanceof String text) {
            // timestamptz: io.debezium.time.ZonedTimestamp, ISO-8601 with offset; truncated to the contract's ms.
            return parseTimestamp(text);
        }
        if (value instanceof java.util.Date date) {
            return date.toInstant();
        }
        final long number = ((Number) value).longValue();
        final String semantic = source == null ? null : source.name();
        if ("io.debezium.time.MicroTimestamp".equals(semantic)) {
            return Instant.EPOCH.plusNanos(Math.multiplyExact(number, 1_000L));
        }
        if ("io.debezium.time.NanoTimestamp".equals(semantic)) {
            return Instant.EPOCH.plusNanos(number);
        }
        if (semantic == null || "io.debezium.time.Timestamp".equals(semantic)) {
            return Instant.ofEpochMilli(number);
        }
        throw new ConversionException("type-mismatch", "Column " + name + " has semantic type " + semantic
            + ", which is not a timestamp");
    }

    /**
     * Parses Debezium's ZonedTimestamp text. Debezium writes UTC as {@code 2025-03-14T09:26:53.589793Z}; that form
     * is parsed by hand, because {@code OffsetDateTime.parse} was 9% of the CPU profile of the benchmark (three
     * timestamps per user row). Any other form (an offset, a year beyond 9999) goes through the JDK parser.
     */
    static Instant parseTimestamp(final String text) {
        final int n = text.length();
        if (n >= 20 && n <= 30 && text.charAt(4) == '-' && text.charAt(7) == '-' && text.charAt(10) == 'T'
                && text.charAt(13) == ':' && text.charAt(16) == ':' && text.charAt(n - 1) == 'Z'
                && (n == 20 || text.charAt(19) == '.' && n > 21)) {
            final int year = digits(text, 0, 4);
            final int month = digits(text, 5, 7);
            final int day = digits(text, 8, 10);
            final int hour = digits(text, 11, 13);
            final int minute = digits(text, 14, 16);
            final int second = digits(text, 17, 19);
            int nanos = 0;
            if (n > 20) {
                final int fraction = digits(text, 20, n - 1);
                final int places = n - 21;
                if (fraction >= 0 && places <= 9) {
                    nanos = fraction * POWERS_OF_TEN[9 - places];
                } else {
                    nanos = -1;
                }
            }
            if (year >= 0 && month >= 0 && day >= 0 && hour >= 0 && hour < 24 && minute >= 0 && minute < 60
                    && second >= 0 && second < 60 && nanos >= 0) {
                final long epochDay = LocalDate.of(year, month, day).toEpochDay();
                return Instant.ofEpochSecond(epochDay * 86_400L + hour * 3_600L + minute * 60L + second, nanos);
            }
        }
        return OffsetDateTime.parse(text).toInstant();
    }

    private static final int[] POWERS_OF_TEN = {1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000,
        100_000_000, 1_000_000_000};

    /** The decimal number in {@code text[from, to)}, or -1 when a character is not a digit. */
    private static int digits(final String text, final int from, final int to) {
        int value = 0;
        for (int i = from; i < to; i++) {
            final char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }

    private static BigDecimal decimal(final String name, final Object value, final LogicalTypes.Decimal decimal)
            throws ConversionException {
        final BigDecimal given = value instanceof BigDecimal b ? b : new BigDecimal(value.toString());
        final BigDecimal scaled;
        try {
            scaled = given.setScale(decimal.getScale(), RoundingMode.UNNECESSARY);
        } catch (final ArithmeticException e) {
            throw new ConversionException("decimal-scale", "Column " + name + " value " + given.toPlainString()
                + " has more than the contract's " + decimal.getScale() + " decimal places");
        }
        if (scaled.precision() > decimal.getPrecision()) {
            throw new ConversionException("decimal-precision", "Column " + name + " value " + given.toPlainString()
                + " has more than the contract's " + decimal.getPrecision() + " digits");
        }
        return scaled;
    }

    private static Object enumSymbol(final String name, final String symbol, final Schema schema)
            throws ConversionException {
        final String known = schema.hasEnumSymbol(symbol) ? symbol : schema.getEnumDefault();
        if (known == null) {
            throw new ConversionException("unknown-enum-symbol", "Column " + name + " value " + symbol
                + " is not a symbol of " + schema.getFullName());
        }
        return SpecificData.get().createEnum(known, schema);
    }

    private static boolean isNullable(final Schema schema) {
        return schema.getType() == Schema.Type.NULL || schema.getType() == Schema.Type.UNION
            && schema.getTypes().stream().anyMatch(s -> s.getType() == Schema.Type.NULL);
    }

    private static Schema nonNull(final Schema schema) {
        if (schema.getType() != Schema.Type.UNION) {
            return schema;
        }
        return schema.getTypes().stream().filter(s -> s.getType() != Schema.Type.NULL).findFirst()
            .orElse(schema);
    }
}
