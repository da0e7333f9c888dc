package io.melodyud.topologies.royalties;

import io.melodyud.contracts.metrics.MelodyMetrics;
import io.melodyud.contracts.topics.Topics;
import io.melodyud.topologies.common.StreamsApp;
import java.io.IOException;

/**
 * Runs the royalties application: {@code java ... RoyaltiesApp [settings.properties]}. Settings come from
 * the file, then {@code MELODY_*} environment variables; see {@link RoyaltiesConfig}.
 */
public final class RoyaltiesApp extends StreamsApp {

    /** Builds the application (topology, Kafka Streams, HTTP API) without starting it. */
    public RoyaltiesApp(final RoyaltiesConfig config) throws IOException, InterruptedException {
        super(MelodyMetrics.ROYALTIES, config, Topics.DLQ_ROYALTIES,
            (serdes, counters, props) -> RoyaltiesTopology.build(config, serdes, counters),
            (server, streams, counters) -> RoyaltiesQueries.register(server, streams, config, counters));
    }

    public static void main(final String[] args) throws Exception {
        run(args, RoyaltiesConfig.DEFINITION, settings -> new RoyaltiesApp(new RoyaltiesConfig(settings)));
    }
}
