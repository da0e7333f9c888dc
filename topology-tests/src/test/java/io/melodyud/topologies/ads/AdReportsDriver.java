package io.melodyud.topologies.ads;

import io.melodyud.avro.cdc.AdCampaign;
import io.melodyud.avro.cdc.User;
import io.melodyud.avro.event.AdClick;
import io.melodyud.avro.event.AdImpression;
import io.melodyud.avro.output.AdReport;
import io.melodyud.avro.output.PacingAlert;
import io.melodyud.contracts.fixtures.InMemorySchemaRegistry;
import io.melodyud.contracts.registry.RegistryConfig;
import io.melodyud.contracts.serde.TopicSerdes;
import io.melodyud.contracts.topics.Topic;
import io.melodyud.contracts.topics.Topics;
import io.melodyud.topologies.common.ErrorCounters;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.LongSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;

/**
 * A TopologyTestDriver around {@link AdReportsTopology} with typed input and output topics (names from the topic
 * registry). The driver has one partition per topic, so one intake task and one aggregation task. Its wall clock
 * starts at {@link #WALL_CLOCK}; event times are set by the tests.
 */
final class AdReportsDriver implements AutoCloseable {

    /** A day after the fixtures' events, so that none of them is "in the future". */
    static final Instant WALL_CLOCK = Instant.parse("2025-03-15T19:30:00Z");

    final InMemorySchemaRegistry registry;
    final TopicSerdes serdes;
    final ErrorCounters counters = new ErrorCounters();
    final AdReportsConfig config;
    final TopologyTestDriver driver;
    final TestInputTopic<Long, AdImpression> impressions;
    final TestInputTopic<Long, AdClick> clicks;
    final TestInputTopic<Long, User> users;
    final TestInputTopic<Long, AdCampaign> campaigns;
    final TestInputTopic<byte[], byte[]> rawImpressions;
    final TestInputTopic<byte[], byte[]> rawClicks;
    final TestInputTopic<byte[], byte[]> rawUsers;
    final TestInputTopic<byte[], byte[]> rawCampaigns;
    final TestOutputTopic<String, AdReport> live;
    final TestOutputTopic<String, AdReport> finals;
    final TestOutputTopic<Long, PacingAlert> alerts;
    final TestOutputTopic<Long, AdImpression> anomalies;
    final TestOutputTopic<byte[], byte[]> late;
    final TestOutputTopic<byte[], byte[]> deadLetters;
    /** What the other intake partitions send the aggregation: their deltas and watermarks. */
    final TestInputTopic<Long, AdCodecs.IntakeOutput> deltas;

    AdReportsDriver(final Map<String, Object> overrides, final Path stateDir) {
        this(overrides, stateDir, 1);
    }

