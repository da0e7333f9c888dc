package io.melodyud.topologies.royalties;

import io.melodyud.avro.cdc.User;
import io.melodyud.avro.event.PlayEvent;
import io.melodyud.avro.output.PendingPlay;
import io.melodyud.avro.output.PendingReason;
import io.melodyud.topologies.common.CommitHook;
import io.melodyud.topologies.common.DeadLetterHandlers;
import io.melodyud.topologies.common.Deduplicator;
import io.melodyud.topologies.common.ErrorCounters;
import io.melodyud.topologies.common.UserHistory;
import io.melodyud.topologies.plays.PlayRules;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * First stage, on the input partitions (plays and users, both keyed by user_id and co-partitioned): keeps each
 * user's history (tier and country over time), validates plays with the play counter's rules, drops duplicates
 * and short plays, and prices each valid play: the user's country and tier when it started, the track's rights
 * holder, and the rate of that (country, tier) valid when it started. Priced plays are summed per (rights holder,
 * country, UTC day) in a plain map sent at commit ({@link CommitHook}) as one {@link RoyaltyCodecs.Deltas} per rights
 * holder: a hot rights holder costs one record per task per commit downstream, not one per play.
 *
 * <p>A play that cannot be priced yet (user, track or rate unknown) is held in the pending store and announced on
 * the pending topic with its reason; it is priced when its user arrives, or by a periodic retry for tracks and
 * rates (global stores, whose updates this task does not see as records). A user's tombstone (GDPR erasure)
 * deletes the user's history and held plays; totals already priced stay.
 *
 * <p>Outputs: {@code Deltas} keyed by rights holder, {@code PendingPlay} and {@link Late} and {@link Expired}
 * plays keyed by user.
 */
final class PlayPricingProcessor implements Processor<Long, Object, Long, Object> {

    static final String DEDUP_STORE = "royalty-play-dedup";
    static final String USERS_STORE = "royalty-users";
    static final String PENDING_STORE = "royalty-pending-plays";
    static final String COMMIT_HOOK = "royalty-pricing-commit";
    static final String REASON_HEADER = DeadLetterHandlers.REASON_HEADER;

    /** A change of the users topic (null user: tombstone), merged into the plays stream. */
    record UserChange(User user) {
    }

    /** A play beyond the dedup horizon, for the late-plays topic. */
    record Late(PlayEvent play, Headers headers) {
    }

    /** A play held longer than the pending max age, for the dead-letter topic. */
    record Expired(PlayEvent play, Headers headers) {
    }

    private final RoyaltiesConfig config;
    private final PlayRules rules;
    private final ErrorCounters counters;
    private final String currency;
    private ProcessorContext<Long, Object> context;
    private Deduplicator dedup;
    private UserHistory users;
    private KeyValueStore<Bytes, byte[]> pending;
    private final ReferenceData.RateIndex rates;
    private final ReferenceData.TrackCache tracks;
    private ReferenceData.Lookup reference;
    /** Users with held plays, so that a user change looks in the pending store only when it may release some. */
    private final java.util.Set<Long> usersWithHeldPlays = new java.util.HashSet<>();
    /** Priced since the last commit: rights holder -> (country, day) -> plays and units. */
    private final Map<Long, Map<Long, long[]>> priced = new HashMap<>();
    private final LongAdder duplicates;
    private final LongAdder shortPlays;
    private final LongAdder pricedPlays;
    private final LongAdder olderThanHistory;

    PlayPricingProcessor(final RoyaltiesConfig config, final ErrorCounters counters,
                         final ReferenceData.RateIndex rates, final ReferenceData.TrackCache tracks) {
        this.config = config;
        this.rates = rates;
        this.tracks = tracks;
        this.rules = config.playRules();
        this.counters = counters;
        this.currency = config.currency();
        this.duplicates = counters.counter("skipped", "duplicate");
        this.shortPlays = counters.counter("skipped", "short-play");
        this.pricedPlays = counters.counter("priced", "play");
        this.olderThanHistory = counters.counter("priced", "user-version-before-oldest-known");
    }

