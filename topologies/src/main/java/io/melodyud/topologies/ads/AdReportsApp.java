package io.melodyud.topologies.ads;

import io.melodyud.contracts.metrics.MelodyMetrics;
import io.melodyud.contracts.topics.Topics;
import io.melodyud.topologies.common.StreamsApp;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Runs the ad-reports application: {@code java ... AdReportsApp [settings.properties]}. Settings come from the
 * file, then {@code MELODY_*} environment variables; see {@link AdReportsConfig}.
 */
public final class AdReportsApp extends StreamsApp {

    /** Builds the application (topology, Kafka Streams, HTTP API) without starting it. */
    public AdReportsApp(final AdReportsConfig config) throws IOException, InterruptedException {
        super(MelodyMetrics.AD_REPORTS, config, Topics.DLQ_AD_REPORTS,
            (serdes, counters, props) -> AdReportsTopology.build(config, serdes, counters,
                inputPartitions(props, config.cdcTopic(Topics.CDC_USERS))),
            (server, streams, counters) -> AdReportsQueries.register(server, streams, counters));
    }

    /**
     * The partition count shared by the impressions, clicks and users topics. They are keyed by user and read
     * together, so they must agree; every one of those partitions gets the campaigns broadcast.
     */
    static int inputPartitions(final Properties streamsProperties, final String usersTopic)
            throws InterruptedException {
        final Map<String, Object> adminConfig =
            new StreamsConfig(streamsProperties).getAdminConfigs("ad-reports-setup");
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

    public static void main(final String[] args) throws Exception {
        run(args, AdReportsConfig.DEFINITION, settings -> new AdReportsApp(new AdReportsConfig(settings)));
    }
}
