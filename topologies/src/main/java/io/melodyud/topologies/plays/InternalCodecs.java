package io.melodyud.topologies.plays;

import io.melodyud.topologies.common.ChartWindowSize;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.StreamPartitioner;

/**
 * Compact binary encodings of the records between the application's stages and in its stores. They never leave
 * the application (its repartition topics and changelogs), so they trade the registry's evolvability for speed;
 * a change of layout needs a new application id or a reset.
 */
final class InternalCodecs {

    /** Two-letter ISO country, or GLOBAL for the worldwide chart (stored as two zero bytes). */
    static final String GLOBAL = "GLOBAL";

    private InternalCodecs() {
    }

    static short countryCode(final String country) {
        if (GLOBAL.equals(country)) {
            return 0;
        }
        return (short) ((country.charAt(0) << 8) | country.charAt(1));
    }

    static String country(final short code) {
        if (code == 0) {
            return GLOBAL;
        }
        return new String(new char[] {(char) ((code >>> 8) & 0xff), (char) (code & 0xff)});
    }

    /** Counts one input task adds for one track since its last flush. */
    record TrackDelta(long track, long total, List<WindowDelta> windows) {
    }

    /**
     * The number of buckets tracks are hashed into between the intake and counting stages. It decides which counting
     * task owns a track (bucket modulo the partitions of the delta topic), so it never changes: a different value
     * would move tracks away from their counts. 240 divides evenly by every partition count up to 6 and by 8, 10,
     * 12, 15, 16, 20, 24, 30, 40, 48 and 60; other counts get buckets within one of each other.
     */
    static final int DELTA_BUCKETS = 240;

    /** The bucket of a track: a fixed mix of its id, so that consecutive ids spread over the buckets. */
    static int bucketOf(final long track) {
        return (int) (((track * 0x9E3779B97F4A7C15L) >>> 33) % DELTA_BUCKETS);
    }

    /** Sends a bucket's deltas to the partition that owns it. */
    static final StreamPartitioner<Long, DeltaBatch> BUCKET_PARTITIONER =
        (topic, bucket, batch, partitions) -> Optional.of(Set.of((int) (bucket % partitions)));

    /** Bytes one track's delta takes in a {@link DeltaBatch}: track, total, window count, then 19 per window. */
    static int encodedSize(final int windows) {
        return 20 + windows * 19;
    }

    /** The partition of the counting stage that owns a track: for interactive queries of its counts. */
    static final StreamPartitioner<Long, Object> TRACK_OWNER =
        (topic, track, value, partitions) -> BUCKET_PARTITIONER.partitions(topic, (long) bucketOf(track), null,
            partitions);

    /**
     * The deltas one input task sends, at a commit, for the tracks of one bucket: one record for many tracks, where
     * one record per track made the delta topic the busiest of the application (a produced, consumed and processed
     * record per track and commit).
     */
    record DeltaBatch(List<TrackDelta> deltas) {
    }

    /** Plays to add to one (window size, window start, country) of a track. */
    record WindowDelta(ChartWindowSize size, long windowStart, short country, long count) {
    }

    /** Identifies one chart: a window size, a window start and a country (or GLOBAL). */
    record ChartKey(ChartWindowSize size, long windowStart, short country) {

        long windowEnd() {
            return windowStart + size.sizeMs();
        }

        String countryName() {
            return InternalCodecs.country(country);
        }

        /** The key of this chart on the output topics: {@code <country>|<window_start_ms>}. */
        String outputKey() {
            return countryName() + "|" + windowStart;
        }

        Bytes toBytes() {
            return Bytes.wrap(ByteBuffer.allocate(11).put((byte) size.ordinal()).putLong(windowStart)
                .putShort(country).array());
        }

        static ChartKey fromBytes(final byte[] bytes) {
            final ByteBuffer buffer = ByteBuffer.wrap(bytes);
            return new ChartKey(ChartWindowSize.of(buffer.get()), buffer.getLong(), buffer.getShort());
        }
    }

    /** One counting task's top list for a chart; the merge stage keeps the latest one of each task. */
    record PartialChart(int sourcePartition, TopList top) {
    }

