package io.melodyud.topologies.ads;

import io.melodyud.topologies.common.StreamsAppConfig;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

/** Settings of the ad-reports application (hourly delivery and spend per campaign and country, pacing alerts). */
public final class AdReportsConfig extends StreamsAppConfig {

    public static final String GRACE_MS = "ads.grace.ms";
    public static final String ATTRIBUTION_WINDOW_MS = "ads.attribution.window.ms";
    public static final String CLICK_HOLD_MS = "ads.click.hold.ms";
    public static final String DEDUP_HORIZON_MS = "ads.dedup.horizon.ms";
    public static final String MAX_FUTURE_MS = "ads.max.future.ms";
    public static final String IDLE_TIMEOUT_MS = "ads.idle.timeout.ms";
    public static final String UNIQUE_USERS_LG_K = "ads.unique.users.lg.k";
    public static final String CAMPAIGN_HISTORY_RETENTION_MS = "ads.campaign.history.retention.ms";
    public static final String CLOSED_RETENTION_MS = "ads.reports.closed.retention.ms";
    public static final String LIVE_INTERVAL_MS = "ads.live.interval.ms";

    public static final ConfigDef DEFINITION = defineCdcTopicPrefix(baseDefinition("melody-ad-reports"))
        .define(GRACE_MS, Type.LONG, Duration.ofMinutes(10).toMillis(), ConfigDef.Range.atLeast(0), Importance.HIGH,
            "How long after an hour ends (in event time: served_at, clicked_at) its impressions and clicks are still "
                + "counted. Then the hour's final report is emitted, and a later event for it goes to "
                + "melody.late.ad-events with reason after-grace.")
        .define(ATTRIBUTION_WINDOW_MS, Type.LONG, Duration.ofMinutes(30).toMillis(), ConfigDef.Range.atLeast(0),
            Importance.HIGH, "A click is attributed to its impression when clicked_at is at most this long after the "
                + "impression's served_at (and not before it); otherwise it counts as unattributed.")
        .define(CLICK_HOLD_MS, Type.LONG, Duration.ofMinutes(5).toMillis(), ConfigDef.Range.atLeast(0),
            Importance.MEDIUM, "How long (in event time of its input partition) a click whose impression has not been "
                + "seen yet is held in state, waiting for it. When it expires it counts as unattributed in the hour "
                + "of clicked_at. At most the grace period, so that the hour is still open.")
        .define(DEDUP_HORIZON_MS, Type.LONG, Duration.ofHours(1).toMillis(), ConfigDef.Range.atLeast(1000),
            Importance.HIGH, "Impressions and clicks are deduplicated by id over this span of event time. An event "
                + "older than the horizon (relative to the newest event of its input partition) cannot be checked "
                + "for duplicates, so it is not counted: it goes to melody.late.ad-events with reason "
                + "beyond-dedup-horizon. At least the grace period.")
        .define(MAX_FUTURE_MS, Type.LONG, Duration.ofHours(1).toMillis(), ConfigDef.Range.atLeast(0),
            Importance.MEDIUM, "An event (or a campaign or user change) dated more than this far ahead of the wall "
                + "clock has a broken clock: it goes to the dead-letter topic instead of pushing event time forward.")
        .define(IDLE_TIMEOUT_MS, Type.LONG, Duration.ofMinutes(5).toMillis(), ConfigDef.Range.atLeast(1000),
            Importance.MEDIUM, "An hour closes when every input partition's event time has passed its end plus the "
                + "grace period, except for partitions whose event time has not moved for this long (wall clock): "
                + "a quiet partition does not hold every final report. Should such a partition then count an event "
                + "of an hour closed meanwhile, that hour's final report is emitted again, corrected, with a higher "
                + "version (counter final-correction). When every partition is quiet, hours close up to the newest "
                + "event time seen. Event time itself never follows the wall clock: after an outage, the backlog is "
                + "counted, not sent to the late topic.")
        .define(UNIQUE_USERS_LG_K, Type.INT, 12, ConfigDef.Range.between(4, 21), Importance.MEDIUM,
            "log2 of the number of buckets of the HyperLogLog sketch (Apache DataSketches HllSketch, HLL_4) that "
                + "estimates unique users. Relative standard error of a report's estimate (a union of sketches) "
                + "about 1.04 / sqrt(2^value) at one standard deviation, twice that at 95% confidence: 12 gives "
                + "1.6% and 3.2%, 14 gives 0.8% and 1.6%; counts below about 2^value / 10 are exact. A dense "
                + "sketch takes about 2^value / 2 bytes.")
        .define(CAMPAIGN_HISTORY_RETENTION_MS, Type.LONG, Duration.ofDays(1).toMillis(), ConfigDef.Range.atLeast(0),
            Importance.LOW, "How far back (behind the newest campaign change seen) the campaign versions are kept "
                + "for pricing impressions with the CPM valid when they were served. At least the dedup horizon: "
                + "no impression older than that is priced.")
        .define(CLOSED_RETENTION_MS, Type.LONG, Duration.ofHours(6).toMillis(), ConfigDef.Range.atLeast(0),
            Importance.LOW, "How long a closed hour's report stays in state (queryable over HTTP) after its final "
                + "report was emitted.")
        .define(LIVE_INTERVAL_MS, Type.LONG, Duration.ofSeconds(10).toMillis(), ConfigDef.Range.atLeast(0),
            Importance.MEDIUM, "How often (wall clock) live reports of the (campaign, country, hour) lines that changed "
                + "are published, at the next commit. A busy campaign's lines change at every commit, and each "
                + "report carries its unique-users sketch; the reports are stored at every commit either way (HTTP "
                + "queries see them at once), and final reports and pacing alerts are never delayed. 0 publishes at "
                + "every commit.");