    @Override
    public void init(final ProcessorContext<Long, Object> context) {
        this.context = context;
        this.dedup = new Deduplicator(context, DEDUP_STORE, rules.dedupHorizonMs());
        this.users = new UserHistory(context.getStateStore(USERS_STORE));
        this.pending = context.getStateStore(PENDING_STORE);
        this.reference = new ReferenceData.Lookup(context.getStateStore(ReferenceData.TRACKS_STORE), tracks, rates);
        try (KeyValueIterator<Bytes, byte[]> it = pending.all()) {
            it.forEachRemaining(entry -> usersWithHeldPlays.add(ByteBuffer.wrap(entry.key.get()).getLong()));
        }
        final CommitHook hook = context.getStateStore(COMMIT_HOOK);
        hook.register(context, this::flush);
        context.schedule(Duration.ofMillis(config.pendingRetryMs()), PunctuationType.WALL_CLOCK_TIME,
            this::retryPending);
    }

    @Override
    public void process(final Record<Long, Object> record) {
        if (record.value() instanceof UserChange change) {
            userChanged(record.key(), change.user());
            return;
        }
        final PlayEvent play = rules.validate(record.key(), (PlayEvent) record.value(),
            context.currentSystemTimeMs());
        final long startedAt = play.getStartedAt().toEpochMilli();
        if (dedup.beyondHorizon(startedAt, context.currentStreamTimeMs())) {
            late(record, play);
            return;
        }
        if (!rules.heardLongEnough(play)) {
            shortPlays.increment();
            return;
        }
        if (!dedup.firstSeen(play.getEventId(), startedAt)) {
            duplicates.increment();
            return;
        }
        final PendingReason reason = price(play);
        if (reason != null) {
            hold(play, reason);
        }
    }

    private void userChanged(final Long userId, final User user) {
        if (userId == null) {
            throw new io.melodyud.topologies.common.BadInputException("null-key",
                "User change without a key on the users topic");
        }
        users.apply(userId, user);
        if (!usersWithHeldPlays.contains(userId)) {
            return;
        }
        final List<KeyValue<Bytes, byte[]>> held = heldPlays(userId);
        int left = held.size();
        for (final KeyValue<Bytes, byte[]> entry : held) {
            if (user == null) {
                // Erasure: the held play names the user; it cannot be priced without the user's tier anyway.
                pending.delete(entry.key);
                counters.increment("erased", "pending-play");
                left--;
            } else if (price(decode(entry.value).getPlay()) == null) {
                pending.delete(entry.key);
                counters.increment("pending-resolved", "user-arrived");
                left--;
            }
        }
        if (left == 0) {
            usersWithHeldPlays.remove(userId);
        }
    }

    /**
     * Prices a play into the pending sums, or says why it cannot be priced yet. The country and tier are the
     * user's when the play started; the rate is the one valid then.
     */
    private PendingReason price(final PlayEvent play) {
        final long startedAt = play.getStartedAt().toEpochMilli();
        final UserHistory.Version user = users.asOf(play.getUserId(), startedAt);
        if (user == null) {
            return PendingReason.UNKNOWN_USER;
        }
        final Long rightsHolder = reference.rightsHolder(play.getTrackId());
        if (rightsHolder == null) {
            return PendingReason.UNKNOWN_TRACK;
        }
        final ReferenceData.Rate rate = reference.rate(user.country(), user.tier(), startedAt);
        if (rate == null || !currency.equals(rate.currency())) {
            return PendingReason.UNKNOWN_RATE;
        }
        if (user.beforeOldest()) {
            olderThanHistory.increment();
        }
        final long line = ((long) ReferenceData.countryCode(user.country()) << 32)
            | (Math.floorDiv(startedAt, 86_400_000L) & 0xffffffffL);
        final long[] sums = priced.computeIfAbsent(rightsHolder, r -> new HashMap<>()).computeIfAbsent(line,
            l -> new long[2]);
        sums[0]++;
        sums[1] = Math.addExact(sums[1], rate.unitsPerPlay());
        pricedPlays.increment();
        return null;
    }

    private void hold(final PlayEvent play, final PendingReason reason) {
        final PendingPlay held = PendingPlay.newBuilder().setPlay(play).setReason(reason)
            .setFirstSeenAt(Instant.ofEpochMilli(context.currentSystemTimeMs())).build();
        pending.put(pendingKey(play), encode(held));
        usersWithHeldPlays.add(play.getUserId());
        counters.increment("pending", reason.name());
        context.forward(new Record<>(play.getUserId(), held, play.getStartedAt().toEpochMilli()));
    }

