package io.melodyud.sinks.common;

import io.melodyud.contracts.topics.Topic;
import io.melodyud.contracts.topics.Topics;
import org.apache.avro.specific.SpecificRecord;

/**
 * The output streams a sink can consume. Each has a setting {@code topic.<id>} naming its topic (the production
 * topic of {@link Topics} by default; tests use their own) and the generated class its values decode to.
 */
public enum SinkStream {
    TRACK_PLAY_TOTALS("track-play-totals", Topics.TRACK_PLAY_TOTALS),
    TRACK_DAILY_PLAYS("track-daily-plays", Topics.TRACK_DAILY_PLAYS),
    CHART_COUNTS_MINUTE("chart-counts-minute", Topics.CHART_COUNTS_MINUTE),
    CHART_COUNTS_HOUR("chart-counts-hour", Topics.CHART_COUNTS_HOUR),
    CHART_COUNTS_DAY("chart-counts-day", Topics.CHART_COUNTS_DAY),
    CHARTS_LIVE_MINUTE("charts-live-minute", Topics.CHARTS_LIVE_MINUTE),
    CHARTS_LIVE_HOUR("charts-live-hour", Topics.CHARTS_LIVE_HOUR),
    CHARTS_LIVE_DAY("charts-live-day", Topics.CHARTS_LIVE_DAY),
    CHARTS_FINAL_MINUTE("charts-final-minute", Topics.CHARTS_FINAL_MINUTE),
    CHARTS_FINAL_HOUR("charts-final-hour", Topics.CHARTS_FINAL_HOUR),
    CHARTS_FINAL_DAY("charts-final-day", Topics.CHARTS_FINAL_DAY),
    AD_REPORTS_LIVE("ad-reports-live", Topics.AD_REPORTS_LIVE),
    AD_REPORTS_FINAL("ad-reports-final", Topics.AD_REPORTS_FINAL),
    ROYALTIES_DAILY("royalties-daily", Topics.ROYALTIES_DAILY),
    ROYALTIES_MONTHLY("royalties-monthly", Topics.ROYALTIES_MONTHLY),
    ROYALTY_ADJUSTMENTS("royalty-adjustments", Topics.ROYALTY_ADJUSTMENTS);

    private final String id;
    private final Topic<?, ? extends SpecificRecord> topic;

    SinkStream(final String id, final Topic<?, ? extends SpecificRecord> topic) {
        this.id = id;
        this.topic = topic;
    }

    /** Short name used in settings and in the {@code streams} list. */
    public String id() {
        return id;
    }

    /** The setting naming this stream's topic. */
    public String topicSetting() {
        return "topic." + id;
    }

    public String defaultTopic() {
        return topic.name();
    }

    public Class<? extends SpecificRecord> valueClass() {
        return topic.value().type();
    }

    public static SinkStream byId(final String id) {
        for (final SinkStream stream : values()) {
            if (stream.id.equals(id)) {
                return stream;
            }
        }
        throw new IllegalArgumentException("Unknown stream " + id);
    }
}
