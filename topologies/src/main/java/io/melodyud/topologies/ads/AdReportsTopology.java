package io.melodyud.topologies.ads;

import io.melodyud.avro.event.AdClick;
import io.melodyud.avro.event.AdImpression;
import io.melodyud.avro.output.AdReport;
import io.melodyud.avro.output.PacingAlert;
import io.melodyud.contracts.serde.TopicSerdes;
import io.melodyud.contracts.topics.Topic;
import io.melodyud.contracts.topics.Topics;
import io.melodyud.topologies.ads.AdCodecs.IntakeOutput;
import io.melodyud.topologies.ads.AdIntakeProcessor.Anomaly;
import io.melodyud.topologies.ads.AdIntakeProcessor.DeadLetter;
import io.melodyud.topologies.ads.AdIntakeProcessor.Late;
import io.melodyud.topologies.ads.AdIntakeProcessor.UserChange;
import io.melodyud.topologies.common.CommitHook;
import io.melodyud.topologies.common.Deduplicator;
import io.melodyud.topologies.common.ErrorCounters;
import io.melodyud.topologies.common.UserHistory;
import java.time.Clock;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.StreamPartitioner;
import org.apache.kafka.streams.processor.UsePartitionTimeOnInvalidTimestamp;
import org.apache.kafka.streams.state.Stores;

/**
 * Ad reports: per campaign, country and UTC hour, impressions, clicks (attributed and not), CTR, unique users
 * (HyperLogLog) and exact spend priced with the CPM valid when each impression was served; pacing alerts at 80%
 * and 100% of a campaign's budget.
 *
 * <pre>
 * campaigns (1 partition) -> campaign intake: validate, currency fixed -> [ad-campaign-broadcast: to every partition]
 * impressions, clicks, users (by user) + broadcast -> intake: validate, dedup, lateness, tier, price, attribute
 *     -> late events, anomalies; -> [ad-deltas, by campaign; watermarks to every partition]
 *   -> aggregation: reports, pacing -> live reports (per commit), final reports (hour closed), pacing alerts
 * </pre>
 * Campaigns reach the intake as a broadcast rather than a global store: Kafka Streams 4.3 cannot send a global
 * store's bad records to a dead-letter topic (a dead letter returned by the handler there fails the global thread),
 * and a broadcast partition is read in timestamp order with the events, so a CPM change is applied when it happened
 * relative to the impressions. Every intake partition keeps its own copy of the (small) campaign history.
 * Every store and internal topic is named here; renaming one orphans its state.
 */
public final class AdReportsTopology {

    static final String CAMPAIGN_BROADCAST_TOPIC = "ad-campaign-broadcast";
    static final String DELTAS_TOPIC = "ad-deltas";

    private AdReportsTopology() {
    }

    /**
     * @param inputPartitions partitions of the impressions, clicks and users topics (which must agree): every one
     *     of them receives the campaigns, and the aggregation waits for the watermark of every one
     */
    public static Topology build(final AdReportsConfig config, final TopicSerdes serdes, final ErrorCounters counters,
                                 final int inputPartitions) {
        return build(config, serdes, counters, inputPartitions, Clock.systemUTC());
    }

