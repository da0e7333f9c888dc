package io.melodyud.ops.loadgen;

import java.util.Arrays;

/**
 * Everything the event stream is a function of, besides the reference data and the event's index. The report of a
 * run carries it, so that a test can rebuild the very stream the run sent ({@link EventStream}).
 *
 * @param seed seed of the stream
 * @param startMs event time of index 0 (epoch milliseconds)
 * @param density mean events per second of event time
 * @param rhythm relative rate per UTC hour, mean 1
 * @param trackZipfExponent exponent of the track popularity law
 * @param userActivityExponent exponent of the user activity law
 * @param shortPlayFraction fraction of plays under 30 s
 * @param invalidFraction fraction of plays with an impossible ms_played
 * @param impressionFraction fraction of new events that are impressions
 * @param clickRate fraction of impressions clicked
 * @param clickMaxDelayMs longest delay from impression to click
 * @param clickBeforeImpressionFraction fraction of clicks sent before their impression
 * @param duplicateFraction fraction of sends that re-send an earlier event
 * @param duplicateMaxDistance how far back a re-send reaches, in events
 * @param lateFraction fraction of plays and impressions late within grace
 * @param lateMaxMs largest lateness within grace
 * @param beyondGraceFraction fraction of plays and impressions late beyond grace
 * @param graceMs the consumers' longest grace
 */
public record StreamSpec(long seed, long startMs, double density, double[] rhythm, double trackZipfExponent,
                         double userActivityExponent, double shortPlayFraction, double invalidFraction,
                         double impressionFraction, double clickRate, long clickMaxDelayMs,
                         double clickBeforeImpressionFraction, double duplicateFraction, int duplicateMaxDistance,
                         double lateFraction, long lateMaxMs, double beyondGraceFraction, long graceMs) {

    public StreamSpec {
        rhythm = rhythm.clone();
    }

    /** The defaults of {@link LoadGenConfig}, with another seed, start and density: for tests. */
    public static StreamSpec defaults(final long seed, final long startMs, final double density) {
        final LoadGenConfig config = new LoadGenConfig(java.util.Map.of(LoadGenConfig.KAFKA_BOOTSTRAP_SERVERS,
            "unused:9092", "schema.registry.url", "http://unused"));
        final StreamSpec spec = config.streamSpec(java.time.Instant.ofEpochMilli(startMs));
        return spec.with(seed, startMs, density);
    }

    public StreamSpec with(final long newSeed, final long newStartMs, final double newDensity) {
        return new StreamSpec(newSeed, newStartMs, newDensity, rhythm, trackZipfExponent, userActivityExponent,
            shortPlayFraction, invalidFraction, impressionFraction, clickRate, clickMaxDelayMs,
            clickBeforeImpressionFraction, duplicateFraction, duplicateMaxDistance, lateFraction, lateMaxMs,
            beyondGraceFraction, graceMs);
    }

    @Override
    public double[] rhythm() {
        return rhythm.clone();
    }

    @Override
    public boolean equals(final Object other) {
        return other instanceof StreamSpec s && seed == s.seed && startMs == s.startMs && density == s.density
            && Arrays.equals(rhythm, s.rhythm) && trackZipfExponent == s.trackZipfExponent
            && userActivityExponent == s.userActivityExponent && shortPlayFraction == s.shortPlayFraction
            && invalidFraction == s.invalidFraction && impressionFraction == s.impressionFraction
            && clickRate == s.clickRate && clickMaxDelayMs == s.clickMaxDelayMs
            && clickBeforeImpressionFraction == s.clickBeforeImpressionFraction
            && duplicateFraction == s.duplicateFraction && duplicateMaxDistance == s.duplicateMaxDistance
            && lateFraction == s.lateFraction && lateMaxMs == s.lateMaxMs
            && beyondGraceFraction == s.beyondGraceFraction && graceMs == s.graceMs;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(seed) * 31 + Long.hashCode(startMs) * 17 + Arrays.hashCode(rhythm);
    }

    @Override
    public String toString() {
        return "StreamSpec[seed=" + seed + ", startMs=" + startMs + ", density=" + density + ", rhythm="
            + Arrays.toString(rhythm) + ", trackZipfExponent=" + trackZipfExponent + ", userActivityExponent="
            + userActivityExponent + ", shortPlayFraction=" + shortPlayFraction + ", invalidFraction="
            + invalidFraction + ", impressionFraction=" + impressionFraction + ", clickRate=" + clickRate
            + ", clickMaxDelayMs=" + clickMaxDelayMs + ", clickBeforeImpressionFraction="
            + clickBeforeImpressionFraction + ", duplicateFraction=" + duplicateFraction
            + ", duplicateMaxDistance=" + duplicateMaxDistance + ", lateFraction=" + lateFraction + ", lateMaxMs="
            + lateMaxMs + ", beyondGraceFraction=" + beyondGraceFraction + ", graceMs=" + graceMs + "]";
    }
}
