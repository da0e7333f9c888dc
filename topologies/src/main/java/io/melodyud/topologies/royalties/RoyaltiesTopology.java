package io.melodyud.topologies.royalties;

import io.melodyud.avro.cdc.RoyaltyRate;
import io.melodyud.avro.cdc.Track;
import io.melodyud.avro.event.PlayEvent;
import io.melodyud.avro.output.PendingPlay;
import io.melodyud.avro.output.RoyaltyAggregate;
import io.melodyud.avro.output.RoyaltyRecordKind;
import io.melodyud.contracts.serde.TopicSerdes;
import io.melodyud.contracts.topics.Topics;
import io.melodyud.topologies.common.CommitHook;
import io.melodyud.topologies.common.Deduplicator;
import io.melodyud.topologies.common.ErrorCounters;
import io.melodyud.topologies.common.UserHistory;
import io.melodyud.topologies.plays.PlayTimestampExtractor;
import java.time.Clock;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.processor.api.ContextualFixedKeyProcessor;
import org.apache.kafka.streams.state.Stores;

/**
 * Royalty aggregates: valid plays priced at the rate valid when they started, for the user's country and tier at
 * that time, summed per rights holder, country and UTC day and per rights holder and month.
 *
 * <pre>
 * users (by user) --------------\
 * plays (by user) --> pricing: history, validate, dedup, 30 s rule, price or hold    -> pending, late plays
 *                        (global: tracks -> rights holder, rates by country/tier/valid_from)
 *   -> [royalty-deltas, by rights holder] -> statements: LIVE, FINAL at close, ADJUSTMENT after
 * </pre>
 * Every store and internal topic is named here; renaming one orphans its state.
 */
public final class RoyaltiesTopology {

    static final String DELTAS_TOPIC = "royalty-deltas";

    private RoyaltiesTopology() {
    }

    public static Topology build(final RoyaltiesConfig config, final TopicSerdes serdes, final ErrorCounters counters) {
        return build(config, serdes, counters, Clock.systemUTC());
    }

