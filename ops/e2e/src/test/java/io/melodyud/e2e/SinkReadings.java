package io.melodyud.e2e;

import java.io.IOException;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What the sinks hold, read the way their documentation tells analysts and services to read it: the latest version
 * per key (argMax, FINAL views) in ClickHouse, the sink's tables and the payable view in PostgreSQL.
 */
final class SinkReadings {

    /** The same keys and values as {@link ExpectedTotals}. */
    record Totals(Map<String, String> trackPlays, Map<String, String> chartCounts, Map<String, String> royalties,
                  Map<String, String> adDelivery, long clicks, long unattributedClicks, long premiumImpressions) {
    }

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String clickhouseUrl;

    SinkReadings(final String clickhouseUrl) {
        this.clickhouseUrl = clickhouseUrl;
    }

    Totals clickhouse(final String db) throws IOException, InterruptedException {
        final Map<String, String> tracks = new TreeMap<>();
        for (final String[] row : query("SELECT track_id, argMax(plays, version) FROM " + db
                + ".track_play_totals GROUP BY track_id")) {
            tracks.put(row[0], row[1]);
        }
        final Map<String, String> charts = new TreeMap<>();
        for (final String[] row : query("SELECT region, track_id, sum(p) FROM (SELECT region, track_id, time_bucket,"
                + " argMax(plays, version) AS p FROM " + db + ".chart_data_1min GROUP BY region, track_id, "
                + "time_bucket) GROUP BY region, track_id")) {
            charts.put(row[0] + "|" + row[1], row[2]);
        }
        final Map<String, String> royalties = new TreeMap<>();
        for (final String[] row : query("SELECT rights_holder_id, country, toString(period_start), plays, payable FROM "
                + db + ".royalties_daily_payable")) {
            royalties.put(row[0] + "|" + row[1] + "|" + row[2], row[3] + " "
                + ExpectedTotals.plain(new BigDecimal(row[4])));
        }
        final Map<String, String> ads = new TreeMap<>();
        long clicks = 0;
        long unattributed = 0;
        long premium = 0;
        for (final String[] row : query("SELECT campaign_id, sum(impressions), sum(spend), sum(clicks), "
                + "sum(unattributed_clicks), sum(premium_impressions) FROM " + db + ".ad_reports_hourly_exact "
                + "GROUP BY campaign_id")) {
            if (Long.parseLong(row[1]) > 0) {
                ads.put(row[0], row[1] + " " + ExpectedTotals.plain(new BigDecimal(row[2])));
            }
            clicks += Long.parseLong(row[3]);
            unattributed += Long.parseLong(row[4]);
            premium += Long.parseLong(row[5]);
        }
        return new Totals(tracks, charts, royalties, ads, clicks, unattributed, premium);
    }

    /** Chart counts live in ClickHouse only; PostgreSQL has the totals, statements and ad reports. */
    static Totals postgres(final Connection pg, final String schema) throws SQLException {
        final Map<String, String> tracks = new TreeMap<>();
        final Map<String, String> royalties = new TreeMap<>();
        final Map<String, String> ads = new TreeMap<>();
        long clicks = 0;
        long unattributed = 0;
        long premium = 0;
        try (Statement st = pg.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT track_id, plays FROM " + schema + ".track_stats")) {
                while (rs.next()) {
                    tracks.put(String.valueOf(rs.getLong(1)), String.valueOf(rs.getLong(2)));
                }
            }
            try (ResultSet rs = st.executeQuery("SELECT rights_holder_id, country, period_start, valid_plays, amount "
                    + "FROM " + schema + ".royalty_payable WHERE period = 'DAY'")) {
                while (rs.next()) {
                    royalties.put(rs.getLong(1) + "|" + rs.getString(2) + "|" + rs.getDate(3).toLocalDate(),
                        rs.getLong(4) + " " + ExpectedTotals.plain(rs.getBigDecimal(5)));
                }
            }
            try (ResultSet rs = st.executeQuery("SELECT campaign_id, sum(impressions), sum(spend), sum(clicks), "
                    + "sum(unattributed_clicks), sum(premium_impressions) FROM " + schema + ".ad_campaign_reports "
                    + "GROUP BY campaign_id")) {
                while (rs.next()) {
                    if (rs.getLong(2) > 0) {
                        ads.put(String.valueOf(rs.getLong(1)), rs.getLong(2) + " "
                            + ExpectedTotals.plain(rs.getBigDecimal(3)));
                    }
                    clicks += rs.getLong(4);
                    unattributed += rs.getLong(5);
                    premium += rs.getLong(6);
                }
            }
        }
        return new Totals(tracks, Map.of(), royalties, ads, clicks, unattributed, premium);
    }

    void execute(final String sql) throws IOException, InterruptedException {
        send(sql);
    }

    List<String[]> query(final String sql) throws IOException, InterruptedException {
        final List<String[]> rows = new ArrayList<>();
        for (final String line : send(sql + " FORMAT TabSeparated").split("\n")) {
            if (!line.isEmpty()) {
                rows.add(line.split("\t", -1));
            }
        }
        return rows;
    }

    private String send(final String sql) throws IOException, InterruptedException {
        final HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(clickhouseUrl + "/"))
            .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(sql, StandardCharsets.UTF_8))
            .build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        if (response.statusCode() != 200) {
            throw new IOException("ClickHouse answered " + response.statusCode() + " to " + sql + ": "
                + response.body());
        }
        return response.body();
    }

    /** The first {@code limit} keys whose values differ, as "key: expected X, found Y"; empty when equal. */
    static List<String> diff(final Map<String, String> expected, final Map<String, String> actual, final int limit) {
        final List<String> differences = new ArrayList<>();
        final TreeSet<String> keys = new TreeSet<>(expected.keySet());
        keys.addAll(actual.keySet());
        for (final String key : keys) {
            final String want = expected.get(key);
            final String got = actual.get(key);
            if (want == null ? got != null : !want.equals(got)) {
                differences.add(key + ": expected " + want + ", found " + got);
                if (differences.size() >= limit) {
                    break;
                }
            }
        }
        return differences;
    }
}
