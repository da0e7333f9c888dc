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
 *   <li>{@code GET /errors}: counts of dead letters, late and pending plays, duplicates on this instance.</li>
 * </ul>
 */
public final class RoyaltiesQueries {

    private RoyaltiesQueries() {
    }

    public static void register(final QueryServer server, final KafkaStreams streams, final RoyaltiesConfig config,
                                final ErrorCounters counters) {
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
