package io.melodyud.ops.pipeline;

import java.io.PrintStream;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.net.URI;
import java.net.URLEncoder;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What the main job prints when it ends, read back from the sinks (not from the topologies' memory): the top 10
 * tracks in three countries for the last closed hour (ClickHouse), royalties per rights holder and ad spend and
 * click-through rate per campaign (PostgreSQL).
 */
public final class PipelineSummary {

    private static final List<String> COUNTRIES = List.of("US", "BR", "MX");

    private final String clickhouseUrl;
    private final Connection coordinator;
    private final String postgresSchema;
    private final Connection referenceWorker;
    private final String tracksTable;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    public PipelineSummary(final String clickhouseUrl, final Connection coordinator, final String postgresSchema,
                           final Connection referenceWorker, final String tracksTable) {
        this.clickhouseUrl = clickhouseUrl;
        this.coordinator = coordinator;
        this.postgresSchema = postgresSchema;
        this.referenceWorker = referenceWorker;
        this.tracksTable = tracksTable;
    }

    public void print(final PrintStream out) {
        topTracks(out);
        royalties(out);
        adCampaigns(out);
    }

    private void topTracks(final PrintStream out) {
        List<String[]> rows = clickhouse("SELECT country, toString(window_start), entry_rank, entry_track_id, entry_plays "
            + "FROM melody.charts_final_exact ARRAY JOIN entry_rank, entry_track_id, entry_plays "
            + "WHERE window_size = 'HOUR' AND country IN ('US', 'BR', 'MX') AND entry_rank <= 10 AND window_start = "
            + "(SELECT max(window_start) FROM melody.charts_final_exact WHERE window_size = 'HOUR') "
            + "ORDER BY country, entry_rank");
        String title = "Top 10 tracks of the last closed hour";
        if (rows.isEmpty()) {
            rows = clickhouse("SELECT country, toString(window_start), entry_rank, entry_track_id, entry_plays "
                + "FROM melody.charts_live_exact ARRAY JOIN entry_rank, entry_track_id, entry_plays "
                + "WHERE window_size = 'HOUR' AND country IN ('US', 'BR', 'MX') AND entry_rank <= 10 AND "
                + "window_start = (SELECT max(window_start) FROM melody.charts_live_exact WHERE window_size = 'HOUR') "
                + "ORDER BY country, entry_rank");
            title = "No hour has closed yet (event time has not passed an hour's end plus its grace); top 10 of the "
                + "open hour, provisional";
        }
        out.println();
        out.println(title + " (ClickHouse, charts_final):");
        if (rows.isEmpty()) {
            out.println("  (no chart in ClickHouse yet)");
            return;
        }
        final Map<Long, String> titles = titles(rows.stream().map(r -> Long.parseLong(r[3])).toList());
        for (final String country : COUNTRIES) {
            final List<String[]> ofCountry = rows.stream().filter(r -> r[0].equals(country)).toList();
            if (ofCountry.isEmpty()) {
                continue;
            }
            out.printf("  %s, hour from %s UTC%n", country, ofCountry.get(0)[1]);
            for (final String[] row : ofCountry) {
                final long track = Long.parseLong(row[3]);
                out.printf("    %2s. %-48s %8s plays%n", row[2], truncate(titles.getOrDefault(track, "track " + track)),
                    row[4]);
            }
        }
    }

    private void royalties(final PrintStream out) {
        out.println();
        out.println("Royalties per rights holder, days so far (PostgreSQL, royalty_payable; top 10 of "
            + scalar("SELECT count(DISTINCT rights_holder_id) FROM " + postgresSchema + ".royalty_payable") + "):");
        query(out, "SELECT rights_holder_id, currency, sum(valid_plays), sum(amount) FROM " + postgresSchema
            + ".royalty_payable WHERE period = 'DAY' GROUP BY rights_holder_id, currency ORDER BY 4 DESC LIMIT 10",
            rows -> out.printf("    rights holder %-8d %10d plays %16s %s%n", rows.getLong(1), rows.getLong(3),
                rows.getBigDecimal(4).setScale(8, RoundingMode.UNNECESSARY).toPlainString(), rows.getString(2)));
        query(out, "SELECT currency, sum(valid_plays), sum(amount) FROM " + postgresSchema
            + ".royalty_payable WHERE period = 'DAY' GROUP BY currency",
            rows -> out.printf("    all rights holders    %10d plays %16s %s%n", rows.getLong(2),
                rows.getBigDecimal(3).toPlainString(), rows.getString(1)));
    }

    private void adCampaigns(final PrintStream out) {
        out.println();
        out.println("Ad spend and click-through rate per campaign (PostgreSQL, ad_campaign_reports; top 10 by spend):");
        query(out, "SELECT campaign_id, currency, sum(impressions), sum(clicks), sum(spend), sum(premium_impressions) FROM "
            + postgresSchema + ".ad_campaign_reports GROUP BY campaign_id, currency ORDER BY 5 DESC LIMIT 10",
            rows -> {
                final long impressions = rows.getLong(3);
                final long clicks = rows.getLong(4);
                final String ctr = impressions == 0 ? "-" : BigDecimal.valueOf(clicks * 100_000L / impressions, 3)
                    .toPlainString() + "%";
                out.printf("    campaign %-6d %9d impressions %7d clicks  CTR %7s  spend %16s %s%s%n",
                    rows.getLong(1), impressions, clicks, ctr, rows.getBigDecimal(5).toPlainString(), rows.getString(2),
                    rows.getLong(6) > 0 ? "  (" + rows.getLong(6) + " premium impressions, not billed)" : "");
            });
    }

    @FunctionalInterface
    private interface RowPrinter {
        void print(ResultSet rows) throws SQLException;
    }

    private void query(final PrintStream out, final String sql, final RowPrinter printer) {
        try (Statement statement = coordinator.createStatement(); ResultSet rows = statement.executeQuery(sql)) {
            boolean any = false;
            while (rows.next()) {
                printer.print(rows);
                any = true;
            }
            if (!any) {
                out.println("    (no rows yet)");
            }
        } catch (final SQLException e) {
            out.println("    (not readable: " + e.getMessage() + ")");
        }
    }

    private String scalar(final String sql) {
        try (Statement statement = coordinator.createStatement(); ResultSet rows = statement.executeQuery(sql)) {
            return rows.next() ? rows.getString(1) : "0";
        } catch (final SQLException e) {
            return "?";
        }
    }

    private Map<Long, String> titles(final List<Long> trackIds) {
        final Map<Long, String> titles = new HashMap<>();
        if (trackIds.isEmpty()) {
            return titles;
        }
        final List<String> ids = new ArrayList<>();
        trackIds.forEach(id -> ids.add(Long.toString(id)));
        try (Statement statement = referenceWorker.createStatement();
             ResultSet rows = statement.executeQuery("SELECT track_id, title, artist_name FROM " + tracksTable
                 + " WHERE track_id IN (" + String.join(",", ids) + ")")) {
            while (rows.next()) {
                titles.put(rows.getLong(1), rows.getString(2) + " - " + rows.getString(3));
            }
        } catch (final SQLException e) {
            // Titles are a courtesy: ids are shown instead.
        }
        return titles;
    }

    private List<String[]> clickhouse(final String sql) {
        final List<String[]> rows = new ArrayList<>();
        try {
            final HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(clickhouseUrl
                + "/?query=" + URLEncoder.encode(sql + " FORMAT TabSeparated", StandardCharsets.UTF_8)))
                .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                return rows;
            }
            for (final String line : response.body().split("\n")) {
                if (!line.isBlank()) {
                    rows.add(line.split("\t"));
                }
            }
        } catch (final Exception e) {
            // An unreachable ClickHouse shows as "no chart yet".
        }
        return rows;
    }

    private static String truncate(final String text) {
        return text.length() <= 48 ? text : text.substring(0, 45) + "...";
    }
}
