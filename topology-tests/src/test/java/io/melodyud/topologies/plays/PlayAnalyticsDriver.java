package io.melodyud.topologies.plays;

import io.melodyud.avro.event.PlayEvent;
import io.melodyud.avro.output.Chart;
import io.melodyud.avro.output.ChartCount;
import io.melodyud.avro.output.TrackDailyPlays;
import io.melodyud.avro.output.TrackPlayTotal;
import io.melodyud.contracts.fixtures.InMemorySchemaRegistry;
import io.melodyud.contracts.registry.RegistryConfig;
import io.melodyud.contracts.serde.TopicSerdes;
import io.melodyud.contracts.topics.Topic;
import io.melodyud.contracts.topics.Topics;
import io.melodyud.topologies.common.ChartWindowSize;
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
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;

/**
 * A TopologyTestDriver around {@link PlayAnalyticsTopology} with typed input and output topics (names from the
 * topic registry) and helpers that step wall-clock time so that the intake flushes and the charts publish.
 * The driver's wall clock starts at {@link #WALL_CLOCK}; event times are set by the tests.
 */
final class PlayAnalyticsDriver implements AutoCloseable {

    /** The wall clock of the test: a day after the fixtures' plays, so none of them is "in the future". */
    static final Instant WALL_CLOCK = Instant.parse("2025-03-15T19:30:00Z");

    final InMemorySchemaRegistry registry;
    final TopicSerdes serdes;
    final ErrorCounters counters = new ErrorCounters();
    final PlayAnalyticsConfig config;
    final TopologyTestDriver driver;
    final TestInputTopic<Long, PlayEvent> plays;
    final TestInputTopic<byte[], byte[]> rawPlays;
    final TestOutputTopic<Long, TrackPlayTotal> totals;
    final TestOutputTopic<String, TrackDailyPlays> daily;
    final TestOutputTopic<Long, PlayEvent> late;
    final TestOutputTopic<byte[], byte[]> deadLetters;

    PlayAnalyticsDriver(final Map<String, Object> overrides, final Path stateDir, final InMemorySchemaRegistry registry) {
        this.registry = registry;
        this.serdes = new TopicSerdes(registry);
        final Map<String, Object> settings = new HashMap<>();
        settings.put(RegistryConfig.URL, "mock://in-memory");
        settings.put(PlayAnalyticsConfig.STATE_DIR, stateDir.toString());
        settings.put(PlayAnalyticsConfig.HTTP_PORT, 0);
        settings.putAll(overrides);
        this.config = new PlayAnalyticsConfig(settings);
        final Properties props = config.streamsProperties(Topics.DLQ_PLAY_ANALYTICS.name());
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(ErrorCounters.CONFIG_KEY, counters);
        this.driver = new TopologyTestDriver(
            PlayAnalyticsTopology.build(config, serdes, counters, Clock.fixed(WALL_CLOCK, ZoneOffset.UTC)),
            props, WALL_CLOCK);
        this.plays = input(Topics.PLAYS);
        this.rawPlays = driver.createInputTopic(Topics.PLAYS.name(), new ByteArraySerializer(),
            new ByteArraySerializer());
        this.totals = output(Topics.TRACK_PLAY_TOTALS);
        this.daily = output(Topics.TRACK_DAILY_PLAYS);
        this.late = output(Topics.LATE_PLAYS);
        this.deadLetters = output(Topics.DLQ_PLAY_ANALYTICS);
    }

    PlayAnalyticsDriver(final Path stateDir) {
        this(Map.of(), stateDir, new InMemorySchemaRegistry());
    }

    private <K, V> TestInputTopic<K, V> input(final Topic<K, V> topic) {
        return driver.createInputTopic(topic.name(), serdes.key(topic).serializer(),
            serdes.value(topic).serializer());
    }

    <K, V> TestOutputTopic<K, V> output(final Topic<K, V> topic) {
        return driver.createOutputTopic(topic.name(), serdes.key(topic).deserializer(),
            serdes.value(topic).deserializer());
    }

    /** Sends plays keyed by their user, the way producers do. */
    void send(final PlayEvent... events) {
        for (final PlayEvent event : events) {
            plays.pipeInput(event.getUserId(), event, event.getSentAt());
        }
    }

    /** Lets the intake flush its pending counts and the counting stage publish its top lists. */
    void tick() {
        driver.advanceWallClockTime(Duration.ofMillis(100));
        driver.advanceWallClockTime(Duration.ofMillis(100));
    }

    /** The latest total of each track, in the order the tracks first appeared. */
    Map<Long, Long> latestTotals() {
        final Map<Long, Long> latest = new LinkedHashMap<>();
        totals.readRecordsToList().forEach(r -> latest.put(r.key(), r.value().getValidPlays()));
        return latest;
    }

    List<TestRecord<String, Chart>> liveCharts(final ChartWindowSize size) {
        return driver.createOutputTopic(size.liveTopic().name(), serdes.key(size.liveTopic()).deserializer(),
            serdes.value(size.liveTopic()).deserializer()).readRecordsToList();
    }

    List<TestRecord<String, Chart>> finalCharts(final ChartWindowSize size) {
        return driver.createOutputTopic(size.finalTopic().name(), serdes.key(size.finalTopic()).deserializer(),
            serdes.value(size.finalTopic()).deserializer()).readRecordsToList();
    }

    List<TestRecord<String, ChartCount>> counts(final ChartWindowSize size) {
        return driver.createOutputTopic(size.countsTopic().name(), serdes.key(size.countsTopic()).deserializer(),
            serdes.value(size.countsTopic()).deserializer()).readRecordsToList();
    }

    @Override
    public void close() {
        driver.close();
    }
}
