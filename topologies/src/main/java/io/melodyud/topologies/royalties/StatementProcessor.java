package io.melodyud.topologies.royalties;

import io.melodyud.avro.output.RoyaltyAggregate;
import io.melodyud.avro.output.RoyaltyPeriod;
import io.melodyud.avro.output.RoyaltyRecordKind;
import io.melodyud.topologies.common.CommitHook;
import io.melodyud.topologies.common.ErrorCounters;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Second stage, keyed by rights holder: adds the pricing tasks' deltas into statement lines (per rights holder,
 * country and UTC day; per rights holder and month over all countries) and publishes them:
 * <ul>
 *   <li>LIVE, for each line that changed while its period is open, at most once per live interval (and at the first
 *       commit after it, so at every commit when the interval is 0);</li>
 *   <li>FINAL, once, when stream time passes the period's end plus the grace period;</li>
 *   <li>ADJUSTMENT, for plays that reach a closed line: the delta only, never a change of the FINAL record.</li>
 * </ul>
 * Each line's records carry a version that grows with each record, which the sinks use to keep the latest LIVE or
 * FINAL row and to tell adjustments apart. Lines are kept in memory (they are few: rights holders x countries x
 * open days) and in a changelogged store written at every commit, published or not; a restart reloads them from
 * the store and publishes its open lines and unpublished adjustments again (a LIVE record repeated with a higher
 * version changes nothing downstream).
 */
final class StatementProcessor implements Processor<Long, RoyaltyCodecs.Deltas, String, RoyaltyAggregate> {

    static final String LINES_STORE = "royalty-lines";
    static final String COMMIT_HOOK = "royalty-statements-commit";

    private final RoyaltiesConfig config;
    private final ErrorCounters counters;
    private final String currency;
    private ProcessorContext<String, RoyaltyAggregate> context;
    private KeyValueStore<Bytes, byte[]> store;
    /** Every line not yet forgotten, open or closed. */
    private final Map<Bytes, RoyaltyCodecs.LineState> lines = new HashMap<>();
    /** Lines changed since the last commit, in arrival order. */
    private final Map<Bytes, RoyaltyCodecs.LineState> changed = new LinkedHashMap<>();
    /** Lines stored but not published since they changed. */
    private final Map<Bytes, RoyaltyCodecs.LineState> unpublished = new LinkedHashMap<>();
    private final long graceMs;
    private final long closedRetentionMs;
    private final long liveIntervalMs;
    private long lastPublished = Long.MIN_VALUE;

    StatementProcessor(final RoyaltiesConfig config, final ErrorCounters counters) {
        this.config = config;
        this.counters = counters;
        this.currency = config.currency();
        this.graceMs = config.graceMs();
        this.closedRetentionMs = config.closedRetentionMs();
        this.liveIntervalMs = config.liveIntervalMs();
    }

    @Override
    public void init(final ProcessorContext<String, RoyaltyAggregate> context) {
        this.context = context;
        this.store = context.getStateStore(LINES_STORE);
        try (KeyValueIterator<Bytes, byte[]> it = store.all()) {
            it.forEachRemaining(entry -> {
                final RoyaltyCodecs.LineState line = RoyaltyCodecs.LineState.fromBytes(entry.value);
                lines.put(entry.key, line);
                if (!line.closed || line.hasAdjustment()) {
                    unpublished.put(entry.key, line);
                }
            });
        }
        final CommitHook hook = context.getStateStore(COMMIT_HOOK);
        hook.register(context, this::publishChanged);
        if (liveIntervalMs > 0) {
            // Commits happen only while input arrives: without this, the last changes before a quiet spell would
            // wait for the next delta to be published.
            context.schedule(Duration.ofMillis(liveIntervalMs), PunctuationType.WALL_CLOCK_TIME,
                now -> publishUnpublished(now));
        }
        context.schedule(Duration.ofMinutes(1), PunctuationType.STREAM_TIME, this::closePeriods);
    }

    @Override
    public void process(final Record<Long, RoyaltyCodecs.Deltas> record) {
        final long rightsHolder = record.key();
        final long streamTime = context.currentStreamTimeMs();
        for (final RoyaltyCodecs.Delta delta : record.value().entries()) {
            final LocalDate day = LocalDate.ofEpochDay(delta.epochDay());
            add(new RoyaltyCodecs.LineKey(rightsHolder, RoyaltyCodecs.DAY, delta.epochDay(), delta.country()),
                delta, streamTime);
            add(new RoyaltyCodecs.LineKey(rightsHolder, RoyaltyCodecs.MONTH,
                (int) day.withDayOfMonth(1).toEpochDay(), (short) 0), delta, streamTime);
        }
    }

    private void add(final RoyaltyCodecs.LineKey key, final RoyaltyCodecs.Delta delta, final long streamTime) {
        final Bytes bytes = key.toBytes();
        RoyaltyCodecs.LineState line = lines.get(bytes);
        if (line == null) {
            line = new RoyaltyCodecs.LineState();
            if (closeTime(key) <= streamTime) {
                // The period closed before this line existed (or after it was forgotten): what arrives is an
                // adjustment. Versions start from stream time, above any version this line may have had.
                line.closed = true;
                line.version = streamTime;
            }
            lines.put(bytes, line);
        }
        line.plays = Math.addExact(line.plays, delta.plays());
        line.units = Math.addExact(line.units, delta.units());
        if (line.closed) {
            line.pendingPlays += delta.plays();
            line.pendingUnits = Math.addExact(line.pendingUnits, delta.units());
            counters.counter("late", key.period() == RoyaltyCodecs.DAY ? "adjustment-day" : "adjustment-month")
                .add(delta.plays());
        }
        changed.put(bytes, line);
    }