    static Topology build(final AdReportsConfig config, final TopicSerdes serdes, final ErrorCounters counters,
                          final int inputPartitions, final Clock clock) {
        final StreamsBuilder builder = new StreamsBuilder();
        addStores(builder, config);

        final KStream<Long, Object> campaigns = builder.stream(config.cdcTopic(Topics.CDC_AD_CAMPAIGNS),
                Consumed.with(serdes.key(Topics.CDC_AD_CAMPAIGNS), serdes.value(Topics.CDC_AD_CAMPAIGNS))
                    .withTimestampExtractor(new UsePartitionTimeOnInvalidTimestamp())
                    .withName("ad-campaigns-source"))
            .process(() -> new CampaignIntakeProcessor(config), Named.as("ad-campaign-intake"),
                CampaignIntakeProcessor.CURRENCIES_STORE)
            .repartition(Repartitioned.with(Serdes.Long(), AdCodecs.CAMPAIGN_VERSION)
                .withName(CAMPAIGN_BROADCAST_TOPIC)
                .withNumberOfPartitions(inputPartitions)
                .withStreamPartitioner(new Broadcast<>()))
            .mapValues(version -> (Object) version, Named.as("ad-campaign-versions"));

        final KStream<Long, Object> users = builder.stream(config.cdcTopic(Topics.CDC_USERS),
                Consumed.with(serdes.key(Topics.CDC_USERS), serdes.value(Topics.CDC_USERS))
                    .withTimestampExtractor(new UsePartitionTimeOnInvalidTimestamp())
                    .withName("ad-users-source"))
            // A wrapper, so that an erasure (a null value) stays distinguishable from a tombstone on an event topic.
            .mapValues(user -> (Object) new UserChange(user), Named.as("ad-user-changes"));

        final AdEventTimestampExtractor eventTime = new AdEventTimestampExtractor(config.maxFutureMs(), clock);
        final KStream<Long, Object> impressions = builder.stream(Topics.AD_IMPRESSIONS.name(),
            Consumed.with(serdes.key(Topics.AD_IMPRESSIONS), anyValue(serdes, Topics.AD_IMPRESSIONS))
                .withTimestampExtractor(eventTime).withName("ad-impressions-source"));
        final KStream<Long, Object> clicks = builder.stream(Topics.AD_CLICKS.name(),
            Consumed.with(serdes.key(Topics.AD_CLICKS), anyValue(serdes, Topics.AD_CLICKS))
                .withTimestampExtractor(eventTime).withName("ad-clicks-source"));

        final Map<String, KStream<Long, Object>> intake = impressions
            .merge(clicks, Named.as("ad-events"))
            .merge(users, Named.as("ad-events-and-users"))
            .merge(campaigns, Named.as("ad-intake-input"))
            .process(() -> new AdIntakeProcessor(config, counters), Named.as("ad-intake"),
                AdIntakeProcessor.USERS_STORE, AdIntakeProcessor.CAMPAIGN_VERSIONS_STORE,
                AdIntakeProcessor.CAMPAIGN_CLOCK_STORE,
                Deduplicator.indexStore(AdIntakeProcessor.IMPRESSION_DEDUP_STORE),
                Deduplicator.journalStore(AdIntakeProcessor.IMPRESSION_DEDUP_STORE),
                Deduplicator.indexStore(AdIntakeProcessor.CLICK_DEDUP_STORE),
                Deduplicator.journalStore(AdIntakeProcessor.CLICK_DEDUP_STORE),
                AdIntakeProcessor.PENDING_CLICKS_STORE, AdIntakeProcessor.WATERMARK_STORE,
                AdIntakeProcessor.COMMIT_HOOK)
            .split(Named.as("ad-intake-"))
            .branch((key, value) -> value instanceof IntakeOutput, Branched.as("deltas"))
            .branch((key, value) -> value instanceof Late, Branched.as("late"))
            .branch((key, value) -> value instanceof Anomaly, Branched.as("anomalies"))
            .defaultBranch(Branched.as("dead-letters"));

        final Serde<SpecificRecord> asRead = sourceFormat(serdes);
        intake.get("ad-intake-late")
            .mapValues(value -> ((Late) value).event(), Named.as("ad-late-values"))
            .to(Topics.LATE_AD_EVENTS.name(), Produced.with(Serdes.Long(), asRead).withName("ad-late-sink"));
        intake.get("ad-intake-dead-letters")
            .mapValues(value -> ((DeadLetter) value).event(), Named.as("ad-dead-letter-values"))
            .to(Topics.DLQ_AD_REPORTS.name(), Produced.with(Serdes.Long(), asRead).withName("ad-dead-letter-sink"));
        intake.get("ad-intake-anomalies")
            .mapValues(value -> ((Anomaly) value).impression(), Named.as("ad-anomaly-values"))
            .to(Topics.AD_ANOMALIES.name(), Produced.with(serdes.key(Topics.AD_ANOMALIES),
                serdes.value(Topics.AD_ANOMALIES)).withName("ad-anomalies-sink"));

        final Map<String, KStream<Object, Object>> aggregated = intake.get("ad-intake-deltas")
            .mapValues(value -> (IntakeOutput) value, Named.as("ad-delta-values"))
            .repartition(Repartitioned.with(Serdes.Long(), AdCodecs.INTAKE_OUTPUT).withName(DELTAS_TOPIC)
                .withStreamPartitioner(new WatermarksToAll()))
            .process(() -> new AdAggregationProcessor(config, counters, inputPartitions), Named.as("ad-aggregation"),
                AdAggregationProcessor.REPORTS_STORE, AdAggregationProcessor.PACING_STORE,
                AdAggregationProcessor.WATERMARKS_STORE, AdAggregationProcessor.COMMIT_HOOK)
            .split(Named.as("ad-aggregated-"))
            .branch((key, value) -> value instanceof PacingAlert, Branched.as("alerts"))
            .defaultBranch(Branched.as("reports"));

        aggregated.get("ad-aggregated-alerts")
            .map((key, value) -> KeyValue.pair((Long) key, (PacingAlert) value), Named.as("ad-alert-values"))
            .to(Topics.AD_PACING_ALERTS.name(), Produced.with(serdes.key(Topics.AD_PACING_ALERTS),
                serdes.value(Topics.AD_PACING_ALERTS)).withName("ad-alerts-sink"));
        final KStream<String, AdReport> reports = aggregated.get("ad-aggregated-reports")
            .map((key, value) -> KeyValue.pair((String) key, (AdReport) value), Named.as("ad-report-values"));
        // Every report goes to the live topic, the final one included (it ends the hour there too).
        reports.to(Topics.AD_REPORTS_LIVE.name(), Produced.with(serdes.key(Topics.AD_REPORTS_LIVE),
            serdes.value(Topics.AD_REPORTS_LIVE)).withName("ad-reports-live-sink"));
        reports.filter((key, report) -> report.getIsFinal(), Named.as("ad-final-reports"))
            .to(Topics.AD_REPORTS_FINAL.name(), Produced.with(serdes.key(Topics.AD_REPORTS_FINAL),
                serdes.value(Topics.AD_REPORTS_FINAL)).withName("ad-reports-final-sink"));
        return builder.build();
    }

