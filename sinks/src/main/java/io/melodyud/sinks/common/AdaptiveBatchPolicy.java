package io.melodyud.sinks.common;

/**
 * When to write the buffered records, following the seeds' rule for batch windows: wait at most
 * {@code min(maxLinger, 1/λ)} for the next record, where λ is the arrival rate. Concretely a batch is written when
 * any of these holds:
 * <ul>
 *   <li>it holds {@link #targetRows()} records: the records expected in one linger period at the current rate
 *       ({@code λ × maxLinger}), bounded by the configured minimum and maximum, so that batches grow with the load
 *       and catching up uses the largest batches;</li>
 *   <li>its oldest record has waited {@code maxLinger}: latency stays bounded at any rate;</li>
 *   <li>a poll came back empty after no record arrived for {@code min(maxLinger, idleGaps/λ)}: at the current rate
 *       another record would have been expected by then, so the burst is over and waiting longer only adds
 *       latency. Only an empty poll counts: time spent decoding a full poll is not a quiet stream, and a backlog
 *       must fill the largest batches.</li>
 * </ul>
 * The rate is records over time, both decayed per poll (recent polls weigh most), so that polls of different
 * lengths (an empty poll that waited, a full one that returned at once) count for the time they cover. Not
 * thread-safe: one per consumer loop.
 */
public final class AdaptiveBatchPolicy {

    private final int minRows;
    private final int maxRows;
    private final long maxLingerNanos;
    private final double idleGaps;
    /** Weight of the newest poll in the decayed totals. */
    private final double alpha;

    private double ratePerNano;
    private double decayedCount;
    private double decayedNanos;
    private long lastSampleNanos = -1;
    private long firstBufferedNanos = -1;
    private long lastArrivalNanos = -1;
    private int buffered;
    private boolean lastPollEmpty;

    public AdaptiveBatchPolicy(final int minRows, final int maxRows, final long maxLingerMs, final double idleGaps) {
        if (minRows < 1 || maxRows < minRows) {
            throw new IllegalArgumentException("need 1 <= minRows <= maxRows, got " + minRows + ", " + maxRows);
        }
        this.minRows = minRows;
        this.maxRows = maxRows;
        this.maxLingerNanos = maxLingerMs * 1_000_000L;
        this.idleGaps = idleGaps;
        this.alpha = 0.3;
    }

    /** Records that {@code count} records arrived (one poll's worth) at {@code nowNanos}. */
    public void arrived(final int count, final long nowNanos) {
        if (lastSampleNanos >= 0 && nowNanos > lastSampleNanos) {
            decayedCount = decayedCount * (1 - alpha) + count;
            decayedNanos = decayedNanos * (1 - alpha) + (nowNanos - lastSampleNanos);
            ratePerNano = decayedCount / decayedNanos;
        }
        lastSampleNanos = nowNanos;
        lastPollEmpty = count == 0;
        if (count > 0) {
            if (buffered == 0) {
                firstBufferedNanos = nowNanos;
            }
            buffered += count;
            lastArrivalNanos = nowNanos;
        }
    }

    /** Arrival rate estimate, records per second. */
    public double ratePerSecond() {
        return ratePerNano * 1e9;
    }

    /** Batch size the current rate calls for: the records of one linger period, within [minRows, maxRows]. */
    public int targetRows() {
        final double expected = ratePerNano * maxLingerNanos;
        return (int) Math.max(minRows, Math.min(maxRows, expected));
    }

    /** Longest wait for the next record before the batch is written: min(maxLinger, idleGaps/λ). */
    public long idleWaitNanos() {
        if (ratePerNano <= 0) {
            return maxLingerNanos;
        }
        return (long) Math.min(maxLingerNanos, idleGaps / ratePerNano);
    }

    /** Whether the buffered records should be written now. */
    public boolean shouldFlush(final long nowNanos) {
        if (buffered == 0) {
            return false;
        }
        return buffered >= targetRows()
            || nowNanos - firstBufferedNanos >= maxLingerNanos
            || lastPollEmpty && nowNanos - lastArrivalNanos >= idleWaitNanos();
    }

    /** How long the next poll may block: until the earliest flush deadline, or the linger when nothing waits. */
    public long pollTimeoutMs(final long nowNanos) {
        if (buffered == 0) {
            return Math.max(1, maxLingerNanos / 1_000_000L);
        }
        final long byAge = firstBufferedNanos + maxLingerNanos - nowNanos;
        final long byIdle = lastArrivalNanos + idleWaitNanos() - nowNanos;
        return Math.max(0, Math.min(byAge, byIdle) / 1_000_000L);
    }

    /** The buffered records were written (or discarded). */
    public void flushed() {
        buffered = 0;
        firstBufferedNanos = -1;
    }

    public int buffered() {
        return buffered;
    }

    public int maxRows() {
        return maxRows;
    }
}