    /**
     * At commit: stores what changed, and once per live interval publishes LIVE records of open lines and
     * ADJUSTMENT records of closed ones.
     */
    private void publishChanged() {
        for (final Map.Entry<Bytes, RoyaltyCodecs.LineState> entry : changed.entrySet()) {
            store.put(entry.getKey(), entry.getValue().toBytes());
            unpublished.put(entry.getKey(), entry.getValue());
        }
        changed.clear();
        final long now = context.currentSystemTimeMs();
        if (lastPublished != Long.MIN_VALUE && now - lastPublished < liveIntervalMs) {
            return;
        }
        publishUnpublished(now);
    }

    /** LIVE records of the open lines stored since they changed, ADJUSTMENT records of closed ones. */
    private void publishUnpublished(final long now) {
        if (unpublished.isEmpty()) {
            return;
        }
        lastPublished = now;
        final long timestamp = Math.max(0, context.currentStreamTimeMs());
        for (final Map.Entry<Bytes, RoyaltyCodecs.LineState> entry : unpublished.entrySet()) {
            final RoyaltyCodecs.LineKey key = RoyaltyCodecs.LineKey.fromBytes(entry.getKey().get());
            final RoyaltyCodecs.LineState line = entry.getValue();
            if (line.closed) {
                if (!line.hasAdjustment()) {
                    continue;
                }
                line.version++;
                emit(key, RoyaltyRecordKind.ADJUSTMENT, line.pendingPlays, line.pendingUnits, line.version,
                    timestamp);
                line.pendingPlays = 0;
                line.pendingUnits = 0;
            } else {
                line.version++;
                emit(key, RoyaltyRecordKind.LIVE, line.plays, line.units, line.version, timestamp);
            }
            store.put(entry.getKey(), line.toBytes());
        }
        unpublished.clear();
    }

    /** Emits the FINAL record of lines whose period closed, and forgets lines closed long ago. */
    private void closePeriods(final long streamTime) {
        final List<Bytes> forget = new ArrayList<>();
        for (final Iterator<Map.Entry<Bytes, RoyaltyCodecs.LineState>> it = lines.entrySet().iterator();
                it.hasNext(); ) {
            final Map.Entry<Bytes, RoyaltyCodecs.LineState> entry = it.next();
            final RoyaltyCodecs.LineKey key = RoyaltyCodecs.LineKey.fromBytes(entry.getKey().get());
            final RoyaltyCodecs.LineState line = entry.getValue();
            final long closeTime = closeTime(key);
            if (!line.closed && closeTime <= streamTime) {
                line.closed = true;
                line.version++;
                emit(key, RoyaltyRecordKind.FINAL, line.plays, line.units, line.version, streamTime);
                store.put(entry.getKey(), line.toBytes());
                // Its LIVE record would repeat the FINAL one.
                changed.remove(entry.getKey());
                unpublished.remove(entry.getKey());
            } else if (line.closed && closeTime + closedRetentionMs <= streamTime
                    && !changed.containsKey(entry.getKey()) && !unpublished.containsKey(entry.getKey())) {
                forget.add(entry.getKey());
                it.remove();
            }
        }
        forget.forEach(store::delete);
    }

    private long closeTime(final RoyaltyCodecs.LineKey key) {
        return key.endMs() + graceMs;
    }

    private void emit(final RoyaltyCodecs.LineKey key, final RoyaltyRecordKind kind, final long plays,
                      final long units, final long version, final long timestamp) {
        final RoyaltyAggregate aggregate = RoyaltyAggregate.newBuilder()
            .setRightsHolderId(key.rightsHolder())
            .setPeriod(key.period() == RoyaltyCodecs.DAY ? RoyaltyPeriod.DAY : RoyaltyPeriod.MONTH)
            .setPeriodStart(key.start())
            .setPeriodEnd(key.end())
            .setCountry(key.period() == RoyaltyCodecs.DAY ? ReferenceData.country(key.country()) : null)
            .setValidPlays(plays)
            .setAmount(BigDecimal.valueOf(units, 8))
            .setCurrency(currency)
            .setKind(kind)
            .setVersion(version)
            .build();
        context.forward(new Record<>(outputKey(key), aggregate, timestamp));
    }

    /** {@code <rights_holder_id>|<country>|<yyyy-mm-dd>} for days, {@code <rights_holder_id>|<yyyy-mm>} for months. */
    static String outputKey(final RoyaltyCodecs.LineKey key) {
        if (key.period() == RoyaltyCodecs.DAY) {
            return key.rightsHolder() + "|" + ReferenceData.country(key.country()) + "|" + key.start();
        }
        return key.rightsHolder() + "|" + key.start().toString().substring(0, 7);
    }

    /** The lines of one rights holder in a store, for queries. */
    static List<KeyValue<RoyaltyCodecs.LineKey, RoyaltyCodecs.LineState>> linesOf(
            final org.apache.kafka.streams.state.ReadOnlyKeyValueStore<Bytes, byte[]> store, final long rightsHolder) {
        final List<KeyValue<RoyaltyCodecs.LineKey, RoyaltyCodecs.LineState>> result = new ArrayList<>();
        try (KeyValueIterator<Bytes, byte[]> it = store.range(RoyaltyCodecs.LineKey.lowest(rightsHolder),
                RoyaltyCodecs.LineKey.highest(rightsHolder))) {
            it.forEachRemaining(entry -> result.add(KeyValue.pair(RoyaltyCodecs.LineKey.fromBytes(entry.key.get()),
                RoyaltyCodecs.LineState.fromBytes(entry.value))));
        }
        return result;
    }

}
