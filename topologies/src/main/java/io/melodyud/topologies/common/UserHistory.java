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
 */
public final class UserHistory {

    /** Versions kept per user. */
    public static final int MAX_VERSIONS = 8;
    private static final int VERSION_BYTES = 8 + 1 + 2;

    private final KeyValueStore<Long, byte[]> store;

    public UserHistory(final KeyValueStore<Long, byte[]> store) {
        this.store = store;
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
            return;
        }
        final long validFrom = user.getUpdatedAt().toEpochMilli();
        final byte[] current = store.get(userId);
        final int count = current == null ? 0 : current.length / VERSION_BYTES;
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
        store.put(userId, Arrays.copyOf(out.array(), out.position()));
    }

    /** The version valid at {@code asOfMs}, or null for a user never seen (or erased). */
    public Version asOf(final long userId, final long asOfMs) {
        final byte[] versions = store.get(userId);
        if (versions == null || versions.length == 0) {
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

    private static Version read(final long from, final ByteBuffer version, final boolean beforeOldest) {
        final byte tier = version.get();
        final short country = version.getShort();
        return new Version(from, Tier.values()[tier], new String(new char[] {(char) ((country >>> 8) & 0xff),
            (char) (country & 0xff)}), beforeOldest);
    }

    private static void put(final ByteBuffer out, final long validFrom, final User user) {
        final String country = user.getCountry();
        final short code = country.length() == 2 ? (short) ((country.charAt(0) << 8) | country.charAt(1)) : 0;
        out.putLong(validFrom).put((byte) user.getTier().ordinal()).putShort(code);
    }
}
