package io.melodyud.sinks.clickhouse;

import java.util.Arrays;
import java.util.List;

/**
 * The analysts' tables. Every table is a ReplacingMergeTree on the records' version: a re-delivered record has the
 * key and version of the row it repeats and replaces it at merge time instead of adding to it, and queries read
 * exact values before merges through {@code FINAL} or {@code argMax(value, version)} (the views made by
 * {@link ClickHouseMigrations}). Column order is the RowBinary order of {@link ClickHouseRows}.
 *
 * <p>Each table's name is a setting ({@code table.<id>}); the DDL is valid on ClickHouse 18.16 and on current
 * releases (new-style engine clauses, no DateTime64, no LowCardinality).
 */
public enum ClickHouseTable {
    TRACK_PLAY_TOTALS("track_play_totals", "All-time valid plays per track (latest version per track).",
        null, "track_id",
        "track_id UInt64", "plays UInt64", "version UInt64", "updated_at DateTime"),
    TRACK_DAILY_PLAYS("track_daily_plays", "Valid plays per track and UTC day.",
        "toYYYYMM(day)", "track_id, day",
        "track_id UInt64", "day Date", "plays UInt64", "version UInt64"),
    CHART_DATA_1MIN("chart_data_1min", "Valid plays per region (country or GLOBAL), track and minute: the seeds' "
        + "chart_data_1min.", "toYYYYMM(time_bucket)", "region, track_id, time_bucket",
        "region String", "track_id UInt64", "time_bucket DateTime", "plays UInt64", "version UInt64"),
    CHART_DATA_1HOUR("chart_data_1hour", "Valid plays per region, track and hour.",
        "toYYYYMM(time_bucket)", "region, track_id, time_bucket",
        "region String", "track_id UInt64", "time_bucket DateTime", "plays UInt64", "version UInt64"),
    CHART_DATA_1DAY("chart_data_1day", "Valid plays per region, track and UTC day.",
        "toYYYYMM(time_bucket)", "region, track_id, time_bucket",
        "region String", "track_id UInt64", "time_bucket DateTime", "plays UInt64", "version UInt64"),
    CHARTS_LIVE("charts_live", "Provisional top-N charts, one row per chart (window size, country, window start) "
        + "with its entries as parallel arrays; the latest version replaces earlier ones.",
        "toYYYYMM(window_start)", "window_size, country, window_start",
        "window_size Enum8('MINUTE' = 1, 'HOUR' = 2, 'DAY' = 3)", "window_start DateTime", "window_end DateTime",
        "country String", "is_final UInt8", "entry_rank Array(UInt16)", "entry_track_id Array(UInt64)",
        "entry_plays Array(UInt64)", "version UInt64", "generated_at DateTime"),
    CHARTS_FINAL("charts_final", "Final top-N charts, emitted once per window when it closes.",
        "toYYYYMM(window_start)", "window_size, country, window_start",
        "window_size Enum8('MINUTE' = 1, 'HOUR' = 2, 'DAY' = 3)", "window_start DateTime", "window_end DateTime",
        "country String", "is_final UInt8", "entry_rank Array(UInt16)", "entry_track_id Array(UInt64)",
        "entry_plays Array(UInt64)", "version UInt64", "generated_at DateTime"),
    AD_REPORTS_HOURLY("ad_reports_hourly", "Delivery and spend per campaign, country and UTC hour; provisional rows "
        + "are replaced by later versions and by the final report.",
        "toYYYYMM(window_start)", "campaign_id, country, window_start",
        "campaign_id UInt64", "country String", "window_start DateTime", "window_end DateTime",
        "impressions UInt64", "clicks UInt64", "unattributed_clicks UInt64", "ctr_ppm UInt64",
        "unique_users_estimate UInt64", "unique_users_sketch String", "spend Decimal(20, 7)", "currency String",
        "premium_impressions UInt64", "is_final UInt8", "version UInt64"),
    ROYALTIES_DAILY("royalties_daily", "Royalties per rights holder, country and UTC day: one TOTAL row per line "
        + "(LIVE replaced by FINAL) plus one row per ADJUSTMENT. country is empty for an all-countries line.",
        "toYYYYMM(period_start)", "rights_holder_id, period_start, country, entry, adjustment_version",
        "rights_holder_id UInt64", "period_start Date", "period_end Date", "country String",
        "entry Enum8('TOTAL' = 1, 'ADJUSTMENT' = 2)", "adjustment_version UInt64",
        "kind Enum8('LIVE' = 1, 'FINAL' = 2, 'ADJUSTMENT' = 3)", "valid_plays Int64", "amount Decimal(20, 8)",
        "currency String", "version UInt64"),
    ROYALTIES_MONTHLY("royalties_monthly", "Royalties per rights holder, country (empty: all countries) and month, "
        + "the period payouts are made on; same layout as royalties_daily.",
        "toYYYYMM(period_start)", "rights_holder_id, period_start, country, entry, adjustment_version",
        "rights_holder_id UInt64", "period_start Date", "period_end Date", "country String",
        "entry Enum8('TOTAL' = 1, 'ADJUSTMENT' = 2)", "adjustment_version UInt64",
        "kind Enum8('LIVE' = 1, 'FINAL' = 2, 'ADJUSTMENT' = 3)", "valid_plays Int64", "amount Decimal(20, 8)",
        "currency String", "version UInt64");

    private final String defaultName;
    private final String description;
    private final String partitionBy;
    private final String orderBy;
    private final List<String> columns;

    ClickHouseTable(final String defaultName, final String description, final String partitionBy,
                    final String orderBy, final String... columns) {
        this.defaultName = defaultName;
        this.description = description;
        this.partitionBy = partitionBy;
        this.orderBy = orderBy;
        this.columns = Arrays.asList(columns);
    }

    public String defaultName() {
        return defaultName;
    }

    public String description() {
        return description;
    }

    /** The setting naming the table. */
    public String setting() {
        return "table." + defaultName;
    }

    /** Column names in insert order. */
    public List<String> columnNames() {
        return columns.stream().map(c -> c.substring(0, c.indexOf(' '))).toList();
    }

    /** Key columns: what a re-delivered record repeats, and what the exact views group by. */
    public List<String> keyColumns() {
        return Arrays.stream(orderBy.split(",")).map(String::trim).toList();
    }

    /** {@code CREATE TABLE IF NOT EXISTS} for {@code qualifiedName} (already quoted). */
    public String createStatement(final String qualifiedName) {
        return "CREATE TABLE IF NOT EXISTS " + qualifiedName + " (\n    " + String.join(",\n    ", columns)
            + "\n) ENGINE = ReplacingMergeTree(version)\n"
            + (partitionBy == null ? "" : "PARTITION BY " + partitionBy + "\n")
            + "ORDER BY (" + orderBy + ")";
    }
}
