package io.melodyud.ops.pipeline;

import io.melodyud.avro.common.Device;
import io.melodyud.avro.event.PlayEvent;
import io.melodyud.avro.event.PlaySource;
import io.melodyud.contracts.serde.TopicSerdes;
import io.melodyud.contracts.topics.Topics;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Measures the end-to-end latency of the running pipeline: from a play being acknowledged by the broker to its
 * count being visible in ClickHouse ({@code track_play_totals}), through play analytics and the ClickHouse sink.
 * Every probe plays a track of its own (ids far above the catalogue's), so its first visible row is its own. Probes
 * go out at a fixed rate alongside whatever load runs; ClickHouse is polled every 25 ms for the probes in flight.
 */
public final class LatencyProbe {

    /** Probe track ids start here: above any catalogue id, unique per run. */
    private static final long PROBE_TRACK_BASE = 8_000_000_000_000L;

    private final KafkaProducer<byte[], byte[]> producer;
    private final TopicSerdes serdes;
    private final String clickhouseUrl;
    private final String database;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    public LatencyProbe(final KafkaProducer<byte[], byte[]> producer, final TopicSerdes serdes,
                        final String clickhouseUrl, final String database) {
        this.producer = producer;
        this.serdes = serdes;
        this.clickhouseUrl = clickhouseUrl;
        this.database = database;
    }

    /** Sends {@code probes} probes, {@code intervalMs} apart, and prints latency percentiles (ms). */
    public List<Long> run(final int probes, final long intervalMs, final long timeoutMs, final PrintStream out)
            throws Exception {
        final long base = PROBE_TRACK_BASE + (System.currentTimeMillis() % 1_000_000L) * 1_000L;
        final Map<Long, Long> ackedAtNanos = new ConcurrentHashMap<>();
        final Map<Long, Long> latencies = new HashMap<>();
        final long start = System.nanoTime();
        int sent = 0;
        while (latencies.size() + expired(ackedAtNanos, timeoutMs) < probes) {
            final long now = System.nanoTime();
            if (sent < probes && now - start >= sent * intervalMs * 1_000_000L) {
                send(base + sent, ackedAtNanos);
                sent++;
            }
            final List<Long> inFlight = ackedAtNanos.keySet().stream().filter(t -> !latencies.containsKey(t))
                .toList();
            if (!inFlight.isEmpty()) {
                for (final long track : visible(inFlight)) {
                    latencies.put(track, (System.nanoTime() - ackedAtNanos.get(track)) / 1_000_000L);
                }
            }
            Thread.sleep(25);
        }
        final List<Long> sorted = latencies.values().stream().sorted().collect(Collectors.toList());
        final long lost = probes - sorted.size();
        out.printf("latency: %d probes, %d seen in ClickHouse within %d ms; p50 %d ms, p90 %d ms, p99 %d ms, max %d ms%n",
            probes, sorted.size(), timeoutMs, percentile(sorted, 50), percentile(sorted, 90), percentile(sorted, 99),
            sorted.isEmpty() ? -1 : sorted.get(sorted.size() - 1));
        if (lost > 0) {
            out.printf("latency: %d probes not seen within the timeout%n", lost);
        }
        return sorted;
    }

    private long expired(final Map<Long, Long> ackedAt, final long timeoutMs) {
        final long now = System.nanoTime();
        return ackedAt.values().stream().filter(t -> now - t > timeoutMs * 1_000_000L).count();
    }

    private void send(final long track, final Map<Long, Long> ackedAtNanos) {
        final Instant now = Instant.now();
        final long user = 1 + (track % 1_000);
        final PlayEvent play = PlayEvent.newBuilder().setEventId(UUID.randomUUID()).setUserId(user).setTrackId(track)
            .setStartedAt(now.minusSeconds(40)).setMsPlayed(35_000).setCountry("SE").setDevice(Device.DESKTOP)
            .setSource(PlaySource.SEARCH).setSentAt(now).build();
        producer.send(new ProducerRecord<>(Topics.PLAYS.name(),
            serdes.key(Topics.PLAYS).serializer().serialize(Topics.PLAYS.name(), user),
            serdes.value(Topics.PLAYS).serializer().serialize(Topics.PLAYS.name(), play)), (metadata, error) -> {
                if (error == null) {
                    ackedAtNanos.put(track, System.nanoTime());
                }
            });
        producer.flush();
    }

    private List<Long> visible(final List<Long> tracks) throws Exception {
        final String sql = "SELECT DISTINCT track_id FROM " + database + ".track_play_totals WHERE track_id IN ("
            + tracks.stream().map(String::valueOf).collect(Collectors.joining(",")) + ") FORMAT TabSeparated";
        final HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(clickhouseUrl + "/?query="
            + URLEncoder.encode(sql, StandardCharsets.UTF_8))).timeout(Duration.ofSeconds(5)).GET().build(),
            HttpResponse.BodyHandlers.ofString());
        final List<Long> seen = new ArrayList<>();
        if (response.statusCode() == 200) {
            for (final String line : response.body().split("\n")) {
                if (!line.isBlank()) {
                    seen.add(Long.parseLong(line.trim()));
                }
            }
        }
        return seen;
    }

    static long percentile(final List<Long> sorted, final int percent) {
        if (sorted.isEmpty()) {
            return -1;
        }
        final int index = (int) Math.ceil(percent / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
    }
}
