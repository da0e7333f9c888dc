package io.melodyud.sinks.clickhouse;

import io.melodyud.contracts.config.ConfigLoader;
import io.melodyud.contracts.metrics.MelodyMetrics;
import io.melodyud.sinks.common.SinkApp;
import java.nio.file.Path;
import java.util.Map;

/**
 * Runs the ClickHouse sink: {@code java -cp 'melody-sinks.jar:lib/*' io.melodyud.sinks.clickhouse.ClickHouseSinkApp
 * clickhouse-sink.properties}. Settings come from the file, then {@code MELODY_*} environment variables.
 */
public final class ClickHouseSinkApp {

    private ClickHouseSinkApp() {
    }

    /** Builds the sink (not started). */
    public static SinkApp create(final ClickHouseSinkConfig config) {
        return SinkApp.create(MelodyMetrics.CLICKHOUSE_SINK, config,
            counters -> new ClickHouseWriter(config, counters));
    }

    public static void main(final String[] args) throws Exception {
        final Map<String, String> settings = ConfigLoader.load(args.length > 0 ? Path.of(args[0]) : null,
            System.getenv(), ClickHouseSinkConfig.DEFINITION.names());
        SinkApp.runUntilStopped(create(new ClickHouseSinkConfig(settings)));
    }
}
