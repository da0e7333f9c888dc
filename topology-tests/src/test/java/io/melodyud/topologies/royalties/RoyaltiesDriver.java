package io.melodyud.topologies.royalties;

import io.melodyud.avro.cdc.RoyaltyRate;
import io.melodyud.avro.cdc.Track;
import io.melodyud.avro.cdc.User;
import io.melodyud.avro.common.Tier;
import io.melodyud.avro.event.PlayEvent;
import io.melodyud.avro.output.PendingPlay;
import io.melodyud.avro.output.RoyaltyAggregate;
import io.melodyud.contracts.fixtures.AvroFixtures;
import io.melodyud.contracts.fixtures.InMemorySchemaRegistry;
import io.melodyud.contracts.registry.RegistryConfig;
import io.melodyud.contracts.serde.TopicSerdes;
import io.melodyud.contracts.topics.Topic;
import io.melodyud.contracts.topics.Topics;
import io.melodyud.topologies.common.ErrorCounters;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;

/**
 * A TopologyTestDriver around {@link RoyaltiesTopology}, with builders for the reference rows and plays of the tests
 * and readers of the statement topics. Wall clock: {@link #WALL_CLOCK}; event times are set by the tests.
 */
final class RoyaltiesDriver implements AutoCloseable {

    static final Instant WALL_CLOCK = Instant.parse("2025-03-16T12:00:00Z");

    final TopicSerdes serdes;
    final ErrorCounters counters = new ErrorCounters();
    final RoyaltiesConfig config;
    final TopologyTestDriver driver;
    final TestInputTopic<Long, PlayEvent> plays;
    final TestInputTopic<byte[], byte[]> rawPlays;
    final TestInputTopic<Long, User> users;
    final TestInputTopic<Long, Track> tracks;
    final TestInputTopic<Long, RoyaltyRate> rates;
    final TestOutputTopic<String, RoyaltyAggregate> daily;
    final TestOutputTopic<String, RoyaltyAggregate> monthly;
    final TestOutputTopic<String, RoyaltyAggregate> adjustments;
    final TestOutputTopic<Long, PendingPlay> pending;
    final TestOutputTopic<Long, PlayEvent> late;
    final TestOutputTopic<byte[], byte[]> deadLetters;
    private long playSequence;

    RoyaltiesDriver(final Map<String, Object> overrides, final Path stateDir) {
        this.serdes = new TopicSerdes(new InMemorySchemaRegistry());
        final Map<String, Object> settings = new HashMap<>();
        settings.put(RegistryConfig.URL, "mock://in-memory");
        settings.put(RoyaltiesConfig.STATE_DIR, stateDir.toString());
        settings.put(RoyaltiesConfig.HTTP_PORT, 0);
        // Every commit publishes, so that each step of a test can be seen; RoyaltiesTopologyTest checks the interval.
        settings.put(RoyaltiesConfig.LIVE_INTERVAL_MS, 0L);
        settings.putAll(overrides);
        this.config = new RoyaltiesConfig(settings);
        final Properties props = config.streamsProperties(Topics.DLQ_ROYALTIES.name());
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(ErrorCounters.CONFIG_KEY, counters);
        this.driver = new TopologyTestDriver(
            RoyaltiesTopology.build(config, serdes, counters, Clock.fixed(WALL_CLOCK, ZoneOffset.UTC)), props,
            WALL_CLOCK);
        this.plays = input(Topics.PLAYS);
        this.rawPlays = driver.createInputTopic(Topics.PLAYS.name(), new ByteArraySerializer(),
            new ByteArraySerializer());
        this.users = input(Topics.CDC_USERS);
        this.tracks = input(Topics.CDC_TRACKS);
        this.rates = input(Topics.CDC_ROYALTY_RATES);
        this.daily = output(Topics.ROYALTIES_DAILY);
        this.monthly = output(Topics.ROYALTIES_MONTHLY);
        this.adjustments = output(Topics.ROYALTY_ADJUSTMENTS);
        this.pending = output(Topics.ROYALTY_PENDING);
        this.late = output(Topics.LATE_PLAYS);
        this.deadLetters = output(Topics.DLQ_ROYALTIES);
    }

    RoyaltiesDriver(final Path stateDir) {
        this(Map.of(), stateDir);
    }

    private <K, V> TestInputTopic<K, V> input(final Topic<K, V> topic) {
        return driver.createInputTopic(topic.name(), serdes.key(topic).serializer(),
            serdes.value(topic).serializer());
    }

    <K, V> TestOutputTopic<K, V> output(final Topic<K, V> topic) {
        return driver.createOutputTopic(topic.name(), serdes.key(topic).deserializer(),
            serdes.value(topic).deserializer());
    }

    /** A user's version from {@code updatedAt} on. */
    void user(final long userId, final String country, final Tier tier, final Instant updatedAt) {
        users.pipeInput(userId, AvroFixtures.user().setUserId(userId).setCountry(country).setTier(tier)
            .setUpdatedAt(updatedAt).build(), updatedAt);
    }

    void eraseUser(final long userId) {
        users.pipeInput(userId, null, WALL_CLOCK);
    }

    void track(final long trackId, final long rightsHolderId) {
        tracks.pipeInput(trackId, AvroFixtures.track().setTrackId(trackId).setRightsHolderId(rightsHolderId).build());
    }

    void rate(final long rateId, final String country, final Tier tier, final String perPlay, final Instant validFrom) {
        rate(rateId, country, tier, perPlay, "USD", validFrom);
    }

    void rate(final long rateId, final String country, final Tier tier, final String perPlay, final String currency,
              final Instant validFrom) {
        rates.pipeInput(rateId, AvroFixtures.royaltyRate().setRateId(rateId).setCountry(country).setTier(tier)
            .setRatePerPlay(new BigDecimal(perPlay)).setCurrency(currency).setValidFrom(validFrom).build());
    }

    /** A complete play of a track by a user, with a fresh event id. */
    PlayEvent play(final long userId, final long trackId, final Instant startedAt) {
        return AvroFixtures.playEvent().setEventId(new UUID(0x5eed, ++playSequence)).setUserId(userId)
            .setTrackId(trackId).setStartedAt(startedAt).setSentAt(startedAt.plusSeconds(200)).build();
    }

    void send(final PlayEvent... events) {
        for (final PlayEvent event : events) {
            plays.pipeInput(event.getUserId(), event, event.getSentAt());
        }
        tick();
    }

    /** Lets both stages commit: the pricing stage sends its sums, the statements stage publishes. */
    void tick() {
        driver.advanceWallClockTime(Duration.ofMillis(100));
        driver.advanceWallClockTime(Duration.ofMillis(100));
    }

    /** The latest record of each key of a statement topic. */
    static Map<String, RoyaltyAggregate> latest(final TestOutputTopic<String, RoyaltyAggregate> topic) {
        final Map<String, RoyaltyAggregate> latest = new LinkedHashMap<>();
        topic.readRecordsToList().forEach(r -> latest.put(r.key(), r.value()));
        return latest;
    }

    static List<RoyaltyAggregate> values(final TestOutputTopic<String, RoyaltyAggregate> topic) {
        final List<RoyaltyAggregate> values = new ArrayList<>();
        topic.readRecordsToList().forEach(r -> values.add(r.value()));
        return values;
    }

    @Override
    public void close() {
        driver.close();
    }
}
