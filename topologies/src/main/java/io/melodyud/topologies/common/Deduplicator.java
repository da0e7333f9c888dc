package io.melodyud.topologies.common;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.ByteUtils;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Remembers event ids over a horizon of event time, so that a retried or replayed event is counted once. The
 * producers' contract: a retry carries the same id and the same event time, so a point lookup at that instant finds
 * the first copy.
 *
 * <p>Two stores, both named after the deduplicator:
 * <ul>
 *   <li>{@code <name>-index}: every id in the horizon, as a RocksDB window store with <b>no changelog</b> (segments
 *       older than the horizon are dropped whole). It answers the per-event lookups.</li>
 *   <li>{@code <name>-journal}: the same ids, packed: at each commit, the ids first seen since the last commit are
 *       written as a few records of up to {@value #MAX_IDS_PER_RECORD} ids each, keyed by their newest event time.
 *       This store is changelogged, so the ids commit in the transaction that commits the events they belong to;
 *       records whose newest event left the horizon are deleted.</li>
 * </ul>
 * The changelog then carries one record per commit instead of one per event, which was the largest cost of every
 * topology that deduplicates (one more produced record, callback and broker append per event).
 *
 * <p>The index is rebuilt from the journal whenever it cannot be trusted: it is empty after Kafka Streams wiped the
 * task's state (an unclean stop under exactly-once), on a new instance, or on a standby promoted to active (standbys
 * restore only changelogged stores). To know, each commit writes a marker into the index holding the journal's
 * sequence number; on start the two are compared, and on any difference the index is cleared and replayed from the
 * journal. A rebuild reads the journal from local disk (restored by Kafka Streams beforehand) and costs one RocksDB
 * write per id in the horizon.
 *
 * <p>The index is trusted after a crash only because exactly-once Kafka Streams wipes a task's whole state directory
 * when it was not closed cleanly. Under {@code at_least_once} (if an operator overrides the guarantee) an index may
 * keep ids of events processed after the last commit, which are then seen as duplicates when processed again; the
 * changelogged window store this replaced had the same weakness, and at-least-once counts are not exact anyway.
 *
 * <p>An event older than the horizon, relative to the task's stream time, cannot be checked any more; callers must
 * not count it ({@link #beyondHorizon}), and send it to their late-events topic instead.
 *
 * <p>A deduplicator may also keep a small fixed-size payload with each id ({@link #firstSeen(UUID, long, byte[])},
 * {@link #find}), for callers that must look an event up by id later (the ad intake finds a click's impression
 * this way), and may keep ids for longer than its horizon ({@code retentionMs}). The payload then rides in the same
 * index entry and journal record as the id, instead of costing a changelogged store write of its own per event.
 *
 * <p>The owning processor must call {@link #commit(long)} from its {@link CommitHook} callback.
 */
public final class Deduplicator {

    /** Ids per journal record: about 400 KB, well under the 1 MB default record size limits of broker and producer. */
    static final int MAX_IDS_PER_RECORD = 16_384;
    /** An id's bytes in a journal record at most: 16, and a varlong time offset. */
    private static final int MAX_ID_BYTES = 16 + 10;

    private static final Logger LOG = LoggerFactory.getLogger(Deduplicator.class);
    private static final byte[] SEEN = {1};
    /** Journal record formats: ids and times only, or with a fixed-size payload per id. */
    private static final byte FORMAT = 1;
    private static final byte FORMAT_WITH_PAYLOAD = 2;
    private static final byte META_PREFIX = 0;
    private static final byte RECORD_PREFIX = 1;
    private static final Bytes META_KEY = Bytes.wrap(new byte[] {META_PREFIX});
    private static final Bytes FIRST_RECORD = Bytes.wrap(new byte[] {RECORD_PREFIX});
    private static final Bytes AFTER_LAST_RECORD = Bytes.wrap(new byte[] {RECORD_PREFIX + 1});
    /** 17 bytes: never the 16-byte key of an id. */
    private static final Bytes MARKER_KEY = Bytes.wrap(new byte[17]);

    private final WindowStore<Bytes, byte[]> index;
    private final KeyValueStore<Bytes, byte[]> journal;
    private final long horizonMs;
    private final long retentionMs;
    private final int payloadBytes;
    private final String name;

    /** Ids first seen since the last commit, with their event times and payloads. */
    private long[] pendingHigh = new long[1024];
    private long[] pendingLow = new long[1024];
    private long[] pendingTimes = new long[1024];
    private byte[] pendingPayloads;
    private int pendingCount;

    /** The last journal sequence number written, and the stream time of that commit (where the marker is). */
    private long sequence;
    private long markerTime;
    /** The newest event time of the oldest journal record, to know when one has left the horizon. */
    private long oldestRecordTime = Long.MAX_VALUE;

    /**
     * Opens the deduplicator's stores for the processor being initialized, and rebuilds the index from the journal
     * if they disagree. Call from {@code Processor.init}, where the stores are restored.
     */
    public Deduplicator(final ProcessorContext<?, ?> context, final String name, final long horizonMs) {
        this(context, name, horizonMs, horizonMs, 0);
    }

    /**
     * A deduplicator that keeps a payload of {@code payloadBytes} with each id, for {@code retentionMs} (at least the
     * horizon; the stores must have been added with the same retention).
     */
    public Deduplicator(final ProcessorContext<?, ?> context, final String name, final long horizonMs,
                        final long retentionMs, final int payloadBytes) {
        if (payloadBytes < 0 || payloadBytes == SEEN.length) {
            // The index tells an entry without payload by its length.
            throw new IllegalArgumentException("Payloads of " + name + " must be empty or longer than "
                + SEEN.length + " byte");
        }
        if (retentionMs < horizonMs) {
            throw new IllegalArgumentException("Retention " + retentionMs + " ms of " + name
                + " is shorter than its horizon " + horizonMs + " ms");
        }
        this.name = name;
        this.index = context.getStateStore(indexStore(name));
        this.journal = context.getStateStore(journalStore(name));
        this.horizonMs = horizonMs;
        this.retentionMs = retentionMs;
        this.payloadBytes = payloadBytes;
        this.pendingPayloads = new byte[1024 * payloadBytes];
        final byte[] meta = journal.get(META_KEY);
        if (meta != null) {
            final ByteBuffer buffer = ByteBuffer.wrap(meta);
            sequence = buffer.getLong();
            markerTime = buffer.getLong();
        } else {
            sequence = 0;
            markerTime = -1;
        }
        if (!indexMatchesJournal()) {
            rebuildIndex();
        }
        oldestRecordTime = oldestRecordTime();
    }

    /** The name of the unlogged index store of a deduplicator named {@code name}. */
    public static String indexStore(final String name) {
        return name + "-index";
    }

    /** The name of the changelogged journal store of a deduplicator named {@code name}. */
    public static String journalStore(final String name) {
        return name + "-journal";
    }

    /**
     * Adds the two stores a deduplicator named {@code name} needs; connect both to its processor. The retention is
     * its horizon, or longer for one that keeps ids findable after the horizon.
     */
    public static void addStores(final StreamsBuilder builder, final String name, final long retentionMs) {
        builder.addStateStore(Stores.windowStoreBuilder(
                Stores.persistentWindowStore(indexStore(name), Duration.ofMillis(retentionMs), Duration.ofMillis(1),
                    false),
                Serdes.Bytes(), Serdes.ByteArray())
            .withLoggingDisabled());
        builder.addStateStore(Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(journalStore(name)), Serdes.Bytes(), Serdes.ByteArray()));
    }

    /** True when the event can no longer be checked: older than the horizon behind {@code streamTimeMs}. */
    public boolean beyondHorizon(final long eventTimeMs, final long streamTimeMs) {
        return eventTimeMs < streamTimeMs - horizonMs;
    }

    /**
     * True the first time an id is seen at this event time, and then remembers it; false for a duplicate. Call only
     * for events within the horizon.
     */
    public boolean firstSeen(final UUID id, final long eventTimeMs) {
        if (payloadBytes != 0) {
            throw new IllegalStateException(name + " keeps a payload with each id");
        }
        return remember(id, eventTimeMs, SEEN);
    }

    /**
     * As {@link #firstSeen(UUID, long)}, keeping {@code payload} (exactly the deduplicator's payload size) with the
     * id when it is new, for {@link #find}.
     */
    public boolean firstSeen(final UUID id, final long eventTimeMs, final byte[] payload) {
        if (payload.length != payloadBytes || payloadBytes == 0) {
            throw new IllegalArgumentException(name + " keeps payloads of " + payloadBytes + " bytes, not "
                + payload.length);
        }
        return remember(id, eventTimeMs, payload);
    }

    /**
     * The payload kept with {@code id} by the newest first sighting in {@code [fromMs, toMs]}, with its event
     * time; null when there is none (or its entry predates payloads: written by an older version).
     */
    public KeyValue<Long, byte[]> find(final UUID id, final long fromMs, final long toMs) {
        KeyValue<Long, byte[]> found = null;
        try (WindowStoreIterator<byte[]> sightings = index.fetch(key(id), fromMs, toMs)) {
            while (sightings.hasNext()) {
                final KeyValue<Long, byte[]> sighting = sightings.next();
                if (sighting.value.length == payloadBytes) {
                    found = sighting;
                }
            }
        }
        return found;
    }

    private boolean remember(final UUID id, final long eventTimeMs, final byte[] payload) {
        final Bytes key = key(id);
        if (index.fetch(key, eventTimeMs) != null) {
            return false;
        }
        index.put(key, payload, eventTimeMs);
        if (pendingCount == pendingHigh.length) {
            final int size = pendingCount * 2;
            pendingHigh = Arrays.copyOf(pendingHigh, size);
            pendingLow = Arrays.copyOf(pendingLow, size);
            pendingTimes = Arrays.copyOf(pendingTimes, size);
            pendingPayloads = Arrays.copyOf(pendingPayloads, size * payloadBytes);
        }
        pendingHigh[pendingCount] = id.getMostSignificantBits();
        pendingLow[pendingCount] = id.getLeastSignificantBits();
        pendingTimes[pendingCount] = eventTimeMs;
        if (payloadBytes != 0) {
            System.arraycopy(payload, 0, pendingPayloads, pendingCount * payloadBytes, payloadBytes);
        }
        pendingCount++;
        return true;
    }

    /**
     * Journals the ids first seen since the last commit and forgets journal records that left the horizon. Call
     * from the owning processor's {@link CommitHook} callback, so that the journal commits with the events.
     */
    public void commit(final long streamTimeMs) {
        boolean changed = false;
        long newestJournaled = Long.MIN_VALUE;
        // Payloads shrink the records' id count, so that they stay as large in bytes as without.
        final int idsPerRecord = MAX_IDS_PER_RECORD * MAX_ID_BYTES / (MAX_ID_BYTES + payloadBytes);
        for (int from = 0; from < pendingCount; from += idsPerRecord) {
            final int to = Math.min(pendingCount, from + idsPerRecord);
            long newest = Long.MIN_VALUE;
            for (int i = from; i < to; i++) {
                newest = Math.max(newest, pendingTimes[i]);
            }
            sequence++;
            journal.put(recordKey(newest, sequence), encode(from, to));
            oldestRecordTime = Math.min(oldestRecordTime, newest);
            newestJournaled = Math.max(newestJournaled, newest);
            changed = true;
        }
        pendingCount = 0;
        if (pendingHigh.length > 64 * 1024) {
            // A burst grew the buffers; give the memory back rather than hold it for the life of the task.
            pendingHigh = new long[1024];
            pendingLow = new long[1024];
            pendingTimes = new long[1024];
            pendingPayloads = new byte[1024 * payloadBytes];
        }
        // Before the first event the caller's clock may be unknown (negative): nothing can have expired.
        final long cutoff = streamTimeMs < 0 ? Long.MIN_VALUE : streamTimeMs - retentionMs;
        if (oldestRecordTime < cutoff) {
            expireRecords(cutoff);
            changed = true;
        }
        if (changed) {
            // The marker sits at the newest time the index has seen, so that its segment is never the one dropped.
            markerTime = Math.max(markerTime, Math.max(streamTimeMs, newestJournaled));
            journal.put(META_KEY, ByteBuffer.allocate(16).putLong(sequence).putLong(markerTime).array());
            index.put(MARKER_KEY, ByteBuffer.allocate(8).putLong(sequence).array(), markerTime);
        }
    }

    /** The 16 bytes of a UUID, most significant first: the index key. */
    public static Bytes key(final UUID id) {
        return Bytes.wrap(ByteBuffer.allocate(16).putLong(id.getMostSignificantBits())
            .putLong(id.getLeastSignificantBits()).array());
    }

    private boolean indexMatchesJournal() {
        if (markerTime < 0) {
            // Nothing journaled: the index must be empty too (it may hold ids from a reset application).
            try (KeyValueIterator<Windowed<Bytes>, byte[]> all = index.all()) {
                return !all.hasNext();
            }
        }
        final byte[] marker = index.fetch(MARKER_KEY, markerTime);
        return marker != null && ByteBuffer.wrap(marker).getLong() == sequence;
    }

    private void rebuildIndex() {
        final long started = System.nanoTime();
        long cleared = 0;
        try (KeyValueIterator<Windowed<Bytes>, byte[]> all = index.all()) {
            while (all.hasNext()) {
                final KeyValue<Windowed<Bytes>, byte[]> entry = all.next();
                index.put(entry.key.key(), null, entry.key.window().start());
                cleared++;
            }
        }
        final long cutoff = markerTime - retentionMs;
        long ids = 0;
        try (KeyValueIterator<Bytes, byte[]> records = journal.range(FIRST_RECORD, AFTER_LAST_RECORD)) {
            while (records.hasNext()) {
                final ByteBuffer value = ByteBuffer.wrap(records.next().value);
                final byte format = value.get();
                if (format != FORMAT && format != FORMAT_WITH_PAYLOAD) {
                    throw new IllegalStateException("Unknown journal record format " + format + " in store "
                        + journalStore(name));
                }
                final int count = ByteUtils.readVarint(value);
                final long oldest = value.getLong();
                final int recordPayloadBytes = format == FORMAT_WITH_PAYLOAD ? ByteUtils.readVarint(value) : 0;
                for (int i = 0; i < count; i++) {
                    final byte[] id = new byte[16];
                    value.get(id);
                    final long time = oldest + ByteUtils.readVarlong(value);
                    byte[] payload = SEEN;
                    if (recordPayloadBytes > 0) {
                        payload = new byte[recordPayloadBytes];
                        value.get(payload);
                    }
                    if (time >= cutoff) {
                        index.put(Bytes.wrap(id), payload, time);
                        ids++;
                    }
                }
            }
        }
        if (markerTime >= 0) {
            index.put(MARKER_KEY, ByteBuffer.allocate(8).putLong(sequence).array(), markerTime);
        }
        LOG.info("Deduplication index {} rebuilt from its journal: {} stale entries cleared, {} ids restored in {} ms",
            indexStore(name), cleared, ids, (System.nanoTime() - started) / 1_000_000);
    }

    private void expireRecords(final long cutoff) {
        final List<Bytes> expired = new ArrayList<>();
        long oldestKept = Long.MAX_VALUE;
        try (KeyValueIterator<Bytes, byte[]> records = journal.range(FIRST_RECORD, AFTER_LAST_RECORD)) {
            while (records.hasNext()) {
                final Bytes key = records.next().key;
                final long newest = recordTime(key);
                if (newest >= cutoff) {
                    oldestKept = newest;
                    break;
                }
                expired.add(key);
            }
        }
        expired.forEach(journal::delete);
        oldestRecordTime = oldestKept;
    }

    private long oldestRecordTime() {
        try (KeyValueIterator<Bytes, byte[]> records = journal.range(FIRST_RECORD, AFTER_LAST_RECORD)) {
            return records.hasNext() ? recordTime(records.peekNextKey()) : Long.MAX_VALUE;
        }
    }

    /** Records sort by their newest event time (sign bit flipped, so that byte order is numeric order). */
    private static Bytes recordKey(final long newestEventTime, final long sequence) {
        return Bytes.wrap(ByteBuffer.allocate(17).put(RECORD_PREFIX).putLong(newestEventTime ^ Long.MIN_VALUE)
            .putLong(sequence).array());
    }

    private static long recordTime(final Bytes key) {
        return ByteBuffer.wrap(key.get()).getLong(1) ^ Long.MIN_VALUE;
    }

    /**
     * Format 1: count (varint), oldest event time, then per id its 16 bytes and its time after the oldest (varlong).
     * Format 2 adds the payload size (varint) after the oldest time, and each id's payload after its time.
     */
    private byte[] encode(final int from, final int to) {
        long oldest = Long.MAX_VALUE;
        for (int i = from; i < to; i++) {
            oldest = Math.min(oldest, pendingTimes[i]);
        }
        final ByteBuffer buffer = ByteBuffer.allocate(1 + 5 + 8 + 5 + (to - from) * (MAX_ID_BYTES + payloadBytes));
        buffer.put(payloadBytes == 0 ? FORMAT : FORMAT_WITH_PAYLOAD);
        ByteUtils.writeVarint(to - from, buffer);
        buffer.putLong(oldest);
        if (payloadBytes != 0) {
            ByteUtils.writeVarint(payloadBytes, buffer);
        }
        for (int i = from; i < to; i++) {
            buffer.putLong(pendingHigh[i]).putLong(pendingLow[i]);
            ByteUtils.writeVarlong(pendingTimes[i] - oldest, buffer);
            if (payloadBytes != 0) {
                buffer.put(pendingPayloads, i * payloadBytes, payloadBytes);
            }
        }
        return Arrays.copyOf(buffer.array(), buffer.position());
    }
}
