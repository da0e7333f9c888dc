package io.melodyud.contracts.topics;

import io.melodyud.avro.cdc.AdCampaign;
import io.melodyud.avro.cdc.RightsHolder;
import io.melodyud.avro.cdc.RoyaltyRate;
import io.melodyud.avro.cdc.Subscription;
import io.melodyud.avro.cdc.Track;
import io.melodyud.avro.cdc.User;
import io.melodyud.avro.event.AdClick;
import io.melodyud.avro.event.AdImpression;
import io.melodyud.avro.event.PlayEvent;
import io.melodyud.avro.output.AdReport;
import io.melodyud.avro.output.Chart;
import io.melodyud.avro.output.ChartCount;
import io.melodyud.avro.output.PacingAlert;
import io.melodyud.avro.output.PendingPlay;
import io.melodyud.avro.output.RoyaltyAggregate;
import io.melodyud.avro.output.TrackDailyPlays;
import io.melodyud.avro.output.TrackPlayTotal;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;

/**
 * Every topic the code reads or writes, with its key and value types. Names match the catalogue
 * ({@code ops/topics/catalogue.yaml}); a unit test keeps the two in step.
 */
public final class Topics {

    // Events from producers.
    public static final Topic<Long, PlayEvent> PLAYS =
        new Topic<>("melody.events.plays", Format.LONG, Format.avro(PlayEvent.class));
    public static final Topic<Long, AdImpression> AD_IMPRESSIONS =
        new Topic<>("melody.events.ad-impressions", Format.LONG, Format.avro(AdImpression.class));
    public static final Topic<Long, AdClick> AD_CLICKS =
        new Topic<>("melody.events.ad-clicks", Format.LONG, Format.avro(AdClick.class));

    // Change data capture.
    public static final Topic<Long, User> CDC_USERS =
        new Topic<>("melody.cdc.users", Format.LONG, Format.avro(User.class));
    public static final Topic<Long, Subscription> CDC_SUBSCRIPTIONS =
        new Topic<>("melody.cdc.subscriptions", Format.LONG, Format.avro(Subscription.class));
    public static final Topic<Long, Track> CDC_TRACKS =
        new Topic<>("melody.cdc.tracks", Format.LONG, Format.avro(Track.class));
    public static final Topic<Long, RightsHolder> CDC_RIGHTS_HOLDERS =
        new Topic<>("melody.cdc.rights-holders", Format.LONG, Format.avro(RightsHolder.class));
    public static final Topic<Long, RoyaltyRate> CDC_ROYALTY_RATES =
        new Topic<>("melody.cdc.royalty-rates", Format.LONG, Format.avro(RoyaltyRate.class));
    public static final Topic<Long, AdCampaign> CDC_AD_CAMPAIGNS =
        new Topic<>("melody.cdc.ad-campaigns", Format.LONG, Format.avro(AdCampaign.class));
    public static final Topic<byte[], byte[]> CDC_OFFSETS =
        new Topic<>("melody.cdc.offsets", Format.BYTES, Format.BYTES);
    public static final Topic<byte[], byte[]> CDC_HEARTBEATS =
        new Topic<>("melody.cdc.heartbeats", Format.BYTES, Format.BYTES);
    public static final Topic<String, String> CDC_SIGNALS =
        new Topic<>("melody.cdc.signals", Format.STRING, Format.STRING);

