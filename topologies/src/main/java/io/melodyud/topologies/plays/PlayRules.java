package io.melodyud.topologies.plays;

import io.melodyud.avro.event.PlayEvent;
import io.melodyud.topologies.common.BadInputException;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;

/**
 * What makes a play valid, for every application that counts plays (charts and counters, royalties): the contract
 * checks that send a play to the dead-letter topic, the 30-second rule, and the deduplication horizon. The settings
 * are defined here once ({@link #define}) so that the applications cannot disagree on what a play is.
 */
public final class PlayRules {

    public static final String VALID_PLAY_MIN_MS = "plays.valid.min.ms";
    public static final String DEDUP_HORIZON_MS = "plays.dedup.horizon.ms";
    public static final String MAX_FUTURE_MS = "plays.max.future.ms";

    /** Plays before this instant are client bugs (a zeroed clock), not history. */
    public static final long MIN_TIMESTAMP = 946_684_800_000L; // 2000-01-01T00:00:00Z
    /** Longer than any track: a client counting a paused player as playing. */
    public static final long MAX_MS_PLAYED = Duration.ofHours(6).toMillis();

    private final long validPlayMinMs;
    private final long dedupHorizonMs;
    private final long maxFutureMs;

    public PlayRules(final long validPlayMinMs, final long dedupHorizonMs, final long maxFutureMs) {
        this.validPlayMinMs = validPlayMinMs;
        this.dedupHorizonMs = dedupHorizonMs;
        this.maxFutureMs = maxFutureMs;
    }

    /** Adds the play settings to an application's definition. */
    public static ConfigDef define(final ConfigDef def) {
        return def
            .define(VALID_PLAY_MIN_MS, Type.LONG, 30_000L, ConfigDef.Range.atLeast(0), Importance.HIGH,
                "A play counts (for charts, totals and royalties) when at least this many milliseconds were heard.")
            .define(DEDUP_HORIZON_MS, Type.LONG, Duration.ofHours(1).toMillis(), ConfigDef.Range.atLeast(1000),
                Importance.HIGH, "Plays are deduplicated by event id over this span of event time. A play older "
                    + "than the horizon (relative to the newest play seen on its partition) cannot be checked for "
                    + "duplicates, so it is not counted: it goes to the late-events topic. State grows with the "
                    + "number of plays in one horizon (see docs/benchmarks.md for the cost per million).")
            .define(MAX_FUTURE_MS, Type.LONG, Duration.ofHours(1).toMillis(), ConfigDef.Range.atLeast(0),
                Importance.MEDIUM, "A play that started more than this far ahead of the wall clock has a broken "
                    + "client clock: it goes to the dead-letter topic instead of pushing event time forward.");
    }

    /** The rules of a parsed configuration holding the settings of {@link #define}. */
    public static PlayRules from(final Map<String, ?> parsed) {
        return new PlayRules((Long) parsed.get(VALID_PLAY_MIN_MS), (Long) parsed.get(DEDUP_HORIZON_MS),
            (Long) parsed.get(MAX_FUTURE_MS));
    }

    public long validPlayMinMs() {
        return validPlayMinMs;
    }

    public long dedupHorizonMs() {
        return dedupHorizonMs;
    }

    public long maxFutureMs() {
        return maxFutureMs;
    }

    /** The 30-second rule: whether a (contract-valid) play was heard long enough to count. */
    public boolean heardLongEnough(final PlayEvent play) {
        return play.getMsPlayed() >= validPlayMinMs;
    }

    /**
     * Checks a play against the contract and returns it; throws {@link BadInputException} with a stable reason
     * (the dead-letter header) when it breaks it.
     */
    public PlayEvent validate(final Long key, final PlayEvent play, final long nowMs) {
        if (key == null) {
            throw new BadInputException("null-key", "Play without a key: producers must key plays by user_id");
        }
        if (play == null) {
            throw new BadInputException("null-value", "Tombstone on the plays topic for user " + key);
        }
        if (play.getMsPlayed() < 0) {
            throw new BadInputException("invalid-play:negative-duration",
                "Play " + play.getEventId() + " has ms_played " + play.getMsPlayed());
        }
        if (play.getMsPlayed() > MAX_MS_PLAYED) {
            throw new BadInputException("invalid-play:duration-too-long",
                "Play " + play.getEventId() + " has ms_played " + play.getMsPlayed() + ", more than 6 hours");
        }
        final long startedAt = play.getStartedAt().toEpochMilli();
        if (startedAt < MIN_TIMESTAMP) {
            throw new BadInputException("invalid-play:timestamp-before-2000",
                "Play " + play.getEventId() + " started at " + play.getStartedAt());
        }
        if (startedAt > nowMs + maxFutureMs) {
            throw new BadInputException("invalid-play:timestamp-in-future",
                "Play " + play.getEventId() + " started at " + play.getStartedAt() + ", in the future");
        }
        if (play.getUserId() <= 0 || play.getTrackId() <= 0) {
            throw new BadInputException("invalid-play:id",
                "Play " + play.getEventId() + " has user " + play.getUserId() + " and track " + play.getTrackId());
        }
        if (!isCountryCode(play.getCountry())) {
            throw new BadInputException("invalid-play:country", "Play " + play.getEventId() + " has country '"
                + play.getCountry() + "', not an ISO 3166-1 alpha-2 code");
        }
        return play;
    }

    /** Two upper-case ASCII letters. */
    public static boolean isCountryCode(final String country) {
        return country.length() == 2 && isUpperAscii(country.charAt(0)) && isUpperAscii(country.charAt(1));
    }

    private static boolean isUpperAscii(final char c) {
        return c >= 'A' && c <= 'Z';
    }
}
