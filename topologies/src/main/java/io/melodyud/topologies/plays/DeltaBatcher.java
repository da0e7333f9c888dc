package io.melodyud.topologies.plays;

import java.util.ArrayList;
import java.util.List;

/**
 * Groups the intake's per-track deltas of one commit by bucket of tracks ({@link InternalCodecs#bucketOf}), one
 * {@link InternalCodecs.DeltaBatch} per bucket. A bucket's batch leaves as soon as it reaches {@code maxBytes}
 * encoded, so that a record stays far below the producer's and broker's 1 MB limits whatever the number of tracks,
 * windows and countries of a commit; the rest leaves with {@link #drain}.
 */
final class DeltaBatcher {

    /** Receives a bucket's batch. */
    @FunctionalInterface
    interface Sink {
        void send(int bucket, InternalCodecs.DeltaBatch batch);
    }

    static final int MAX_BATCH_BYTES = 256 * 1024;

    private final int maxBytes;
    @SuppressWarnings("unchecked")
    private final List<InternalCodecs.TrackDelta>[] buckets = new List[InternalCodecs.DELTA_BUCKETS];
    private final int[] bytes = new int[InternalCodecs.DELTA_BUCKETS];

    DeltaBatcher(final int maxBytes) {
        this.maxBytes = maxBytes;
    }

    void add(final InternalCodecs.TrackDelta delta, final Sink sink) {
        final int bucket = InternalCodecs.bucketOf(delta.track());
        if (buckets[bucket] == null) {
            buckets[bucket] = new ArrayList<>();
        }
        buckets[bucket].add(delta);
        bytes[bucket] += InternalCodecs.encodedSize(delta.windows().size());
        if (bytes[bucket] >= maxBytes) {
            send(bucket, sink);
        }
    }

    /** Sends every bucket's remaining deltas. */
    void drain(final Sink sink) {
        for (int bucket = 0; bucket < buckets.length; bucket++) {
            if (buckets[bucket] != null && !buckets[bucket].isEmpty()) {
                send(bucket, sink);
            }
        }
    }

    private void send(final int bucket, final Sink sink) {
        sink.send(bucket, new InternalCodecs.DeltaBatch(buckets[bucket]));
        buckets[bucket] = new ArrayList<>();
        bytes[bucket] = 0;
    }
}
