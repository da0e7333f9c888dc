package io.melodyud.ops;

import io.melodyud.contracts.config.ConfigLoader;
import io.melodyud.contracts.config.LocalStack;
import io.melodyud.contracts.registry.RegistryConfig;
import io.melodyud.contracts.registry.SchemaRegistryClient;
import io.melodyud.contracts.topics.TopicCatalogue;
import io.melodyud.contracts.topics.TopicSpec;
import io.melodyud.ops.citus.CitusLayout;
import io.melodyud.ops.citus.OperationalSchema;
import io.melodyud.ops.citus.SeedData;
import io.melodyud.ops.citus.SeedLoader;
import io.melodyud.ops.kafka.TopicCatalogueApplier;
import io.melodyud.ops.loadgen.LoadGenCli;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificData;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.config.ConfigException;

/**
 * Operations on a stack, called by {@code ops/melody}:
 * <pre>
 *   topics apply [--replication-factor N]     make the broker match ops/topics/catalogue.yaml
 *   schemas register                          register every catalogue schema under its topic's subject
 *   db init [--shards N]                      create the operational schema (Citus-named shards on workers)
 *   db seed [--seed S] [--users N] [--rights-holders N] [--tracks N] [--campaigns N] [--reset true]
 *                                             load the seed into an empty database (or reload it, with --reset)
 *   pipeline watch --metrics APP=URL,... [--duration SECONDS] [--shards N] [--dashboard URL]
 *                                             progress of the running pipeline, operational changes written into
 *                                             the workers, then a summary read back from the sinks
 *   pipeline latency [--probes N] [--interval-ms MS] [--timeout-ms MS]
 *                                             end-to-end latency, play produced to row visible in ClickHouse
 *   loadgen [--stack FILE] [--config FILE] [--SETTING VALUE]...
 *                                             produce realistic plays, ad impressions and clicks (see LoadGenCli)
 * </pre>
 * Every command takes {@code --stack FILE} (the endpoints written by {@code ops/melody up}) and optionally
 * {@code --config FILE}: settings prefixed {@code kafka.} (SASL, TLS...) pass through to the Kafka admin client,
 * and {@code MELODY_*} environment variables override the file.
 */
public final class OpsCli {

    private OpsCli() {
    }

    public static void main(final String[] args) throws Exception {
        final int status;
        try {
            status = run(args);
        } catch (final IllegalArgumentException | IllegalStateException | SQLException
                       | ConfigException e) {
            System.err.println("melody-ops: " + e.getMessage());
            System.exit(2);
            return;
        }
        System.exit(status);
    }

    static int run(final String[] args) throws Exception {
        if (args.length >= 1 && "loadgen".equals(args[0])) {
            return LoadGenCli.run(Arrays.copyOfRange(args, 1, args.length));
        }
        if (args.length < 2) {
            throw new IllegalArgumentException("usage: OpsCli <topics apply|schemas register|db init|db seed|pipeline watch|pipeline latency|loadgen> "
                + "--stack FILE [--config FILE] [options]");
        }
        final String command = args[0] + " " + args[1];
        final Map<String, String> options = options(args);
        final LocalStack stack = LocalStack.load(Path.of(require(options, "stack")));
        final Map<String, String> settings = ConfigLoader.load(
            options.containsKey("config") ? Path.of(options.get("config")) : null, System.getenv(), List.of());
        return switch (command) {
            case "topics apply" -> topicsApply(stack, settings, options);
            case "schemas register" -> schemasRegister(stack, settings);
            case "db init" -> dbInit(stack, options);
            case "db seed" -> dbSeed(stack, options);
            case "pipeline watch" -> pipelineWatch(stack, settings, options);
            case "pipeline latency" -> pipelineLatency(stack, settings, options);
            default -> throw new IllegalArgumentException("Unknown command: " + command);
        };
    }

