package io.melodyud.topologies.plays;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The top {@code capacity} tracks by count, ordered by count descending then track id ascending (so ties always
 * rank the same way). Exact for counts that only grow: a track outside the list can only enter it when its own
 * count rises, and then it is offered again.
 */
public final class TopList {

    private final int capacity;
    private long[] tracks;
    private long[] counts;
    private int size;

    public TopList(final int capacity) {
        this(capacity, new long[Math.min(capacity, 16)], new long[Math.min(capacity, 16)], 0);
    }

    private TopList(final int capacity, final long[] tracks, final long[] counts, final int size) {
        this.capacity = capacity;
        this.tracks = tracks;
        this.counts = counts;
        this.size = size;
    }

    public int size() {
        return size;
    }

    public int capacity() {
        return capacity;
    }

    public long track(final int rank) {
        return tracks[rank];
    }

    public long count(final int rank) {
        return counts[rank];
    }

    /**
     * Records that {@code track} now has {@code count} plays (never less than before). Returns whether the list
     * changed.
     */
    public boolean offer(final long track, final long count) {
        if (size == capacity && !ranksBefore(track, count, tracks[size - 1], counts[size - 1])) {
            // Most offers are tail tracks that stay out of a full list. Because counts only grow, a track already
            // listed ranks at least where it did, so one that does not beat the last entry is not listed, or is
            // that entry unchanged: either way nothing changes, and the scan below is spared.
            return false;
        }
        int index = indexOf(track);
        if (index >= 0) {
            if (counts[index] == count) {
                return false;
            }
            counts[index] = count;
        } else {
            if (size == capacity) {
                index = size - 1;
            } else {
                grow();
                index = size++;
            }
            tracks[index] = track;
            counts[index] = count;
        }
        // Counts only grow, so an entry only ever moves towards the head.
        while (index > 0 && ranksBefore(tracks[index], counts[index], tracks[index - 1], counts[index - 1])) {
            swap(index, index - 1);
            index--;
        }
        return true;
    }

    /** Merges disjoint partial lists (each track in at most one) into the top {@code capacity} overall. */
    public static TopList merge(final int capacity, final Iterable<TopList> parts) {
        final TopList merged = new TopList(capacity);
        for (final TopList part : parts) {
            for (int i = 0; i < part.size; i++) {
                merged.offer(part.tracks[i], part.counts[i]);
            }
        }
        return merged;
    }

    static boolean ranksBefore(final long trackA, final long countA, final long trackB, final long countB) {
        return countA > countB || (countA == countB && trackA < trackB);
    }

    private int indexOf(final long track) {
        for (int i = 0; i < size; i++) {
            if (tracks[i] == track) {
                return i;
            }
        }
        return -1;
    }

    private void grow() {
        if (size == tracks.length) {
            final int length = Math.min(capacity, tracks.length * 2);
            tracks = Arrays.copyOf(tracks, length);
            counts = Arrays.copyOf(counts, length);
        }
    }

    private void swap(final int a, final int b) {
        final long t = tracks[a];
        tracks[a] = tracks[b];
        tracks[b] = t;
        final long c = counts[a];
        counts[a] = counts[b];
        counts[b] = c;
    }

    /** Bytes written by {@link #writeTo}. */
    public int encodedSize() {
        return 8 + 16 * size;
    }

    public void writeTo(final ByteBuffer buffer) {
        buffer.putInt(capacity).putInt(size);
        for (int i = 0; i < size; i++) {
            buffer.putLong(tracks[i]).putLong(counts[i]);
        }
    }

    public static TopList readFrom(final ByteBuffer buffer) {
        final int capacity = buffer.getInt();
        final int size = buffer.getInt();
        final long[] tracks = new long[Math.max(size, 1)];
        final long[] counts = new long[Math.max(size, 1)];
        for (int i = 0; i < size; i++) {
            tracks[i] = buffer.getLong();
            counts[i] = buffer.getLong();
        }
        return new TopList(capacity, tracks, counts, size);
    }

    @Override
    public boolean equals(final Object o) {
        if (!(o instanceof TopList other) || other.size != size) {
            return false;
        }
        for (int i = 0; i < size; i++) {
            if (tracks[i] != other.tracks[i] || counts[i] != other.counts[i]) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        int h = size;
        for (int i = 0; i < size; i++) {
            h = 31 * h + Long.hashCode(tracks[i]) + 7 * Long.hashCode(counts[i]);
        }
        return h;
    }

    @Override
    public String toString() {
        final StringBuilder s = new StringBuilder("[");
        for (int i = 0; i < size; i++) {
            s.append(i == 0 ? "" : ", ").append(tracks[i]).append('=').append(counts[i]);
        }
        return s.append(']').toString();
    }
}