    // Read once: the intake asks for these on every event, and AbstractConfig looks each one up in a map.
    private final long graceMs;
    private final long attributionWindowMs;
    private final long clickHoldMs;
    private final long dedupHorizonMs;
    private final long maxFutureMs;
    private final long idleTimeoutMs;
    private final int uniqueUsersLgK;

    public AdReportsConfig(final Map<?, ?> originals) {
        super(DEFINITION, originals);
        graceMs = getLong(GRACE_MS);
        attributionWindowMs = getLong(ATTRIBUTION_WINDOW_MS);
        clickHoldMs = getLong(CLICK_HOLD_MS);
        dedupHorizonMs = getLong(DEDUP_HORIZON_MS);
        maxFutureMs = getLong(MAX_FUTURE_MS);
        idleTimeoutMs = getLong(IDLE_TIMEOUT_MS);
        uniqueUsersLgK = getInt(UNIQUE_USERS_LG_K);
        if (graceMs > dedupHorizonMs) {
            throw new ConfigException(GRACE_MS + " " + graceMs + " is larger than " + DEDUP_HORIZON_MS + " "
                + dedupHorizonMs + ": events the hour still accepts could not be checked for duplicates");
        }
        if (clickHoldMs > graceMs) {
            throw new ConfigException(CLICK_HOLD_MS + " " + clickHoldMs + " is larger than " + GRACE_MS + " "
                + graceMs + ": a held click could expire after its hour closed");
        }
        if (campaignHistoryRetentionMs() < dedupHorizonMs) {
            throw new ConfigException(CAMPAIGN_HISTORY_RETENTION_MS + " " + campaignHistoryRetentionMs()
                + " is shorter than " + DEDUP_HORIZON_MS + " " + dedupHorizonMs
                + ": impressions the application still prices could find no campaign version");
        }
    }

    public long graceMs() {
        return graceMs;
    }

    public long attributionWindowMs() {
        return attributionWindowMs;
    }

    public long clickHoldMs() {
        return clickHoldMs;
    }

    public long dedupHorizonMs() {
        return dedupHorizonMs;
    }

    public long maxFutureMs() {
        return maxFutureMs;
    }

    public long idleTimeoutMs() {
        return idleTimeoutMs;
    }

    public int uniqueUsersLgK() {
        return uniqueUsersLgK;
    }

    public long campaignHistoryRetentionMs() {
        return getLong(CAMPAIGN_HISTORY_RETENTION_MS);
    }

    public long closedRetentionMs() {
        return getLong(CLOSED_RETENTION_MS);
    }

    public long liveIntervalMs() {
        return getLong(LIVE_INTERVAL_MS);
    }

    /**
     * How long impressions stay findable by id for attributing clicks: a click is accepted up to the dedup horizon
     * behind its partition's event time, and looks back one attribution window from its clicked_at.
     */
    public long impressionIndexRetentionMs() {
        return dedupHorizonMs + attributionWindowMs;
    }
}