    private static int topicsApply(final LocalStack stack, final Map<String, String> settings,
                                   final Map<String, String> options) throws InterruptedException {
        final Map<String, Object> adminConfig = ConfigLoader.withPrefix(settings, "kafka.");
        adminConfig.putIfAbsent(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrapServers());
        try (Admin admin = Admin.create(adminConfig)) {
            final short replication = options.containsKey("replication-factor")
                ? Short.parseShort(options.get("replication-factor"))
                : (short) Math.min(3, admin.describeCluster().nodes().get().size());
            final TopicCatalogueApplier.Report report =
                new TopicCatalogueApplier(admin, replication).apply(TopicCatalogue.load());
            System.out.printf("topics: %d created, %d reconfigured, %d repartitioned, %d unchanged%n",
                report.created().size(), report.reconfigured().size(), report.repartitioned().size(),
                report.unchanged().size());
            report.drift().forEach(d -> System.out.println("topics: drift: " + d));
            return 0;
        } catch (final java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("Cannot reach the broker: " + e.getCause().getMessage(), e);
        }
    }

    private static int schemasRegister(final LocalStack stack, final Map<String, String> settings) {
        final Map<String, Object> registrySettings = new HashMap<>(settings);
        registrySettings.putIfAbsent(RegistryConfig.URL, stack.registryUrl());
        final SchemaRegistryClient registry = new SchemaRegistryClient(new RegistryConfig(registrySettings));
        int registered = 0;
        for (final TopicSpec spec : TopicCatalogue.load().topics()) {
            for (final String[] part : List.of(new String[] {spec.key(), "-key"}, new String[] {spec.value(), "-value"})) {
                if (part[0].startsWith("avro:")) {
                    final Schema schema = schemaOf(part[0].substring("avro:".length()));
                    final String subject = spec.name() + part[1];
                    registry.register(subject, schema);
                    registry.setCompatibility(subject, "FULL_TRANSITIVE");
                    registered++;
                }
            }
        }
        System.out.printf("schemas: %d subjects registered (compatibility FULL_TRANSITIVE)%n", registered);
        return 0;
    }

    private static Schema schemaOf(final String fullName) {
        try {
            return SpecificData.get().getSchema(Class.forName(fullName));
        } catch (final ClassNotFoundException e) {
            throw new IllegalStateException("No generated class for schema " + fullName, e);
        }
    }

    private static int dbInit(final LocalStack stack, final Map<String, String> options) throws SQLException {
        final CitusLayout layout = layout(stack, options);
        final List<String> workers = stack.workerJdbcUrls();
        try (Connection coordinator = connect(stack, stack.coordinatorJdbcUrl())) {
            coordinator.setAutoCommit(false);
            OperationalSchema.createOnCoordinator(coordinator, layout, workers);
            coordinator.commit();
        }
        for (int w = 0; w < workers.size(); w++) {
            try (Connection worker = connect(stack, workers.get(w))) {
                OperationalSchema.createOnWorker(worker, layout, w);
            }
        }
        System.out.printf("db: operational schema ready (%d shards per distributed table over %d workers)%n",
            layout.shardCount(), layout.workerCount());
        return 0;
    }

    private static int dbSeed(final LocalStack stack, final Map<String, String> options) throws SQLException {
        final CitusLayout layout = layout(stack, options);
        final SeedData data = new SeedData(Long.parseLong(options.getOrDefault("seed", "20260101")),
            new SeedData.Sizes(intOption(options, "users", 10_000), intOption(options, "rights-holders", 200),
                intOption(options, "tracks", 50_000), intOption(options, "campaigns", 40)));
        final List<Connection> workers = new ArrayList<>();
        try {
            for (final String url : stack.workerJdbcUrls()) {
                workers.add(connect(stack, url));
            }
            final long existing = SeedLoader.countUsers(layout, workers);
            if (existing > 0 && !Boolean.parseBoolean(options.getOrDefault("reset", "false"))) {
                // Reloading would truncate what services, CDC and the pipeline changed since: only on request.
                System.out.printf("db: already seeded (%d users); --reset true reloads the seed%n", existing);
                return 0;
            }
            final Map<String, Integer> counts = new SeedLoader(layout).load(data, workers);
            System.out.println("db: seeded " + counts);
        } finally {
            for (final Connection connection : workers) {
                connection.close();
            }
        }
        return 0;
    }

