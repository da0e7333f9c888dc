package io.melodyud.topologies.plays;

import io.melodyud.contracts.metrics.MelodyMetrics;
import io.melodyud.contracts.topics.Topics;
import io.melodyud.topologies.common.StreamsApp;
import io.melodyud.topologies.http.Dashboard;
import java.io.IOException;
import java.time.Clock;

/**
 * Runs the play-analytics application: {@code java ... PlayAnalyticsApp [settings.properties]}. Settings come from
 * the file, then {@code MELODY_*} environment variables; see {@link PlayAnalyticsConfig}. Its HTTP API also serves
 * the live dashboard.
 */
public final class PlayAnalyticsApp extends StreamsApp {

    /** Builds the application (topology, Kafka Streams, HTTP API) without starting it. */
    public PlayAnalyticsApp(final PlayAnalyticsConfig config) throws IOException, InterruptedException {
        super(MelodyMetrics.PLAY_ANALYTICS, config, Topics.DLQ_PLAY_ANALYTICS,
            (serdes, counters, props) -> PlayAnalyticsTopology.build(config, serdes, counters),
            (server, streams, counters) -> {
                PlayAnalyticsQueries.register(server, streams, config, counters, Clock.systemUTC());
                Dashboard.register(server, config.dashboardRoyaltiesUrl(), config.dashboardAdReportsUrl());
            });
    }

    public static void main(final String[] args) throws Exception {
        run(args, PlayAnalyticsConfig.DEFINITION, settings -> new PlayAnalyticsApp(new PlayAnalyticsConfig(settings)));
    }
}
