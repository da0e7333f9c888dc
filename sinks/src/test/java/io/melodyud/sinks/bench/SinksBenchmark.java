package io.melodyud.sinks.bench;

import com.clickhouse.client.api.Client;
import io.melodyud.avro.output.ChartCount;
import io.melodyud.avro.output.ChartWindow;
import io.melodyud.avro.output.TrackPlayTotal;
import io.melodyud.contracts.registry.RegistryConfig;
import io.melodyud.sinks.clickhouse.ClickHouseMigrations;
import io.melodyud.sinks.clickhouse.ClickHouseSinkApp;
import io.melodyud.sinks.clickhouse.ClickHouseSinkConfig;
import io.melodyud.sinks.common.SinkApp;
import io.melodyud.sinks.common.SinkConfig;
import io.melodyud.sinks.common.SinkCounters;
import io.melodyud.sinks.common.SinkStream;
import io.melodyud.sinks.fixtures.SinkStack;
import io.melodyud.sinks.postgres.PostgresSinkApp;
import io.melodyud.sinks.postgres.PostgresSinkConfig;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Instant;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Rows per second into ClickHouse and PostgreSQL, in catch-up (a backlog already in Kafka) and at a steady
 * offered load; see {@code ops/bench/sinks.sh} and {@code docs/benchmarks.md}. The sink runs in this JVM, on one
 * consumer thread, against the local stack; every topic, database, schema and role it creates is removed at the
 * end.
 *
 * <p>Arguments: {@code --store clickhouse|postgres} {@code --rows N} (backlog for catch-up) {@code --steady-rate R}
 * (records/s offered in the steady phase, 0 skips it) {@code --steady-seconds S} {@code --batch-max M}.
 */
public final class SinksBenchmark {

    private SinksBenchmark() {
    }

