package io.melodyud.sinks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.melodyud.contracts.fixtures.AvroFixtures;
import io.melodyud.contracts.metrics.MelodyMetrics;
import io.melodyud.contracts.metrics.PrometheusScrape;
import io.melodyud.contracts.metrics.PrometheusText;
import io.melodyud.sinks.common.SinkCounters;
import io.melodyud.sinks.common.SinkPrometheus;
import io.melodyud.sinks.common.SinkRecord;
import io.melodyud.sinks.common.SinkStream;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

/** Freshness and the Prometheus scrape of a sink, without servers. */
class SinkMetricsTest {

    private static final Instant NOW = Instant.parse("2025-03-14T19:45:00Z");

    private static ConsumerRecord<byte[], byte[]> consumed(final String topic, final long timestamp) {
        return new ConsumerRecord<>(topic, 0, 41L, timestamp, TimestampType.CREATE_TIME, 8, 120,
            new byte[8], new byte[120], new RecordHeaders(), Optional.empty());
    }

    @Test
    void aRowsTimeIsItsOwnUpdateTimeWhenItHasOneOtherwiseItsRecordTimestamp() {
        final Instant updated = Instant.parse("2025-03-14T19:44:12Z");
        final long recordTime = Instant.parse("2025-03-14T19:44:30Z").toEpochMilli();
        assertEquals(updated.toEpochMilli(), new SinkRecord(SinkStream.TRACK_PLAY_TOTALS,
            AvroFixtures.trackPlayTotal().setUpdatedAt(updated).build(),
            consumed("melody.out.track-play-totals", recordTime)).eventTimeMs());
        assertEquals(recordTime, new SinkRecord(SinkStream.CHART_COUNTS_HOUR, AvroFixtures.chartCount().build(),
            consumed("melody.out.chart-counts-hour", recordTime)).eventTimeMs());
        assertEquals(-1, new SinkRecord(SinkStream.CHART_COUNTS_HOUR, AvroFixtures.chartCount().build(),
            consumed("melody.out.chart-counts-hour", -1)).eventTimeMs());
    }

    @Test
    void aTablesFreshnessIsItsNewestRowEvenWhenOlderRowsArriveLater() {
        final SinkCounters counters = new SinkCounters();
        counters.rowsWritten("track_stats", 500, NOW.minusSeconds(30).toEpochMilli());
        counters.rowsWritten("track_stats", 200, NOW.minusSeconds(3_600).toEpochMilli());
        counters.rowsWritten("track_stats", 10, -1);
        assertEquals(Map.of("track_stats", NOW.minusSeconds(30).toEpochMilli()), counters.newestRowTimes());
        assertEquals(710, counters.count(SinkCounters.ROWS, "track_stats"));
    }

    @Test
    void theScrapeHoldsTheSharedMetricsRowsAndFreshnessPerTable() throws Exception {
        final SinkCounters counters = new SinkCounters();
        counters.rowsWritten("chart_data_1hour", 4_000, NOW.minusMillis(2_500).toEpochMilli());
        counters.rowsWritten("track_play_totals", 1_200, NOW.minusSeconds(60).toEpochMilli());
        counters.add(SinkCounters.RECORDS, "acknowledged", 5_203);
        counters.increment(SinkCounters.BATCHES, "written");
        counters.increment(SinkCounters.BATCHES, "written");
        counters.add(SinkCounters.RETRIES, "write", 3);
        counters.increment(SinkCounters.DEAD_LETTER, "invalid-value:rank");
        counters.add(SinkCounters.SKIPPED, "tombstone", 2);
        final AtomicBoolean running = new AtomicBoolean(true);
        final SinkPrometheus collector = new SinkPrometheus(MelodyMetrics.CLICKHOUSE_SINK, counters, running::get,
            Map.of(), Map.of(), Clock.fixed(NOW, ZoneOffset.UTC));

        final PrometheusText text = new PrometheusText();
        collector.collect(text);
        final PrometheusScrape scrape = PrometheusScrape.parse(text.render());

        final String app = "clickhouse-sink";
        assertEquals(1.0, scrape.value(MelodyMetrics.UP, "app", app));
        assertEquals(5_203.0, scrape.value(MelodyMetrics.RECORDS_PROCESSED, "app", app));
        assertEquals(4_000.0, scrape.value(MelodyMetrics.SINK_ROWS_WRITTEN, "app", app, "table", "chart_data_1hour"));
        assertEquals(2.5, scrape.value(MelodyMetrics.SINK_NEWEST_ROW_AGE, "app", app, "table", "chart_data_1hour"));
        assertEquals(60.0, scrape.value(MelodyMetrics.SINK_NEWEST_ROW_AGE, "app", app, "table", "track_play_totals"));
        assertEquals(1.0, scrape.value(MelodyMetrics.DEAD_LETTERS, "app", app, "reason", "invalid-value:rank"));
        assertEquals(2.0, scrape.value(MelodyMetrics.SKIPPED, "app", app, "kind", "skipped", "reason", "tombstone"));
        assertEquals(2.0, scrape.value("melody_sink_batches_total", "app", app));
        assertEquals(3.0, scrape.value("melody_sink_retries_total", "app", app, "reason", "write"));
        assertNull(scrape.value(MelodyMetrics.SKIPPED, "app", app, "kind", "rows", "reason", "chart_data_1hour"),
            "rows written are not skipped records");
        final List<String> lint = PrometheusScrape.promtoolLint(text.render());
        if (lint != null) {
            assertEquals(List.of(), lint);
        }

        running.set(false);
        final PrometheusText stopped = new PrometheusText();
        collector.collect(stopped);
        assertEquals(0.0, PrometheusScrape.parse(stopped.render()).value(MelodyMetrics.UP, "app", app));
    }
}
