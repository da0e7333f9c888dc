package io.melodyud.ops.loadgen;

/**
 * The generator's clock: the event time at which the event of each index is sent. Events fill event time with a
 * density that follows the hour of the day (UTC), so that a day of events has an evening peak and a night trough
 * while the mean density stays as configured. A pure function of the index, so that any event's time can be
 * computed without generating those before it.
 */
public final class DailyRhythm {

    private static final long DAY_MS = 86_400_000L;
    private static final double HOUR_S = 3_600.0;

    private final long dayStartMs;
    /** Events per hour of event time, by UTC hour. */
    private final double[] perHour;
    /** Events from midnight to the start of each hour; {@code cumulative[24]} is a whole day's. */
    private final double[] cumulative;
    /** Events from the midnight before the start to the start (index 0). */
    private final double before;
    private final double startOffsetMs;

    /**
     * @param startMs event time of index 0
     * @param density mean events per second of event time
     * @param weights relative density per UTC hour, mean 1
     */
    public DailyRhythm(final long startMs, final double density, final double[] weights) {
        if (weights.length != 24 || !(density > 0)) {
            throw new IllegalArgumentException("need 24 hourly weights and a positive density");
        }
        dayStartMs = Math.floorDiv(startMs, DAY_MS) * DAY_MS;
        perHour = new double[24];
        cumulative = new double[25];
        for (int h = 0; h < 24; h++) {
            perHour[h] = density * HOUR_S * weights[h];
            cumulative[h + 1] = cumulative[h] + perHour[h];
        }
        startOffsetMs = startMs - dayStartMs;
        before = eventsBefore(startOffsetMs);
    }

    private double eventsBefore(final double offsetMs) {
        final int hour = (int) (offsetMs / (HOUR_S * 1000));
        return cumulative[hour] + (offsetMs - hour * HOUR_S * 1000) / (HOUR_S * 1000) * perHour[hour];
    }

    /** Event time of the index, in epoch milliseconds. */
    public long timeMs(final long index) {
        return dayStartMs + (long) Math.floor(offsetFromMidnightMs(index));
    }

    /** Event time of the index minus that of index 0, in (fractional) milliseconds: for pacing. */
    public double sinceStartMs(final long index) {
        return offsetFromMidnightMs(index) - startOffsetMs;
    }

    private double offsetFromMidnightMs(final long index) {
        final double v = before + index;
        final double day = Math.floor(v / cumulative[24]);
        final double rest = v - day * cumulative[24];
        int hour = 0;
        while (hour < 23 && cumulative[hour + 1] <= rest) {
            hour++;
        }
        final double inHour = (rest - cumulative[hour]) / perHour[hour];
        return day * DAY_MS + (hour + inHour) * HOUR_S * 1000;
    }
}
