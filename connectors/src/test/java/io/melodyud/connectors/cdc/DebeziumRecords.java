package io.melodyud.connectors.cdc;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;

/** Change events shaped like those of Debezium's PostgreSQL connector (pgoutput, decimal.handling.mode=precise). */
final class DebeziumRecords {

    static final Schema ZONED = SchemaBuilder.string().name("io.debezium.time.ZonedTimestamp").build();
    static final Schema ZONED_OPTIONAL = SchemaBuilder.string().optional()
        .name("io.debezium.time.ZonedTimestamp").build();
    static final Schema DATE = SchemaBuilder.int32().name("io.debezium.time.Date").build();

    static final Schema USER_ROW = SchemaBuilder.struct().name("melody-cdc-worker1.public.users_102008.Value")
        .field("user_id", Schema.INT64_SCHEMA)
        .field("email", Schema.STRING_SCHEMA)
        .field("display_name", Schema.STRING_SCHEMA)
        .field("country", Schema.OPTIONAL_STRING_SCHEMA)
        .field("tier", Schema.STRING_SCHEMA)
        .field("signup_at", ZONED)
        .field("updated_at", ZONED)
        .optional()
        .build();

    static final Schema SUBSCRIPTION_ROW = SchemaBuilder.struct().name("sub.Value")
        .field("subscription_id", Schema.INT64_SCHEMA)
        .field("user_id", Schema.INT64_SCHEMA)
        .field("plan", Schema.STRING_SCHEMA)
        .field("status", Schema.STRING_SCHEMA)
        .field("started_at", ZONED)
        .field("ends_at", ZONED_OPTIONAL)
        .field("monthly_price", Decimal.builder(2).build())
        .field("currency", Schema.STRING_SCHEMA)
        .field("updated_at", ZONED)
        .optional()
        .build();

    static final Schema SOURCE = SchemaBuilder.struct().name("io.debezium.connector.postgresql.Source")
        .field("table", Schema.STRING_SCHEMA)
        .field("lsn", Schema.OPTIONAL_INT64_SCHEMA)
        .field("ts_ms", Schema.INT64_SCHEMA)
        .build();

    private DebeziumRecords() {
    }

    static Struct user(final long id, final String country, final String tier) {
        return new Struct(USER_ROW).put("user_id", id).put("email", "ana.gomez" + id + "@example.co")
            .put("display_name", "Ana Gómez").put("country", country).put("tier", tier)
            .put("signup_at", "2025-03-14T09:26:53.589793Z").put("updated_at", "2026-11-02T18:00:00Z");
    }

    static Struct subscription(final long id, final long userId, final BigDecimal price) {
        return new Struct(SUBSCRIPTION_ROW).put("subscription_id", id).put("user_id", userId)
            .put("plan", "PREMIUM").put("status", "ACTIVE").put("started_at", "2026-01-01T00:00:00Z")
            .put("monthly_price", price).put("currency", "COP").put("updated_at", "2026-11-02T18:00:00Z");
    }

    /** A change of {@code row} in {@code table}: op c, u, d or r; the key is the primary key columns. */
    static SourceRecord change(final String table, final String op, final Struct row, final Map<String, Long> key,
                               final Long lsn) {
        final Schema envelope = SchemaBuilder.struct().name(table + ".Envelope")
            .field("before", row.schema())
            .field("after", row.schema())
            .field("source", SOURCE)
            .field("op", Schema.STRING_SCHEMA)
            .build();
        final Struct value = new Struct(envelope)
            .put("before", "d".equals(op) ? row : null)
            .put("after", "d".equals(op) ? null : row)
            .put("source", new Struct(SOURCE).put("table", table).put("lsn", lsn).put("ts_ms", 1_793_000_000_000L))
            .put("op", op);
        Schema keySchema = null;
        Struct keyStruct = null;
        if (key != null) {
            final SchemaBuilder builder = SchemaBuilder.struct().name(table + ".Key");
            key.keySet().forEach(column -> builder.field(column, Schema.INT64_SCHEMA));
            keySchema = builder.build();
            keyStruct = new Struct(keySchema);
            for (final Map.Entry<String, Long> column : key.entrySet()) {
                keyStruct.put(column.getKey(), column.getValue());
            }
        }
        return new SourceRecord(Map.of("server", "melody-cdc-worker1"), Map.of("lsn", lsn == null ? 0L : lsn),
            "melody-cdc-worker1.public." + table, null, keySchema, keyStruct, envelope, value);
    }

    static List<String> headerNames(final org.apache.kafka.common.header.Headers headers) {
        final java.util.ArrayList<String> names = new java.util.ArrayList<>();
        headers.forEach(h -> names.add(h.key()));
        return names;
    }
}