    static final Serde<DeltaBatch> DELTA_BATCH = Serdes.serdeFrom(
        (Serializer<DeltaBatch>) (topic, batch) -> {
            if (batch == null) {
                return null;
            }
            int size = 4;
            for (final TrackDelta delta : batch.deltas()) {
                size += encodedSize(delta.windows().size());
            }
            final ByteBuffer buffer = ByteBuffer.allocate(size);
            buffer.putInt(batch.deltas().size());
            for (final TrackDelta delta : batch.deltas()) {
                buffer.putLong(delta.track()).putLong(delta.total()).putInt(delta.windows().size());
                for (final WindowDelta w : delta.windows()) {
                    buffer.put((byte) w.size().ordinal()).putLong(w.windowStart()).putShort(w.country())
                        .putLong(w.count());
                }
            }
            return buffer.array();
        },
        (Deserializer<DeltaBatch>) (topic, bytes) -> {
            if (bytes == null) {
                return null;
            }
            final ByteBuffer buffer = ByteBuffer.wrap(bytes);
            final int tracks = buffer.getInt();
            final List<TrackDelta> deltas = new ArrayList<>(tracks);
            for (int t = 0; t < tracks; t++) {
                final long track = buffer.getLong();
                final long total = buffer.getLong();
                final int n = buffer.getInt();
                final List<WindowDelta> windows = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    windows.add(new WindowDelta(ChartWindowSize.of(buffer.get()), buffer.getLong(),
                        buffer.getShort(), buffer.getLong()));
                }
                deltas.add(new TrackDelta(track, total, windows));
            }
            return new DeltaBatch(deltas);
        });

    static final Serde<ChartKey> CHART_KEY = Serdes.serdeFrom(
        (Serializer<ChartKey>) (topic, key) -> key == null ? null : key.toBytes().get(),
        (Deserializer<ChartKey>) (topic, bytes) -> bytes == null ? null : ChartKey.fromBytes(bytes));

    static final Serde<PartialChart> PARTIAL_CHART = Serdes.serdeFrom(
        (Serializer<PartialChart>) (topic, partial) -> {
            if (partial == null) {
                return null;
            }
            final ByteBuffer buffer = ByteBuffer.allocate(4 + partial.top().encodedSize());
            buffer.putInt(partial.sourcePartition());
            partial.top().writeTo(buffer);
            return buffer.array();
        },
        (Deserializer<PartialChart>) (topic, bytes) -> {
            if (bytes == null) {
                return null;
            }
            final ByteBuffer buffer = ByteBuffer.wrap(bytes);
            return new PartialChart(buffer.getInt(), TopList.readFrom(buffer));
        });

    static final Serde<TopList> TOP_LIST = Serdes.serdeFrom(
        (Serializer<TopList>) (topic, top) -> {
            if (top == null) {
                return null;
            }
            final ByteBuffer buffer = ByteBuffer.allocate(top.encodedSize());
            top.writeTo(buffer);
            return buffer.array();
        },
        (Deserializer<TopList>) (topic, bytes) -> bytes == null ? null : TopList.readFrom(ByteBuffer.wrap(bytes)));

    /**
     * State of one chart in the merge stage: the latest partial list of every counting task, whether the final
     * chart was emitted, and the version of the last chart emitted.
     */
    record MergeState(java.util.SortedMap<Integer, TopList> partials, boolean finalEmitted, long version) {
    }

    static final Serde<MergeState> MERGE_STATE = Serdes.serdeFrom(
        (Serializer<MergeState>) (topic, state) -> {
            if (state == null) {
                return null;
            }
            int size = 13;
            for (final TopList top : state.partials().values()) {
                size += 4 + top.encodedSize();
            }
            final ByteBuffer buffer = ByteBuffer.allocate(size);
            buffer.put((byte) (state.finalEmitted() ? 1 : 0)).putLong(state.version())
                .putInt(state.partials().size());
            state.partials().forEach((partition, top) -> {
                buffer.putInt(partition);
                top.writeTo(buffer);
            });
            return buffer.array();
        },
        (Deserializer<MergeState>) (topic, bytes) -> {
            if (bytes == null) {
                return null;
            }
            final ByteBuffer buffer = ByteBuffer.wrap(bytes);
            final boolean finalEmitted = buffer.get() == 1;
            final long version = buffer.getLong();
            final int n = buffer.getInt();
            final java.util.SortedMap<Integer, TopList> partials = new java.util.TreeMap<>();
            for (int i = 0; i < n; i++) {
                partials.put(buffer.getInt(), TopList.readFrom(buffer));
            }
            return new MergeState(partials, finalEmitted, version);
        });
}
