package io.melodyud.sinks.postgres;

import io.melodyud.contracts.config.ConfigLoader;
import io.melodyud.contracts.metrics.MelodyMetrics;
import io.melodyud.sinks.common.SinkApp;
import java.nio.file.Path;
import java.util.Map;

/**
 * Runs the PostgreSQL sink: {@code java -cp 'melody-sinks.jar:lib/*' io.melodyud.sinks.postgres.PostgresSinkApp
 * postgres-sink.properties}. Settings come from the file, then {@code MELODY_*} environment variables.
 */
public final class PostgresSinkApp {

    private PostgresSinkApp() {
    }

    public static SinkApp create(final PostgresSinkConfig config) {
        return SinkApp.create(MelodyMetrics.POSTGRES_SINK, config, counters -> new PostgresWriter(config, counters));
    }

    public static void main(final String[] args) throws Exception {
        final Map<String, String> settings = ConfigLoader.load(args.length > 0 ? Path.of(args[0]) : null,
            System.getenv(), PostgresSinkConfig.DEFINITION.names());
        SinkApp.runUntilStopped(create(new PostgresSinkConfig(settings)));
    }
}
