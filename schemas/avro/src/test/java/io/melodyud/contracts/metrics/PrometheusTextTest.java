package io.melodyud.contracts.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PrometheusTextTest {

    @Test
    void labelValuesWithQuotesBackslashesLineFeedsAndAccentsReadBackUnchanged() {
        final String reason = "constraint:\"royalty_statements_amount_check\" \\ at C:\\data\nsecond line";
        final PrometheusText text = new PrometheusText();
        MelodyMetrics.deadLetters(text).sample(3, "app", "postgres-sink", "reason", reason);
        text.gauge("melody_consumer_lag_records", "Records behind.").sample(42, "app", "play-analytics",
            "topic", "melody.events.plays", "country", "Bogotá D.C.");

        final PrometheusScrape scrape = PrometheusScrape.parse(text.render());

        assertEquals(3.0, scrape.value(MelodyMetrics.DEAD_LETTERS, "app", "postgres-sink", "reason", reason));
        assertEquals(42.0, scrape.value("melody_consumer_lag_records", "app", "play-analytics",
            "topic", "melody.events.plays", "country", "Bogotá D.C."));
        assertTrue(text.render().contains("reason=\"constraint:\\\"royalty_statements_amount_check\\\" \\\\ at "
            + "C:\\\\data\\nsecond line\""), text.render());
    }

    @Test
    void helpTextsAreEscapedAndEachFamilyIsDeclaredOnceBeforeItsSamples() {
        final PrometheusText text = new PrometheusText();
        text.counter("melody_records_processed_total", "Plays read from C:\\in\nand counted").sample(7L, "app", "a");
        text.gauge("melody_up", "Up.").sample(1, "app", "a");
        // Samples added to a family after another family was declared still render with their family.
        text.counter("melody_records_processed_total", "ignored: declared already").sample(9L, "app", "b");

        final String rendered = text.render();
        assertEquals(String.join("\n",
            "# HELP melody_records_processed_total Plays read from C:\\\\in\\nand counted",
            "# TYPE melody_records_processed_total counter",
            "melody_records_processed_total{app=\"a\"} 7",
            "melody_records_processed_total{app=\"b\"} 9",
            "# HELP melody_up Up.",
            "# TYPE melody_up gauge",
            "melody_up{app=\"a\"} 1",
            ""), rendered);
        final PrometheusScrape scrape = PrometheusScrape.parse(rendered);
        assertEquals("Plays read from C:\\in\nand counted", scrape.family("melody_records_processed_total").help());
        assertEquals("counter", scrape.family("melody_records_processed_total").type());
    }

    @Test
    void aNameDeclaredWithTwoTypesIsRefused() {
        final PrometheusText text = new PrometheusText();
        text.counter("melody_sink_rows_written_total", "Rows.");
        assertThrows(IllegalArgumentException.class, () -> text.gauge("melody_sink_rows_written_total", "Rows."));
    }

    @Test
    void invalidMetricAndLabelNamesAreRefused() {
        final PrometheusText text = new PrometheusText();
        assertThrows(IllegalArgumentException.class, () -> text.gauge("stream-thread-metrics", "x"));
        assertThrows(IllegalArgumentException.class, () -> text.gauge("1st", "x"));
        final PrometheusText.Family family = text.gauge("melody_up", "x");
        assertThrows(IllegalArgumentException.class, () -> family.sample(1, "thread-id", "t1"));
        assertThrows(IllegalArgumentException.class, () -> family.sample(1, "__name__", "x"));
        assertThrows(IllegalArgumentException.class, () -> family.sample(1, "app"));
        assertThrows(IllegalArgumentException.class, () -> family.sample(1, "app", "a", "app", "b"));
    }

    @Test
    void sanitizeTurnsKafkaNamesIntoPrometheusNames() {
        assertEquals("stream_thread_metrics", PrometheusText.sanitize("stream-thread-metrics"));
        assertEquals("records_lag_max", PrometheusText.sanitize("records-lag-max"));
        assertEquals("_0_9_percentile", PrometheusText.sanitize("0.9-percentile"));
        assertEquals("client_id", PrometheusText.sanitize("client-id"));
        assertEquals("_", PrometheusText.sanitize(""));
    }

    @Test
    void aSecondSampleWithTheSameLabelsIsDroppedSoTheScrapeStaysValid() {
        final PrometheusText text = new PrometheusText();
        final Map<String, String> labels = new LinkedHashMap<>();
        labels.put("client_id", "sink-1");
        labels.put("topic", "melody.out.track-play-totals");
        text.gauge("kafka_consumer_fetch_manager_metrics_records_lag_max", "x").sample(labels, 10)
            .sample(labels, 99);

        final PrometheusScrape scrape = PrometheusScrape.parse(text.render());
        assertEquals(1, scrape.family("kafka_consumer_fetch_manager_metrics_records_lag_max").samples().size());
        assertEquals(10.0, scrape.value("kafka_consumer_fetch_manager_metrics_records_lag_max",
            "client_id", "sink-1", "topic", "melody.out.track-play-totals"));
    }

    @Test
    void valuesAreWrittenAsThePrometheusParserReadsThem() {
        assertEquals("0", PrometheusText.formatValue(-0.0));
        assertEquals("1234567", PrometheusText.formatValue(1_234_567.0));
        assertEquals("0.25", PrometheusText.formatValue(0.25));
        assertEquals("1.0E20", PrometheusText.formatValue(1e20));
        assertEquals("NaN", PrometheusText.formatValue(Double.NaN));
        assertEquals("+Inf", PrometheusText.formatValue(Double.POSITIVE_INFINITY));
        assertEquals("-Inf", PrometheusText.formatValue(Double.NEGATIVE_INFINITY));
        final PrometheusText text = new PrometheusText();
        text.gauge("melody_cdc_lag_seconds", "x").sample(1e20, "node", "a").sample(Double.NaN, "node", "b")
            .sample(-2.5, "node", "c");
        text.counter("melody_sink_rows_written_total", "x").sample(Long.MAX_VALUE, "table", "t");
        final PrometheusScrape scrape = PrometheusScrape.parse(text.render());
        assertEquals(1e20, scrape.value("melody_cdc_lag_seconds", "node", "a"));
        assertTrue(scrape.value("melody_cdc_lag_seconds", "node", "b").isNaN());
        assertEquals(-2.5, scrape.value("melody_cdc_lag_seconds", "node", "c"));
        assertTrue(text.render().contains("melody_sink_rows_written_total{table=\"t\"} 9223372036854775807"));
    }

    @Test
    void kindReasonCountersGoToTheirFamiliesAndEmptyFamiliesAreStillDeclared() {
        final PrometheusText text = new PrometheusText();
        final Map<String, Long> counts = new LinkedHashMap<>();
        counts.put("dead-letter:not-wire-format", 2L);
        counts.put("late:minute", 5L);
        counts.put("skipped:duplicate", 11L);
        counts.put("skipped:short-play", 13L);
        counts.put("rows:track_stats", 1000L);
        MelodyMetrics.kindReasonCounters(text, "play-analytics", counts, kind -> !"rows".equals(kind));

        final PrometheusScrape scrape = PrometheusScrape.parse(text.render());
        assertEquals(2.0, scrape.value(MelodyMetrics.DEAD_LETTERS, "app", "play-analytics", "reason",
            "not-wire-format"));
        assertEquals(5.0, scrape.value(MelodyMetrics.LATE_EVENTS, "app", "play-analytics", "reason", "minute"));
        assertEquals(13.0, scrape.value(MelodyMetrics.SKIPPED, "app", "play-analytics", "kind", "skipped",
            "reason", "short-play"));
        assertNull(scrape.value(MelodyMetrics.SKIPPED, "app", "play-analytics", "kind", "rows",
            "reason", "track_stats"));

        final PrometheusText empty = new PrometheusText();
        MelodyMetrics.kindReasonCounters(empty, "cdc", Map.of(), kind -> true);
        final PrometheusScrape declared = PrometheusScrape.parse(empty.render());
        assertEquals(List.of(), declared.family(MelodyMetrics.DEAD_LETTERS).samples());
        assertEquals("counter", declared.family(MelodyMetrics.LATE_EVENTS).type());
    }

    @Test
    void theReaderRejectsWhatPrometheusRejects() {
        assertThrows(IllegalArgumentException.class, () -> PrometheusScrape.parse("melody_up 1"));
        assertThrows(IllegalArgumentException.class, () -> PrometheusScrape.parse("melody_up{app=\"a\\t\"} 1\n"));
        assertThrows(IllegalArgumentException.class, () -> PrometheusScrape.parse(
            "melody_up{app=\"a\"} 1\nmelody_x 2\nmelody_up{app=\"b\"} 1\n"));
        assertThrows(IllegalArgumentException.class, () -> PrometheusScrape.parse(
            "melody_up 1\n# TYPE melody_up gauge\n"));
        assertThrows(IllegalArgumentException.class, () -> PrometheusScrape.parse("melody_up 1\nmelody_up 2\n"));
        assertThrows(IllegalArgumentException.class, () -> PrometheusScrape.parse("melody-up 1\n"));
        assertThrows(IllegalArgumentException.class, () -> PrometheusScrape.parse("melody_up one\n"));
    }
}
