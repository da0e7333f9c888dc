package io.melodyud.topologies.plays;

import io.melodyud.topologies.common.ChartWindowSize;
import io.melodyud.topologies.common.StreamsAppConfig;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.StreamsConfig;

/** Settings of the play-analytics application (play counters and charts). */
public final class PlayAnalyticsConfig extends StreamsAppConfig {

    public static final String VALID_PLAY_MIN_MS = PlayRules.VALID_PLAY_MIN_MS;
    public static final String DEDUP_HORIZON_MS = PlayRules.DEDUP_HORIZON_MS;
    public static final String MAX_FUTURE_MS = PlayRules.MAX_FUTURE_MS;
    public static final String TOP_N = "charts.top.n";
    public static final String GRACE_MINUTE_MS = "charts.grace.minute.ms";
    public static final String GRACE_HOUR_MS = "charts.grace.hour.ms";
    public static final String GRACE_DAY_MS = "charts.grace.day.ms";
    public static final String CLOSED_RETENTION_MS = "charts.closed.retention.ms";
    public static final String WINDOWS = "charts.windows";
    public static final String LIVE_MINUTE_COUNTS = "charts.counts.minute.live";
    public static final String DASHBOARD_ROYALTIES_URL = "dashboard.royalties.url";
    public static final String DASHBOARD_AD_REPORTS_URL = "dashboard.ad-reports.url";

    public static final ConfigDef DEFINITION = PlayRules.define(baseDefinition("melody-play-analytics"))
        .define(TOP_N, Type.INT, 100, ConfigDef.Range.between(1, 10_000), Importance.HIGH,
            "Length of every chart.")
        .define(GRACE_MINUTE_MS, Type.LONG, Duration.ofSeconds(30).toMillis(), ConfigDef.Range.atLeast(0),
            Importance.MEDIUM, "How long after a 1-minute window ends late plays are still counted in it.")
        .define(GRACE_HOUR_MS, Type.LONG, Duration.ofMinutes(5).toMillis(), ConfigDef.Range.atLeast(0),
            Importance.MEDIUM, "How long after a 1-hour window ends late plays are still counted in it.")
        .define(GRACE_DAY_MS, Type.LONG, Duration.ofMinutes(30).toMillis(), ConfigDef.Range.atLeast(0),
            Importance.MEDIUM, "How long after a day ends late plays are still counted in it.")
        .define(CLOSED_RETENTION_MS, Type.LONG, Duration.ofHours(1).toMillis(), ConfigDef.Range.atLeast(0),
            Importance.LOW, "How long a closed window's chart stays queryable after its final chart was emitted.")
        .define(LIVE_MINUTE_COUNTS, Type.BOOLEAN, false, Importance.MEDIUM,
            "Publish 1-minute counts (chart-counts-minute) at every commit while their window fills. By default "
                + "they are published once, when the window closes (then only as corrections), like hour and day "
                + "counts: live, every changed (country, track) costs a record per commit, about one record for "
                + "every two plays at 100,000 plays per second. Live rankings are on the chart topics either way.")
        .define(DASHBOARD_ROYALTIES_URL, Type.STRING, "", Importance.LOW,
            "Base URL of the royalties application's HTTP API (any instance), for the dashboard's royalties panel "
                + "(served by this API at /). Empty: the panel says it is not configured.")
        .define(DASHBOARD_AD_REPORTS_URL, Type.STRING, "", Importance.LOW,
            "Base URL of the ad-report application's HTTP API (any instance), for the dashboard's pacing panel.")
        .define(WINDOWS, Type.LIST, "minute,hour,day", ConfigDef.ValidList.in(true, "minute", "hour", "day"),
            Importance.MEDIUM, "Window sizes to compute counts and charts for; empty computes the play counters "
                + "(totals) alone. Daily plays per track need the day window.");

    // Read once: the intake asks for these on every play, and AbstractConfig looks each one up in a map.
    private final PlayRules playRules;
    private final long[] graceMs = new long[ChartWindowSize.values().length];

    public PlayAnalyticsConfig(final Map<?, ?> originals) {
        super(DEFINITION, originals);
        playRules = PlayRules.from(values());
        graceMs[ChartWindowSize.MINUTE.ordinal()] = getLong(GRACE_MINUTE_MS);
        graceMs[ChartWindowSize.HOUR.ordinal()] = getLong(GRACE_HOUR_MS);
        graceMs[ChartWindowSize.DAY.ordinal()] = getLong(GRACE_DAY_MS);
        for (final ChartWindowSize size : ChartWindowSize.values()) {
            if (grace(size) > dedupHorizonMs()) {
                throw new ConfigException("charts.grace." + size.label() + ".ms " + grace(size)
                    + " is larger than " + DEDUP_HORIZON_MS + " " + dedupHorizonMs()
                    + ": plays the window still accepts could not be checked for duplicates");
            }
        }
    }

    /**
     * Every task of this topology reads one partition of one topic, so {@code max.task.idle.ms}, which makes a task
     * wait for data on all its partitions to process them in time order, has nothing to order here. Disabled, Kafka
     * Streams also skips building a "not ready" log message, with {@code String.format}, every time it finds a task
     * with an empty queue: 2.5% of the stream threads' samples, because the counting and merge tasks' queues are
     * empty between the bursts their upstream sends at each commit.
     */
    @Override
    protected void addStreamsDefaults(final Properties props) {
        props.put(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, StreamsConfig.MAX_TASK_IDLE_MS_DISABLED);
    }

    public PlayRules playRules() {
        return playRules;
    }

    public long dedupHorizonMs() {
        return playRules.dedupHorizonMs();
    }

    public long maxFutureMs() {
        return playRules.maxFutureMs();
    }

    public int topN() {
        return getInt(TOP_N);
    }

    public long closedRetentionMs() {
        return getLong(CLOSED_RETENTION_MS);
    }

    /** The window sizes computed, in size order. */
    public boolean liveMinuteCounts() {
        return getBoolean(LIVE_MINUTE_COUNTS);
    }

    public java.util.List<ChartWindowSize> windows() {
        return getList(WINDOWS).stream().map(w -> ChartWindowSize.valueOf(w.toUpperCase(java.util.Locale.ROOT)))
            .distinct().sorted().toList();
    }

    public String dashboardRoyaltiesUrl() {
        return getString(DASHBOARD_ROYALTIES_URL);
    }

    public String dashboardAdReportsUrl() {
        return getString(DASHBOARD_AD_REPORTS_URL);
    }

    public long grace(final ChartWindowSize size) {
        return graceMs[size.ordinal()];
    }
}