    public static void main(final String[] args) throws Exception {
        final Map<String, String> options = new HashMap<>(Map.of("store", "clickhouse", "rows", "2000000",
            "steady-rate", "0", "steady-seconds", "20", "batch-max", "", "keys", "200000"));
        for (int i = 0; i + 1 < args.length; i += 2) {
            options.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        final String store = options.get("store");
        final long rows = Long.parseLong(options.get("rows"));
        final int keys = Integer.parseInt(options.get("keys"));
        try (SinkStack stack = new SinkStack("bench_" + store)) {
            final String topic = stack.topic(store.equals("clickhouse") ? "chart-counts-minute" : "track-play-totals",
                6);
            final String dlq = stack.dlqTopic();
            final String name = stack.prefix();
            final Map<String, String> settings = new HashMap<>();
            settings.put(RegistryConfig.URL, stack.local().registryUrl());
            settings.put("kafka.bootstrap.servers", stack.local().kafkaBootstrapServers());
            settings.put(SinkConfig.GROUP_ID, name);
            settings.put(SinkConfig.DLQ_TOPIC, dlq);
            settings.put(SinkConfig.STATS_INTERVAL_MS, "0");
            if (!options.get("batch-max").isEmpty()) {
                settings.put(SinkConfig.BATCH_MAX_ROWS, options.get("batch-max"));
            }
            final String password = UUID.randomUUID().toString();
            final SinkStream stream;
            if (store.equals("clickhouse")) {
                stream = SinkStream.CHART_COUNTS_MINUTE;
                settings.put(ClickHouseSinkConfig.URL, stack.local().clickhouseHttpUrl());
                settings.put(ClickHouseSinkConfig.DATABASE, name);
            } else {
                stream = SinkStream.TRACK_PLAY_TOTALS;
                settings.put(PostgresSinkConfig.URL, stack.local().coordinatorJdbcUrl());
                settings.put(PostgresSinkConfig.ADMIN_USER, stack.local().pgSuperuser());
                settings.put(PostgresSinkConfig.USER, name + "_sink");
                settings.put(PostgresSinkConfig.PASSWORD, password);
                settings.put(PostgresSinkConfig.SCHEMA, name);
            }
            settings.put(SinkConfig.STREAMS, stream.id());
            settings.put(stream.topicSetting(), topic);
            try {
                final long loadStart = System.nanoTime();
                final long[] version = {0};
                produce(stack, topic, store, rows, keys, version, 0);
                System.out.printf(Locale.ROOT, "loaded %,d records in %.1f s%n", rows,
                    (System.nanoTime() - loadStart) / 1e9);

                final SinkApp app = store.equals("clickhouse")
                    ? ClickHouseSinkApp.create(new ClickHouseSinkConfig(settings))
                    : PostgresSinkApp.create(new PostgresSinkConfig(settings));
                final Thread thread = new Thread(() -> {
                    try {
                        app.run();
                    } catch (final Exception e) {
                        e.printStackTrace();
                    }
                }, "sink");
                final long start = System.nanoTime();
                thread.start();
                final SinkCounters counters = app.counters();
                long first = 0;
                while (counters.count(SinkCounters.RECORDS, "acknowledged") < rows) {
                    if (first == 0 && counters.count(SinkCounters.RECORDS, "acknowledged") > 0) {
                        first = System.nanoTime();
                    }
                    Thread.sleep(5);
                }
                final long end = System.nanoTime();
                final long batches = counters.count(SinkCounters.BATCHES, "written");
                System.out.printf(Locale.ROOT, "%s catch-up: %,d rows in %.2f s from start (%,.0f rows/s), "
                        + "%.2f s from first batch (%,.0f rows/s); %,d batches, %,.0f rows per batch%n", store, rows,
                    (end - start) / 1e9, rows / ((end - start) / 1e9), (end - first) / 1e9,
                    rows / ((end - first) / 1e9), batches, rows / (double) batches);

                final int rate = Integer.parseInt(options.get("steady-rate"));
                if (rate > 0) {
                    final int seconds = Integer.parseInt(options.get("steady-seconds"));
                    final long before = counters.count(SinkCounters.RECORDS, "acknowledged");
                    final long batchesBefore = counters.count(SinkCounters.BATCHES, "written");
                    final long offered = (long) rate * seconds;
                    final long steadyStart = System.nanoTime();
                    produce(stack, topic, store, offered, keys, version, rate);
                    final long produced = System.nanoTime();
                    while (counters.count(SinkCounters.RECORDS, "acknowledged") < before + offered) {
                        Thread.sleep(5);
                    }
                    final long done = System.nanoTime();
                    final long steadyBatches = counters.count(SinkCounters.BATCHES, "written") - batchesBefore;
                    System.out.printf(Locale.ROOT, "%s steady: %,d rows offered at %,d/s over %.1f s, all written "
                            + "%.0f ms after the last was produced; %,d batches, %,.0f rows per batch (%,.0f rows/s "
                            + "written)%n", store, offered, rate, (produced - steadyStart) / 1e9,
                        (done - produced) / 1e6, steadyBatches, offered / (double) steadyBatches,
                        offered / ((done - steadyStart) / 1e9));
                }
                app.stop();
                thread.join(60_000);
                System.out.println("counters: " + counters.snapshot());
            } finally {
                cleanUp(stack, store, name);
            }
        }
    }

    /** Sends {@code count} records, at {@code rate} per second when positive (else as fast as possible). */
    private static void produce(final SinkStack stack, final String topic, final String store, final long count,
                                final int keys, final long[] version, final int rate) throws InterruptedException {
        final Instant minute = Instant.parse("2025-03-14T19:31:00Z");
        final String[] countries = {"CO", "BR", "MX", "US", "AR", "CL", "PE", "ES", "DE", "GLOBAL"};
        final long start = System.nanoTime();
        for (long i = 0; i < count; i++) {
            if (i % keys == 0) {
                version[0]++;
            }
            final long key = i % keys;
            final long track = 1_000_000 + key / countries.length;
            if (store.equals("clickhouse")) {
                final String country = countries[(int) (key % countries.length)];
                stack.send(topic, country + "|" + track, ChartCount.newBuilder().setWindow(ChartWindow.MINUTE)
                    .setWindowStart(minute).setWindowEnd(minute.plusSeconds(60)).setCountry(country)
                    .setTrackId(track).setPlays(version[0] * 3).setVersion(version[0]).build());
            } else {
                stack.send(topic, Long.toString(key), TrackPlayTotal.newBuilder().setTrackId(key)
                    .setValidPlays(version[0] * 3).setVersion(version[0]).setUpdatedAt(minute).build());
            }
            if (rate > 0 && i % 1_000 == 999) {
                final long due = start + (long) ((i + 1) * 1e9 / rate);
                final long wait = due - System.nanoTime();
                if (wait > 0) {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                }
            }
        }
        stack.flush();
    }

    private static void cleanUp(final SinkStack stack, final String store, final String name) throws Exception {
        if (store.equals("clickhouse")) {
            try (Client client = new Client.Builder().addEndpoint(stack.local().clickhouseHttpUrl())
                    .setUsername("default").setPassword("").compressServerResponse(false).build()) {
                ClickHouseMigrations.execute(client, "DROP DATABASE IF EXISTS `" + name + "`");
            }
        } else {
            final Properties props = new Properties();
            props.setProperty("user", stack.local().pgSuperuser());
            try (Connection admin = DriverManager.getConnection(stack.local().coordinatorJdbcUrl(), props);
                 Statement st = admin.createStatement()) {
                st.execute("DROP SCHEMA IF EXISTS \"" + name + "\" CASCADE");
                st.execute("DROP ROLE IF EXISTS \"" + name + "_sink\"");
            }
        }
    }
}
