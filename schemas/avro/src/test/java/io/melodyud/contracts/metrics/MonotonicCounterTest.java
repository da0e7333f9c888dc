package io.melodyud.contracts.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

class MonotonicCounterTest {

    private static final String THREAD_1 = "melody-play-analytics-StreamThread-1-consumer/melody.events.plays";
    private static final String THREAD_2 = "melody-play-analytics-StreamThread-2-consumer/melody.events.plays";

    @Test
    void sumsTheGrowthOfEverySource() {
        final MonotonicCounter counter = new MonotonicCounter();
        assertEquals(1_500, counter.update(Map.of(THREAD_1, 1_000L, THREAD_2, 500L)));
        assertEquals(1_800, counter.update(Map.of(THREAD_1, 1_200L, THREAD_2, 600L)));
        assertEquals(1_800, counter.update(Map.of(THREAD_1, 1_200L, THREAD_2, 600L)));
    }

    @Test
    void aReplacedThreadNeitherTakesItsCountWithItNorCountsItTwice() {
        final MonotonicCounter counter = new MonotonicCounter();
        counter.update(Map.of(THREAD_1, 1_000L, THREAD_2, 500L));
        // Thread 2 died and its consumer's metrics went with it.
        assertEquals(1_500, counter.update(Map.of(THREAD_1, 1_000L)));
        // Its replacement came back under the same client id, counting from zero.
        assertEquals(1_540, counter.update(Map.of(THREAD_1, 1_000L, THREAD_2, 40L)));
        assertEquals(1_600, counter.update(Map.of(THREAD_1, 1_010L, THREAD_2, 90L)));
    }

    @Test
    void aSourceThatRestartsBetweenTwoUpdatesIsCountedFromItsRestart() {
        final MonotonicCounter counter = new MonotonicCounter();
        counter.update(Map.of(THREAD_1, 1_000L));
        assertEquals(1_030, counter.update(Map.of(THREAD_1, 30L)));
        assertEquals(1_030, counter.total());
    }
}
