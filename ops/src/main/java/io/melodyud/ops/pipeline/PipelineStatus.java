package io.melodyud.ops.pipeline;

import java.io.IOException;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;

/**
 * Measures the running pipeline from the outside, the way an operator would: events produced (end offsets of the
 * event topics), what each application processed and how far behind it is (from its own Prometheus endpoint, so
 * that it also holds for the sinks, which keep their offsets in their databases), CDC lag, the WAL each CDC slot has
 * not confirmed yet, and the rows in the sinks. Each {@link #sample} is compared with the
 * previous one for rates.
 */
public final class PipelineStatus {

    /** An application and its Prometheus endpoint (docs/metrics.md). */
    public record App(String name, String metricsUrl) {
    }

    /**
     * One measurement. {@code consumed}: records processed per application (-1 when its endpoint does not answer);
     * {@code lag}: records behind the end of its inputs; {@code cdcLagSeconds}: age of the newest change per node.
     */
    public record Sample(long atNanos, long produced, Map<String, Long> consumed, Map<String, Long> lag,
                         Map<String, Double> cdcLagSeconds, Map<String, Long> cdcLagBytes, long clickhouseRows,
                         long postgresRows) {
    }

    private final Admin admin;
    private final List<App> apps;
    private final Set<String> eventTopics;
    private final List<Connection> workers;
    private final Connection coordinator;
    private final String clickhouseUrl;
    private final String postgresSchema;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    public PipelineStatus(final Admin admin, final List<App> apps, final Set<String> eventTopics,
                          final List<Connection> workers, final Connection coordinator, final String clickhouseUrl,
                          final String postgresSchema) {
        this.admin = admin;
        this.apps = apps;
        this.eventTopics = eventTopics;
        this.workers = workers;
        this.coordinator = coordinator;
        this.clickhouseUrl = clickhouseUrl;
        this.postgresSchema = postgresSchema;
    }

    public Sample sample() throws Exception {
        final Map<TopicPartition, Long> ends = endOffsets();
        final long produced = ends.values().stream().mapToLong(Long::longValue).sum();
        final Map<String, Long> consumed = new LinkedHashMap<>();
        final Map<String, Long> lag = new LinkedHashMap<>();
        final Map<String, Double> cdcLag = new LinkedHashMap<>();
        for (final App app : apps) {
            final List<String[]> samples = scrape(app.metricsUrl());
            if (samples == null) {
                consumed.put(app.name(), -1L);
                lag.put(app.name(), -1L);
                continue;
            }
            consumed.put(app.name(), (long) sum(samples, "melody_records_processed_total"));
            lag.put(app.name(), (long) sum(samples, "melody_consumer_lag_records"));
            for (final String[] sample : samples) {
                if (sample[0].startsWith("melody_cdc_lag_seconds{")) {
                    final int node = sample[0].indexOf("node=\"");
                    cdcLag.put(node < 0 ? "cdc" : sample[0].substring(node + 6, sample[0].indexOf('"', node + 6)),
                        Double.parseDouble(sample[1]));
                }
            }
        }
        return new Sample(System.nanoTime(), produced, consumed, lag, cdcLag, cdcLag(), clickhouseRows(),
            postgresRows());
    }

