package io.melodyud.bench;

import io.melodyud.avro.cdc.RoyaltyRate;
import io.melodyud.avro.cdc.Track;
import io.melodyud.avro.cdc.User;
import io.melodyud.avro.common.Tier;
import io.melodyud.contracts.config.LocalStack;
import io.melodyud.contracts.serde.TopicSerdes;
import io.melodyud.contracts.topics.Topic;
import io.melodyud.contracts.topics.Topics;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.SplittableRandom;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * The reference rows the royalties benchmark's plays need, written to the CDC topics the way CDC writes them:
 * users (country and tier, a quarter of them with a second version mid-run), tracks (5,000 rights holders) and a
 * rate per country and tier with a second version from now on. Ids start at a base far from the seeded data's.
 */
final class RoyaltyReferenceLoad {

    private static final Tier[] TIERS = {Tier.FREE, Tier.PREMIUM, Tier.FAMILY, Tier.STUDENT};

    private RoyaltyReferenceLoad() {
    }

    static void load(final LocalStack stack, final int users, final int tracks, final String[] countries,
                     final long idBase) {
        final TopicSerdes serdes = BenchSupport.serdes(stack);
        final SplittableRandom random = new SplittableRandom(42);
        final Instant longAgo = Instant.parse("2024-01-01T00:00:00Z");
        final long started = System.nanoTime();
        try (KafkaProducer<byte[], byte[]> producer = BenchSupport.loadProducer(stack)) {
            for (long u = 1; u <= users; u++) {
                send(producer, serdes, Topics.CDC_USERS, idBase + u, User.newBuilder().setUserId(idBase + u)
                    .setCountry(countries[random.nextInt(countries.length)]).setTier(TIERS[random.nextInt(4)])
                    .setSignupAt(longAgo).setUpdatedAt(longAgo).build());
            }
            for (long t = 1; t <= tracks; t++) {
                send(producer, serdes, Topics.CDC_TRACKS, idBase + t, Track.newBuilder().setTrackId(idBase + t)
                    .setTitle("Bench track " + t).setArtistName("Bench artist " + t % 9_000)
                    .setRightsHolderId(idBase + 1 + t % 5_000).setDurationMs(200_000)
                    .setReleasedOn(java.time.LocalDate.of(2024, 1, 1)).setUpdatedAt(longAgo).build());
            }
            long rateId = idBase;
            final Instant now = Instant.now().minusSeconds(3_600);
            for (final String country : countries) {
                for (final Tier tier : TIERS) {
                    for (final Instant from : new Instant[] {longAgo, now}) {
                        send(producer, serdes, Topics.CDC_ROYALTY_RATES, ++rateId, RoyaltyRate.newBuilder()
                            .setRateId(rateId).setCountry(country).setTier(tier)
                            .setRatePerPlay(BigDecimal.valueOf(100_000 + random.nextInt(300_000), 8))
                            .setCurrency("USD").setValidFrom(from).setUpdatedAt(longAgo).build());
                    }
                }
            }
            producer.flush();
        }
        System.out.printf("load: %,d users, %,d tracks and %,d rates written to the CDC topics in %.1f s%n", users,
            tracks, countries.length * TIERS.length * 2, (System.nanoTime() - started) / 1e9);
    }

    private static <K, V> void send(final KafkaProducer<byte[], byte[]> producer, final TopicSerdes serdes,
                                    final Topic<K, V> topic, final K key, final V value) {
        producer.send(new ProducerRecord<>(topic.name(), serdes.key(topic).serializer().serialize(topic.name(), key),
            serdes.value(topic).serializer().serialize(topic.name(), value)));
    }
}
