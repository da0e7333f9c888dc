package io.melodyud.topologies.plays;

import io.melodyud.contracts.config.ConfigLoader;
import io.melodyud.contracts.metrics.MelodyMetrics;
import io.melodyud.contracts.registry.SchemaRegistryClient;
import io.melodyud.contracts.serde.TopicSerdes;
import io.melodyud.contracts.topics.Topics;
import io.melodyud.topologies.common.ErrorCounters;
import io.melodyud.topologies.http.Dashboard;
import io.melodyud.topologies.http.QueryServer;
import java.io.IOException;
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
public final class PlayAnalyticsApp implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PlayAnalyticsApp.class);

    private final PlayAnalyticsConfig config;
    private final ErrorCounters counters = new ErrorCounters();
    private final KafkaStreams streams;
    private final QueryServer server;

    /** Builds the application (topology, Kafka Streams, HTTP API) without starting it. */
    public PlayAnalyticsApp(final PlayAnalyticsConfig config) throws IOException {
        this.config = config;
        final TopicSerdes serdes = new TopicSerdes(new SchemaRegistryClient(config.registryConfig()));
        final Properties props = config.streamsProperties(Topics.DLQ_PLAY_ANALYTICS.name());
        props.put(ErrorCounters.CONFIG_KEY, counters);
        this.streams = new KafkaStreams(PlayAnalyticsTopology.build(config, serdes, counters), props);
        // A thread that died on an unexpected error is replaced: its tasks resume from the last commit.
        streams.setUncaughtExceptionHandler(e -> {
            LOG.error("Stream thread died; replacing it", e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        if (config.httpPort() > 0) {
            server = new QueryServer(streams, new HostInfo(config.httpAdvertisedHost(), config.httpPort()),
                config.httpPort());
            PlayAnalyticsQueries.register(server, streams, config, counters, Clock.systemUTC());
            Dashboard.register(server, config.dashboardRoyaltiesUrl(), config.dashboardAdReportsUrl());
            server.enableMetrics(MelodyMetrics.PLAY_ANALYTICS, streams, counters);
        } else {
            server = null;
        }
    }

    public void start() {
        streams.start();
        if (server != null) {
            server.start();
        }
        LOG.info("Play analytics {} started", config.applicationId());
    }

    public KafkaStreams streams() {
        return streams;
    }

    public ErrorCounters counters() {
        return counters;
    }

    @Override
    public void close() {
        if (server != null) {
            server.close();
        }
        streams.close(Duration.ofSeconds(30));
    }

    public static void main(final String[] args) throws Exception {
        final Map<String, String> settings = ConfigLoader.load(args.length > 0 ? Path.of(args[0]) : null,
            System.getenv(), PlayAnalyticsConfig.DEFINITION.names());
        final PlayAnalyticsApp app = new PlayAnalyticsApp(new PlayAnalyticsConfig(settings));
        final CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            app.close();
            stopped.countDown();
        }, "shutdown"));
        app.start();
        stopped.await();
    }
}