    /**
     * @param inputPartitions partitions the aggregation expects watermarks from; the driver runs partition 0, and a
     *     test plays the others through {@link #deltas}
     */
    AdReportsDriver(final Map<String, Object> overrides, final Path stateDir, final int inputPartitions) {
        this.registry = new InMemorySchemaRegistry();
        this.serdes = new TopicSerdes(registry);
        final Map<String, Object> settings = new HashMap<>();
        settings.put(RegistryConfig.URL, "mock://in-memory");
        settings.put(AdReportsConfig.STATE_DIR, stateDir.toString());
        settings.put(AdReportsConfig.HTTP_PORT, 0);
        // Live reports at every commit (the driver commits after each record), unless a test says otherwise.
        settings.put(AdReportsConfig.LIVE_INTERVAL_MS, 0L);
        settings.putAll(overrides);
        this.config = new AdReportsConfig(settings);
        final Properties props = config.streamsProperties(Topics.DLQ_AD_REPORTS.name());
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(ErrorCounters.CONFIG_KEY, counters);
        this.driver = new TopologyTestDriver(AdReportsTopology.build(config, serdes, counters, inputPartitions,
            Clock.fixed(WALL_CLOCK, ZoneOffset.UTC)), props, WALL_CLOCK);
        this.impressions = input(Topics.AD_IMPRESSIONS);
        this.clicks = input(Topics.AD_CLICKS);
        this.users = input(Topics.CDC_USERS);
        this.campaigns = input(Topics.CDC_AD_CAMPAIGNS);
        this.rawImpressions = raw(Topics.AD_IMPRESSIONS);
        this.rawClicks = raw(Topics.AD_CLICKS);
        this.rawUsers = raw(Topics.CDC_USERS);
        this.rawCampaigns = raw(Topics.CDC_AD_CAMPAIGNS);
        this.live = output(Topics.AD_REPORTS_LIVE);
        this.finals = output(Topics.AD_REPORTS_FINAL);
        this.alerts = output(Topics.AD_PACING_ALERTS);
        this.anomalies = output(Topics.AD_ANOMALIES);
        this.late = output(Topics.LATE_AD_EVENTS);
        this.deadLetters = output(Topics.DLQ_AD_REPORTS);
        this.deltas = driver.createInputTopic(config.applicationId() + "-" + AdReportsTopology.DELTAS_TOPIC
            + "-repartition", new LongSerializer(), AdCodecs.INTAKE_OUTPUT.serializer());
    }

    AdReportsDriver(final Path stateDir) {
        this(Map.of(), stateDir);
    }

    private <K, V> TestInputTopic<K, V> input(final Topic<K, V> topic) {
        return driver.createInputTopic(topic.name(), serdes.key(topic).serializer(), serdes.value(topic).serializer());
    }

    private TestInputTopic<byte[], byte[]> raw(final Topic<?, ?> topic) {
        return driver.createInputTopic(topic.name(), new ByteArraySerializer(), new ByteArraySerializer());
    }

    <K, V> TestOutputTopic<K, V> output(final Topic<K, V> topic) {
        return driver.createOutputTopic(topic.name(), serdes.key(topic).deserializer(),
            serdes.value(topic).deserializer());
    }

    /** Sends impressions keyed by their user, the way the ad server does. */
    void send(final AdImpression... events) {
        for (final AdImpression event : events) {
            impressions.pipeInput(event.getUserId(), event, event.getServedAt());
        }
    }

    void send(final AdClick... events) {
        for (final AdClick event : events) {
            clicks.pipeInput(event.getUserId(), event, event.getClickedAt());
        }
    }

    /** A CDC change, timestamped (as CDC does) with its commit time, which the fixtures set just after updated_at. */
    void change(final AdCampaign campaign) {
        campaigns.pipeInput(campaign.getCampaignId(), campaign, committedAt(campaign.getCdcCommittedAt(),
            campaign.getUpdatedAt()));
    }

    void change(final User user) {
        users.pipeInput(user.getUserId(), user, committedAt(user.getCdcCommittedAt(), user.getUpdatedAt()));
    }

    private static Instant committedAt(final Instant committed, final Instant updated) {
        return committed != null ? committed : updated;
    }

    /** Advances the wall clock a little: commits and wall-clock punctuations run. */
    void tick() {
        driver.advanceWallClockTime(Duration.ofMillis(100));
    }

    /** Advances the wall clock past the idle timeout: every partition that has not moved since is quiet. */
    void goQuiet() {
        driver.advanceWallClockTime(Duration.ofMillis(config.idleTimeoutMs()));
        driver.advanceWallClockTime(Duration.ofSeconds(1));
    }

    /** The latest live report of each key, in the order the keys first appeared. */
    static Map<String, AdReport> latest(final List<TestRecord<String, AdReport>> records) {
        final Map<String, AdReport> latest = new LinkedHashMap<>();
        records.forEach(r -> latest.put(r.key(), r.value()));
        return latest;
    }

    @Override
    public void close() {
        driver.close();
    }
}
