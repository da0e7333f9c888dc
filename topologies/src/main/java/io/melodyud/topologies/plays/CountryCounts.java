package io.melodyud.topologies.plays;

import java.nio.ByteBuffer;
import java.util.Arrays;
import org.apache.kafka.common.utils.ByteUtils;

/**
 * The counts of one track in one window, per country (country code 0 is worldwide): the value of the counting
 * stage's window-count store. One record per (window, track) instead of one per (window, country, track) divides
 * the store's changelog records by the number of countries a track was played in during a commit, plus one for the
 * worldwide count; the changelog was the largest cost of counting (a produced record per changed count).
 *
 * <p>It also remembers which countries changed since {@link #clearChanged()}, so that only those are published.
 */
final class CountryCounts {

    private static final byte FORMAT = 1;

    private short[] countries;
    private long[] counts;
    private boolean[] changed;
    private int size;

    CountryCounts() {
        this(4);
    }

    private CountryCounts(final int capacity) {
        countries = new short[capacity];
        counts = new long[capacity];
        changed = new boolean[capacity];
    }

    /** Adds {@code add} to a country's count and returns the new count. */
    long add(final short country, final long add) {
        int i = indexOf(country);
        if (i < 0) {
            if (size == countries.length) {
                countries = Arrays.copyOf(countries, size * 2);
                counts = Arrays.copyOf(counts, size * 2);
                changed = Arrays.copyOf(changed, size * 2);
            }
            i = size++;
            countries[i] = country;
            counts[i] = 0;
        }
        counts[i] += add;
        changed[i] = true;
        return counts[i];
    }

    /** A country's count, 0 when it has none. */
    long get(final short country) {
        final int i = indexOf(country);
        return i < 0 ? 0 : counts[i];
    }

    int size() {
        return size;
    }

    short country(final int i) {
        return countries[i];
    }

    long count(final int i) {
        return counts[i];
    }

    boolean changed(final int i) {
        return changed[i];
    }

    void clearChanged() {
        Arrays.fill(changed, 0, size, false);
    }

    private int indexOf(final short country) {
        // A handful of countries per track and window: a scan beats hashing.
        for (int i = 0; i < size; i++) {
            if (countries[i] == country) {
                return i;
            }
        }
        return -1;
    }

    /** Format 1: the number of countries (varint), then per country its code (2 bytes) and count (varlong). */
    byte[] encode() {
        final ByteBuffer buffer = ByteBuffer.allocate(1 + 5 + size * (2 + 10));
        buffer.put(FORMAT);
        ByteUtils.writeVarint(size, buffer);
        for (int i = 0; i < size; i++) {
            buffer.putShort(countries[i]);
            ByteUtils.writeVarlong(counts[i], buffer);
        }
        return Arrays.copyOf(buffer.array(), buffer.position());
    }

    static CountryCounts decode(final byte[] bytes) {
        final ByteBuffer buffer = ByteBuffer.wrap(bytes);
        if (buffer.get() != FORMAT) {
            throw new IllegalStateException("Unknown window-count format " + bytes[0]);
        }
        final int size = ByteUtils.readVarint(buffer);
        final CountryCounts counts = new CountryCounts(Math.max(4, size));
        for (int i = 0; i < size; i++) {
            counts.countries[i] = buffer.getShort();
            counts.counts[i] = ByteUtils.readVarlong(buffer);
        }
        counts.size = size;
        return counts;
    }
}
