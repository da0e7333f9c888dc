package io.melodyud.topologies.plays;

import io.melodyud.contracts.config.ConfigLoader;
import io.melodyud.contracts.registry.SchemaRegistryClient;
import io.melodyud.contracts.serde.TopicSerdes;
import io.melodyud.contracts.topics.Topics;
import io.melodyud.topologies.common.ErrorCounters;
import io.melodyud.topologies.http.QueryServer;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the play-analytics application: {@code java ... PlayAnalyticsApp [settings.properties]}. Settings come from
 * the file, then {@code MELODY_*} environment variables; see {@link PlayAnalyticsConfig}.
 */
public final class PlayAnalyticsApp {

    private static final Logger LOG = LoggerFactory.getLogger(PlayAnalyticsApp.class);

    private PlayAnalyticsApp() {
    }

    public static void main(final String[] args) throws Exception {
        final Map<String, String> settings = ConfigLoader.load(args.length > 0 ? Path.of(args[0]) : null,
            System.getenv(), PlayAnalyticsConfig.DEFINITION.names());
        final PlayAnalyticsConfig config = new PlayAnalyticsConfig(settings);
        final ErrorCounters counters = new ErrorCounters();
        final TopicSerdes serdes = new TopicSerdes(new SchemaRegistryClient(config.registryConfig()));

        final Properties props = config.streamsProperties(Topics.DLQ_PLAY_ANALYTICS.name());
        props.put(ErrorCounters.CONFIG_KEY, counters);
        final KafkaStreams streams = new KafkaStreams(PlayAnalyticsTopology.build(config, serdes, counters), props);
        // A thread that died on an unexpected error is replaced: its tasks resume from the last commit.
        streams.setUncaughtExceptionHandler(e -> {
            LOG.error("Stream thread died; replacing it", e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });

        final QueryServer server = config.httpPort() > 0
            ? new QueryServer(streams, new HostInfo(config.httpAdvertisedHost(), config.httpPort()), config.httpPort())
            : null;
        if (server != null) {
            PlayAnalyticsQueries.register(server, streams, config, counters, Clock.systemUTC());
        }
        final CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (server != null) {
                server.close();
            }
            streams.close(Duration.ofSeconds(30));
            stopped.countDown();
        }, "shutdown"));
        streams.start();
        if (server != null) {
            server.start();
        }
        LOG.info("Play analytics {} started", config.applicationId());
        stopped.await();
    }
}
