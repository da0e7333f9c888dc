package io.melodyud.ops.loadgen;

import io.melodyud.contracts.config.ConfigLoader;
import io.melodyud.contracts.registry.RegistryConfig;
import io.melodyud.contracts.topics.Topics;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Settings of the load generator. Kafka settings are given with the prefix {@code kafka.} and pass through to its
 * producer (SASL and TLS included); the registry settings keep Confluent's names. The {@code loadgen.reference.*}
 * settings must be those the operational database was seeded with ({@code ops/melody}'s {@code MELODY_SEED*}), so
 * that every user, track and campaign id the generator sends exists there.
 */
public final class LoadGenConfig extends AbstractConfig {

    public static final String KAFKA_PREFIX = "kafka.";
    public static final String KAFKA_BOOTSTRAP_SERVERS = "kafka.bootstrap.servers";

    public static final String SEED = "loadgen.seed";
    public static final String RATE = "loadgen.rate";
    public static final String PACED = "loadgen.paced";
    public static final String SPEEDUP = "loadgen.time.speedup";
    public static final String EVENTS = "loadgen.events";
    public static final String DURATION_MS = "loadgen.duration.ms";
    public static final String EVENT_TIME_START = "loadgen.event.time.start";
    public static final String RHYTHM = "loadgen.rhythm";
    public static final String THREADS = "loadgen.threads";

    public static final String REFERENCE_SEED = "loadgen.reference.seed";
    public static final String REFERENCE_USERS = "loadgen.reference.users";
    public static final String REFERENCE_RIGHTS_HOLDERS = "loadgen.reference.rights.holders";
    public static final String REFERENCE_TRACKS = "loadgen.reference.tracks";
    public static final String REFERENCE_CAMPAIGNS = "loadgen.reference.campaigns";

    public static final String TRACK_ZIPF_EXPONENT = "loadgen.track.zipf.exponent";
    public static final String USER_ACTIVITY_EXPONENT = "loadgen.user.activity.exponent";
    public static final String SHORT_PLAY_FRACTION = "loadgen.short.play.fraction";
    public static final String INVALID_FRACTION = "loadgen.invalid.fraction";
    public static final String IMPRESSION_FRACTION = "loadgen.ad.impression.fraction";
    public static final String CLICK_RATE = "loadgen.ad.click.rate";
    public static final String CLICK_MAX_DELAY_MS = "loadgen.ad.click.max.delay.ms";
    public static final String CLICK_BEFORE_IMPRESSION_FRACTION = "loadgen.ad.click.before.impression.fraction";
    public static final String DUPLICATE_FRACTION = "loadgen.duplicate.fraction";
    public static final String DUPLICATE_MAX_DISTANCE = "loadgen.duplicate.max.distance";
    public static final String LATE_FRACTION = "loadgen.late.fraction";
    public static final String LATE_MAX_MS = "loadgen.late.max.ms";
    public static final String BEYOND_GRACE_FRACTION = "loadgen.beyond.grace.fraction";
    public static final String GRACE_MS = "loadgen.grace.ms";

    public static final String TOPIC_PLAYS = "loadgen.topic.plays";
    public static final String TOPIC_IMPRESSIONS = "loadgen.topic.ad.impressions";
    public static final String TOPIC_CLICKS = "loadgen.topic.ad.clicks";
    public static final String REPORT_FILE = "loadgen.report.file";
    public static final String PROGRESS_INTERVAL_MS = "loadgen.progress.interval.ms";

    /** Value of {@link #EVENT_TIME_START} meaning "the wall clock when the run starts". */
    public static final String NOW = "now";

    /**
     * Relative listening intensity per UTC hour, 0 to 23: night trough, a morning commute bump, an evening peak.
     * Normalised to a mean of 1, so {@link #RATE} stays the mean rate.
     */
    static final List<String> DEFAULT_RHYTHM = List.of("0.55", "0.40", "0.30", "0.25", "0.25", "0.35", "0.60",
        "0.95", "1.15", "1.10", "1.05", "1.05", "1.15", "1.15", "1.10", "1.10", "1.20", "1.35", "1.55", "1.70",
        "1.70", "1.55", "1.25", "0.85");

    public static final ConfigDef DEFINITION = definition();

    public LoadGenConfig(final Map<?, ?> originals) {
        super(DEFINITION, originals, false);
        if (getLong(LATE_MAX_MS) >= getLong(GRACE_MS)) {
            throw new ConfigException(LATE_MAX_MS + " " + getLong(LATE_MAX_MS) + " is not lower than " + GRACE_MS
                + " " + getLong(GRACE_MS) + ": late events within grace must be less late than the grace");
        }
        if (getDouble(LATE_FRACTION) + getDouble(BEYOND_GRACE_FRACTION) > 1.0) {
            throw new ConfigException(LATE_FRACTION + " + " + BEYOND_GRACE_FRACTION + " is more than 1");
        }
        if (getDouble(RATE) / getDouble(SPEEDUP) > 10_000_000) {
            throw new ConfigException(RATE + " / " + SPEEDUP + " is more than 10,000,000 events per second of "
                + "event time: millisecond timestamps cannot tell such events apart in time");
        }
        eventTimeStart(Instant.EPOCH);
        rhythm();
    }

    private static ConfigDef definition() {
        final ConfigDef def = new ConfigDef()
            .define(KAFKA_BOOTSTRAP_SERVERS, Type.LIST, ConfigDef.NO_DEFAULT_VALUE, nonEmptyList(), Importance.HIGH,
                "Kafka brokers to produce to (host:port list). Every other kafka.* setting passes through to the "
                    + "producer, e.g. kafka.security.protocol, kafka.sasl.jaas.config (from MELODY_KAFKA_SASL_JAAS_"
                    + "CONFIG, never a committed file).")
            .define(SEED, Type.LONG, 20_261_124L, Importance.HIGH,
                "Seed of the event stream. The stream is a pure function of the seed, the settings below and the "
                    + "event's index: the same seed gives the same events, so a test can regenerate what a run sent.")
            .define(RATE, Type.DOUBLE, 1_000.0, ConfigDef.Range.atLeast(0.001), Importance.HIGH,
                "Mean events per second, all topics together, over a day of event time (the daily rhythm makes "
                    + "evening hours busier than nights). Decides how densely events fill event time, and, when "
                    + "paced, how fast they are sent.")
            .define(PACED, Type.BOOLEAN, true, Importance.HIGH,
                "Send each event when its turn comes on the wall clock. false sends as fast as the producer goes "
                    + "(the same events: for throughput tests and backfills).")
            .define(SPEEDUP, Type.DOUBLE, 1.0, ConfigDef.Range.atLeast(0.001), Importance.MEDIUM,
                "Seconds of event time per second of wall clock when paced: 60 plays an hour of listening in a "
                    + "minute, so that a short run shows the daily rhythm. Event time then runs ahead of the wall "
                    + "clock, which consumers that check for timestamps in the future may reject.")
            .define(EVENTS, Type.LONG, 0L, ConfigDef.Range.atLeast(0), Importance.HIGH,
                "Stop after this many events (all topics, duplicates included). 0: no limit.")
            .define(DURATION_MS, Type.LONG, 0L, ConfigDef.Range.atLeast(0), Importance.HIGH,
                "Stop after this long on the wall clock. 0: no limit (stop with SIGTERM; the report is still "
                    + "written).")
            .define(EVENT_TIME_START, Type.STRING, NOW, new ConfigDef.NonEmptyString(), Importance.MEDIUM,
                "Event time of the first event: 'now' (the wall clock at start) or an ISO-8601 instant such as "
                    + "2026-09-01T18:00:00Z. The report gives the instant used, so a run started 'now' can be "
                    + "regenerated.")
            .define(RHYTHM, Type.LIST, String.join(",", DEFAULT_RHYTHM), rhythmValidator(), Importance.LOW,
                "Relative event rate for each UTC hour of event time, 24 positive numbers (normalised to a mean "
                    + "of 1).")
            .define(THREADS, Type.INT, 1, ConfigDef.Range.between(1, 64), Importance.LOW,
                "Threads that build and serialize events ahead of the sending thread. Events are still sent in "
                    + "index order.")
            .define(REFERENCE_SEED, Type.LONG, 20_260_101L, Importance.HIGH,
                "Seed the operational database was loaded with (MELODY_SEED): users, tracks and campaigns are "
                    + "derived from it, not read from the database.")
            .define(REFERENCE_USERS, Type.INT, 10_000, ConfigDef.Range.atLeast(1), Importance.HIGH,
                "Users in the seed (MELODY_SEED_USERS).")
            .define(REFERENCE_RIGHTS_HOLDERS, Type.INT, 200, ConfigDef.Range.atLeast(1), Importance.LOW,
                "Rights holders in the seed (MELODY_SEED_RIGHTS_HOLDERS); the seed's tracks depend on it.")
            .define(REFERENCE_TRACKS, Type.INT, 50_000, ConfigDef.Range.atLeast(1), Importance.HIGH,
                "Tracks in the seed (MELODY_SEED_TRACKS).")
            .define(REFERENCE_CAMPAIGNS, Type.INT, 40, ConfigDef.Range.atLeast(0), Importance.HIGH,
                "Ad campaigns in the seed (MELODY_SEED_CAMPAIGNS). Impressions only name campaigns that are "
                    + "ACTIVE, running at the event's time and targeting its country.")
            .define(TRACK_ZIPF_EXPONENT, Type.DOUBLE, 1.07, ConfigDef.Range.between(0.0, 5.0), Importance.MEDIUM,
                "Exponent of the Zipf law of track popularity (rank k is played in proportion to 1/k^s): a few "
                    + "hits take a large share of plays, which is what hot-key handling must cope with.")
            .define(USER_ACTIVITY_EXPONENT, Type.DOUBLE, 0.6, ConfigDef.Range.between(0.0, 5.0), Importance.LOW,
                "Exponent of the Zipf law of user activity: some users listen far more than others. 0: every "
                    + "user equally active.")
            .define(SHORT_PLAY_FRACTION, Type.DOUBLE, 0.24, unitInterval(), Importance.MEDIUM,
                "Fraction of plays stopped before 30 seconds (skips), which charts and royalties must not count.")
            .define(INVALID_FRACTION, Type.DOUBLE, 0.0, unitInterval(), Importance.MEDIUM,
                "Fraction of plays from a buggy client (negative ms_played, or more than 6 hours), which consumers "
                    + "send to their dead-letter topic. 0 by default so that a demo run raises no DLQ alert.")
            .define(IMPRESSION_FRACTION, Type.DOUBLE, 0.10, unitInterval(), Importance.MEDIUM,
                "Fraction of new events that are ad impressions (always to free-tier users); the rest are plays "
                    + "and clicks.")
            .define(CLICK_RATE, Type.DOUBLE, 0.012, ConfigDef.Range.between(0.0, 0.15), Importance.MEDIUM,
                "Click-through rate: fraction of impressions clicked, within minutes of being served.")
            .define(CLICK_MAX_DELAY_MS, Type.LONG, 180_000L, ConfigDef.Range.atLeast(1_000), Importance.LOW,
                "Longest time between an impression and its click.")
            .define(CLICK_BEFORE_IMPRESSION_FRACTION, Type.DOUBLE, 0.02, unitInterval(), Importance.LOW,
                "Fraction of clicks sent before their impression (the ad server's impression report was delayed).")
            .define(DUPLICATE_FRACTION, Type.DOUBLE, 0.02, ConfigDef.Range.between(0.0, 0.5), Importance.MEDIUM,
                "Fraction of sends that are producer retries: an event sent again, same id and times, shortly "
                    + "after the first send.")
            .define(DUPLICATE_MAX_DISTANCE, Type.INT, 200, ConfigDef.Range.atLeast(1), Importance.LOW,
                "A retry re-sends one of this many events before it.")
            .define(LATE_FRACTION, Type.DOUBLE, 0.01, unitInterval(), Importance.MEDIUM,
                "Fraction of plays and impressions that arrive late, 1 minute to " + "loadgen.late.max.ms after "
                    + "their event time (buffered offline, slow uploads): out of order, within grace.")
            .define(LATE_MAX_MS, Type.LONG, 600_000L, ConfigDef.Range.atLeast(60_001), Importance.LOW,
                "Largest lateness of a late event within grace.")
            .define(BEYOND_GRACE_FRACTION, Type.DOUBLE, 0.001, unitInterval(), Importance.MEDIUM,
                "Fraction of plays and impressions that arrive more than loadgen.grace.ms late (up to an hour "
                    + "more), which consumers route to their late-events topic.")
            .define(GRACE_MS, Type.LONG, 1_800_000L, ConfigDef.Range.atLeast(60_002), Importance.MEDIUM,
                "The consumers' longest grace period (play analytics' day charts: charts.grace.day.ms): events "
                    + "beyond grace are later than this.")
            .define(TOPIC_PLAYS, Type.STRING, Topics.PLAYS.name(), new ConfigDef.NonEmptyString(), Importance.LOW,
                "Topic of the plays.")
            .define(TOPIC_IMPRESSIONS, Type.STRING, Topics.AD_IMPRESSIONS.name(), new ConfigDef.NonEmptyString(),
                Importance.LOW, "Topic of the ad impressions.")
            .define(TOPIC_CLICKS, Type.STRING, Topics.AD_CLICKS.name(), new ConfigDef.NonEmptyString(),
                Importance.LOW, "Topic of the ad clicks.")
            .define(REPORT_FILE, Type.STRING, null, Importance.MEDIUM,
                "File to write the run's report to (JSON: counts per topic, duplicates, late, the stream's "
                    + "parameters). The report is also the last line on standard output.")
            .define(PROGRESS_INTERVAL_MS, Type.LONG, 10_000L, ConfigDef.Range.atLeast(0), Importance.LOW,
                "How often progress is logged. 0: never.");
        RegistryConfig.DEFINITION.configKeys().values().forEach(def::define);
        return def;
    }

    private static ConfigDef.Validator nonEmptyList() {
        return ConfigDef.LambdaValidator.with((name, value) -> {
            if (value == null || ((List<?>) value).isEmpty()) {
                throw new ConfigException(name, value, "must name at least one broker");
            }
        }, () -> "non-empty list of host:port");
    }

    private static ConfigDef.Validator unitInterval() {
        return ConfigDef.Range.between(0.0, 1.0);
    }

    private static ConfigDef.Validator rhythmValidator() {
        return ConfigDef.LambdaValidator.with((name, value) -> {
            final List<?> hours = (List<?>) value;
            if (hours.size() != 24) {
                throw new ConfigException(name, value, "needs 24 numbers, one per UTC hour; got " + hours.size());
            }
            for (final Object hour : hours) {
                try {
                    if (!(Double.parseDouble(hour.toString()) > 0)) {
                        throw new ConfigException(name, value, "every hour's weight must be positive: " + hour);
                    }
                } catch (final NumberFormatException e) {
                    throw new ConfigException(name, value, "not a number: " + hour);
                }
            }
        }, () -> "24 positive numbers");
    }

    /** The event time of the first event: the configured instant, or {@code now} when set to 'now'. */
    public Instant eventTimeStart(final Instant now) {
        final String value = getString(EVENT_TIME_START).trim();
        if (NOW.equalsIgnoreCase(value)) {
            return now;
        }
        try {
            return Instant.parse(value);
        } catch (final DateTimeParseException e) {
            throw new ConfigException(EVENT_TIME_START, value, "not 'now' nor an ISO-8601 instant such as "
                + "2026-09-01T18:00:00Z");
        }
    }

    /** The hourly weights, normalised to a mean of 1. */
    public double[] rhythm() {
        final List<String> hours = getList(RHYTHM);
        final double[] weights = new double[24];
        double sum = 0;
        for (int h = 0; h < 24; h++) {
            weights[h] = Double.parseDouble(hours.get(h).trim());
            sum += weights[h];
        }
        for (int h = 0; h < 24; h++) {
            weights[h] = weights[h] * 24 / sum;
        }
        return weights;
    }

    /** The shape of the event stream, with the event time of index 0 resolved. */
    public StreamSpec streamSpec(final Instant now) {
        return new StreamSpec(getLong(SEED), eventTimeStart(now).toEpochMilli(), getDouble(RATE) / getDouble(SPEEDUP),
            rhythm(), getDouble(TRACK_ZIPF_EXPONENT), getDouble(USER_ACTIVITY_EXPONENT),
            getDouble(SHORT_PLAY_FRACTION), getDouble(INVALID_FRACTION), getDouble(IMPRESSION_FRACTION),
            getDouble(CLICK_RATE), getLong(CLICK_MAX_DELAY_MS), getDouble(CLICK_BEFORE_IMPRESSION_FRACTION),
            getDouble(DUPLICATE_FRACTION), getInt(DUPLICATE_MAX_DISTANCE), getDouble(LATE_FRACTION),
            getLong(LATE_MAX_MS), getDouble(BEYOND_GRACE_FRACTION), getLong(GRACE_MS));
    }

    public ReferenceData.Sizes referenceSizes() {
        return new ReferenceData.Sizes(getLong(REFERENCE_SEED), getInt(REFERENCE_USERS),
            getInt(REFERENCE_RIGHTS_HOLDERS), getInt(REFERENCE_TRACKS), getInt(REFERENCE_CAMPAIGNS));
    }

    /** The reference data of the seed, with the popularity and activity laws. */
    public ReferenceData referenceData() {
        return new ReferenceData(referenceSizes(), getDouble(TRACK_ZIPF_EXPONENT), getDouble(USER_ACTIVITY_EXPONENT));
    }

    public double rate() {
        return getDouble(RATE);
    }

    public boolean paced() {
        return getBoolean(PACED);
    }

    public double speedup() {
        return getDouble(SPEEDUP);
    }

    public long maxEvents() {
        return getLong(EVENTS);
    }

    public long durationMs() {
        return getLong(DURATION_MS);
    }

    public int threads() {
        return getInt(THREADS);
    }

    public String topicPlays() {
        return getString(TOPIC_PLAYS);
    }

    public String topicImpressions() {
        return getString(TOPIC_IMPRESSIONS);
    }

    public String topicClicks() {
        return getString(TOPIC_CLICKS);
    }

    public String reportFile() {
        return getString(REPORT_FILE);
    }

    public long progressIntervalMs() {
        return getLong(PROGRESS_INTERVAL_MS);
    }

    public RegistryConfig registryConfig() {
        final Map<String, Object> registry = new HashMap<>();
        for (final String key : RegistryConfig.DEFINITION.names()) {
            final Object value = originals().get(key);
            if (value != null) {
                registry.put(key, value);
            }
        }
        return new RegistryConfig(registry);
    }

    /**
     * The producer settings: our defaults (idempotent, acks=all, large lz4 batches for throughput), then every
     * {@code kafka.*} setting, which wins. A new map each call.
     */
    public Map<String, Object> producerConfig() {
        final Map<String, Object> producer = new HashMap<>();
        producer.put(ProducerConfig.ACKS_CONFIG, "all");
        producer.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        // Large batches and lz4: tens of thousands of small records per second on two cores.
        producer.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        producer.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        producer.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        producer.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 64L * 1024 * 1024);
        producer.put(ProducerConfig.CLIENT_ID_CONFIG, "melody-loadgen");
        producer.putAll(ConfigLoader.withPrefix(originals(), KAFKA_PREFIX));
        producer.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        producer.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return producer;
    }
}
