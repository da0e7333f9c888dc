package io.melodyud.bench;

import io.melodyud.avro.cdc.AdCampaign;
import io.melodyud.avro.cdc.CampaignStatus;
import io.melodyud.avro.cdc.User;
import io.melodyud.avro.common.Device;
import io.melodyud.avro.common.Tier;
import io.melodyud.avro.event.AdClick;
import io.melodyud.avro.event.AdImpression;
import io.melodyud.avro.event.AdPlacement;
import io.melodyud.contracts.config.LocalStack;
import io.melodyud.contracts.serde.TopicSerdes;
import io.melodyud.contracts.topics.Topic;
import io.melodyud.contracts.topics.Topics;
import io.melodyud.topologies.ads.AdReportsApp;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * Benchmark of the ad-reports application on the local stack (not a test: it prints figures).
 *
 * <ol>
 *   <li>Load: appends to {@code melody.events.ad-impressions} and {@code melody.events.ad-clicks} (with
 *       {@code --recreate true}, empties them first: only when nothing else reads them), writes 500 campaigns and 50,000 listeners (5% on paid tiers) of a reserved id range to the CDC
 *       topics, and produces N events: impressions (Zipf(1.1) campaign popularity, 20 countries weighted like an
 *       audience, a tenth of the listeners not replicated yet), 3% clicks a few seconds after their impression
 *       (a tenth of them sent before it), 3% producer retries, 0.5% impressions 1-8 minutes late. Event time
 *       advances at {@code --event-rate} events per second (default 100,000).</li>
 *   <li>Warm-up: starts the application (exactly-once, fresh application id and state) with its event inputs
 *       skipped, until it has read the campaigns and listeners, and stops it: a running deployment knows its
 *       campaigns before the events of the day arrive.</li>
 *   <li>Run: rewinds the event inputs to where the load began, starts the application again on the same state, and waits until its
 *       consumer group has committed the end of the inputs and of its repartition topics.</li>
 * </ol>
 * Prints events per second (from process start, and from its first commit), peak RSS and the state directory's
 * size, then removes the run's internal topics and erases the benchmark's campaigns and listeners (tombstones).
 * The event topics are shared: an ad-reports application already running on the stack (`ops/melody run`) counts
 * the benchmark's events too, and competes for the cores; stop it first for figures of one application.
 * Arguments: {@code --load N} (0 to reuse what is there), {@code --threads T}, {@code --heap 1g},
 * {@code --event-rate R}, {@code --jfr true} (record a profile), and any application setting such as
 * {@code --kafka.commit.interval.ms 5000}.
 */
public final class AdReportsBenchmark {

    private static final String[] COUNTRIES = {"US", "BR", "MX", "CO", "GB", "DE", "FR", "ES", "AR", "JP", "IN", "SE",
        "CA", "AU", "NG", "KR", "IT", "NL", "CL", "PE"};
    private static final int[] COUNTRY_WEIGHTS = {180, 100, 80, 60, 70, 70, 55, 50, 40, 60, 80, 20, 40, 30, 20, 25,
        25, 15, 15, 15};
    private static final int CAMPAIGNS = 500;
    private static final int USERS = 50_000;
    /** Reserved id ranges, far from the seeds' and the tests'. */
    private static final long CAMPAIGN_BASE = 990_000_000L;
    private static final long USER_BASE = 990_000_000_000L;

    private AdReportsBenchmark() {
    }

