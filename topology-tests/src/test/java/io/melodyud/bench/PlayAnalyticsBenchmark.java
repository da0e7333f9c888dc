package io.melodyud.bench;

import io.melodyud.avro.common.Device;
import io.melodyud.avro.event.PlayEvent;
import io.melodyud.avro.event.PlaySource;
import io.melodyud.contracts.config.LocalStack;
import io.melodyud.contracts.serde.TopicSerdes;
import io.melodyud.contracts.topics.Topics;
import io.melodyud.topologies.plays.PlayAnalyticsApp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Benchmark of the play-analytics application on the local stack (not a test: it prints figures).
 *
 * <ol>
 *   <li>Load: empties {@code melody.events.plays} of the local stack (delete and create again) and produces N
 *       realistic plays to it: Zipf(1.07) track popularity over 50,000
 *       tracks, 20 countries weighted like an audience, 3% producer retries (duplicates), 1% plays 1-10 minutes
 *       late, 15% plays shorter than 30 s; event time advances at {@code --event-rate} plays per second (default
 *       100,000, the seeds' scale) or spreads over {@code --event-span-minutes}.</li>
 *   <li>Run: starts the application as its own process (exactly-once, fresh application id and state) on
 *       everything in the topic, and waits until its consumer group has committed the end of the input and of its
 *       repartition topics.</li>
 * </ol>
 * Prints events per second (from process start, and from its first commit), peak RSS of the process and the size
 * of its state directory. Arguments: {@code --load N} (0 to reuse what is there), {@code --windows minute,hour,day}
 * (empty: counters alone), {@code --threads T}, {@code --heap 1g}, {@code --jfr true} (record a profile), and any
 * application setting such as {@code --kafka.commit.interval.ms 5000}; {@code --main CLASS} runs another application
 * class on the same settings (see {@link StreamsFloorApp}); {@code --app royalties} runs the royalties application
 * instead, after loading the reference rows its plays need (see {@link RoyaltyReferenceLoad}).
 */
public final class PlayAnalyticsBenchmark {

    private static final String[] COUNTRIES = {"US", "BR", "MX", "CO", "GB", "DE", "FR", "ES", "AR", "JP", "IN", "SE",
        "CA", "AU", "NG", "KR", "IT", "NL", "CL", "PE"};
    private static final int[] COUNTRY_WEIGHTS = {180, 100, 80, 60, 70, 70, 55, 50, 40, 60, 80, 20, 40, 30, 20, 25,
        25, 15, 15, 15};
    private static final int TRACKS = 50_000;
    private static final int USERS = 1_000_000;
    /**
     * Users and tracks of the royalties run get ids from here, far from the seeded operational data's, because
     * their reference rows go to the shared CDC topics of the local stack.
     */
    static final long BENCH_ID_BASE = 1_000_000_000_000L;

    private PlayAnalyticsBenchmark() {
    }

    public static void main(final String[] args) throws Exception {
        final Map<String, String> options = new HashMap<>(Map.of("load", "5000000", "windows", "minute,hour,day",
            "threads", "2", "heap", "1g", "event-rate", "100000"));
        for (int i = 0; i + 1 < args.length; i += 2) {
            options.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        final LocalStack stack = LocalStack.fromSystemProperty();
        final long load = Long.parseLong(options.get("load"));
        if (load > 0) {
            // Event time restarts at "now - 3 h" on every load: appended to an older load it would all be late.
            BenchSupport.recreate(stack, Topics.PLAYS);
            // Event time covers count / rate seconds: at the seeds' scale (20 million concurrent streams, "100K+
            // events/sec") by default. --event-span-minutes spreads the same plays over a fixed span instead (the
            // figures before 2026-11-24 used 120: 360 times sparser, every play its own minute-window key).
            final long spanMs = options.containsKey("event-span-minutes")
                ? Duration.ofMinutes(Long.parseLong(options.get("event-span-minutes"))).toMillis()
                : Math.max(1_000L, load * 1_000L / Long.parseLong(options.get("event-rate")));
            final boolean royalties = "royalties".equals(options.get("app"));
            if (royalties) {
                RoyaltyReferenceLoad.load(stack, USERS, TRACKS, COUNTRIES, BENCH_ID_BASE);
            }
            load(stack, load, spanMs, royalties ? BENCH_ID_BASE : 0);
        }
        if ("royalties".equals(options.get("app"))) {
            options.putIfAbsent("main", "io.melodyud.topologies.royalties.RoyaltiesApp");
        }
        run(stack, options);
    }

    static void load(final LocalStack stack, final long count, final long spanMs, final long idBase) {
        final TopicSerdes serdes = BenchSupport.serdes(stack);
        final Serializer<Long> keys = serdes.key(Topics.PLAYS).serializer();
        final Serializer<PlayEvent> values = serdes.value(Topics.PLAYS).serializer();

        final double[] zipf = BenchSupport.zipfCdf(TRACKS, 1.07);
        final int[] countryCdf = BenchSupport.cdf(COUNTRY_WEIGHTS);
        final SplittableRandom random = new SplittableRandom(20_261_124L);
        final Instant base = Instant.now().minus(Duration.ofMillis(spanMs)).minus(Duration.ofHours(1));
        final ArrayDeque<PlayEvent> recent = new ArrayDeque<>();
        final long started = System.nanoTime();
        try (KafkaProducer<byte[], byte[]> producer = BenchSupport.loadProducer(stack)) {
            for (long i = 0; i < count; i++) {
                final PlayEvent play;
                if (!recent.isEmpty() && random.nextInt(100) < 3) {
                    play = recent.peekLast(); // a producer retry
                } else {
                    long at = base.toEpochMilli() + i * spanMs / count;
                    if (random.nextInt(100) == 0) {
                        at -= 60_000 + random.nextLong(540_000); // arrives 1-10 minutes late
                    }
                    play = PlayEvent.newBuilder()
                        .setEventId(new UUID(random.nextLong(), random.nextLong()))
                        .setUserId(idBase + 1 + random.nextInt(USERS))
                        .setTrackId(idBase + 1 + BenchSupport.sample(zipf, random.nextDouble()))
                        .setStartedAt(Instant.ofEpochMilli(at))
                        .setMsPlayed(random.nextInt(100) < 15 ? 5_000 + random.nextInt(24_000) : 30_000 + random.nextInt(200_000))
                        .setCountry(COUNTRIES[BenchSupport.weighted(countryCdf, random.nextInt(countryCdf[countryCdf.length - 1]))])
                        .setDevice(Device.MOBILE)
                        .setSource(PlaySource.PLAYLIST)
                        .setSentAt(Instant.ofEpochMilli(at + 180_000))
                        .build();
                    recent.addLast(play);
                    if (recent.size() > 100) {
                        recent.removeFirst();
                    }
                }
                producer.send(new ProducerRecord<>(Topics.PLAYS.name(),
                    keys.serialize(Topics.PLAYS.name(), play.getUserId()), values.serialize(Topics.PLAYS.name(), play)));
            }
            producer.flush();
        }
        final double seconds = (System.nanoTime() - started) / 1e9;
        System.out.printf("load: %,d plays produced in %.1f s (%,.0f/s), spanning %,d s of event time%n", count,
            seconds, count / seconds, spanMs / 1000);
    }

    static void run(final LocalStack stack, final Map<String, String> options) throws Exception {
        final String applicationId = "bench-" + options.getOrDefault("app", "plays") + "-"
            + Long.toHexString(System.currentTimeMillis());
        final Path dir = Path.of("target", "bench", applicationId).toAbsolutePath();
        Files.createDirectories(dir);
        final Path settings = dir.resolve("app.properties");
        Files.writeString(settings, String.join("\n",
            "application.id=" + applicationId,
            "state.dir=" + dir.resolve("state"),
            "http.port=0",
            "schema.registry.url=" + stack.registryUrl(),
            "kafka.bootstrap.servers=" + stack.kafkaBootstrapServers(),
            "kafka.num.stream.threads=" + options.get("threads"),
            "royalties".equals(options.get("app")) ? "" : "charts.windows=" + options.get("windows"),
            // Any other option that is a setting of the application (kafka.*, plays.*, charts.*) passes through.
            options.entrySet().stream().filter(e -> e.getKey().matches("(kafka|plays|charts|royalties|rocksdb)\\..*"))
                .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining("\n"))));
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                stack.kafkaBootstrapServers()))) {
            final List<TopicPartition> input = admin.describeTopics(List.of(Topics.PLAYS.name())).allTopicNames().get()
                .get(Topics.PLAYS.name()).partitions().stream()
                .map(p -> new TopicPartition(Topics.PLAYS.name(), p.partition())).toList();
            final Map<TopicPartition, Long> inputEnd = BenchSupport.endOffsets(admin, input);
            final long events = inputEnd.values().stream().mapToLong(Long::longValue).sum();
            System.out.printf("run: %s on %,d plays, windows [%s], %s stream threads%n", applicationId, events,
                options.get("windows"), options.get("threads"));

            final long start = System.nanoTime();
            final Process app = BenchSupport.startApp(options,
                options.getOrDefault("main", PlayAnalyticsApp.class.getName()), settings, dir, "app",
                options.containsKey("jfr"));
            try {
                BenchSupport.awaitCaughtUp(admin, applicationId, app, dir.resolve("app.log"), input, Map.of(), events,
                    start, "plays", dir.resolve("state"));
            } finally {
                app.destroy();
                app.waitFor();
                BenchSupport.removeRun(admin, applicationId);
            }
        }
    }
}
