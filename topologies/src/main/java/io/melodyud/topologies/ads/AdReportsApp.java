package io.melodyud.topologies.ads;

import io.melodyud.contracts.config.ConfigLoader;
import io.melodyud.contracts.metrics.MelodyMetrics;
import io.melodyud.contracts.registry.SchemaRegistryClient;
import io.melodyud.contracts.serde.TopicSerdes;
import io.melodyud.contracts.topics.Topics;
import io.melodyud.topologies.common.ErrorCounters;
import io.melodyud.topologies.http.QueryServer;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the ad-reports application: {@code java ... AdReportsApp [settings.properties]}. Settings come from the
 * file, then {@code MELODY_*} environment variables; see {@link AdReportsConfig}.
 */
public final class AdReportsApp implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AdReportsApp.class);

    private final AdReportsConfig config;
    private final ErrorCounters counters = new ErrorCounters();
    private final KafkaStreams streams;
    private final QueryServer server;

    /** Builds the application (topology, Kafka Streams, HTTP API) without starting it. */
    public AdReportsApp(final AdReportsConfig config) throws IOException, InterruptedException {
        this.config = config;
        final TopicSerdes serdes = new TopicSerdes(new SchemaRegistryClient(config.registryConfig()));
        final Properties props = config.streamsProperties(Topics.DLQ_AD_REPORTS.name());
        props.put(ErrorCounters.CONFIG_KEY, counters);
        final int partitions = inputPartitions(props, config.cdcTopic(Topics.CDC_USERS));
        this.streams = new KafkaStreams(AdReportsTopology.build(config, serdes, counters, partitions), props);
        // A thread that died on an unexpected error is replaced: its tasks resume from the last commit.
        streams.setUncaughtExceptionHandler(e -> {
            LOG.error("Stream thread died; replacing it", e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        if (config.httpPort() > 0) {
            server = new QueryServer(streams, new HostInfo(config.httpAdvertisedHost(), config.httpPort()),
                config.httpPort());
            AdReportsQueries.register(server, streams, counters);
            server.enableMetrics(MelodyMetrics.AD_REPORTS, streams, counters);
        } else {
            server = null;
        }
    }

    /**
     * The partition count shared by the impressions, clicks and users topics. They are keyed by user and read
     * together, so they must agree; every one of those partitions gets the campaigns broadcast.
     */
    static int inputPartitions(final Properties streamsProperties, final String usersTopic)
            throws InterruptedException {
        final Map<String, Object> adminConfig = new StreamsConfig(streamsProperties).getAdminConfigs("ad-reports-setup");
        final List<String> topics = List.of(Topics.AD_IMPRESSIONS.name(), Topics.AD_CLICKS.name(), usersTopic);
        try (Admin admin = Admin.create(adminConfig)) {
            final Map<String, TopicDescription> described = admin.describeTopics(topics).allTopicNames().get();
            final Map<String, Integer> counts = described.values().stream()
                .collect(Collectors.toMap(TopicDescription::name, d -> d.partitions().size()));
            if (counts.values().stream().distinct().count() != 1) {
                throw new ConfigException("The ad input topics must have the same number of partitions (they are "
                    + "keyed by user and read together), but they have " + counts);
            }
            return counts.get(Topics.AD_IMPRESSIONS.name());
        } catch (final ExecutionException e) {
            throw new IllegalStateException("Cannot describe the ad input topics " + topics + ": " + e.getCause(), e);
        }
    }

    public void start() {
        streams.start();
        if (server != null) {
            server.start();
        }
        LOG.info("Ad reports {} started", config.applicationId());
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
            System.getenv(), AdReportsConfig.DEFINITION.names());
        final AdReportsApp app = new AdReportsApp(new AdReportsConfig(settings));
        final CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            app.close();
            stopped.countDown();
        }, "shutdown"));
        app.start();
        stopped.await();
    }
}
