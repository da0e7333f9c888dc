package io.melodyud.topologies.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The primitive map of per-commit counts, against a HashMap doing the same operations. */
class LongLongMapTest {

    @Test
    void agreesWithAHashMapThroughGrowthAndClears() {
        final Random random = new Random(7L);
        final LongLongMap map = new LongLongMap(4);
        final Map<Long, Long> expected = new HashMap<>();
        for (int commit = 0; commit < 5; commit++) {
            for (int i = 0; i < 20_000; i++) {
                // Window starts (multiples of a minute), small ids, zero and negative keys: the awkward cases.
                final long key = switch (random.nextInt(4)) {
                    case 0 -> random.nextInt(500) * 60_000L;
                    case 1 -> random.nextInt(3_000);
                    case 2 -> 0L;
                    default -> -1L - random.nextInt(50);
                };
                final long delta = 1 + random.nextInt(5);
                assertEquals(expected.merge(key, delta, Long::sum), map.addTo(key, delta), "key " + key);
            }
            assertEquals(expected.size(), map.size());
            final Map<Long, Long> seen = new HashMap<>();
            map.forEach((key, value) -> assertEquals(null, seen.put(key, value), "key " + key + " seen twice"));
            assertEquals(expected, seen, "commit " + commit);
            map.clear();
            expected.clear();
            assertTrue(map.isEmpty());
            assertEquals(-1L, map.get(0L, -1L), "nothing survives a clear");
        }
    }

    @Test
    void aMapReusedForFewerEntriesStillWorksAfterShrinking() {
        final LongLongMap map = new LongLongMap();
        for (long key = 0; key < 5_000; key++) {
            map.addTo(key * 60_000L, 1);
        }
        map.clear();
        map.addTo(7L, 2);
        map.addTo(7L, 3);
        assertEquals(1, map.size());
        assertEquals(5L, map.get(7L, -1L));
        assertEquals(-1L, map.get(60_000L, -1L), "an entry from before the clear");
        map.clear();
        for (long key = 0; key < 5_000; key++) {
            assertEquals(1L, map.addTo(key, 1), "grown again after shrinking");
        }
        assertEquals(5_000, map.size());
    }

    @Test
    void putIfAbsentKeepsTheFirstValue() {
        final LongLongMap map = new LongLongMap();
        assertEquals(0, map.putIfAbsent(9_001L, map.size()));
        assertEquals(1, map.putIfAbsent(42L, map.size()));
        assertEquals(0, map.putIfAbsent(9_001L, map.size()), "an existing key keeps its value");
        for (long track = 1_000; track < 3_000; track++) {
            assertEquals(map.size(), map.putIfAbsent(track, map.size()), "a new key's value, across growth");
        }
        for (long track = 1_000; track < 3_000; track++) {
            assertEquals(track - 1_000 + 2, map.get(track, -1L), "track " + track);
        }
        map.put(42L, 7L);
        assertEquals(7L, map.get(42L, -1L));
        assertEquals(-1L, map.get(43L, -1L));
    }
}
