package io.melodyud.topologies.royalties;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.melodyud.avro.cdc.RoyaltyRate;
import io.melodyud.avro.cdc.Track;
import io.melodyud.avro.cdc.User;
import io.melodyud.avro.common.Tier;
import io.melodyud.avro.event.PlayEvent;
import io.melodyud.avro.output.RoyaltyAggregate;
import io.melodyud.avro.output.RoyaltyRecordKind;
import io.melodyud.contracts.fixtures.AvroFixtures;
import io.melodyud.contracts.serde.TopicSerdes;
import io.melodyud.contracts.topics.Topics;
import io.melodyud.topologies.StackClient;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * The royalties application as a separate process on the real broker and registry: killed with SIGKILL in the
 * middle of a stream of plays and restarted from an empty state directory, every statement line still adds up to
 * exactly what the plays earn, duplicates and replays included. Ids, country codes (user-assigned ISO codes Q?)
 * and rates are drawn per run, so that what earlier runs left in the shared topics never mixes in.
 */
class RoyaltiesIT {

    private static final Duration DEADLINE = Duration.ofSeconds(120);
    private static final Tier[] TIERS = {Tier.FREE, Tier.PREMIUM, Tier.FAMILY};

    @TempDir
    Path work;

    private StackClient kafka;
    private TopicSerdes serdes;
    private String applicationId;
    private long idBase;
    private String[] countries;
    private Process app;

    @BeforeEach
    void setUp(final TestInfo test) {
        kafka = new StackClient();
        serdes = kafka.serdes;
        applicationId = "it-" + test.getTestMethod().orElseThrow().getName() + "-" + Long.toHexString(System.nanoTime());
        final SplittableRandom random = new SplittableRandom();
        idBase = 2_000_000_000L + random.nextLong(1_000_000_000L) * 100;
        final char first = (char) ('M' + random.nextInt(13));
        countries = new String[] {"Q" + first, "X" + first};
    }

    @AfterEach
    void tearDown() {
        if (app != null) {
            app.destroyForcibly();
        }
        kafka.close();
    }

    private Process startApp(final Path stateDir) throws IOException {
        return StackClient.startApp(RoyaltiesApp.class,
            kafka.appSettings(applicationId, stateDir, Integer.getInteger("royalties.it.http.port", 0)),
            work.resolve("app.properties"), Path.of("target", applicationId + ".log").toAbsolutePath());
    }

    /** Reference data of this run: users in two countries and three tiers, 3 tracks of 2 rights holders, rates. */
    private void sendReferenceData(final KafkaProducer<byte[], byte[]> producer, final Instant validFrom) {
        for (int u = 1; u <= 300; u++) {
            kafka.send(Topics.CDC_USERS, idBase + u, user(u));
        }
        for (int t = 0; t < 3; t++) {
            final Track track = AvroFixtures.track().setTrackId(idBase + t).setRightsHolderId(idBase + t % 2).build();
            kafka.send(Topics.CDC_TRACKS, track.getTrackId(), track);
        }
        long rateId = idBase;
        for (final String country : countries) {
            for (final Tier tier : TIERS) {
                final RoyaltyRate rate = AvroFixtures.royaltyRate().setRateId(++rateId).setCountry(country)
                    .setTier(tier).setRatePerPlay(rate(country, tier)).setCurrency("USD").setValidFrom(validFrom)
                    .build();
                kafka.send(Topics.CDC_ROYALTY_RATES, rate.getRateId(), rate);
            }
        }
        producer.flush();
    }

    private User user(final int u) {
        return AvroFixtures.user().setUserId(idBase + u).setCountry(countries[u % 2]).setTier(TIERS[u % 3])
            .setUpdatedAt(Instant.parse("2025-01-01T00:00:00Z")).build();
    }

    private static BigDecimal rate(final String country, final Tier tier) {
        // Distinct per (country, tier), with all 8 decimals used.
        return new BigDecimal("0.000" + (country.charAt(0) == 'Q' ? "3" : "7") + tier.ordinal() + "123");
    }

    /** Plays of this run's users; returns what each statement line (key) must add up to: plays and amount. */
    private Map<String, Object[]> sendPlays(final KafkaProducer<byte[], byte[]> producer, final int count,
                                            final long seed, final Instant base) {
        final SplittableRandom random = new SplittableRandom(seed);
        final Map<String, Object[]> expected = new HashMap<>();
        PlayEvent previous = null;
        for (int i = 0; i < count; i++) {
            final PlayEvent play;
            if (previous != null && random.nextInt(100) < 5) {
                play = previous; // a producer retry: same event id
            } else {
                final int u = 1 + random.nextInt(300);
                final long track = idBase + random.nextInt(3);
                final Instant startedAt = base.plusMillis(i * 20L);
                play = AvroFixtures.playEvent().setEventId(new UUID(seed, i)).setUserId(idBase + u).setTrackId(track)
                    .setCountry("BR").setStartedAt(startedAt).setSentAt(startedAt.plusSeconds(200))
                    .setMsPlayed(random.nextInt(100) < 15 ? 12_000L : 200_000L).build();
                if (play.getMsPlayed() >= 30_000L) {
                    final User user = user(u);
                    final String key = (idBase + (track - idBase) % 2) + "|" + user.getCountry() + "|"
                        + startedAt.toString().substring(0, 10);
                    final Object[] line = expected.computeIfAbsent(key, k -> new Object[] {0L, BigDecimal.ZERO});
                    line[0] = (Long) line[0] + 1;
                    line[1] = ((BigDecimal) line[1]).add(rate(user.getCountry(), user.getTier()));
                }
            }
            previous = play;
            kafka.send(Topics.PLAYS, play.getUserId(), play);
        }
        producer.flush();
        return expected;
    }

