package io.melodyud.topologies.common;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.UUID;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;

/**
 * Remembers event ids over a horizon of event time, so that a retried or replayed event is counted once. The
 * producers' contract: a retry carries the same id and the same event time, so a point lookup at that instant finds
 * the first copy. Ids live in a changelogged window store (segments older than the horizon are dropped whole), which
 * makes the memory exact after a crash: the store and the task's output commit in the same transaction.
 *
 * <p>An event older than the horizon, relative to the task's stream time, cannot be checked any more; callers must
 * not count it ({@link #beyondHorizon}), and send it to their late-events topic instead.
 */
public final class Deduplicator {

    private static final byte[] SEEN = {1};

    private final WindowStore<Bytes, byte[]> store;
    private final long horizonMs;

    public Deduplicator(final WindowStore<Bytes, byte[]> store, final long horizonMs) {
        this.store = store;
        this.horizonMs = horizonMs;
    }

    /** The store a {@code Deduplicator} named {@code name} needs; add it to the topology and to its processor. */
    public static StoreBuilder<WindowStore<Bytes, byte[]>> storeBuilder(final String name, final long horizonMs) {
        return Stores.windowStoreBuilder(
            Stores.persistentWindowStore(name, Duration.ofMillis(horizonMs), Duration.ofMillis(1), false),
            Serdes.Bytes(), Serdes.ByteArray());
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
        final Bytes key = key(id);
        if (store.fetch(key, eventTimeMs) != null) {
            return false;
        }
        store.put(key, SEEN, eventTimeMs);
        return true;
    }

    /** The 16 bytes of a UUID, most significant first: the store key. */
    public static Bytes key(final UUID id) {
        return Bytes.wrap(ByteBuffer.allocate(16).putLong(id.getMostSignificantBits())
            .putLong(id.getLeastSignificantBits()).array());
    }
}
