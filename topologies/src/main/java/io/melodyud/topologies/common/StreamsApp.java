package io.melodyud.topologies.common;

import io.melodyud.contracts.config.ConfigLoader;
import io.melodyud.contracts.registry.SchemaRegistryClient;
import io.melodyud.contracts.serde.TopicSerdes;
import io.melodyud.contracts.topics.Topic;
import io.melodyud.topologies.http.QueryServer;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every Kafka Streams application of the suite does around its topology: Kafka Streams configured from its
 * {@link StreamsAppConfig} with a dead-letter topic and error counters, stream threads replaced when they die, the
 * HTTP API (queries and Prometheus metrics) when {@code http.port} is set, and a {@code main} that runs until the
 * JVM is asked to stop.
 */
public abstract class StreamsApp implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(StreamsApp.class);

    /** Builds an application's topology from the serdes, its error counters and its Kafka Streams settings. */
    @FunctionalInterface
    protected interface TopologyFactory {
        Topology build(TopicSerdes serdes, ErrorCounters counters, Properties streamsProperties)
            throws InterruptedException;
    }

    /** Adds an application's query endpoints to its HTTP server. */
    @FunctionalInterface
    protected interface Queries {
        void register(QueryServer server, KafkaStreams streams, ErrorCounters counters);
    }

    /** Builds an application from its settings (for {@link #run}). */
    @FunctionalInterface
    protected interface Factory {
        StreamsApp create(Map<String, String> settings) throws IOException, InterruptedException;
    }

    private final String metricsName;
    private final String applicationId;
    private final ErrorCounters counters = new ErrorCounters();
    private final KafkaStreams streams;
    private final QueryServer server;

    /**
     * Builds the application (topology, Kafka Streams, HTTP API) without starting it.
     *
     * @param metricsName the application's name in metrics and logs ({@code MelodyMetrics})
     */
    protected StreamsApp(final String metricsName, final StreamsAppConfig config, final Topic<?, ?> deadLetters,
                         final TopologyFactory topology, final Queries queries)
            throws IOException, InterruptedException {
        this.metricsName = metricsName;
        this.applicationId = config.applicationId();
        final TopicSerdes serdes = new TopicSerdes(new SchemaRegistryClient(config.registryConfig()));
        final Properties props = config.streamsProperties(deadLetters.name());
        props.put(ErrorCounters.CONFIG_KEY, counters);
        this.streams = new KafkaStreams(topology.build(serdes, counters, props), props);
        // A thread that died on an unexpected error is replaced: its tasks resume from the last commit.
        streams.setUncaughtExceptionHandler(e -> {
            LOG.error("Stream thread of {} died; replacing it", metricsName, e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        if (config.httpPort() > 0) {
            server = new QueryServer(streams, new HostInfo(config.httpAdvertisedHost(), config.httpPort()),
                config.httpPort());
            queries.register(server, streams, counters);
            server.enableMetrics(metricsName, streams, counters);
        } else {
            server = null;
        }
    }

    public void start() {
        streams.start();
        if (server != null) {
            server.start();
        }
        LOG.info("{} {} started", metricsName, applicationId);
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

    /**
     * The body of an application's {@code main}: settings from the file named by the first argument (if any), then
     * {@code MELODY_*} environment variables; runs until the JVM is asked to stop, then closes cleanly (a clean
     * close keeps the local state, so the next start restores only the changelogs' tail).
     */
    protected static void run(final String[] args, final ConfigDef definition, final Factory factory)
            throws IOException, InterruptedException {
        final Map<String, String> settings = ConfigLoader.load(args.length > 0 ? Path.of(args[0]) : null,
            System.getenv(), definition.names());
        final StreamsApp app = factory.create(settings);
        final CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            app.close();
            stopped.countDown();
        }, "shutdown"));
        app.start();
        stopped.await();
    }
}
