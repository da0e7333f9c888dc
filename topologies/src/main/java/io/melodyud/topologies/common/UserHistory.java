package io.melodyud.topologies.common;

import io.melodyud.avro.cdc.User;
import io.melodyud.avro.common.Tier;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * A user's tier and country as they were at a given time: the versioned view of the users table that ad reports
 * and royalties need ("the tier when the ad was served", "the country and tier when the play started").
 *
 * <p>Why not Kafka Streams' versioned store: GDPR erasure. A tombstone on the users topic must leave no user-level
 * data behind, and a versioned store keeps the old versions of a deleted key until its history retention has
 * passed. Here a user's whole history is one value, so a tombstone deletes it at once (changelog included, by
 * compaction). A versioned store also drops writes older than its history retention, which the snapshot's rows (an
 * {@code updated_at} months ago) would be.
 *
 * <p>Versions are keyed by {@code updated_at} and kept newest first, at most {@link #MAX_VERSIONS} per user:
 * older ones only matter for events older than the grace periods, which are not priced any more. A lookup before
 * the oldest known version returns the oldest one: a user snapshotted after their last change has no older version,
 * and the oldest known is the best evidence (counted by callers when they care).
 *
 * <p>Reads go through a small direct-mapped cache in front of the store (one slot per hash of the user id, the
 * latest user read or written there wins), because every impression and every play looks its user up: in the ad
 * benchmark the store's native {@code get} was a fifth of the stream threads' time. All writes go through this
 * object, so the cache never disagrees with the store; an erasure clears the user's slot with the store.
 */
public final class UserHistory {

    /** Versions kept per user. */
    public static final int MAX_VERSIONS = 8;
    private static final int VERSION_BYTES = 8 + 1 + 2;

    /** Cache slots per task: about 100 bytes each when full, so about 3 MB. */
    public static final int DEFAULT_CACHE_SLOTS = 1 << 15;
    private static final byte[] ABSENT = new byte[0];
    /** {@code Tier.values()} copies the array at every call. */
    private static final Tier[] TIERS = Tier.values();

    private final KeyValueStore<Long, byte[]> store;
    private final long[] cachedIds;
    /** A user's versions as stored; {@link #ABSENT} for a user known not to be in the store; null for a free slot. */
    private final byte[][] cachedVersions;
    private final int shift;

    public UserHistory(final KeyValueStore<Long, byte[]> store) {
        this(store, DEFAULT_CACHE_SLOTS);
    }

    /** @param cacheSlots a power of two */
    public UserHistory(final KeyValueStore<Long, byte[]> store, final int cacheSlots) {
        if (Integer.bitCount(cacheSlots) != 1) {
            throw new IllegalArgumentException("cache slots must be a power of two, not " + cacheSlots);
        }
        this.store = store;
        this.cachedIds = new long[cacheSlots];
        this.cachedVersions = new byte[cacheSlots][];
        this.shift = 64 - Integer.numberOfTrailingZeros(cacheSlots);
    }

    public static StoreBuilder<KeyValueStore<Long, byte[]>> storeBuilder(final String name) {
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(name), Serdes.Long(), Serdes.ByteArray());
    }

    /** One version: the tier and country valid from {@code validFrom} on. */
    public record Version(long validFrom, Tier tier, String country, boolean beforeOldest) {
    }

    /**
     * Applies one change of the users topic: a new version, or, for a tombstone ({@code user == null}), erasure of
     * everything known about the user. A replayed version replaces itself; an out-of-order one takes its place in
     * time.
     */
    public void apply(final long userId, final User user) {
        if (user == null) {
            store.delete(userId);
            cache(userId, ABSENT);
            return;
        }
        final long validFrom = user.getUpdatedAt().toEpochMilli();
        final byte[] current = versions(userId);
        final int count = current.length / VERSION_BYTES;
        final ByteBuffer out = ByteBuffer.allocate(Math.min(count + 1, MAX_VERSIONS) * VERSION_BYTES);
        boolean added = false;
        for (int i = 0; i < count && out.hasRemaining(); i++) {
            final long from = ByteBuffer.wrap(current, i * VERSION_BYTES, 8).getLong();
            if (!added && validFrom >= from) {
                put(out, validFrom, user);
                added = true;
                if (validFrom == from) {
                    // The same instant twice: the later change in the log replaces the earlier one.
                    continue;
                }
                if (!out.hasRemaining()) {
                    break;
                }
            }
            out.put(current, i * VERSION_BYTES, VERSION_BYTES);
        }
        if (!added && out.hasRemaining()) {
            put(out, validFrom, user);
        }
        final byte[] updated = Arrays.copyOf(out.array(), out.position());
        store.put(userId, updated);
        cache(userId, updated);
    }

    /** The version valid at {@code asOfMs}, or null for a user never seen (or erased). */
    public Version asOf(final long userId, final long asOfMs) {
        final byte[] versions = versions(userId);
        if (versions.length == 0) {
            return null;
        }
        final int count = versions.length / VERSION_BYTES;
        for (int i = 0; i < count; i++) {
            final ByteBuffer version = ByteBuffer.wrap(versions, i * VERSION_BYTES, VERSION_BYTES);
            final long from = version.getLong();
            if (from <= asOfMs) {
                return read(from, version, false);
            }
        }
        final ByteBuffer oldest = ByteBuffer.wrap(versions, (count - 1) * VERSION_BYTES, VERSION_BYTES);
        return read(oldest.getLong(), oldest, true);
    }

    /** The user's stored versions, {@link #ABSENT} when none: from the cache, or read and cached. */
    private byte[] versions(final long userId) {
        final int slot = slot(userId);
        final byte[] cached = cachedVersions[slot];
        if (cached != null && cachedIds[slot] == userId) {
            return cached;
        }
        final byte[] stored = store.get(userId);
        final byte[] versions = stored == null ? ABSENT : stored;
        cachedIds[slot] = userId;
        cachedVersions[slot] = versions;
        return versions;
    }

    private void cache(final long userId, final byte[] versions) {
        final int slot = slot(userId);
        cachedIds[slot] = userId;
        cachedVersions[slot] = versions;
    }

    /** Fibonacci hashing: ids are often sequential, and neighbours must not share slots. */
    private int slot(final long userId) {
        return shift == 64 ? 0 : (int) ((userId * 0x9E3779B97F4A7C15L) >>> shift);
    }

    private static Version read(final long from, final ByteBuffer version, final boolean beforeOldest) {
        final byte tier = version.get();
        final short country = version.getShort();
        return new Version(from, TIERS[tier], new String(new char[] {(char) ((country >>> 8) & 0xff),
            (char) (country & 0xff)}), beforeOldest);
    }

    private static void put(final ByteBuffer out, final long validFrom, final User user) {
        final String country = user.getCountry();
        final short code = country.length() == 2 ? (short) ((country.charAt(0) << 8) | country.charAt(1)) : 0;
        out.putLong(validFrom).put((byte) user.getTier().ordinal()).putShort(code);
    }
}
