package io.melodyud.topologies.plays;

import io.melodyud.avro.output.Chart;
import io.melodyud.avro.output.ChartEntry;
import io.melodyud.topologies.common.ChartWindowSize;
import io.melodyud.topologies.common.ErrorCounters;
import io.melodyud.topologies.http.QueryServer;
import io.melodyud.topologies.http.QueryServer.Answer;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * The play-analytics routes of the HTTP API:
 * <ul>
 *   <li>{@code GET /charts/{minute|hour|day}/{country|GLOBAL}[?at=<instant>|latest]}: the chart of the window
 *       holding {@code at} (ISO-8601 or epoch milliseconds; default now), live or final; {@code latest}: the most
 *       recent window of that size this instance has charts for (event time may lag the wall clock).</li>
 *   <li>{@code GET /tracks/{trackId}[?day=YYYY-MM-DD]}: total valid plays of a track, and on a UTC day.</li>
 *   <li>{@code GET /errors}: counts of dead letters, late plays, duplicates and short plays on this instance.</li>
 * </ul>
 * Any instance answers any key; see {@link QueryServer}.
 */
public final class PlayAnalyticsQueries {

    private PlayAnalyticsQueries() {
    }

    public static void register(final QueryServer server, final KafkaStreams streams, final PlayAnalyticsConfig config,
                                final ErrorCounters counters, final Clock clock) {
        server.route("/charts", (segments, query) -> chart(streams, config,
                chartKey(segments, resolveLatest(streams, segments, query), clock)),
            (segments, query) -> streams.queryMetadataForKey(ChartMergeProcessor.MERGED_STORE,
                chartKey(segments, resolveLatest(streams, segments, query), clock).toBytes(),
                Serdes.Bytes().serializer()));
        server.route("/tracks", (segments, query) -> track(streams, trackId(segments), query),
            // A track lives where its bucket's deltas go, not where the default partitioner would put its id.
            (segments, query) -> streams.queryMetadataForKey(TrackCountingProcessor.TOTALS_STORE,
                trackId(segments), InternalCodecs.TRACK_OWNER));
        server.route("/errors", (segments, query) -> Answer.ok(counters.snapshot()), null);
    }

    /** Replaces {@code at=latest} by the start of the most recent window of the size held here. */
    static Map<String, String> resolveLatest(final KafkaStreams streams, final String[] segments,
                                             final Map<String, String> query) {
        if (!"latest".equals(query.get("at")) || segments.length != 3) {
            return query;
        }
        final ChartWindowSize size;
        try {
            size = ChartWindowSize.valueOf(segments[1].toUpperCase(Locale.ROOT));
        } catch (final IllegalArgumentException e) {
            return query;
        }
        final ReadOnlyKeyValueStore<Bytes, InternalCodecs.MergeState> store = streams.store(
            StoreQueryParameters.fromNameAndType(ChartMergeProcessor.MERGED_STORE, QueryableStoreTypes.keyValueStore()));
        long latest = -1;
        try (var it = store.all()) {
            while (it.hasNext()) {
                final InternalCodecs.ChartKey key = InternalCodecs.ChartKey.fromBytes(it.next().key.get());
                if (key.size() == size) {
                    latest = Math.max(latest, key.windowStart());
                }
            }
        }
        final Map<String, String> resolved = new LinkedHashMap<>(query);
        if (latest >= 0) {
            resolved.put("at", Long.toString(latest));
        } else {
            resolved.remove("at");
        }
        return resolved;
    }

    static InternalCodecs.ChartKey chartKey(final String[] segments, final Map<String, String> query,
                                            final Clock clock) {
        if (segments.length != 3) {
            throw new IllegalArgumentException("expected /charts/{minute|hour|day}/{country|GLOBAL}");
        }
        final ChartWindowSize size;
        try {
            size = ChartWindowSize.valueOf(segments[1].toUpperCase(Locale.ROOT));
        } catch (final IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown window '" + segments[1] + "': minute, hour or day", e);
        }
        final String country = segments[2].toUpperCase(Locale.ROOT);
        if (!country.equals(InternalCodecs.GLOBAL) && !country.matches("[A-Z]{2}")) {
            throw new IllegalArgumentException("country must be an ISO 3166-1 alpha-2 code or GLOBAL");
        }
        final long at = instant(query.get("at"), clock);
        return new InternalCodecs.ChartKey(size, size.windowStart(at), InternalCodecs.countryCode(country));
    }

