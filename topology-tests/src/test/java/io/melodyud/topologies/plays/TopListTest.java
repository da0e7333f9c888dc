package io.melodyud.topologies.plays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The per-task top list: exact against a full sort, whatever order the growing counts arrive in. */
class TopListTest {

    @Test
    void matchesAFullSortOfEveryTrackAfterEachOffer() {
        final Random random = new Random(20261124L);
        final int capacity = 10;
        final TopList top = new TopList(capacity);
        final Map<Long, Long> counts = new HashMap<>();
        for (int i = 0; i < 20_000; i++) {
            // A skewed popularity, so that the head changes hands and the tail keeps knocking at the last place.
            final long track = (long) Math.floor(Math.pow(random.nextDouble(), 3) * 200);
            final long count = counts.merge(track, 1L + random.nextInt(3), Long::sum);
            final List<String> before = tracksAndCounts(top);
            final boolean changed = top.offer(track, count);
            final List<String> after = tracksAndCounts(top);
            assertEquals(expectedTop(counts, capacity), after, "after offer " + i);
            assertEquals(!before.equals(after), changed, "offer " + i + " reports whether the list changed");
        }
    }

    @Test
    void aTailTrackThatDoesNotBeatTheLastEntryChangesNothing() {
        final TopList top = new TopList(3);
        top.offer(1, 30);
        top.offer(2, 20);
        top.offer(3, 10);
        assertFalse(top.offer(4, 9), "below the last entry");
        assertFalse(top.offer(4, 10), "a tie with the last entry, but a higher track id ranks after it");
        assertFalse(top.offer(3, 10), "the last entry itself, unchanged");
        assertEquals("[1=30, 2=20, 3=10]", top.toString());
        assertTrue(top.offer(3, 11), "the last entry grows");
        assertTrue(top.offer(0, 11), "a tie with the last entry and a lower track id ranks before it");
        assertEquals("[1=30, 2=20, 0=11]", top.toString());
    }

    @Test
    void mergingDisjointPartsGivesTheOverallTop() {
        final TopList a = new TopList(3);
        final TopList b = new TopList(3);
        a.offer(1, 5);
        a.offer(3, 9);
        a.offer(5, 7);
        b.offer(2, 9);
        b.offer(4, 8);
        b.offer(6, 1);
        assertEquals("[2=9, 3=9, 4=8]", TopList.merge(3, List.of(a, b)).toString(), "ties go to the lower id");
    }

    private static List<String> expectedTop(final Map<Long, Long> counts, final int capacity) {
        final List<Map.Entry<Long, Long>> entries = new ArrayList<>(counts.entrySet());
        entries.sort(Comparator.<Map.Entry<Long, Long>>comparingLong(Map.Entry::getValue).reversed()
            .thenComparingLong(Map.Entry::getKey));
        final List<String> expected = new ArrayList<>();
        for (final Map.Entry<Long, Long> entry : entries.subList(0, Math.min(capacity, entries.size()))) {
            expected.add(entry.getKey() + "=" + entry.getValue());
        }
        return expected;
    }

    private static List<String> tracksAndCounts(final TopList top) {
        final List<String> listed = new ArrayList<>();
        for (int i = 0; i < top.size(); i++) {
            listed.add(top.track(i) + "=" + top.count(i));
        }
        return listed;
    }
}
