package io.melodyud.topologies.plays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.melodyud.topologies.common.ChartWindowSize;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The records between the intake and the counting stage: batches of track deltas, one per bucket of tracks. */
class DeltaBatchTest {

    private static final String TOPIC = "app-play-delta-batches-repartition";

    @Test
    void aBatchSurvivesTheTopic() {
        final long minute = 1_764_000_000_000L;
        final InternalCodecs.DeltaBatch batch = new InternalCodecs.DeltaBatch(List.of(
            new InternalCodecs.TrackDelta(7L, 3, List.of(
                new InternalCodecs.WindowDelta(ChartWindowSize.MINUTE, minute, InternalCodecs.countryCode("CO"), 2),
                new InternalCodecs.WindowDelta(ChartWindowSize.DAY, 1_763_942_400_000L,
                    InternalCodecs.countryCode("BR"), 1))),
            new InternalCodecs.TrackDelta(9_000_000_001L, 5_000_000_000L, List.of()),
            new InternalCodecs.TrackDelta(8L, 0, List.of(
                new InternalCodecs.WindowDelta(ChartWindowSize.HOUR, 1_763_999_200_000L, (short) 0, 1)))));
        final byte[] bytes = InternalCodecs.DELTA_BATCH.serializer().serialize(TOPIC, batch);
        assertEquals(batch, InternalCodecs.DELTA_BATCH.deserializer().deserialize(TOPIC, bytes));
    }

    /**
     * A track's bucket decides which counting task holds its counts: a release that changed it would move every
     * track away from its state. These values are the contract.
     */
    @Test
    void bucketsNeverChange() {
        assertEquals(124, InternalCodecs.bucketOf(1L));
        assertEquals(121, InternalCodecs.bucketOf(2L));
        assertEquals(119, InternalCodecs.bucketOf(42L));
        assertEquals(67, InternalCodecs.bucketOf(1_000_001L));
        assertEquals(73, InternalCodecs.bucketOf((1L << 40) + 7));
    }

    @Test
    void aBucketsDeltasAreSplitIntoRecordsOfBoundedSizeAndNoneIsLost() {
        final long minute = 1_764_000_000_000L;
        final int bucket = InternalCodecs.bucketOf(7L);
        final List<InternalCodecs.TrackDelta> sent = new ArrayList<>();
        final List<byte[]> records = new ArrayList<>();
        final DeltaBatcher.Sink sink = (to, batch) -> {
            assertEquals(bucket, to);
            records.add(InternalCodecs.DELTA_BATCH.serializer().serialize(TOPIC, batch));
        };
        final DeltaBatcher batcher = new DeltaBatcher(DeltaBatcher.MAX_BATCH_BYTES);
        // A commit in which 8,000 tracks of one bucket were each played in 20 countries: about 3 MB of deltas.
        for (long track = 1; sent.size() < 8_000; track++) {
            if (InternalCodecs.bucketOf(track) != bucket) {
                continue;
            }
            final List<InternalCodecs.WindowDelta> windows = new ArrayList<>();
            for (short country = 1; country <= 20; country++) {
                windows.add(new InternalCodecs.WindowDelta(ChartWindowSize.MINUTE, minute, country, track));
            }
            final InternalCodecs.TrackDelta delta = new InternalCodecs.TrackDelta(track, 20 * track, windows);
            sent.add(delta);
            batcher.add(delta, sink);
        }
        batcher.drain(sink);

        assertTrue(records.size() >= 10, records.size() + " records");
        final List<InternalCodecs.TrackDelta> received = new ArrayList<>();
        for (final byte[] record : records) {
            assertTrue(record.length <= DeltaBatcher.MAX_BATCH_BYTES + 1_000, record.length + " bytes");
            received.addAll(InternalCodecs.DELTA_BATCH.deserializer().deserialize(TOPIC, record).deltas());
        }
        assertEquals(sent, received, "every delta once, in order");
        final int before = records.size();
        batcher.drain(sink);
        assertEquals(before, records.size(), "a drained batcher sends nothing more");
    }

    @Test
    void consecutiveTrackIdsSpreadEvenlyOverTheCountingTasks() {
        for (final int partitions : new int[] {1, 2, 6, 12, 16}) {
            final int[] tracks = new int[partitions];
            for (long track = 1_000_001; track <= 1_050_000; track++) {
                final Optional<Set<Integer>> to = InternalCodecs.BUCKET_PARTITIONER.partitions(TOPIC,
                    (long) InternalCodecs.bucketOf(track), null, partitions);
                assertEquals(1, to.orElseThrow().size(), "one partition per bucket");
                assertEquals(to, InternalCodecs.TRACK_OWNER.partitions(TOPIC, track, null, partitions),
                    "interactive queries look for track " + track + " where its deltas go");
                tracks[to.orElseThrow().iterator().next()]++;
            }
            final double even = 50_000.0 / partitions;
            for (int p = 0; p < partitions; p++) {
                assertTrue(Math.abs(tracks[p] - even) / even < 0.1,
                    partitions + " partitions: partition " + p + " owns " + tracks[p] + " of 50,000 tracks");
            }
        }
    }
}
