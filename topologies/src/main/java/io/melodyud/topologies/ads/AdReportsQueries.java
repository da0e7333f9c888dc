package io.melodyud.topologies.ads;

import io.melodyud.avro.output.AdReport;
import io.melodyud.topologies.ads.AdCodecs.PacingState;
import io.melodyud.topologies.ads.AdCodecs.ReportState;
import io.melodyud.topologies.common.ErrorCounters;
import io.melodyud.topologies.http.QueryServer;
import io.melodyud.topologies.http.QueryServer.Answer;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
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
 * The ad-reports routes of the HTTP API:
 * <ul>
 *   <li>{@code GET /pacing/{campaignId}}: the campaign's cumulative billed spend, its budget, the percentage spent
 *       and the alert thresholds already crossed.</li>
 *   <li>{@code GET /reports/{campaignId}/{country}/{hour}}: the latest report of the campaign in the country for the
 *       UTC hour holding {@code hour} (an ISO-8601 instant or epoch milliseconds), live or final, as last
 *       published.</li>
 *   <li>{@code GET /errors}: counts of dead letters, late events, duplicates, anomalies on this instance.</li>
 * </ul>
 * Both stores are partitioned by campaign; any instance answers any campaign (see {@link QueryServer}).
 */
public final class AdReportsQueries {

    private AdReportsQueries() {
    }

    public static void register(final QueryServer server, final KafkaStreams streams, final ErrorCounters counters) {
        server.route("/pacing", (segments, query) -> pacing(streams, campaignId(segments, 2, "/pacing/{campaignId}")),
            (segments, query) -> streams.queryMetadataForKey(AdAggregationProcessor.PACING_STORE,
                campaignId(segments, 2, "/pacing/{campaignId}"), Serdes.Long().serializer()));
        server.route("/reports", (segments, query) -> report(streams, segments),
            (segments, query) -> streams.queryMetadataForKey(AdAggregationProcessor.REPORTS_STORE,
                campaignId(segments, 4, REPORT_PATH), Serdes.Long().serializer()));
        server.route("/errors", (segments, query) -> Answer.ok(counters.snapshot()), null);
    }

    private static final String REPORT_PATH = "/reports/{campaignId}/{country}/{hour}";

    private static long campaignId(final String[] segments, final int length, final String path) {
        if (segments.length != length) {
            throw new IllegalArgumentException("expected " + path);
        }
        try {
            final long id = Long.parseLong(segments[1]);
            if (id <= 0) {
                throw new IllegalArgumentException("campaign id must be positive");
            }
            return id;
        } catch (final NumberFormatException e) {
            throw new IllegalArgumentException("campaign id must be a number", e);
        }
    }

    static Answer pacing(final KafkaStreams streams, final long campaignId) {
        final ReadOnlyKeyValueStore<Long, PacingState> store = streams.store(StoreQueryParameters.fromNameAndType(
            AdAggregationProcessor.PACING_STORE, QueryableStoreTypes.keyValueStore()));
        final PacingState state = store.get(campaignId);
        if (state == null) {
            return Answer.notFound("no spend recorded for campaign " + campaignId);
        }
        return Answer.ok(pacingJson(campaignId, state));
    }

    static Map<String, Object> pacingJson(final long campaignId, final PacingState state) {
        final BigDecimal spend = new BigDecimal(state.spendUnits(), 7);
        final BigDecimal budget = BigDecimal.valueOf(state.budgetCents(), 2);
        final Map<String, Object> json = new LinkedHashMap<>();
        json.put("campaign_id", campaignId);
        json.put("spend", spend.toPlainString());
        json.put("budget", budget.toPlainString());
        json.put("currency", state.currency());
        json.put("percent_of_budget", budget.signum() == 0 ? null
            : spend.multiply(BigDecimal.valueOf(100)).divide(budget, 4, RoundingMode.DOWN).toPlainString());
        final List<Integer> crossed = new ArrayList<>();
        for (int i = 0; i < AdAggregationProcessor.THRESHOLDS.length; i++) {
            if ((state.firedThresholds() & (1 << i)) != 0) {
                crossed.add(AdAggregationProcessor.THRESHOLDS[i]);
            }
        }
        json.put("thresholds_crossed", crossed);
        return json;
    }

    private static Answer report(final KafkaStreams streams, final String[] segments) {
        final long campaignId = campaignId(segments, 4, REPORT_PATH);
        final String country = segments[2].toUpperCase(Locale.ROOT);
        if (!AdRules.isCountryCode(country)) {
            throw new IllegalArgumentException("country must be an ISO 3166-1 alpha-2 code");
        }
        final long hour = AdIntakeProcessor.hourStart(instant(segments[3]));
        final ReadOnlyKeyValueStore<Bytes, ReportState> store = streams.store(StoreQueryParameters.fromNameAndType(
            AdAggregationProcessor.REPORTS_STORE, QueryableStoreTypes.keyValueStore()));
        final short code = AdRules.countryCode(country);
        final ReportState state = store.get(Bytes.wrap(AdCodecs.reportKey(hour, campaignId, code)));
        if (state == null) {
            return Answer.notFound("no report for campaign " + campaignId + " in " + country + " for the hour starting "
                + Instant.ofEpochMilli(hour) + " (no event yet, or past retention)");
        }
        return Answer.ok(reportJson(AdAggregationProcessor.toReport(campaignId, code, hour, state)));
    }

    private static long instant(final String value) {
        try {
            return value.chars().allMatch(Character::isDigit) ? Long.parseLong(value)
                : Instant.parse(value).toEpochMilli();
        } catch (final DateTimeParseException | NumberFormatException e) {
            throw new IllegalArgumentException("hour must be an ISO-8601 instant or epoch milliseconds", e);
        }
    }

    static Map<String, Object> reportJson(final AdReport report) {
        final Map<String, Object> json = new LinkedHashMap<>();
        json.put("campaign_id", report.getCampaignId());
        json.put("country", report.getCountry());
        json.put("window_start", report.getWindowStart().toString());
        json.put("window_end", report.getWindowEnd().toString());
        json.put("impressions", report.getImpressions());
        json.put("premium_impressions", report.getPremiumImpressions());
        json.put("clicks", report.getClicks());
        json.put("unattributed_clicks", report.getUnattributedClicks());
        json.put("ctr_ppm", report.getCtrPpm());
        json.put("unique_users_estimate", report.getUniqueUsersEstimate());
        json.put("spend", report.getSpend().toPlainString());
        json.put("currency", report.getCurrency());
        json.put("final", report.getIsFinal());
        json.put("version", report.getVersion());
        return json;
    }
}
