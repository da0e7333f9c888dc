package io.melodyud.sinks.postgres;

import java.util.Arrays;
import java.util.List;

/**
 * The sink's tables on the coordinator. For the upsert tables each batch is one
 * {@code INSERT ... SELECT FROM unnest(arrays) ON CONFLICT (key) DO UPDATE ... WHERE version < EXCLUDED.version}:
 * one round trip per table and batch, and an older record never overwrites a newer one. Royalty adjustments are
 * insert-only ({@code DO NOTHING}): each is its own row, keyed by its version.
 */
public enum PostgresTable {
    TRACK_STATS("track_stats", "All-time valid plays per track (the seeds' track_stats).", true,
        List.of("track_id"),
        col("track_id", "bigint"), col("plays", "bigint"), col("version", "bigint"),
        ts("updated_at")),
    ROYALTY_STATEMENTS("royalty_statements", "Royalties owed per rights holder, period and country (empty: all "
        + "countries), the latest LIVE or FINAL line; written under SERIALIZABLE.", true,
        List.of("rights_holder_id", "period", "period_start", "country"),
        col("rights_holder_id", "bigint"), col("period", "text"), date("period_start"), date("period_end"),
        col("country", "text"), col("valid_plays", "bigint"), col("amount", "numeric"), col("currency", "text"),
        col("kind", "text"), col("version", "bigint")),
    ROYALTY_ADJUSTMENTS("royalty_adjustments", "Late plays of closed royalty periods, one row per adjustment, "
        + "added to the statement's FINAL line; written under SERIALIZABLE.", false,
        List.of("rights_holder_id", "period", "period_start", "country", "version"),
        col("rights_holder_id", "bigint"), col("period", "text"), date("period_start"), date("period_end"),
        col("country", "text"), col("valid_plays", "bigint"), col("amount", "numeric"), col("currency", "text"),
        col("version", "bigint")),
    AD_CAMPAIGN_REPORTS("ad_campaign_reports", "Delivery and spend per campaign, country and UTC hour; provisional "
        + "rows are replaced by later versions and by the final report.", true,
        List.of("campaign_id", "country", "window_start"),
        col("campaign_id", "bigint"), col("country", "text"), ts("window_start"), ts("window_end"),
        col("impressions", "bigint"), col("clicks", "bigint"), col("unattributed_clicks", "bigint"),
        col("ctr_ppm", "bigint"), col("unique_users_estimate", "bigint"), col("unique_users_sketch", "bytea"),
        col("spend", "numeric"), col("currency", "text"), col("premium_impressions", "bigint"),
        col("is_final", "boolean"), col("version", "bigint")),
    SINK_OFFSETS("sink_offsets", "Next Kafka offset per consumer group, topic and partition, written in the same "
        + "transaction as the rows: the sink resumes from here.", false, List.of());

    /**
     * One column: its name, the array type its batch is bound as, and how a value of that array becomes the column
     * value ({@code %s} is the unnest column). Instants travel as epoch milliseconds and dates as epoch days, so
     * that no time zone conversion happens on the way.
     */
    public record Column(String name, String arrayType, String expression) {
    }

    private final String defaultName;
    private final String description;
    private final boolean versioned;
    private final List<String> keys;
    private final List<Column> columns;
    private final int[] keyIndexes;
    private final int versionIndex;

    PostgresTable(final String defaultName, final String description, final boolean versioned,
                  final List<String> keys, final Column... columns) {
        this.defaultName = defaultName;
        this.description = description;
        this.versioned = versioned;
        this.keys = keys;
        this.columns = Arrays.asList(columns);
        final List<String> names = this.columns.stream().map(Column::name).toList();
        this.keyIndexes = keys.stream().mapToInt(names::indexOf).toArray();
        this.versionIndex = names.indexOf("version");
    }

    private static Column col(final String name, final String type) {
        return new Column(name, type, "%s");
    }

    private static Column ts(final String name) {
        return new Column(name, "bigint", "timestamptz 'epoch' + %s * interval '1 millisecond'");
    }

    private static Column date(final String name) {
        return new Column(name, "int", "date '1970-01-01' + %s");
    }

    public String defaultName() {
        return defaultName;
    }

    public String description() {
        return description;
    }

    public String setting() {
        return "table." + defaultName;
    }

    public List<Column> columns() {
        return columns;
    }

    public List<String> keys() {
        return keys;
    }

    /** Whether an existing row is replaced only by a higher version (else: insert-only). */
    public boolean versioned() {
        return versioned;
    }

    /** Index of each key column in {@link #columns()} (computed once: it is read for every row). */
    public int[] keyIndexes() {
        return keyIndexes;
    }

    public int versionIndex() {
        return versionIndex;
    }

    /** The batch upsert for {@code qualified} (already quoted): one array parameter per column. */
    public String upsert(final String qualified) {
        final StringBuilder sql = new StringBuilder("INSERT INTO ").append(qualified).append(" AS t (");
        sql.append(String.join(", ", columns.stream().map(Column::name).toList())).append(") SELECT ");
        sql.append(String.join(", ", columns.stream().map(c -> String.format(c.expression(), "u." + c.name()))
            .toList()));
        sql.append(" FROM unnest(").append(String.join(", ", columns.stream().map(c -> "?::" + c.arrayType() + "[]")
            .toList()));
        sql.append(") AS u(").append(String.join(", ", columns.stream().map(Column::name).toList())).append(")");
        sql.append(" ON CONFLICT (").append(String.join(", ", keys)).append(")");
        if (!versioned) {
            return sql.append(" DO NOTHING").toString();
        }
        sql.append(" DO UPDATE SET ");
        sql.append(String.join(", ", columns.stream().filter(c -> !keys.contains(c.name()))
            .map(c -> c.name() + " = EXCLUDED." + c.name()).toList()));
        return sql.append(" WHERE t.version < EXCLUDED.version").toString();
    }
}
