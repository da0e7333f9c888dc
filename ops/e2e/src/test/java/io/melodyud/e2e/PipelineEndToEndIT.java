package io.melodyud.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.melodyud.connectors.cdc.CdcApp;
import io.melodyud.contracts.config.LocalStack;
import io.melodyud.contracts.registry.RegistryConfig;
import io.melodyud.contracts.registry.SchemaRegistryClient;
import io.melodyud.contracts.serde.TopicSerdes;
import io.melodyud.contracts.topics.TopicCatalogue;
import io.melodyud.ops.citus.CitusLayout;
import io.melodyud.ops.citus.OperationalSchema;
import io.melodyud.ops.citus.SeedData;
import io.melodyud.ops.citus.SeedLoader;
import io.melodyud.ops.loadgen.DailyRhythm;
import io.melodyud.ops.loadgen.EventStream;
import io.melodyud.ops.loadgen.LoadGenConfig;
import io.melodyud.ops.loadgen.LoadGenerator;
import io.melodyud.ops.loadgen.LoadReport;
import io.melodyud.ops.loadgen.StreamSpec;
import io.melodyud.sinks.clickhouse.ClickHouseSinkApp;
import io.melodyud.sinks.postgres.PostgresMigrations;
import io.melodyud.sinks.postgres.PostgresSinkApp;
import io.melodyud.sinks.postgres.PostgresTable;
import io.melodyud.topologies.ads.AdReportsApp;
import io.melodyud.topologies.plays.PlayAnalyticsApp;
import io.melodyud.topologies.royalties.RoyaltiesApp;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole pipeline on the shared local stack: a seeded operational database captured by CDC, the three topologies,
 * both sinks, and a fixed, seeded stream of plays, impressions and clicks. Play counts, chart counts, royalties and ad
 * spend in ClickHouse and in PostgreSQL must equal, exactly, a recomputation from the generated events and the seed
 * ({@link ExpectedTotals}).
 *
 * <p>Everything is private to the run (hex suffix): databases on the workers, CDC slot, publication, engine and role,
 * the CDC topics ({@code cdc.topic.prefix}), the ClickHouse database, the PostgreSQL schema and role, application ids
 * and consumer groups. Private CDC topics matter: the stack's hold whatever other tests and runs wrote (rate changes,
 * tier upgrades, CPM changes), which would price the run's plays differently from the seed. The event and output
 * topics are the stack's own (their names are fixed): every consumer starts at their end.
 */
class PipelineEndToEndIT {

    private static final Logger LOG = LoggerFactory.getLogger(PipelineEndToEndIT.class);

    // The stack's seed (ops/stack/defaults.env MELODY_SEED*): CDC republishes rows identical to the stack's.
    private static final long SEED = 20260101L;
    private static final SeedData.Sizes SIZES = new SeedData.Sizes(10_000, 200, 50_000, 40);
    private static final int SHARDS = CitusLayout.DEFAULT_SHARD_COUNT;

    private static final long EVENTS = 60_000;
    private static final long STREAM_SEED = 20260707L;
    // 200 events/s of event time: about five minutes of traffic (more at night), so that clicks, which start after
    // the first half of the longest click delay, are part of it.
    private static final int RATE = 200;
    private static final Duration RECONCILE_WITHIN = Duration.ofSeconds(150);

    private static final List<String> EVENT_TOPICS = List.of("melody.events.plays", "melody.events.ad-impressions",
        "melody.events.ad-clicks");

    private final LocalStack stack = LocalStack.fromSystemProperty();
    private final String hex = Long.toHexString(System.nanoTime() & 0xFFFFFFFL);
    private final String name = "it_e2e_" + hex;
    private final String cdcRole = "it_e2e_cdc_" + hex;
    private final String sinkRole = "it_e2e_sink_" + hex;
    private final String cdcPassword = "pw-" + UUID.randomUUID();
    private final String sinkPassword = "pw-" + UUID.randomUUID();
    private final String cdcTopicPrefix = "it-e2e-" + hex + ".cdc";
    private final String clickhouseGroup = "it-e2e-" + hex + "-clickhouse";
    private final String postgresGroup = "it-e2e-" + hex + "-postgres";
    private final Map<String, Class<?>> streamsApps = new LinkedHashMap<>();
    private final List<Process> processes = new ArrayList<>();
    private final SinkReadings readings = new SinkReadings(stack.clickhouseHttpUrl());
    private Path work;