    /** Prices held plays again (tracks and rates may have arrived); expires those held too long. */
    private void retryPending(final long now) {
        final List<KeyValue<Bytes, byte[]>> all = new ArrayList<>();
        try (KeyValueIterator<Bytes, byte[]> it = pending.all()) {
            it.forEachRemaining(all::add);
        }
        for (final KeyValue<Bytes, byte[]> entry : all) {
            final PendingPlay held = decode(entry.value);
            if (price(held.getPlay()) == null) {
                pending.delete(entry.key);
                counters.increment("pending-resolved", "retry");
            } else if (now - held.getFirstSeenAt().toEpochMilli() > config.pendingMaxAgeMs()) {
                pending.delete(entry.key);
                counters.increment("pending-expired", held.getReason().name());
                final Headers headers = new RecordHeaders();
                headers.add(REASON_HEADER, utf8("pending-expired:" + held.getReason().name().toLowerCase(
                    java.util.Locale.ROOT)));
                headers.add(DeadLetterHandlers.MESSAGE_HEADER, utf8("Play " + held.getPlay().getEventId()
                    + " could not be priced since " + held.getFirstSeenAt() + ": " + held.getReason()));
                headers.add(DeadLetterHandlers.STAGE_HEADER, utf8("processing"));
                context.forward(new Record<>(held.getPlay().getUserId(), new Expired(held.getPlay(), headers),
                    held.getPlay().getStartedAt().toEpochMilli()));
            }
        }
        // Priced plays leave with the next commit's flush, like the others.
    }

    private List<KeyValue<Bytes, byte[]>> heldPlays(final long userId) {
        final List<KeyValue<Bytes, byte[]>> held = new ArrayList<>();
        try (KeyValueIterator<Bytes, byte[]> it = pending.range(userPrefix(userId, 0L),
                userPrefix(userId, -1L))) {
            it.forEachRemaining(held::add);
        }
        return held;
    }

    private void late(final Record<Long, Object> record, final PlayEvent play) {
        counters.increment("late", "beyond-dedup-horizon");
        final Headers headers = new RecordHeaders(record.headers().toArray());
        headers.add("melody.late.reason", utf8("beyond-dedup-horizon"));
        headers.add("melody.late.application", utf8(config.applicationId()));
        context.recordMetadata().ifPresent(meta -> {
            headers.add(DeadLetterHandlers.TOPIC_HEADER, utf8(meta.topic()));
            headers.add(DeadLetterHandlers.PARTITION_HEADER, utf8(Integer.toString(meta.partition())));
            headers.add(DeadLetterHandlers.OFFSET_HEADER, utf8(Long.toString(meta.offset())));
        });
        context.forward(new Record<>(record.key(), new Late(play, headers), record.timestamp()));
    }

    /** Sends what was priced since the last commit: one record per rights holder. */
    private void flush() {
        dedup.commit(context.currentStreamTimeMs());
        if (priced.isEmpty()) {
            return;
        }
        final long timestamp = Math.max(0, context.currentStreamTimeMs());
        for (final Map.Entry<Long, Map<Long, long[]>> holder : priced.entrySet()) {
            final List<RoyaltyCodecs.Delta> entries = new ArrayList<>(holder.getValue().size());
            holder.getValue().forEach((line, sums) -> entries.add(new RoyaltyCodecs.Delta((short) (line >>> 32),
                (int) (line & 0xffffffffL), sums[0], sums[1])));
            context.forward(new Record<>(holder.getKey(), new RoyaltyCodecs.Deltas(entries), timestamp));
        }
        priced.clear();
    }

    static Bytes pendingKey(final PlayEvent play) {
        return Bytes.wrap(ByteBuffer.allocate(24).putLong(play.getUserId())
            .putLong(play.getEventId().getMostSignificantBits())
            .putLong(play.getEventId().getLeastSignificantBits()).array());
    }

    private static Bytes userPrefix(final long userId, final long fill) {
        return Bytes.wrap(ByteBuffer.allocate(24).putLong(userId).putLong(fill).putLong(fill).array());
    }

    private static byte[] encode(final PendingPlay held) {
        try {
            final ByteBuffer buffer = held.toByteBuffer();
            final byte[] bytes = new byte[buffer.remaining()];
            buffer.get(bytes);
            return bytes;
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static PendingPlay decode(final byte[] bytes) {
        try {
            return PendingPlay.fromByteBuffer(ByteBuffer.wrap(bytes));
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] utf8(final String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