    // Outputs.
    public static final Topic<Long, TrackPlayTotal> TRACK_PLAY_TOTALS =
        new Topic<>("melody.out.track-play-totals", Format.LONG, Format.avro(TrackPlayTotal.class));
    public static final Topic<String, TrackDailyPlays> TRACK_DAILY_PLAYS =
        new Topic<>("melody.out.track-daily-plays", Format.STRING, Format.avro(TrackDailyPlays.class));
    public static final Topic<String, ChartCount> CHART_COUNTS_MINUTE =
        new Topic<>("melody.out.chart-counts-minute", Format.STRING, Format.avro(ChartCount.class));
    public static final Topic<String, ChartCount> CHART_COUNTS_HOUR =
        new Topic<>("melody.out.chart-counts-hour", Format.STRING, Format.avro(ChartCount.class));
    public static final Topic<String, ChartCount> CHART_COUNTS_DAY =
        new Topic<>("melody.out.chart-counts-day", Format.STRING, Format.avro(ChartCount.class));
    public static final Topic<String, Chart> CHARTS_LIVE_MINUTE =
        new Topic<>("melody.out.charts-live-minute", Format.STRING, Format.avro(Chart.class));
    public static final Topic<String, Chart> CHARTS_LIVE_HOUR =
        new Topic<>("melody.out.charts-live-hour", Format.STRING, Format.avro(Chart.class));
    public static final Topic<String, Chart> CHARTS_LIVE_DAY =
        new Topic<>("melody.out.charts-live-day", Format.STRING, Format.avro(Chart.class));
    public static final Topic<String, Chart> CHARTS_FINAL_MINUTE =
        new Topic<>("melody.out.charts-final-minute", Format.STRING, Format.avro(Chart.class));
    public static final Topic<String, Chart> CHARTS_FINAL_HOUR =
        new Topic<>("melody.out.charts-final-hour", Format.STRING, Format.avro(Chart.class));
    public static final Topic<String, Chart> CHARTS_FINAL_DAY =
        new Topic<>("melody.out.charts-final-day", Format.STRING, Format.avro(Chart.class));
    public static final Topic<String, AdReport> AD_REPORTS_LIVE =
        new Topic<>("melody.out.ad-reports-live", Format.STRING, Format.avro(AdReport.class));
    public static final Topic<String, AdReport> AD_REPORTS_FINAL =
        new Topic<>("melody.out.ad-reports-final", Format.STRING, Format.avro(AdReport.class));
    public static final Topic<Long, PacingAlert> AD_PACING_ALERTS =
        new Topic<>("melody.out.ad-pacing-alerts", Format.LONG, Format.avro(PacingAlert.class));
    public static final Topic<Long, AdImpression> AD_ANOMALIES =
        new Topic<>("melody.out.ad-anomalies", Format.LONG, Format.avro(AdImpression.class));
    public static final Topic<String, RoyaltyAggregate> ROYALTIES_DAILY =
        new Topic<>("melody.out.royalties-daily", Format.STRING, Format.avro(RoyaltyAggregate.class));
    public static final Topic<String, RoyaltyAggregate> ROYALTIES_MONTHLY =
        new Topic<>("melody.out.royalties-monthly", Format.STRING, Format.avro(RoyaltyAggregate.class));
    public static final Topic<String, RoyaltyAggregate> ROYALTY_ADJUSTMENTS =
        new Topic<>("melody.out.royalty-adjustments", Format.STRING, Format.avro(RoyaltyAggregate.class));
    public static final Topic<Long, PendingPlay> ROYALTY_PENDING =
        new Topic<>("melody.out.royalty-pending", Format.LONG, Format.avro(PendingPlay.class));

    // Errors: reason and source in headers.
    public static final Topic<Long, PlayEvent> LATE_PLAYS =
        new Topic<>("melody.late.plays", Format.LONG, Format.avro(PlayEvent.class));
    public static final Topic<byte[], byte[]> LATE_AD_EVENTS =
        new Topic<>("melody.late.ad-events", Format.BYTES, Format.BYTES);
    public static final Topic<byte[], byte[]> DLQ_PLAY_ANALYTICS =
        new Topic<>("melody.dlq.play-analytics", Format.BYTES, Format.BYTES);
    public static final Topic<byte[], byte[]> DLQ_AD_REPORTS =
        new Topic<>("melody.dlq.ad-reports", Format.BYTES, Format.BYTES);
    public static final Topic<byte[], byte[]> DLQ_ROYALTIES =
        new Topic<>("melody.dlq.royalties", Format.BYTES, Format.BYTES);
    public static final Topic<byte[], byte[]> DLQ_CDC =
        new Topic<>("melody.dlq.cdc", Format.BYTES, Format.BYTES);
    public static final Topic<byte[], byte[]> DLQ_SINKS =
        new Topic<>("melody.dlq.sinks", Format.BYTES, Format.BYTES);

    private Topics() {
    }

    /** Every topic declared above, in declaration order. */
    public static List<Topic<?, ?>> all() {
        final List<Topic<?, ?>> all = new ArrayList<>();
        for (final Field field : Topics.class.getDeclaredFields()) {
            if (Modifier.isStatic(field.getModifiers()) && field.getType() == Topic.class) {
                try {
                    all.add((Topic<?, ?>) field.get(null));
                } catch (final IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return all;
    }
}