    PipelineEndToEndIT() {
        streamsApps.put("it-e2e-" + hex + "-plays", PlayAnalyticsApp.class);
        streamsApps.put("it-e2e-" + hex + "-royalties", RoyaltiesApp.class);
        streamsApps.put("it-e2e-" + hex + "-ads", AdReportsApp.class);
    }

    @Test
    void countsRoyaltiesAndSpendInBothStoresEqualAnIndependentRecomputation() throws Exception {
        final long started = System.nanoTime();
        // Logs stay after the run (target/), so that a failure can be read.
        work = Files.createDirectories(Path.of("target", "e2e-" + hex)).toAbsolutePath();
        final SeedData seed = new SeedData(SEED, SIZES);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                stack.kafkaBootstrapServers()))) {
            try {
                seedWorkers(seed);
                LOG.info("Seeded {} on {} workers in {} s", name, stack.workerJdbcUrls().size(), secondsSince(started));
                final Path cdcSettings = cdcSettings();
                createCdcTopics(admin);
                provisionCdc(cdcSettings);

                // Every consumer of the run starts at the end of the shared event and output topics.
                final List<String> outputTopics = admin.listTopics().names().get().stream()
                    .filter(t -> t.startsWith("melody.out.")).sorted().toList();
                final Map<TopicPartition, Long> outputEnds = ends(admin, outputTopics);
                final Map<TopicPartition, Long> eventEnds = ends(admin, EVENT_TOPICS);
                commit(admin, clickhouseGroup, outputEnds);
                preparePostgresSink(outputEnds);
                for (final String applicationId : streamsApps.keySet()) {
                    commit(admin, applicationId, eventEnds);
                }

                start("clickhouse-sink", ClickHouseSinkApp.class, clickhouseSettings(), Map.of(), "384m");
                start("postgres-sink", PostgresSinkApp.class, postgresSettings(),
                    Map.of("MELODY_PG_PASSWORD", sinkPassword), "384m");
                final Map<String, Integer> ports = new HashMap<>();
                for (final Map.Entry<String, Class<?>> app : streamsApps.entrySet()) {
                    final int port = freePort();
                    ports.put(app.getKey(), port);
                    start(app.getKey(), app.getValue(), streamsSettings(app.getKey(), port), Map.of(), "512m");
                }

                final Map<String, Long> seedRows = Map.of(cdcTopicPrefix + ".users", (long) SIZES.users(),
                    cdcTopicPrefix + ".tracks", (long) SIZES.tracks(),
                    cdcTopicPrefix + ".royalty-rates", (long) seed.royaltyRates().size(),
                    cdcTopicPrefix + ".ad-campaigns", (long) SIZES.campaigns());
                final Map<TopicPartition, Long> cdcBefore = ends(admin, seedRows.keySet());
                start("cdc", CdcApp.class, cdcSettings, Map.of("MELODY_CDC_PASSWORD", cdcPassword), "384m", "run");
                awaitSnapshot(admin, cdcBefore, seedRows);
                for (final Map.Entry<String, Integer> port : ports.entrySet()) {
                    awaitHealthy(port.getKey(), port.getValue());
                }
                // The global stores read the snapshot on their own threads; give them a moment past its end.
                Thread.sleep(3_000);
                LOG.info("CDC snapshot published and applications healthy after {} s", secondsSince(started));

                final LoadGenConfig config = loadConfig();
                final LoadReport report;
                final StreamSpec spec;
                try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(config.producerConfig())) {
                    final LoadGenerator generator = new LoadGenerator(config, config.referenceData(), Instant.now(),
                        new TopicSerdes(new SchemaRegistryClient(config.registryConfig())), producer);
                    report = generator.run(new AtomicBoolean());
                    spec = generator.spec();
                }
                assertEquals(EVENTS, report.delivered(), "every generated event delivered");
                LOG.info("Sent {} events ({} to {}) after {} s", report.delivered(), Instant.ofEpochMilli(
                    spec.startMs()), Instant.ofEpochMilli(new DailyRhythm(spec.startMs(), spec.density(),
                    spec.rhythm()).timeMs(EVENTS - 1)), secondsSince(started));

                final ExpectedTotals expected = ExpectedTotals.compute(new EventStream(spec, config.referenceData()),
                    report.nextIndex(), seed);
                // The data set must exercise what is reconciled, or equality proves little.
                assertTrue(expected.validPlays > 30_000 && expected.validPlays < expected.distinctPlays,
                    "valid plays " + expected.validPlays + " of " + expected.distinctPlays);
                assertTrue(expected.distinctPlays < report.topics().get("melody.events.plays").sent(),
                    "the stream holds duplicate plays");
                assertTrue(expected.royalties.size() > 100, "royalty lines " + expected.royalties.size());
                assertTrue(expected.adDelivery.size() > 5, "campaigns served " + expected.adDelivery.size());
                assertTrue(expected.distinctClicks > 0, "clicks " + expected.distinctClicks);
                assertEquals(0, expected.premiumImpressions, "the generator serves ads to free users only");

                reconcile(expected, started);
                LOG.info("Reconciled exactly after {} s", secondsSince(started));
            } finally {
                cleanUp(admin);
            }
        }
    }

    private void reconcile(final ExpectedTotals expected, final long started) throws Exception {
        final long deadline = System.nanoTime() + RECONCILE_WITHIN.toNanos();
        List<String> problems = List.of("not read yet");
        boolean quietCheck = false;
        while (System.nanoTime() < deadline) {
            problems = differences(expected);
            if (problems.isEmpty()) {
                if (quietCheck) {
                    return;
                }
                // Equal once: read again after a few commit intervals, so that a late extra write is caught.
                quietCheck = true;
                Thread.sleep(3_000);
                continue;
            }
            quietCheck = false;
            LOG.info("{} s: {} differences, first: {}", secondsSince(started), problems.size(), problems.get(0));
            Thread.sleep(2_000);
        }
        throw new AssertionError("the sinks do not match the recomputation within " + RECONCILE_WITHIN.toSeconds()
            + " s (logs: " + work + "):\n  " + String.join("\n  ", problems));
    }

    /** Up to 20 differing keys per reconciled quantity and store, readable; empty when everything is equal. */
    private List<String> differences(final ExpectedTotals expected) throws Exception {
        final List<String> problems = new ArrayList<>();
        final SinkReadings.Totals ch = readings.clickhouse(name);
        final SinkReadings.Totals pg;
        try (Connection coordinator = superuser(stack.coordinatorJdbcUrl())) {
            pg = SinkReadings.postgres(coordinator, name);
        }
        compare(problems, "ClickHouse track_play_totals", expected.trackPlays, ch.trackPlays());
        compare(problems, "ClickHouse chart_data_1min (summed per region, track)", expected.chartCounts,
            ch.chartCounts());
        compare(problems, "ClickHouse royalties_daily_payable", expected.royalties, ch.royalties());
        compare(problems, "ClickHouse ad_reports_hourly (impressions spend)", expected.adDelivery, ch.adDelivery());
        compare(problems, "PostgreSQL track_stats", expected.trackPlays, pg.trackPlays());
        compare(problems, "PostgreSQL royalty_payable (DAY)", expected.royalties, pg.royalties());
        compare(problems, "PostgreSQL ad_campaign_reports (impressions spend)", expected.adDelivery,
            pg.adDelivery());
        for (final Map.Entry<String, SinkReadings.Totals> store : Map.of("ClickHouse", ch, "PostgreSQL", pg)
                .entrySet()) {
            final SinkReadings.Totals t = store.getValue();
            if (t.clicks() + t.unattributedClicks() != expected.distinctClicks) {
                problems.add(store.getKey() + " clicks: " + t.clicks() + " attributed + " + t.unattributedClicks()
                    + " unattributed, expected " + expected.distinctClicks + " distinct clicks");
            }
            if (t.premiumImpressions() != 0) {
                problems.add(store.getKey() + " premium impressions: " + t.premiumImpressions() + ", expected 0");
            }
        }
        return problems;
    }

    private static void compare(final List<String> problems, final String what, final Map<String, String> expected,
                                final Map<String, String> actual) {
        final List<String> diff = SinkReadings.diff(expected, actual, 20);
        if (!diff.isEmpty()) {
            problems.add(what + " (" + expected.size() + " keys expected, " + actual.size() + " found): "
                + String.join("; ", diff));
        }
    }

    // ---- the operational database and CDC ----

    private void seedWorkers(final SeedData seed) throws SQLException {
        final CitusLayout layout = new CitusLayout(SHARDS, stack.workerJdbcUrls().size(),
            CitusLayout.DEFAULT_FIRST_SHARD_ID);
        final List<Connection> workers = new ArrayList<>();
        try {
            for (int w = 0; w < stack.workerJdbcUrls().size(); w++) {
                final String url = stack.workerJdbcUrls().get(w);
                try (Connection admin = superuser(url); Statement st = admin.createStatement()) {
                    st.execute("CREATE DATABASE " + name);
                }
                final Connection worker = superuser(withDatabase(url, name));
                workers.add(worker);
                OperationalSchema.createOnWorker(worker, layout, w);
            }
            new SeedLoader(layout).load(seed, workers);
        } finally {
            for (final Connection worker : workers) {
                worker.close();
            }
        }
    }

    private Path cdcSettings() throws IOException {
        final List<String> nodes = new ArrayList<>();
        for (int w = 0; w < stack.workerJdbcUrls().size(); w++) {
            final URI uri = URI.create(stack.workerJdbcUrls().get(w).substring("jdbc:".length()));
            nodes.add("worker" + (w + 1) + "=" + uri.getHost() + ":" + uri.getPort());
        }
        final Map<String, String> settings = new LinkedHashMap<>();
        settings.put("cdc.nodes", String.join(",", nodes));
        settings.put("cdc.reference.node", "worker1");
        settings.put("cdc.database", name);
        settings.put("cdc.user", cdcRole);
        settings.put("cdc.admin.user", stack.pgSuperuser());
        settings.put("cdc.slot.name", name);
        settings.put("cdc.publication.name", name);
        settings.put("cdc.engine.name", "it-e2e-" + hex);
        settings.put("cdc.topic.prefix", cdcTopicPrefix);
        settings.put("cdc.heartbeat.interval.ms", "1000");
        settings.put("cdc.offset.flush.interval.ms", "200");
        return settingsFile("cdc", settings);
    }

    /** The catalogue's CDC topics (partitions, compaction) under the run's prefix. */
    private void createCdcTopics(final Admin admin) throws Exception {
        final List<NewTopic> topics = TopicCatalogue.load().topics().stream()
            .filter(spec -> spec.name().startsWith("melody.cdc.") && spec.key().equals("long"))
            .map(spec -> new NewTopic(cdcTopicPrefix + spec.name().substring("melody.cdc".length()),
                spec.partitions(), (short) 1).configs(spec.configs()))
            .toList();
        admin.createTopics(topics).all().get();
    }

    private void provisionCdc(final Path settings) throws Exception {
        final Process provision = spawn("cdc-provision", CdcApp.class, settings,
            Map.of("MELODY_CDC_PASSWORD", cdcPassword), "256m", "provision");
        assertTrue(provision.waitFor(90, TimeUnit.SECONDS), "CDC provisioning finished");
        assertEquals(0, provision.exitValue(), "CDC provisioning succeeded (log: " + work + ")");
    }

    private void awaitSnapshot(final Admin admin, final Map<TopicPartition, Long> before,
                               final Map<String, Long> rows) throws Exception {
        final long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (true) {
            final Map<TopicPartition, Long> now = ends(admin, rows.keySet());
            final Map<String, Long> grown = new HashMap<>();
            now.forEach((p, end) -> grown.merge(p.topic(), end - before.getOrDefault(p, 0L), Long::sum));
            if (rows.entrySet().stream().allMatch(e -> grown.getOrDefault(e.getKey(), 0L) >= e.getValue())) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("CDC did not publish the seed within 120 s: " + grown + " of " + rows
                    + " (log: " + work + ")");
            }
            Thread.sleep(500);
        }
    }

    // ---- the applications ----

    private Path clickhouseSettings() throws IOException {
        return settingsFile("clickhouse-sink", Map.of(
            "auto.register.schemas", "false",
            "clickhouse.url", stack.clickhouseHttpUrl(),
            "clickhouse.user", "default",
            "clickhouse.database", name,
            "consumer.group", clickhouseGroup,
            "stats.log.interval.ms", "10000"));
    }

    private Path postgresSettings() throws IOException {
        return settingsFile("postgres-sink", Map.of(
            "auto.register.schemas", "false",
            "pg.url", stack.coordinatorJdbcUrl(),
            "pg.user", sinkRole,
            "pg.schema", name,
            "pg.admin.user", stack.pgSuperuser(),
            "consumer.group", postgresGroup,
            "stats.log.interval.ms", "10000"));
    }

    /**
     * The PostgreSQL sink resumes from the offsets stored with its rows, and from the beginning of a partition it has
     * none for: its schema is migrated here and given the current ends, so that it reads only this run's output.
     */
    private void preparePostgresSink(final Map<TopicPartition, Long> outputEnds) throws SQLException {
        final Map<PostgresTable, String> names = new EnumMap<>(PostgresTable.class);
        for (final PostgresTable table : PostgresTable.values()) {
            names.put(table, table.defaultName());
        }
        try (Connection admin = superuser(stack.coordinatorJdbcUrl())) {
            PostgresMigrations.apply(admin, name, names, sinkRole, sinkPassword);
            admin.setAutoCommit(true);
            try (PreparedStatement insert = admin.prepareStatement("INSERT INTO " + name
                    + ".sink_offsets (consumer_group, topic, kafka_partition, next_offset) VALUES (?, ?, ?, ?)")) {
                for (final Map.Entry<TopicPartition, Long> end : outputEnds.entrySet()) {
                    insert.setString(1, postgresGroup);
                    insert.setString(2, end.getKey().topic());
                    insert.setInt(3, end.getKey().partition());
                    insert.setLong(4, end.getValue());
                    insert.addBatch();
                }
                insert.executeBatch();
            }
        }
    }

    private Path streamsSettings(final String applicationId, final int port) throws IOException {
        final Map<String, String> settings = new LinkedHashMap<>();
        settings.put("application.id", applicationId);
        settings.put("state.dir", work.resolve("state-" + applicationId).toString());
        settings.put("http.port", String.valueOf(port));
        // Short commits keep the test short: outputs (and live counts) are published at every commit.
        settings.put("kafka.commit.interval.ms", "200");
        settings.put("rocksdb.memory.bytes", String.valueOf(64L * 1024 * 1024));
        // Every minute count reaches ClickHouse without waiting for its window to close.
        settings.put("charts.counts.minute.live", "true");
        settings.put("royalties.live.interval.ms", "0");
        settings.put("ads.live.interval.ms", "0");
        settings.put("royalties.pending.retry.interval.ms", "1000");
        // Clicks held for an impression are settled when the input goes quiet, not a minute later.
        settings.put("ads.idle.timeout.ms", "5000");
        if (!applicationId.endsWith("-plays")) {
            settings.put("cdc.topic.prefix", cdcTopicPrefix); // play analytics reads no CDC topic
        }
        final Map<String, String> own = new LinkedHashMap<>();
        final String prefix = applicationId.endsWith("-plays") ? "charts." : applicationId.endsWith("-royalties")
            ? "royalties." : "ads.";
        settings.forEach((k, v) -> {
            final boolean appSpecific = k.startsWith("charts.") || k.startsWith("royalties.") || k.startsWith("ads.");
            if (!appSpecific || k.startsWith(prefix)) {
                own.put(k, v);
            }
        });
        return settingsFile(applicationId, own);
    }

    private LoadGenConfig loadConfig() {
        // Event time ends two minutes before now: nothing is in the future, and no window closes on its own while
        // the events are processed. The rhythm makes the span depend on the hour, hence two passes.
        Instant start = Instant.now().minus(Duration.ofMinutes(8));
        LoadGenConfig config = null;
        for (int pass = 0; pass < 2; pass++) {
            config = new LoadGenConfig(loadSettings(start));
            final StreamSpec spec = config.streamSpec(Instant.now());
            final long end = new DailyRhythm(spec.startMs(), spec.density(), spec.rhythm()).timeMs(EVENTS - 1);
            start = start.plusMillis(Instant.now().minus(Duration.ofMinutes(2)).toEpochMilli() - end);
        }
        return new LoadGenConfig(loadSettings(start));
    }

    private Map<String, String> loadSettings(final Instant start) {
        final Map<String, String> settings = new HashMap<>();
        settings.put(LoadGenConfig.KAFKA_BOOTSTRAP_SERVERS, stack.kafkaBootstrapServers());
        settings.put(RegistryConfig.URL, stack.registryUrl());
        settings.put(LoadGenConfig.SEED, String.valueOf(STREAM_SEED));
        settings.put(LoadGenConfig.EVENTS, String.valueOf(EVENTS));
        settings.put(LoadGenConfig.PACED, "false");
        settings.put(LoadGenConfig.RATE, String.valueOf(RATE));
        settings.put(LoadGenConfig.THREADS, "2");
        settings.put(LoadGenConfig.EVENT_TIME_START, start.toString());
        // Lateness rules are not what this test reconciles: no late, no beyond-grace, no invalid plays. Duplicates,
        // skips and clicks (some before their impression) stay.
        settings.put(LoadGenConfig.LATE_FRACTION, "0");
        settings.put(LoadGenConfig.BEYOND_GRACE_FRACTION, "0");
        settings.put(LoadGenConfig.INVALID_FRACTION, "0");
        settings.put(LoadGenConfig.REFERENCE_SEED, String.valueOf(SEED));
        settings.put(LoadGenConfig.REFERENCE_USERS, String.valueOf(SIZES.users()));
        settings.put(LoadGenConfig.REFERENCE_RIGHTS_HOLDERS, String.valueOf(SIZES.rightsHolders()));
        settings.put(LoadGenConfig.REFERENCE_TRACKS, String.valueOf(SIZES.tracks()));
        settings.put(LoadGenConfig.REFERENCE_CAMPAIGNS, String.valueOf(SIZES.campaigns()));
        settings.put(LoadGenConfig.PROGRESS_INTERVAL_MS, "0");
        return settings;
    }

    private Path settingsFile(final String app, final Map<String, String> own) throws IOException {
        final Map<String, String> all = new LinkedHashMap<>();
        all.put("kafka.bootstrap.servers", stack.kafkaBootstrapServers());
        all.put("schema.registry.url", stack.registryUrl());
        all.putAll(own);
        final Path file = work.resolve(app + ".properties");
        Files.writeString(file, all.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
            .collect(Collectors.joining("\n", "", "\n")));
        return file;
    }

    private void start(final String app, final Class<?> main, final Path settings, final Map<String, String> env,
                       final String heap, final String... args) throws IOException {
        processes.add(spawn(app, main, settings, env, heap, args));
    }

    /** A child JVM on the test's classpath; passwords reach it through the environment, as in a deployment. */
    private Process spawn(final String app, final Class<?> main, final Path settings, final Map<String, String> env,
                          final String heap, final String... args) throws IOException {
        final List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
            .toString(), "-Xmx" + heap, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp",
            System.getProperty("java.class.path"), main.getName(), settings.toString()));
        command.addAll(List.of(args));
        final ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().putAll(env);
        builder.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(
            work.resolve(app + ".log").toFile()));
        return builder.start();
    }

    private void awaitHealthy(final String app, final int port) throws Exception {
        final HttpClient http = HttpClient.newHttpClient();
        final long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (true) {
            try {
                final HttpResponse<Void> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                    + port + "/health")).timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding());
                if (response.statusCode() == 200) {
                    return;
                }
            } catch (final IOException e) {
                // Not listening yet.
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(app + " not healthy within 90 s (log: " + work + ")");
            }
            Thread.sleep(300);
        }
    }

    // ---- Kafka ----

    private static Map<TopicPartition, Long> ends(final Admin admin, final java.util.Collection<String> topics)
            throws Exception {
        final Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        admin.describeTopics(topics).allTopicNames().get().values().forEach(d -> d.partitions()
            .forEach(p -> request.put(new TopicPartition(d.name(), p.partition()), OffsetSpec.latest())));
        final Map<TopicPartition, Long> ends = new HashMap<>();
        admin.listOffsets(request).all().get().forEach((p, info) -> ends.put(p, info.offset()));
        return ends;
    }

    private static void commit(final Admin admin, final String group, final Map<TopicPartition, Long> positions)
            throws Exception {
        final Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        positions.forEach((p, offset) -> offsets.put(p, new OffsetAndMetadata(offset)));
        admin.alterConsumerGroupOffsets(group, offsets).all().get();
    }

    // ---- cleanup: each step on its own, so that one failure does not leave the rest behind ----

    private void cleanUp(final Admin admin) {
        for (final Process process : processes) {
            process.destroy();
        }
        for (final Process process : processes) {
            try {
                if (!process.waitFor(30, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor();
                }
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (final String url : stack.workerJdbcUrls()) {
            try (Connection c = superuser(url); Statement st = c.createStatement()) {
                // A forgotten slot would retain WAL on the shared cluster for ever.
                st.execute("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = '"
                    + name + "' AND active_pid IS NOT NULL");
                Thread.sleep(500);
                st.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '"
                    + name + "'");
                st.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
                st.execute("DROP ROLE IF EXISTS " + cdcRole);
            } catch (final Exception e) {
                LOG.error("Cleanup of {} on {} failed (drop its slot by hand): {}", name, url, e.getMessage());
            }
        }
        try (Connection c = superuser(stack.coordinatorJdbcUrl()); Statement st = c.createStatement()) {
            st.execute("DROP SCHEMA IF EXISTS " + name + " CASCADE");
            st.execute("DROP ROLE IF EXISTS " + sinkRole);
        } catch (final SQLException e) {
            LOG.warn("Cleanup of schema {} failed: {}", name, e.getMessage());
        }
        try {
            readings.execute("DROP DATABASE IF EXISTS " + name);
        } catch (final Exception e) {
            LOG.warn("Cleanup of ClickHouse database {} failed: {}", name, e.getMessage());
        }
        try {
            final List<String> internal = admin.listTopics().names().get().stream()
                .filter(t -> streamsApps.keySet().stream().anyMatch(id -> t.startsWith(id + "-"))
                    || t.startsWith(cdcTopicPrefix + ".")).toList();
            admin.deleteTopics(internal).all().get();
            final List<String> groups = new ArrayList<>(streamsApps.keySet());
            groups.add(clickhouseGroup);
            groups.add(postgresGroup);
            admin.deleteConsumerGroups(groups).all().get();
        } catch (final Exception e) {
            LOG.warn("Cleanup of the run's topics and groups failed: {}", e.getMessage());
        }
    }

    // ---- helpers ----

    private Connection superuser(final String url) throws SQLException {
        final Properties props = new Properties();
        props.setProperty("user", stack.pgSuperuser());
        return DriverManager.getConnection(url, props);
    }

    private static String withDatabase(final String url, final String database) {
        return url.substring(0, url.lastIndexOf('/') + 1) + database;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static long secondsSince(final long nanos) {
        return TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - nanos);
    }
}
