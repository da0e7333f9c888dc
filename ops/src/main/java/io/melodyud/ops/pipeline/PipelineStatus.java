package io.melodyud.ops.pipeline;

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
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Measures the running pipeline from the outside, the way an operator would: events produced (end offsets of the
 * event topics), what each application consumed and how far behind it is (its consumer group's committed offsets),
 * the WAL each CDC slot has not confirmed yet, and the rows in the sinks. Each {@link #sample} is compared with the
 * previous one for rates.
 */
public final class PipelineStatus {

    /** An application as seen from Kafka: its consumer group and the input topics whose progress is shown. */
    public record App(String name, String group, Set<String> inputs) {
    }

    /** One measurement. */
    public record Sample(long atNanos, long produced, Map<String, Long> consumed, Map<String, Long> lag,
                         Map<String, Long> cdcLagBytes, long clickhouseRows, long postgresRows) {
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
        final long produced = ends.entrySet().stream().filter(e -> eventTopics.contains(e.getKey().topic()))
            .mapToLong(Map.Entry::getValue).sum();
        final Map<String, Long> consumed = new LinkedHashMap<>();
        final Map<String, Long> lag = new LinkedHashMap<>();
        for (final App app : apps) {
            final Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(app.group())
                .partitionsToOffsetAndMetadata().get();
            long inputConsumed = 0;
            long behind = 0;
            final Map<TopicPartition, Long> groupEnds = new HashMap<>(ends);
            final List<TopicPartition> unknown = committed.keySet().stream().filter(tp -> !groupEnds.containsKey(tp))
                .collect(Collectors.toList());
            if (!unknown.isEmpty()) {
                groupEnds.putAll(endOffsets(unknown));
            }
            for (final Map.Entry<TopicPartition, OffsetAndMetadata> entry : committed.entrySet()) {
                if (entry.getValue() == null) {
                    continue;
                }
                final long offset = entry.getValue().offset();
                behind += Math.max(0, groupEnds.getOrDefault(entry.getKey(), offset) - offset);
                if (app.inputs().contains(entry.getKey().topic())) {
                    inputConsumed += offset;
                }
            }
            consumed.put(app.name(), inputConsumed);
            lag.put(app.name(), behind);
        }
        return new Sample(System.nanoTime(), produced, consumed, lag, cdcLag(), clickhouseRows(), postgresRows());
    }

    private Map<TopicPartition, Long> endOffsets() throws Exception {
        final Set<String> topics = new java.util.HashSet<>(eventTopics);
        apps.forEach(app -> topics.addAll(app.inputs()));
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
        now.consumed().forEach((app, consumed) -> lines.add(String.format("  %-16s processed %8s/s   lag %8s",
            app, human((consumed - previous.consumed().getOrDefault(app, consumed)) / seconds),
            human(now.lag().get(app)))));
        lines.add(String.format("  %-16s %s", "cdc (unconfirmed)", now.cdcLagBytes().entrySet().stream()
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
