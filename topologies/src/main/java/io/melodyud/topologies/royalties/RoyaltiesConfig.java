package io.melodyud.topologies.royalties;

import io.melodyud.topologies.common.StreamsAppConfig;
import io.melodyud.topologies.plays.PlayRules;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

/** Settings of the royalties application. The play settings ({@code plays.*}) are the play counter's own. */
public final class RoyaltiesConfig extends StreamsAppConfig {

    public static final String CURRENCY = "royalties.currency";
    public static final String GRACE_MS = "royalties.grace.ms";
    public static final String CLOSED_RETENTION_MS = "royalties.closed.retention.ms";
    public static final String LIVE_INTERVAL_MS = "royalties.live.interval.ms";
    public static final String PENDING_RETRY_MS = "royalties.pending.retry.interval.ms";
    public static final String PENDING_MAX_AGE_MS = "royalties.pending.max.age.ms";

    public static final ConfigDef DEFINITION = PlayRules.define(defineCdcTopicPrefix(baseDefinition("melody-royalties")))
        .define(CURRENCY, Type.STRING, "USD", new ConfigDef.NonEmptyString(), Importance.HIGH,
            "Accounting currency of every statement (ISO 4217). Statements add plays of several countries, so "
                + "they are single-currency: a play whose rate is in another currency is held as pending "
                + "(UNKNOWN_RATE) until a rate in this currency is valid for it.")
        .define(GRACE_MS, Type.LONG, Duration.ofMinutes(30).toMillis(), ConfigDef.Range.atLeast(0), Importance.HIGH,
            "How long after a UTC day (or month) ends its statement stays open for late plays. Then the FINAL "
                + "statement is emitted once, and a later play produces an ADJUSTMENT record for the closed "
                + "period instead of a change to it.")
        .define(CLOSED_RETENTION_MS, Type.LONG, Duration.ofDays(2).toMillis(), ConfigDef.Range.atLeast(0),
            Importance.LOW, "How long a closed statement line is kept (after its close) to number its adjustments; "
                + "an adjustment for a line forgotten since then is numbered from the stream time, still above "
                + "every earlier version.")
        .define(LIVE_INTERVAL_MS, Type.LONG, Duration.ofSeconds(10).toMillis(), ConfigDef.Range.atLeast(0),
            Importance.MEDIUM, "How often (wall clock) LIVE statements of the lines that changed are published, "
                + "at the next commit. Every line of a busy catalogue changes every second, so publishing at every "
                + "commit would send about one record per (rights holder, country) per second; totals are stored "
                + "at every commit either way. 0 publishes at every commit.")
        .define(PENDING_RETRY_MS, Type.LONG, Duration.ofSeconds(10).toMillis(), ConfigDef.Range.atLeast(100),
            Importance.MEDIUM, "How often (wall clock) plays held for an unknown track or rate are priced again. "
                + "Plays held for an unknown user are priced as soon as the user arrives.")
        .define(PENDING_MAX_AGE_MS, Type.LONG, Duration.ofDays(7).toMillis(), ConfigDef.Range.atLeast(1000),
            Importance.MEDIUM, "A play still not priceable after this long (wall clock) leaves the pending store "
                + "for the dead-letter topic (reason pending-expired:<reason>), so that the store cannot grow "
                + "without bound on a reference row that never comes.");

    private final PlayRules playRules;

    public RoyaltiesConfig(final Map<?, ?> originals) {
        super(DEFINITION, originals);
        playRules = PlayRules.from(values());
        if (!currency().matches("[A-Z]{3}")) {
            throw new ConfigException(CURRENCY, currency(), "must be an ISO 4217 alphabetic code such as USD");
        }
    }

    public PlayRules playRules() {
        return playRules;
    }

    public String currency() {
        return getString(CURRENCY);
    }

    public long graceMs() {
        return getLong(GRACE_MS);
    }

    public long closedRetentionMs() {
        return getLong(CLOSED_RETENTION_MS);
    }

    public long liveIntervalMs() {
        return getLong(LIVE_INTERVAL_MS);
    }

    public long pendingRetryMs() {
        return getLong(PENDING_RETRY_MS);
    }

    public long pendingMaxAgeMs() {
        return getLong(PENDING_MAX_AGE_MS);
    }
}