    static Topology build(final RoyaltiesConfig config, final TopicSerdes serdes, final ErrorCounters counters,
                          final Clock clock) {
        final StreamsBuilder builder = new StreamsBuilder();
        final ReferenceData.RateIndex rateIndex = new ReferenceData.RateIndex();
        final ReferenceData.TrackCache trackCache = new ReferenceData.TrackCache();
        Deduplicator.addStores(builder, PlayPricingProcessor.DEDUP_STORE, config.playRules().dedupHorizonMs());
        builder.addStateStore(UserHistory.storeBuilder(PlayPricingProcessor.USERS_STORE));
        builder.addStateStore(Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(PlayPricingProcessor.PENDING_STORE), Serdes.Bytes(), Serdes.ByteArray()));
        builder.addStateStore(CommitHook.builder(PlayPricingProcessor.COMMIT_HOOK));
        builder.addStateStore(Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(StatementProcessor.LINES_STORE), Serdes.Bytes(), Serdes.ByteArray()));
        builder.addStateStore(CommitHook.builder(StatementProcessor.COMMIT_HOOK));

        builder.addGlobalStore(ReferenceData.tracksStore(), config.cdcTopic(Topics.CDC_TRACKS),
            Consumed.<Long, Track>with(serdes.key(Topics.CDC_TRACKS), serdes.value(Topics.CDC_TRACKS))
                .withName("tracks-source"),
            () -> new ReferenceData.TrackUpdater(trackCache));
        builder.addGlobalStore(ReferenceData.ratesStore(), config.cdcTopic(Topics.CDC_ROYALTY_RATES),
            Consumed.<Long, RoyaltyRate>with(serdes.key(Topics.CDC_ROYALTY_RATES),
                serdes.value(Topics.CDC_ROYALTY_RATES)).withName("rates-source"),
            () -> new ReferenceData.RateUpdater(counters, rateIndex));

        // User changes carry timestamp 0: they never move stream time (the plays' event time drives lateness and
        // the dedup horizon), and the task takes them before any play, so reference data goes first.
        final KStream<Long, Object> users = builder.stream(config.cdcTopic(Topics.CDC_USERS),
                Consumed.with(serdes.key(Topics.CDC_USERS), serdes.value(Topics.CDC_USERS))
                    .withTimestampExtractor((record, partitionTime) -> 0L).withName("users-source"))
            .mapValues(user -> (Object) new PlayPricingProcessor.UserChange(user), Named.as("user-changes"));
        final KStream<Long, Object> plays = builder.stream(Topics.PLAYS.name(),
                Consumed.with(serdes.key(Topics.PLAYS), serdes.value(Topics.PLAYS))
                    .withTimestampExtractor(new PlayTimestampExtractor(config.playRules().maxFutureMs(), clock))
                    .withName("plays-source"))
            .mapValues(play -> (Object) play, Named.as("play-values"));

        final Map<String, KStream<Long, Object>> priced = users.merge(plays, Named.as("users-and-plays"))
            .process(() -> new PlayPricingProcessor(config, counters, rateIndex, trackCache), Named.as("play-pricing"),
                Deduplicator.indexStore(PlayPricingProcessor.DEDUP_STORE),
                Deduplicator.journalStore(PlayPricingProcessor.DEDUP_STORE), PlayPricingProcessor.USERS_STORE,
                PlayPricingProcessor.PENDING_STORE, PlayPricingProcessor.COMMIT_HOOK)
            .split(Named.as("priced-"))
            .branch((key, value) -> value instanceof PendingPlay, Branched.as("pending"))
            .branch((key, value) -> value instanceof PlayPricingProcessor.Late, Branched.as("late"))
            .branch((key, value) -> value instanceof PlayPricingProcessor.Expired, Branched.as("expired"))
            .defaultBranch(Branched.as("deltas"));

        priced.get("priced-pending")
            .mapValues(value -> (PendingPlay) value, Named.as("pending-values"))
            .to(Topics.ROYALTY_PENDING.name(), Produced.with(serdes.key(Topics.ROYALTY_PENDING),
                serdes.value(Topics.ROYALTY_PENDING)).withName("pending-sink"));
        priced.get("priced-late")
            .processValues(() -> new HeadersFrom<PlayPricingProcessor.Late>(late -> late.play(),
                PlayPricingProcessor.Late::headers), Named.as("late-values"))
            .to(Topics.LATE_PLAYS.name(), Produced.with(serdes.key(Topics.LATE_PLAYS),
                serdes.value(Topics.LATE_PLAYS)).withName("late-plays-sink"));
        // Expired plays go to the dead-letter topic in the plays' own format, like any dead letter.
        priced.get("priced-expired")
            .processValues(() -> new HeadersFrom<PlayPricingProcessor.Expired>(expired -> expired.play(),
                PlayPricingProcessor.Expired::headers), Named.as("expired-values"))
            .to(Topics.DLQ_ROYALTIES.name(), Produced.with(serdes.key(Topics.PLAYS), serdes.value(Topics.PLAYS))
                .withName("expired-sink"));

        final KStream<String, RoyaltyAggregate> statements = priced.get("priced-deltas")
            .mapValues(value -> (RoyaltyCodecs.Deltas) value, Named.as("deltas-values"))
            .repartition(Repartitioned.with(Serdes.Long(), RoyaltyCodecs.DELTAS).withName(DELTAS_TOPIC))
            .process(() -> new StatementProcessor(config, counters), Named.as("statements"),
                StatementProcessor.LINES_STORE, StatementProcessor.COMMIT_HOOK);
        statements.to((key, aggregate, context) -> topicOf(aggregate),
            Produced.with(serdes.key(Topics.ROYALTIES_DAILY), serdes.value(Topics.ROYALTIES_DAILY))
                .withName("statements-sink"));
        return builder.build();
    }

    static String topicOf(final RoyaltyAggregate aggregate) {
        if (aggregate.getKind() == RoyaltyRecordKind.ADJUSTMENT) {
            return Topics.ROYALTY_ADJUSTMENTS.name();
        }
        return aggregate.getCountry() == null ? Topics.ROYALTIES_MONTHLY.name() : Topics.ROYALTIES_DAILY.name();
    }

    /** Unwraps a value and puts its headers on the record. */
    private static final class HeadersFrom<V> extends ContextualFixedKeyProcessor<Long, Object, PlayEvent> {
        private final java.util.function.Function<V, PlayEvent> play;
        private final java.util.function.Function<V, org.apache.kafka.common.header.Headers> headers;

        HeadersFrom(final java.util.function.Function<V, PlayEvent> play,
                    final java.util.function.Function<V, org.apache.kafka.common.header.Headers> headers) {
            this.play = play;
            this.headers = headers;
        }

        @Override
        @SuppressWarnings("unchecked")
        public void process(final FixedKeyRecord<Long, Object> record) {
            final V value = (V) record.value();
            context().forward(record.withValue(play.apply(value)).withHeaders(headers.apply(value)));
        }
    }
}
