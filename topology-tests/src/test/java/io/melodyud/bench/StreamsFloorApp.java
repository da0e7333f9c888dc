package io.melodyud.bench;

import io.melodyud.avro.event.PlayEvent;
import io.melodyud.contracts.config.ConfigLoader;
import io.melodyud.contracts.registry.SchemaRegistryClient;
import io.melodyud.contracts.serde.TopicSerdes;
import io.melodyud.contracts.topics.Topics;
import io.melodyud.topologies.plays.PlayAnalyticsConfig;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Calibration for the play-analytics benchmark: the same input, serdes and Kafka Streams settings (exactly-once,
 * threads, commit interval) as the application, but a topology that only decodes each play and counts it in a
 * plain map. Its rate is the ceiling any topology reading this input can reach on the machine
 * ({@code ops/bench/play-analytics.sh --load 0 --main io.melodyud.bench.StreamsFloorApp}).
 */
public final class StreamsFloorApp {

    private StreamsFloorApp() {
    }

    public static void main(final String[] args) throws Exception {
        final Map<String, String> settings = ConfigLoader.load(Path.of(args[0]), Map.of(),
            PlayAnalyticsConfig.DEFINITION.names());
        final PlayAnalyticsConfig config = new PlayAnalyticsConfig(settings);
        final TopicSerdes serdes = new TopicSerdes(new SchemaRegistryClient(config.registryConfig()));
        final StreamsBuilder builder = new StreamsBuilder();
        builder.stream(Topics.PLAYS.name(), Consumed.with(serdes.key(Topics.PLAYS), serdes.value(Topics.PLAYS))
                .withName("plays-source"))
            .process(() -> new Processor<Long, PlayEvent, Void, Void>() {
                private final Map<Long, long[]> counts = new HashMap<>();

                @Override
                public void process(final Record<Long, PlayEvent> record) {
                    counts.computeIfAbsent(record.value().getTrackId(), k -> new long[1])[0]++;
                }
            }, org.apache.kafka.streams.kstream.Named.as("floor"));
        final Properties props = config.streamsProperties(Topics.DLQ_PLAY_ANALYTICS.name());
        props.put(io.melodyud.topologies.common.ErrorCounters.CONFIG_KEY,
            new io.melodyud.topologies.common.ErrorCounters());
        final KafkaStreams streams = new KafkaStreams(builder.build(), props);
        final CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            streams.close();
            stopped.countDown();
        }, "shutdown"));
        streams.start();
        stopped.await();
    }
}
