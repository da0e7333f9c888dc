package io.melodyud.topologies.common;

import java.util.Arrays;

/**
 * A map from long to long with open addressing, for the per-commit counts the processors keep between commits.
 * A {@code HashMap<Long, ...>} boxes every key it is asked about and allocates a node per entry; on the play path
 * that was several allocations per event. {@link #clear()} keeps the arrays, so a map reused from one commit to the
 * next stops allocating once it has grown to the size of a commit.
 *
 * <p>Not thread-safe; iteration order is unspecified.
 */
public final class LongLongMap {

    /** Receives the entries of {@link #forEach}. */
    @FunctionalInterface
    public interface EntryConsumer {
        void accept(long key, long value);
    }

    private static final int MIN_CAPACITY = 16;

    private long[] keys;
    private long[] values;
    private boolean[] used;
    private int size;
    private int mask;

    public LongLongMap() {
        this(MIN_CAPACITY);
    }

    public LongLongMap(final int expectedSize) {
        allocate(tableSizeFor(expectedSize));
    }

    public int size() {
        return size;
    }

    public boolean isEmpty() {
        return size == 0;
    }

    /** The value of {@code key}, or {@code missing} when it has none. */
    public long get(final long key, final long missing) {
        int slot = slotOf(key);
        while (used[slot]) {
            if (keys[slot] == key) {
                return values[slot];
            }
            slot = (slot + 1) & mask;
        }
        return missing;
    }

    /** Sets the value of {@code key}. */
    public void put(final long key, final long value) {
        final int slot = findOrInsert(key, 0L);
        values[slot] = value;
    }

    /** Adds {@code delta} to the value of {@code key} (0 when absent) and returns the new value. */
    public long addTo(final long key, final long delta) {
        final int slot = findOrInsert(key, 0L);
        values[slot] += delta;
        return values[slot];
    }

    /**
     * The value of {@code key}; when absent, stores and returns {@code valueIfAbsent} (which callers use as an index
     * into their own pools of objects, so that the map never holds references).
     */
    public long putIfAbsent(final long key, final long valueIfAbsent) {
        // Not values[findOrInsert(...)]: Java reads the array field before the call, which may replace it.
        final int slot = findOrInsert(key, valueIfAbsent);
        return values[slot];
    }

    public void forEach(final EntryConsumer consumer) {
        for (int slot = 0; slot < keys.length; slot++) {
            if (used[slot]) {
                consumer.accept(keys[slot], values[slot]);
            }
        }
    }

    /**
     * Removes every entry. Keeps the capacity when it fits what the map held, and shrinks it to that otherwise: a
     * map reused for something smaller (a tail track's counts after a hot track's) must not keep clearing and
     * scanning a table sized for the larger.
     */
    public void clear() {
        if (size == 0) {
            return;
        }
        final int fitting = tableSizeFor(size);
        if (keys.length > 4 * fitting) {
            allocate(fitting);
        } else {
            Arrays.fill(used, false);
        }
        size = 0;
    }

    private int findOrInsert(final long key, final long initial) {
        int slot = slotOf(key);
        while (used[slot]) {
            if (keys[slot] == key) {
                return slot;
            }
            slot = (slot + 1) & mask;
        }
        // At most half full: linear probing needs about 2.5 probes to miss at half, 8.5 at three quarters.
        if ((size + 1) * 2 > keys.length) {
            grow();
            return findOrInsert(key, initial);
        }
        used[slot] = true;
        keys[slot] = key;
        values[slot] = initial;
        size++;
        return slot;
    }

    private int slotOf(final long key) {
        // Keys are often multiples of a window size, or small sequential ids: mix the bits before masking.
        long h = key * 0x9E3779B97F4A7C15L;
        h ^= h >>> 32;
        return (int) h & mask;
    }

    private void grow() {
        final long[] oldKeys = keys;
        final long[] oldValues = values;
        final boolean[] oldUsed = used;
        allocate(keys.length * 2);
        size = 0;
        for (int slot = 0; slot < oldKeys.length; slot++) {
            if (oldUsed[slot]) {
                values[findOrInsert(oldKeys[slot], 0L)] = oldValues[slot];
            }
        }
    }

    private void allocate(final int capacity) {
        keys = new long[capacity];
        values = new long[capacity];
        used = new boolean[capacity];
        mask = capacity - 1;
    }

    private static int tableSizeFor(final int expectedSize) {
        final int wanted = Math.max(MIN_CAPACITY, (int) Math.min(1 << 30, (long) expectedSize * 2 + 1));
        return Integer.highestOneBit(wanted - 1) << 1;
    }
}