    private static long instant(final String value, final Clock clock) {
        if (value == null || value.isBlank()) {
            return clock.millis();
        }
        try {
            return value.chars().allMatch(Character::isDigit) ? Long.parseLong(value) : Instant.parse(value).toEpochMilli();
        } catch (final DateTimeParseException | NumberFormatException e) {
            throw new IllegalArgumentException("'at' must be an ISO-8601 instant or epoch milliseconds", e);
        }
    }

    private static Answer chart(final KafkaStreams streams, final PlayAnalyticsConfig config,
                                final InternalCodecs.ChartKey key) {
        final ReadOnlyKeyValueStore<Bytes, InternalCodecs.MergeState> store = streams.store(
            StoreQueryParameters.fromNameAndType(ChartMergeProcessor.MERGED_STORE, QueryableStoreTypes.keyValueStore()));
        final InternalCodecs.MergeState state = store.get(key.toBytes());
        if (state == null) {
            return Answer.notFound("no chart for " + key.size().label() + " " + key.countryName() + " starting "
                + Instant.ofEpochMilli(key.windowStart()) + " (no valid plays, or past retention)");
        }
        return Answer.ok(toJson(ChartMergeProcessor.buildChart(key, state.partials(), state.finalEmitted(),
            state.version(), key.windowEnd(), config.topN())));
    }

    static Map<String, Object> toJson(final Chart chart) {
        final Map<String, Object> json = new LinkedHashMap<>();
        json.put("window", chart.getWindow().name());
        json.put("country", chart.getCountry());
        json.put("window_start", chart.getWindowStart().toString());
        json.put("window_end", chart.getWindowEnd().toString());
        json.put("final", chart.getIsFinal());
        json.put("version", chart.getVersion());
        final List<Map<String, Object>> entries = new ArrayList<>();
        for (final ChartEntry entry : chart.getEntries()) {
            entries.add(Map.of("rank", entry.getRank(), "track_id", entry.getTrackId(), "plays", entry.getPlays()));
        }
        json.put("entries", entries);
        return json;
    }

    private static long trackId(final String[] segments) {
        if (segments.length != 2) {
            throw new IllegalArgumentException("expected /tracks/{trackId}");
        }
        try {
            return Long.parseLong(segments[1]);
        } catch (final NumberFormatException e) {
            throw new IllegalArgumentException("track id must be a number", e);
        }
    }

    private static Answer track(final KafkaStreams streams, final long track, final Map<String, String> query) {
        final ReadOnlyKeyValueStore<Long, Long> totals = streams.store(StoreQueryParameters.fromNameAndType(
            TrackCountingProcessor.TOTALS_STORE, QueryableStoreTypes.keyValueStore()));
        final Long total = totals.get(track);
        final Map<String, Object> json = new LinkedHashMap<>();
        json.put("track_id", track);
        json.put("valid_plays", total == null ? 0 : total);
        final String day = query.get("day");
        if (day != null) {
            final long dayStart;
            try {
                dayStart = LocalDate.parse(day).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
            } catch (final DateTimeParseException e) {
                throw new IllegalArgumentException("day must be YYYY-MM-DD", e);
            }
            final ReadOnlyKeyValueStore<Bytes, byte[]> counts = streams.store(StoreQueryParameters.fromNameAndType(
                TrackCountingProcessor.WINDOW_COUNTS_STORE, QueryableStoreTypes.keyValueStore()));
            final byte[] onDay = counts.get(TrackCountingProcessor.countKey(ChartWindowSize.DAY, dayStart, track));
            json.put("day", day);
            json.put("valid_plays_on_day", onDay == null ? 0 : CountryCounts.decode(onDay).get((short) 0));
        }
        return Answer.ok(json);
    }
}