    /** The samples of a Prometheus text page as (series, value), or null when the endpoint does not answer. */
    private List<String[]> scrape(final String url) {
        try {
            final HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(3)).GET().build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                return null;
            }
            final List<String[]> samples = new ArrayList<>();
            for (final String line : response.body().split("\n")) {
                if (line.startsWith("melody_")) {
                    final int space = line.lastIndexOf(' ');
                    samples.add(new String[] {line.substring(0, space), line.substring(space + 1)});
                }
            }
            return samples;
        } catch (final IOException | RuntimeException e) {
            return null;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private static double sum(final List<String[]> samples, final String name) {
        double total = 0;
        for (final String[] sample : samples) {
            if (sample[0].equals(name) || sample[0].startsWith(name + "{")) {
                final double value = Double.parseDouble(sample[1]);
                if (!Double.isNaN(value)) {
                    total += value;
                }
            }
        }
        return total;
    }

    private Map<TopicPartition, Long> endOffsets() throws Exception {
        final Set<String> topics = eventTopics;
        final List<TopicPartition> partitions = new ArrayList<>();
        admin.describeTopics(topics).allTopicNames().get().forEach((name, description) ->
            description.partitions().forEach(p -> partitions.add(new TopicPartition(name, p.partition()))));
        return endOffsets(partitions);
    }

    private Map<TopicPartition, Long> endOffsets(final List<TopicPartition> partitions) throws Exception {
        final Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        partitions.forEach(tp -> request.put(tp, OffsetSpec.latest()));
        final Map<TopicPartition, Long> ends = new HashMap<>();
        admin.listOffsets(request).all().get().forEach((tp, info) -> ends.put(tp, info.offset()));
        return ends;
    }

    /** WAL not yet confirmed by each CDC slot, in bytes, per worker. */
    private Map<String, Long> cdcLag() {
        final Map<String, Long> lag = new LinkedHashMap<>();
        for (int w = 0; w < workers.size(); w++) {
            try (Statement statement = workers.get(w).createStatement();
                 ResultSet rows = statement.executeQuery("SELECT coalesce(max(pg_wal_lsn_diff(pg_current_wal_lsn(), "
                     + "confirmed_flush_lsn)), -1) FROM pg_replication_slots WHERE slot_type = 'logical' "
                     + "AND slot_name LIKE 'melody%'")) {
                rows.next();
                lag.put("worker" + (w + 1), rows.getLong(1));
            } catch (final SQLException e) {
                lag.put("worker" + (w + 1), -1L);
            }
        }
        return lag;
    }

    private long clickhouseRows() {
        final String sql = "SELECT sum(rows) FROM system.parts WHERE database = 'melody' AND active";
        try {
            final HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(clickhouseUrl
                + "/?query=" + URLEncoder.encode(sql, StandardCharsets.UTF_8))).timeout(Duration.ofSeconds(5))
                .GET().build(), HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200 ? Long.parseLong(response.body().trim()) : -1;
        } catch (final Exception e) {
            return -1;
        }
    }

    private long postgresRows() {
        try (Statement statement = coordinator.createStatement();
             ResultSet rows = statement.executeQuery("SELECT coalesce(sum(n_live_tup), 0) FROM pg_stat_user_tables "
                 + "WHERE schemaname = '" + postgresSchema + "' AND relname <> 'sink_offsets'")) {
            rows.next();
            return rows.getLong(1);
        } catch (final SQLException e) {
            return -1;
        }
    }

    /** The status block: one line per application, rates from the previous sample. */
    public static List<String> render(final Sample previous, final Sample now, final long elapsedSeconds,
                                      final long durationSeconds, final String lastChange) {
        final double seconds = Math.max(1e-3, (now.atNanos() - previous.atNanos()) / 1e9);
        final List<String> lines = new ArrayList<>();
        lines.add(String.format("%s %3d/%ds  produced %8s/s", bar(elapsedSeconds, durationSeconds), elapsedSeconds,
            durationSeconds, human((now.produced() - previous.produced()) / seconds)));
        now.consumed().forEach((app, consumed) -> {
            final long before = previous.consumed().getOrDefault(app, -1L);
            lines.add(consumed < 0 ? String.format("  %-16s (metrics endpoint not answering)", app)
                : String.format("  %-16s processed %8s/s   lag %8s", app,
                    before < 0 ? "-" : human(Math.max(0, consumed - before) / seconds), human(now.lag().get(app))));
        });
        lines.add(String.format("  %-16s %s   %s", "cdc lag", now.cdcLagSeconds().entrySet().stream()
            .map(e -> e.getKey() + " " + String.format("%.1fs", e.getValue())).collect(Collectors.joining("  ")),
            "unconfirmed WAL " + now.cdcLagBytes().entrySet().stream()
                .map(e -> e.getKey() + " " + (e.getValue() < 0 ? "-" : human(e.getValue()) + "B"))
                .collect(Collectors.joining("  "))));
        lines.add(String.format("  %-16s clickhouse %s rows   postgresql ~%s rows", "sinks",
            human(now.clickhouseRows()), human(now.postgresRows())));
        lines.add(String.format("  %-16s %s", "last change", lastChange));
        return lines;
    }

    private static String bar(final long elapsed, final long total) {
        final int width = 20;
        final int filled = (int) Math.min(width, elapsed * width / Math.max(1, total));
        return "[" + "#".repeat(filled) + " ".repeat(width - filled) + "]";
    }

    static String human(final double value) {
        if (value < 0) {
            return "-";
        }
        if (value >= 1e6) {
            return String.format("%.2fM", value / 1e6);
        }
        if (value >= 1e4) {
            return String.format("%.1fk", value / 1e3);
        }
        return String.format("%.0f", value);
    }
}