    public static void main(final String[] args) throws Exception {
        final Map<String, String> options = new HashMap<>(Map.of("load", "2000000", "threads", "2", "heap", "1g",
            "event-rate", "100000"));
        for (int i = 0; i + 1 < args.length; i += 2) {
            options.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        final LocalStack stack = LocalStack.fromSystemProperty();
        final TopicSerdes serdes = BenchSupport.serdes(stack);
        try (KafkaProducer<byte[], byte[]> producer = BenchSupport.loadProducer(stack);
             Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                 stack.kafkaBootstrapServers()))) {
            final long load = Long.parseLong(options.get("load"));
            final List<TopicPartition> events = eventPartitions(admin);
            // The run reads what this load appends (the topics are shared: other applications may be reading
            // them, so they are not emptied); with --load 0, everything in them.
            final Map<TopicPartition, Long> from = new HashMap<>();
            if (load > 0 && !options.containsKey("recreate")) {
                from.putAll(BenchSupport.endOffsets(admin, events));
            } else {
                if (load > 0) {
                    BenchSupport.recreate(stack, Topics.AD_IMPRESSIONS);
                    BenchSupport.recreate(stack, Topics.AD_CLICKS);
                }
                events.forEach(tp -> from.put(tp, 0L));
            }
            // Campaigns first: an application already reading these topics (`ops/melody run`) then knows them.
            loadReferenceData(serdes, producer, false);
            if (load > 0) {
                loadEvents(serdes, producer, load, Long.parseLong(options.get("event-rate")));
            }
            try {
                run(stack, options, from);
            } finally {
                loadReferenceData(serdes, producer, true);
            }
        }
    }

    /** The benchmark's campaigns and listeners, or (with {@code erase}) their tombstones. */
    private static void loadReferenceData(final TopicSerdes serdes, final KafkaProducer<byte[], byte[]> producer,
                                          final boolean erase) {
        final SplittableRandom random = new SplittableRandom(42);
        final Instant since = Instant.now().minus(Duration.ofDays(20));
        for (int i = 0; i < CAMPAIGNS; i++) {
            final long id = CAMPAIGN_BASE + i;
            final AdCampaign campaign = erase ? null : AdCampaign.newBuilder()
                .setCampaignId(id).setAdvertiser("Benchmark advertiser " + i).setName("Benchmark campaign " + i)
                .setCpm(BigDecimal.valueOf(1_000_0000L + random.nextLong(29_000_0000L), 4))
                // A few small budgets, so that pacing alerts fire during the run.
                .setBudget(BigDecimal.valueOf(i % 50 == 0 ? 50_000_00L : 900_000_000_00L, 2))
                .setCurrency("COP").setTargetCountries(List.of()).setStatus(CampaignStatus.ACTIVE)
                .setStartsAt(since).setEndsAt(since.plus(Duration.ofDays(60))).setUpdatedAt(since).build();
            send(producer, serdes, Topics.CDC_AD_CAMPAIGNS, id, campaign, since.toEpochMilli());
        }
        for (int i = 0; i < USERS; i++) {
            final long id = USER_BASE + i;
            final User user = erase ? null : User.newBuilder()
                .setUserId(id).setCountry(COUNTRIES[i % COUNTRIES.length])
                .setTier(i % 20 == 0 ? Tier.PREMIUM : Tier.FREE).setSignupAt(since).setUpdatedAt(since).build();
            send(producer, serdes, Topics.CDC_USERS, id, user, since.toEpochMilli());
        }
        producer.flush();
    }

    /** Sends a record; {@code timestamp} null lets the producer stamp it. */
    private static <V> void send(final KafkaProducer<byte[], byte[]> producer, final TopicSerdes serdes,
                                 final Topic<Long, V> topic, final long key, final V value, final Long timestamp) {
        producer.send(new ProducerRecord<>(topic.name(), null, timestamp,
            serdes.key(topic).serializer().serialize(topic.name(), key),
            value == null ? null : serdes.value(topic).serializer().serialize(topic.name(), value)));
    }

    static void loadEvents(final TopicSerdes serdes, final KafkaProducer<byte[], byte[]> producer, final long count,
                           final long eventRate) {
        final double[] popularity = BenchSupport.zipfCdf(CAMPAIGNS, 1.1);
        final int[] countryCdf = BenchSupport.cdf(COUNTRY_WEIGHTS);
        final SplittableRandom random = new SplittableRandom(20_261_124L);
        final long spanMs = Math.max(1_000L, count * 1_000L / eventRate);
        final long base = Instant.now().minus(Duration.ofMillis(spanMs)).minus(Duration.ofMinutes(15)).toEpochMilli();
        final ArrayDeque<AdImpression> recent = new ArrayDeque<>();
        long impressions = 0;
        long clicks = 0;
        final long started = System.nanoTime();
        for (long i = 0; i < count; i++) {
            if (!recent.isEmpty() && random.nextInt(100) < 3) {
                send(producer, serdes, Topics.AD_IMPRESSIONS, recent.peekLast().getUserId(), recent.peekLast(), null);
                impressions++;
                continue;
            }
            long at = base + i * spanMs / count;
            if (random.nextInt(200) == 0) {
                at -= 60_000 + random.nextLong(420_000); // arrives 1-8 minutes late
            }
            final long user = random.nextInt(10) == 0 ? USER_BASE + USERS + random.nextInt(1_000_000)
                : USER_BASE + random.nextInt(USERS);
            final AdImpression impression = AdImpression.newBuilder()
                .setImpressionId(new UUID(random.nextLong(), random.nextLong()))
                .setUserId(user)
                .setCampaignId(CAMPAIGN_BASE + BenchSupport.sample(popularity, random.nextDouble()))
                .setCreativeId(1 + random.nextInt(2_000))
                .setServedAt(Instant.ofEpochMilli(at))
                .setCountry(COUNTRIES[BenchSupport.weighted(countryCdf, random.nextInt(countryCdf[countryCdf.length - 1]))])
                .setDevice(Device.MOBILE)
                .setPlacement(AdPlacement.AUDIO_BREAK)
                .build();
            AdClick click = null;
            if (random.nextInt(100) < 3) {
                click = AdClick.newBuilder()
                    .setClickId(new UUID(random.nextLong(), random.nextLong()))
                    .setImpressionId(impression.getImpressionId()).setUserId(user)
                    .setCampaignId(impression.getCampaignId())
                    .setClickedAt(Instant.ofEpochMilli(at + 1_000 + random.nextInt(30_000)))
                    .setCountry(impression.getCountry()).setDevice(Device.MOBILE).build();
            }
            final boolean clickFirst = click != null && random.nextInt(10) == 0;
            if (clickFirst) {
                send(producer, serdes, Topics.AD_CLICKS, user, click, null);
            }
            send(producer, serdes, Topics.AD_IMPRESSIONS, user, impression, null);
            impressions++;
            if (click != null) {
                if (!clickFirst) {
                    send(producer, serdes, Topics.AD_CLICKS, user, click, null);
                }
                clicks++;
                i++;
            }
            recent.addLast(impression);
            if (recent.size() > 100) {
                recent.removeFirst();
            }
        }
        producer.flush();
        final double seconds = (System.nanoTime() - started) / 1e9;
        System.out.printf("load: %,d impressions and %,d clicks produced in %.1f s (%,.0f/s), spanning %,d s of event "
            + "time%n", impressions, clicks, seconds, (impressions + clicks) / seconds, spanMs / 1000);
    }

    private static List<TopicPartition> eventPartitions(final Admin admin) throws Exception {
        final List<TopicPartition> events = new ArrayList<>();
        for (final Topic<?, ?> topic : List.of(Topics.AD_IMPRESSIONS, Topics.AD_CLICKS)) {
            admin.describeTopics(List.of(topic.name())).allTopicNames().get().get(topic.name()).partitions()
                .forEach(p -> events.add(new TopicPartition(topic.name(), p.partition())));
        }
        return events;
    }

    static void run(final LocalStack stack, final Map<String, String> options, final Map<TopicPartition, Long> from)
            throws Exception {
        final String applicationId = "bench-ads-" + Long.toHexString(System.currentTimeMillis());
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
            options.entrySet().stream().filter(e -> e.getKey().matches("(kafka|ads|rocksdb)\\..*"))
                .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining("\n"))));
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                stack.kafkaBootstrapServers()))) {
            final List<TopicPartition> events = eventPartitions(admin);
            final Map<TopicPartition, Long> eventsEnd = BenchSupport.endOffsets(admin, events);
            final long total = events.stream().mapToLong(tp -> eventsEnd.get(tp) - from.get(tp)).sum();
            try {
                // Warm-up: the campaigns and listeners, with the events skipped.
                final Map<TopicPartition, OffsetAndMetadata> atEnd = new HashMap<>();
                eventsEnd.forEach((tp, end) -> atEnd.put(tp, new OffsetAndMetadata(end)));
                admin.alterConsumerGroupOffsets(applicationId, atEnd).all().get();
                final Process warmUp = BenchSupport.startApp(options, AdReportsApp.class.getName(), settings, dir,
                    "warm-up", false);
                try {
                    awaitDrained(admin, applicationId, warmUp, dir, List.of(Topics.CDC_USERS.name(),
                        Topics.CDC_AD_CAMPAIGNS.name(), applicationId + "-ad-campaign-broadcast-repartition"));
                } finally {
                    warmUp.destroy();
                    warmUp.waitFor();
                }
                final Map<TopicPartition, OffsetAndMetadata> rewound = new HashMap<>();
                events.forEach(tp -> rewound.put(tp, new OffsetAndMetadata(from.get(tp))));
                // Kafka Streams does not leave its group on close: the offsets can move once the session expired.
                final long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
                while (true) {
                    try {
                        admin.alterConsumerGroupOffsets(applicationId, rewound).all().get();
                        break;
                    } catch (final java.util.concurrent.ExecutionException e) {
                        if (System.nanoTime() > deadline) {
                            throw e;
                        }
                        Thread.sleep(1_000);
                    }
                }
                System.out.printf("run: %s on %,d events, %s stream threads%n", applicationId, total,
                    options.get("threads"));

                final long start = System.nanoTime();
                final Process app = BenchSupport.startApp(options, AdReportsApp.class.getName(), settings, dir, "run",
                    options.containsKey("jfr"));
                try {
                    BenchSupport.awaitCaughtUp(admin, applicationId, app, dir.resolve("run.log"), events, from, total,
                        start, "events", dir.resolve("state"));
                } finally {
                    app.destroy();
                    app.waitFor();
                }
            } finally {
                BenchSupport.removeRun(admin, applicationId);
            }
        }
    }

    /** Waits until the group has consumed the given topics to their end (and they are not empty). */
    private static void awaitDrained(final Admin admin, final String applicationId, final Process app, final Path dir,
                                     final List<String> topics) throws Exception {
        final long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        while (System.nanoTime() < deadline) {
            if (!app.isAlive()) {
                throw new IllegalStateException("application exited; see " + dir.resolve("warm-up.log"));
            }
            Thread.sleep(500);
            final Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(applicationId)
                .partitionsToOffsetAndMetadata().get();
            final List<TopicPartition> partitions = committed.keySet().stream()
                .filter(tp -> topics.contains(tp.topic())).toList();
            if (partitions.stream().map(TopicPartition::topic).distinct().count() == topics.size()
                    && BenchSupport.drained(admin, committed)) {
                return;
            }
        }
        throw new IllegalStateException("warm-up did not finish; see " + dir.resolve("warm-up.log"));
    }
}