    private static int pipelineWatch(final LocalStack stack, final Map<String, String> settings,
                                     final Map<String, String> options) throws Exception {
        final Map<String, Object> adminConfig = ConfigLoader.withPrefix(settings, "kafka.");
        adminConfig.putIfAbsent(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrapServers());
        return io.melodyud.ops.pipeline.PipelineCommand.watch(stack, adminConfig,
            intOption(options, "shards", CitusLayout.DEFAULT_SHARD_COUNT), intOption(options, "duration", 120),
            options.getOrDefault("dashboard", "http://127.0.0.1:17070/"), metricsUrls(options.get("metrics")),
            System.out);
    }

    /** {@code app=url,app=url}, in display order. */
    private static Map<String, String> metricsUrls(final String option) {
        final Map<String, String> urls = new java.util.LinkedHashMap<>();
        if (option == null || option.isBlank()) {
            throw new IllegalArgumentException("--metrics app=url,... is required (the applications' /metrics)");
        }
        for (final String pair : option.split(",")) {
            final int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("--metrics expects app=url pairs, got " + pair);
            }
            urls.put(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
        }
        return urls;
    }

    private static int pipelineLatency(final LocalStack stack, final Map<String, String> settings,
                                       final Map<String, String> options) throws Exception {
        final Map<String, Object> producerConfig = ConfigLoader.withPrefix(settings, "kafka.");
        producerConfig.putIfAbsent("bootstrap.servers", stack.kafkaBootstrapServers());
        producerConfig.put("acks", "all");
        producerConfig.put("linger.ms", 0);
        final Map<String, Object> registry = new HashMap<>(settings);
        registry.putIfAbsent(RegistryConfig.URL, stack.registryUrl());
        try (org.apache.kafka.clients.producer.KafkaProducer<byte[], byte[]> producer =
                 new org.apache.kafka.clients.producer.KafkaProducer<>(producerConfig,
                     new org.apache.kafka.common.serialization.ByteArraySerializer(),
                     new org.apache.kafka.common.serialization.ByteArraySerializer())) {
            new io.melodyud.ops.pipeline.LatencyProbe(producer, new io.melodyud.contracts.serde.TopicSerdes(
                new SchemaRegistryClient(new RegistryConfig(registry))), stack.clickhouseHttpUrl(),
                options.getOrDefault("database", "melody"))
                .run(intOption(options, "probes", 200), intOption(options, "interval-ms", 100),
                    intOption(options, "timeout-ms", 30_000), System.out);
        }
        return 0;
    }

    private static CitusLayout layout(final LocalStack stack, final Map<String, String> options) {
        return new CitusLayout(intOption(options, "shards", CitusLayout.DEFAULT_SHARD_COUNT),
            stack.workerJdbcUrls().size(), CitusLayout.DEFAULT_FIRST_SHARD_ID);
    }

    private static Connection connect(final LocalStack stack, final String url) throws SQLException {
        final Properties properties = new Properties();
        properties.setProperty("user", stack.pgSuperuser());
        properties.setProperty("ApplicationName", "melody-ops");
        return DriverManager.getConnection(url, properties);
    }

    private static Map<String, String> options(final String[] args) {
        final Map<String, String> options = new HashMap<>();
        for (int i = 2; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("Expected --option value, got: " + args[i]);
            }
            options.put(args[i].substring(2), args[++i]);
        }
        return options;
    }

    private static String require(final Map<String, String> options, final String name) {
        final String value = options.get(name);
        if (value == null) {
            throw new IllegalArgumentException("Missing --" + name);
        }
        return value;
    }

    private static int intOption(final Map<String, String> options, final String name, final int fallback) {
        final String value = options.get(name);
        if (value == null) {
            return fallback;
        }
        try {
            return Integer.parseInt(value);
        } catch (final NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " must be an integer, got " + value, e);
        }
    }
}
