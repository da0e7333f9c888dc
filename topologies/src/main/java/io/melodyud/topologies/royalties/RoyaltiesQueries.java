package io.melodyud.topologies.royalties;

import io.melodyud.topologies.common.ErrorCounters;
import io.melodyud.topologies.http.QueryServer;
import io.melodyud.topologies.http.QueryServer.Answer;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * The royalties routes of the HTTP API:
 * <ul>
 *   <li>{@code GET /royalties/{rightsHolderId}}: the holder's statement lines still kept (open and recently
 *       closed days per country, months), with plays, amount, currency, version and whether the line is closed.</li>
 *   <li>{@code GET /royalties/totals}: plays and amount of the open daily lines over all rights holders, and the
 *       ten rights holders owed most (every instance is asked for its share; {@code ?local=true}: this one's).</li>
 *   <li>{@code GET /errors}: counts of dead letters, late and pending plays, duplicates on this instance.</li>
 * </ul>
 */
public final class RoyaltiesQueries {

    private RoyaltiesQueries() {
    }

    public static void register(final QueryServer server, final KafkaStreams streams, final RoyaltiesConfig config,
                                final ErrorCounters counters) {
        // Registered before /royalties: the longest prefix wins.
        server.route("/royalties/totals", (segments, query) -> totals(server, streams, config,
            "true".equals(query.get("local"))), null);
        server.route("/royalties", (segments, query) -> lines(streams, config, rightsHolder(segments)),
            (segments, query) -> streams.queryMetadataForKey(StatementProcessor.LINES_STORE, rightsHolder(segments),
                Serdes.Long().serializer()));
        server.route("/errors", (segments, query) -> Answer.ok(counters.snapshot()), null);
    }

    static long rightsHolder(final String[] segments) {
        if (segments.length != 2) {
            throw new IllegalArgumentException("expected /royalties/{rightsHolderId}");
        }
        try {
            return Long.parseLong(segments[1]);
        } catch (final NumberFormatException e) {
            throw new IllegalArgumentException("rights holder id must be a number", e);
        }
    }

    private static Answer totals(final QueryServer server, final KafkaStreams streams, final RoyaltiesConfig config,
                                 final boolean localOnly) {
        final ReadOnlyKeyValueStore<Bytes, byte[]> store = streams.store(StoreQueryParameters.fromNameAndType(
            StatementProcessor.LINES_STORE, QueryableStoreTypes.<Bytes, byte[]>keyValueStore()));
        final Map<Long, long[]> byHolder = new java.util.HashMap<>();
        try (var it = store.all()) {
            while (it.hasNext()) {
                final var entry = it.next();
                final RoyaltyCodecs.LineKey key = RoyaltyCodecs.LineKey.fromBytes(entry.key.get());
                final RoyaltyCodecs.LineState line = RoyaltyCodecs.LineState.fromBytes(entry.value);
                if (key.period() == RoyaltyCodecs.DAY && !line.closed) {
                    final long[] sums = byHolder.computeIfAbsent(key.rightsHolder(), h -> new long[2]);
                    sums[0] += line.plays;
                    sums[1] = Math.addExact(sums[1], line.units);
                }
            }
        }
        if (!localOnly) {
            for (final org.apache.kafka.streams.StreamsMetadata other : streams.metadataForAllStreamsClients()) {
                if (other.hostInfo().equals(server.self())) {
                    continue;
                }
                final Answer answer = server.fetch(java.net.URI.create("http://" + other.hostInfo().host() + ":"
                    + other.hostInfo().port() + "/royalties/totals?local=true"));
                if (answer.status() != 200 || !(answer.body() instanceof com.fasterxml.jackson.databind.JsonNode node)) {
                    return new Answer(502, Map.of("error", "instance " + other.hostInfo() + " did not answer"));
                }
                for (final com.fasterxml.jackson.databind.JsonNode holder : node.get("holders")) {
                    final long[] sums = byHolder.computeIfAbsent(holder.get("rights_holder_id").asLong(),
                        h -> new long[2]);
                    sums[0] += holder.get("valid_plays").asLong();
                    sums[1] = Math.addExact(sums[1], new BigDecimal(holder.get("amount").asText())
                        .movePointRight(8).longValueExact());
                }
            }
        }
        long plays = 0;
        long units = 0;
        final List<Map<String, Object>> holders = new ArrayList<>();
        for (final Map.Entry<Long, long[]> holder : byHolder.entrySet()) {
            plays += holder.getValue()[0];
            units = Math.addExact(units, holder.getValue()[1]);
            final Map<String, Object> row = new LinkedHashMap<>();
            row.put("rights_holder_id", holder.getKey());
            row.put("valid_plays", holder.getValue()[0]);
            row.put("amount", BigDecimal.valueOf(holder.getValue()[1], 8).toPlainString());
            holders.add(row);
        }
        holders.sort((a, b) -> new BigDecimal((String) b.get("amount")).compareTo(new BigDecimal((String) a.get("amount"))));
        final Map<String, Object> json = new LinkedHashMap<>();
        json.put("valid_plays", plays);
        json.put("amount", BigDecimal.valueOf(units, 8).toPlainString());
        json.put("currency", config.currency());
        json.put("rights_holders", holders.size());
        json.put("top", holders.subList(0, Math.min(10, holders.size())));
        if (localOnly) {
            json.put("holders", holders);
        }
        return Answer.ok(json);
    }

    private static Answer lines(final KafkaStreams streams, final RoyaltiesConfig config, final long rightsHolder) {
        final ReadOnlyKeyValueStore<Bytes, byte[]> store = streams.store(StoreQueryParameters.fromNameAndType(
            StatementProcessor.LINES_STORE, QueryableStoreTypes.<Bytes, byte[]>keyValueStore()));
        final List<Map<String, Object>> lines = new ArrayList<>();
        for (final KeyValue<RoyaltyCodecs.LineKey, RoyaltyCodecs.LineState> line
                : StatementProcessor.linesOf(store, rightsHolder)) {
            final Map<String, Object> row = new LinkedHashMap<>();
            row.put("period", line.key.period() == RoyaltyCodecs.DAY ? "DAY" : "MONTH");
            row.put("period_start", line.key.start().toString());
            row.put("country", line.key.period() == RoyaltyCodecs.DAY ? ReferenceData.country(line.key.country())
                : null);
            row.put("valid_plays", line.value.plays);
            row.put("amount", BigDecimal.valueOf(line.value.units, 8).toPlainString());
            row.put("currency", config.currency());
            row.put("closed", line.value.closed);
            row.put("version", line.value.version);
            lines.add(row);
        }
        if (lines.isEmpty()) {
            return Answer.notFound("no statement line kept for rights holder " + rightsHolder);
        }
        return Answer.ok(Map.of("rights_holder_id", rightsHolder, "lines", lines));
    }
}