    private static void merge(final Map<String, Object[]> into, final Map<String, Object[]> more) {
        more.forEach((key, line) -> into.merge(key, line, (a, b) -> new Object[] {(Long) a[0] + (Long) b[0],
            ((BigDecimal) a[1]).add((BigDecimal) b[1])}));
    }

    /** Reads statements of this run: the latest LIVE/FINAL of each daily line, plus its adjustments. */
    private void readStatements(final KafkaConsumer<byte[], byte[]> reader, final Map<String, RoyaltyAggregate> latest,
                                final Map<String, Object[]> adjustments) {
        for (final ConsumerRecord<byte[], byte[]> record : reader.poll(Duration.ofMillis(500))) {
            final RoyaltyAggregate line = serdes.value(Topics.ROYALTIES_DAILY).deserializer()
                .deserialize(record.topic(), record.value());
            if (line.getRightsHolderId() < idBase || line.getRightsHolderId() > idBase + 1 || line.getCountry() == null) {
                continue;
            }
            final String key = line.getRightsHolderId() + "|" + line.getCountry() + "|" + line.getPeriodStart();
            if (line.getKind() == RoyaltyRecordKind.ADJUSTMENT) {
                merge(adjustments, Map.of(key, new Object[] {line.getValidPlays(), line.getAmount()}));
            } else {
                latest.merge(key, line, (a, b) -> a.getVersion() >= b.getVersion() ? a : b);
            }
        }
    }

    private static Map<String, String> flatten(final Map<String, Object[]> lines) {
        final Map<String, String> flat = new TreeMap<>();
        lines.forEach((key, line) -> flat.put(key, line[0] + " plays, "
            + ((BigDecimal) line[1]).setScale(8).toPlainString()));
        return flat;
    }

    private static void await(final String what, final BooleanSupplier condition) throws InterruptedException {
        StackClient.await(what, DEADLINE, condition);
    }

    @Test
    void statementsStayExactWhenTheApplicationIsKilledAndRestartedWithoutItsState() throws Exception {
        final Map<String, Object[]> expected = new HashMap<>();
        final Map<String, RoyaltyAggregate> latest = new HashMap<>();
        final Map<String, Object[]> adjustments = new HashMap<>();
        final Instant base = Instant.now().minus(Duration.ofMinutes(20));
        kafka.startAtEnd(applicationId, Topics.PLAYS);
        final KafkaProducer<byte[], byte[]> producer = kafka.producer;
        try (KafkaConsumer<byte[], byte[]> statements = kafka.committedReader(Topics.ROYALTIES_DAILY,
                 Topics.ROYALTY_ADJUSTMENTS)) {
            sendReferenceData(producer, base.minus(Duration.ofMinutes(1)));
            merge(expected, sendPlays(producer, 20_000, 1, base));
            app = startApp(work.resolve("state-1"));
            await("first committed statements", () -> {
                readStatements(statements, latest, adjustments);
                return !latest.isEmpty();
            });
            merge(expected, sendPlays(producer, 20_000, 2, base.plusSeconds(400)));
            app.destroyForcibly().waitFor();

            merge(expected, sendPlays(producer, 10_000, 3, base.plusSeconds(800)));
            app = startApp(work.resolve("state-2"));
            final Map<String, String> want = flatten(expected);
            try {
                await("statements " + want, () -> {
                    readStatements(statements, latest, adjustments);
                    return flatten(seen(latest, adjustments)).equals(want);
                });
            } catch (final AssertionError e) {
                throw new AssertionError(e.getMessage() + "; seen " + flatten(seen(latest, adjustments)), e);
            }
            final long quietUntil = System.nanoTime() + Duration.ofSeconds(3).toNanos();
            while (System.nanoTime() < quietUntil) {
                readStatements(statements, latest, adjustments);
            }
            assertEquals(want, flatten(seen(latest, adjustments)), "no play paid twice");
        }
    }

    private static Map<String, Object[]> seen(final Map<String, RoyaltyAggregate> latest,
                                              final Map<String, Object[]> adjustments) {
        final Map<String, Object[]> seen = new HashMap<>();
        latest.forEach((key, line) -> seen.put(key, new Object[] {line.getValidPlays(), line.getAmount()}));
        merge(seen, adjustments);
        return seen;
    }
}
