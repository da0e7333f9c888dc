package io.melodyud.ops.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PipelineStatusTest {

    private static PipelineStatus.Sample sample(final long atSeconds, final long produced, final long processed,
                                                final long lag) {
        final Map<String, Long> consumed = new LinkedHashMap<>();
        consumed.put("play-analytics", processed);
        consumed.put("postgres-sink", -1L);
        return new PipelineStatus.Sample(atSeconds * 1_000_000_000L, produced, consumed,
            Map.of("play-analytics", lag, "postgres-sink", -1L), Map.of("worker1", 0.4), Map.of("worker1", 2048L),
            1_234_567, 45_000);
    }

    @Test
    void ratesComeFromTheDifferenceBetweenTwoSamples() {
        final List<String> lines = PipelineStatus.render(sample(10, 100_000, 90_000, 500),
            sample(12, 160_000, 150_000, 200), 30, 120, "upgraded users [12] from FREE to PREMIUM");
        assertTrue(lines.get(0).contains("30/120s") && lines.get(0).contains("30.0k/s"), lines.get(0));
        assertTrue(lines.get(1).contains("play-analytics") && lines.get(1).contains("30.0k/s")
            && lines.get(1).endsWith("200"), lines.get(1));
        assertTrue(lines.get(2).contains("metrics endpoint not answering"), lines.get(2));
        assertTrue(lines.get(3).contains("worker1 0.4s") && lines.get(3).contains("worker1 2048B"), lines.get(3));
        assertTrue(lines.get(4).contains("clickhouse 1.23M rows") && lines.get(4).contains("~45.0k rows"), lines.get(4));
        assertTrue(lines.get(5).endsWith("upgraded users [12] from FREE to PREMIUM"));
    }

    @Test
    void percentilesAreNearestRank() {
        final List<Long> sorted = List.of(10L, 20L, 30L, 40L, 50L, 60L, 70L, 80L, 90L, 1000L);
        assertEquals(50L, LatencyProbe.percentile(sorted, 50));
        assertEquals(1000L, LatencyProbe.percentile(sorted, 99));
        assertEquals(90L, LatencyProbe.percentile(sorted, 90));
        assertEquals(-1L, LatencyProbe.percentile(List.of(), 50));
    }
}
