package io.melodyud.topologies.common;

import io.melodyud.avro.output.ChartWindow;
import io.melodyud.contracts.topics.Topic;
import io.melodyud.contracts.topics.Topics;
import io.melodyud.avro.output.Chart;
import io.melodyud.avro.output.ChartCount;
import java.time.Duration;

/** The tumbling window sizes of the charts, with their output topics. Aligned to UTC epoch boundaries. */
public enum ChartWindowSize {
    MINUTE(ChartWindow.MINUTE, Duration.ofMinutes(1), Topics.CHART_COUNTS_MINUTE, Topics.CHARTS_LIVE_MINUTE,
        Topics.CHARTS_FINAL_MINUTE),
    HOUR(ChartWindow.HOUR, Duration.ofHours(1), Topics.CHART_COUNTS_HOUR, Topics.CHARTS_LIVE_HOUR,
        Topics.CHARTS_FINAL_HOUR),
    DAY(ChartWindow.DAY, Duration.ofDays(1), Topics.CHART_COUNTS_DAY, Topics.CHARTS_LIVE_DAY,
        Topics.CHARTS_FINAL_DAY);

    private static final ChartWindowSize[] VALUES = values();

    private final ChartWindow avro;
    private final long sizeMs;
    private final Topic<String, ChartCount> countsTopic;
    private final Topic<String, Chart> liveTopic;
    private final Topic<String, Chart> finalTopic;

    ChartWindowSize(final ChartWindow avro, final Duration size, final Topic<String, ChartCount> countsTopic,
                    final Topic<String, Chart> liveTopic, final Topic<String, Chart> finalTopic) {
        this.avro = avro;
        this.sizeMs = size.toMillis();
        this.countsTopic = countsTopic;
        this.liveTopic = liveTopic;
        this.finalTopic = finalTopic;
    }

    public static ChartWindowSize of(final int ordinal) {
        return VALUES[ordinal];
    }

    public ChartWindow avro() {
        return avro;
    }

    public long sizeMs() {
        return sizeMs;
    }

    /** Start of the window holding {@code timestampMs}. */
    public long windowStart(final long timestampMs) {
        return Math.floorDiv(timestampMs, sizeMs) * sizeMs;
    }

    public Topic<String, ChartCount> countsTopic() {
        return countsTopic;
    }

    public Topic<String, Chart> liveTopic() {
        return liveTopic;
    }

    public Topic<String, Chart> finalTopic() {
        return finalTopic;
    }

    /** Lower-case name used in store names, metrics and the HTTP API. */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
