package io.melodyud.sinks.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The batching rule on a fixed clock: nanoseconds from an arbitrary base, advanced by hand. */
class AdaptiveBatchPolicyTest {

    private static final long MS = 1_000_000L;
    private static final long BASE = 1_000_000 * MS;

    private static AdaptiveBatchPolicy policy() {
        return new AdaptiveBatchPolicy(100, 100_000, 100, 1.0);
    }

    /** Feeds {@code polls} polls of {@code perPoll} records, {@code everyMs} apart; returns the time after them. */
    private static long feed(final AdaptiveBatchPolicy policy, final long from, final int polls, final int perPoll,
                             final long everyMs) {
        long now = from;
        for (int i = 0; i < polls; i++) {
            policy.arrived(perPoll, now);
            now += everyMs * MS;
        }
        return now;
    }

    @Test
    void theBatchTargetGrowsWithTheArrivalRateUpToTheMaximum() {
        final AdaptiveBatchPolicy slow = policy();
        feed(slow, BASE, 20, 10, 10); // 1,000 records/s
        assertEquals(100, slow.targetRows(), "100 ms at 1,000/s is 100 records: the minimum");

        final AdaptiveBatchPolicy steady = policy();
        feed(steady, BASE, 20, 500, 1); // 500,000 records/s
        assertEquals(50_000, steady.targetRows(), 2_000, "100 ms at 500,000/s");

        final AdaptiveBatchPolicy catchUp = policy();
        feed(catchUp, BASE, 20, 10_000, 1); // 10,000,000 records/s: a backlog
        assertEquals(100_000, catchUp.targetRows(), "catching up uses the largest batches");
    }

    @Test
    void aFullBatchIsWrittenAtOnce() {
        final AdaptiveBatchPolicy policy = policy();
        final long now = feed(policy, BASE, 10, 10_000, 1);
        assertTrue(policy.buffered() >= policy.targetRows());
        assertTrue(policy.shouldFlush(now));
    }

    @Test
    void noRecordWaitsLongerThanTheLingerEvenWhenRecordsKeepTrickling() {
        final AdaptiveBatchPolicy policy = policy();
        // One record every 4 ms: 250/s, target 100, the idle wait is min(100 ms, 4 ms).
        long now = BASE;
        for (int i = 0; i < 19; i++) {
            policy.arrived(1, now);
            policy.arrived(0, now + 3 * MS);
            assertFalse(policy.shouldFlush(now + 3 * MS), "at " + i + ": the next record is due within one gap");
            now += 4 * MS;
        }
        final long last = BASE + 19 * 4 * MS;
        // Records keep coming every 4 ms, but the first one has now waited 100 ms.
        long t = last;
        while (t < BASE + 100 * MS) {
            policy.arrived(1, t);
            t += 4 * MS;
        }
        assertTrue(policy.shouldFlush(BASE + 100 * MS));
    }

    @Test
    void theBatchIsWrittenWhenNoRecordArrivedForOneExpectedGap() {
        final AdaptiveBatchPolicy policy = policy();
        // 10 records every 10 ms (1,000/s): the mean gap is 1 ms, the idle wait min(100 ms, 1 ms).
        final long now = feed(policy, BASE, 5, 10, 10);
        final long lastArrival = now - 10 * MS;
        assertEquals(1 * MS, policy.idleWaitNanos(), 0.3 * MS);
        assertFalse(policy.shouldFlush(lastArrival + 2 * MS), "no poll came back empty yet: still decoding");
        policy.arrived(0, lastArrival + MS / 2);
        assertFalse(policy.shouldFlush(lastArrival + MS / 2), "half a gap of silence");
        policy.arrived(0, lastArrival + 2 * MS);
        assertTrue(policy.shouldFlush(lastArrival + 2 * MS), "the stream went quiet: write now");
    }

    @Test
    void atAVeryLowRateTheWaitIsCappedAtTheLinger() {
        final AdaptiveBatchPolicy policy = policy();
        feed(policy, BASE, 3, 1, 2_000); // one record every 2 s: 1/rate is 2 s
        assertEquals(100 * MS, policy.idleWaitNanos());
    }

    @Test
    void thePollNeverBlocksPastTheNextDeadline() {
        final AdaptiveBatchPolicy policy = policy();
        assertEquals(100, policy.pollTimeoutMs(BASE), "nothing buffered: wait up to the linger");
        policy.arrived(5, BASE);
        assertTrue(policy.pollTimeoutMs(BASE + 30 * MS) <= 70);
        policy.flushed();
        assertEquals(0, policy.buffered());
        assertFalse(policy.shouldFlush(BASE + 500 * MS), "an empty buffer is never written");
    }
}