    /**
     * The stores written by a {@link CommitHook} callback have no record cache: the processors keep what changed in
     * plain maps and write it once per commit. The other stores are written once per input record anyway.
     */
    private static void addStores(final StreamsBuilder builder, final AdReportsConfig config) {
        builder.addStateStore(Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(CampaignIntakeProcessor.CURRENCIES_STORE), Serdes.Long(), Serdes.String()));
        builder.addStateStore(UserHistory.storeBuilder(AdIntakeProcessor.USERS_STORE));
        builder.addStateStore(CampaignHistory.storeBuilder(AdIntakeProcessor.CAMPAIGN_VERSIONS_STORE,
            config.campaignHistoryRetentionMs()));
        builder.addStateStore(CampaignHistory.clockBuilder(AdIntakeProcessor.CAMPAIGN_CLOCK_STORE));
        // Impressions stay findable by id for their clicks after the horizon (impressionIndexRetentionMs).
        Deduplicator.addStores(builder, AdIntakeProcessor.IMPRESSION_DEDUP_STORE, config.impressionIndexRetentionMs());
        Deduplicator.addStores(builder, AdIntakeProcessor.CLICK_DEDUP_STORE, config.dedupHorizonMs());
        builder.addStateStore(Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(AdIntakeProcessor.PENDING_CLICKS_STORE), Serdes.Bytes(),
            Serdes.ByteArray()));
        builder.addStateStore(Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(AdIntakeProcessor.WATERMARK_STORE), Serdes.Long(), Serdes.Long()));
        builder.addStateStore(CommitHook.builder(AdIntakeProcessor.COMMIT_HOOK));
        builder.addStateStore(Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(AdAggregationProcessor.REPORTS_STORE), Serdes.Bytes(),
            AdCodecs.REPORT_STATE).withCachingDisabled());
        builder.addStateStore(Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(AdAggregationProcessor.PACING_STORE), Serdes.Long(),
            AdCodecs.PACING_STATE).withCachingDisabled());
        builder.addStateStore(Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(AdAggregationProcessor.WATERMARKS_STORE), Serdes.Integer(),
            Serdes.Long()));
        builder.addStateStore(CommitHook.builder(AdAggregationProcessor.COMMIT_HOOK));
    }

    /** The value serde of an event topic, seen as the intake's common input type. */
    @SuppressWarnings("unchecked")
    private static <V> Serde<Object> anyValue(final TopicSerdes serdes, final Topic<Long, V> topic) {
        return (Serde<Object>) (Serde<?>) serdes.value(topic);
    }

    /**
     * Writes a late or refused impression or click as it was read: the Confluent wire format under its own topic's
     * subject (the same schema id as the original when the producer used the current schema), whatever the topic
     * it goes to. Those topics hold records of several types, so they take the original bytes, not a subject of
     * their own.
     */
    static Serde<SpecificRecord> sourceFormat(final TopicSerdes serdes) {
        final Serializer<AdImpression> impressions = serdes.value(Topics.AD_IMPRESSIONS).serializer();
        final Serializer<AdClick> clicks = serdes.value(Topics.AD_CLICKS).serializer();
        return Serdes.serdeFrom(
            (Serializer<SpecificRecord>) (topic, value) -> value instanceof AdImpression impression
                ? impressions.serialize(Topics.AD_IMPRESSIONS.name(), impression)
                : clicks.serialize(Topics.AD_CLICKS.name(), (AdClick) value),
            (Deserializer<SpecificRecord>) (topic, bytes) -> {
                throw new UnsupportedOperationException("late and dead-letter topics are written, not read, here");
            });
    }

    /** Sends every record to every partition: each intake partition needs every campaign. */
    static final class Broadcast<V> implements StreamPartitioner<Long, V> {

        @Override
        public Optional<Set<Integer>> partitions(final String topic, final Long key, final V value,
                                                 final int numPartitions) {
            return Optional.of(all(numPartitions));
        }
    }

    /**
     * Deltas go where their campaign is (Kafka's default partitioning of the key), watermarks to every partition:
     * each aggregation task closes an hour only when it has every intake partition's watermark.
     */
    static final class WatermarksToAll implements StreamPartitioner<Long, IntakeOutput> {

        @Override
        public Optional<Set<Integer>> partitions(final String topic, final Long key, final IntakeOutput value,
                                                 final int numPartitions) {
            return value instanceof AdCodecs.Watermark ? Optional.of(all(numPartitions)) : Optional.empty();
        }
    }

    private static Set<Integer> all(final int numPartitions) {
        final Set<Integer> all = new HashSet<>(numPartitions * 2);
        for (int i = 0; i < numPartitions; i++) {
            all.add(i);
        }
        return all;
    }
}
