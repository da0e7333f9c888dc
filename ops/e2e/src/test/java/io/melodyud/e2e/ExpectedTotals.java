package io.melodyud.e2e;

import io.melodyud.avro.event.AdClick;
import io.melodyud.avro.event.AdImpression;
import io.melodyud.avro.event.PlayEvent;
import io.melodyud.ops.citus.SeedData;
import io.melodyud.ops.loadgen.EventStream;
import io.melodyud.ops.loadgen.GeneratedEvent;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What the pipeline must end up with, recomputed from the generated events and the seed alone, the way an analyst
 * would with plain SQL over the raw events: distinct ids, the 30-second rule, the rate row valid at play time, CPM per
 * thousand impressions. Nothing here comes from the topologies' code.
 */
final class ExpectedTotals {

    static final long VALID_PLAY_MS = 30_000;
    static final String GLOBAL = "GLOBAL";

    /** Valid plays per track. */
    final Map<String, String> trackPlays = new TreeMap<>();
    /** Valid plays per region (play's country, and GLOBAL) and track, summed over minutes. */
    final Map<String, String> chartCounts = new TreeMap<>();
    /** "plays amount" per rights holder, user's country and UTC day. */
    final Map<String, String> royalties = new TreeMap<>();
    /** "impressions spend" per campaign. */
    final Map<String, String> adDelivery = new TreeMap<>();
    long distinctClicks;
    long premiumImpressions;
    long validPlays;
    long distinctPlays;

    private record Rate(Instant validFrom, BigDecimal perPlay) {
    }

    static ExpectedTotals compute(final EventStream stream, final long events, final SeedData seed) {
        final Map<Long, SeedData.UserRow> users = new HashMap<>();
        seed.users().forEach(u -> users.put(u.userId(), u));
        final Map<Long, Long> holderOfTrack = new HashMap<>();
        seed.tracks().forEach(t -> holderOfTrack.put(t.trackId(), t.rightsHolderId()));
        final Map<String, List<Rate>> rates = new HashMap<>();
        for (final SeedData.RateRow r : seed.royaltyRates()) {
            rates.computeIfAbsent(r.country() + "|" + r.tier(), k -> new ArrayList<>())
                .add(new Rate(r.validFrom(), r.ratePerPlay()));
        }
        rates.values().forEach(l -> l.sort(Comparator.comparing(Rate::validFrom)));
        final Map<Long, BigDecimal> cpm = new HashMap<>();
        seed.campaigns().forEach(c -> cpm.put(c.campaignId(), c.cpm()));

        final Set<String> seen = new HashSet<>();
        final Map<String, Long> tracks = new HashMap<>();
        final Map<String, Long> charts = new HashMap<>();
        final Map<String, Long> royaltyPlays = new HashMap<>();
        final Map<String, BigDecimal> royaltyAmounts = new HashMap<>();
        final Map<String, Long> impressions = new HashMap<>();
        final Map<String, BigDecimal> spend = new HashMap<>();
        final ExpectedTotals expected = new ExpectedTotals();
        for (long i = 0; i < events; i++) {
            final GeneratedEvent event = stream.event(i);
            if (event.value() instanceof PlayEvent play) {
                if (!seen.add("play:" + play.getEventId())) {
                    continue;
                }
                expected.distinctPlays++;
                if (play.getMsPlayed() < VALID_PLAY_MS) {
                    continue;
                }
                expected.validPlays++;
                tracks.merge(String.valueOf(play.getTrackId()), 1L, Long::sum);
                charts.merge(play.getCountry() + "|" + play.getTrackId(), 1L, Long::sum);
                charts.merge(GLOBAL + "|" + play.getTrackId(), 1L, Long::sum);
                final SeedData.UserRow user = users.get(play.getUserId());
                final Instant at = play.getStartedAt();
                final String key = holderOfTrack.get(play.getTrackId()) + "|" + user.country() + "|"
                    + at.atOffset(ZoneOffset.UTC).toLocalDate();
                royaltyPlays.merge(key, 1L, Long::sum);
                royaltyAmounts.merge(key, rateAt(rates.get(user.country() + "|" + user.tier()), at), BigDecimal::add);
            } else if (event.value() instanceof AdImpression impression) {
                if (!seen.add("impression:" + impression.getImpressionId())) {
                    continue;
                }
                final String campaign = String.valueOf(impression.getCampaignId());
                impressions.merge(campaign, 1L, Long::sum);
                spend.merge(campaign, cpm.get(impression.getCampaignId()).divide(BigDecimal.valueOf(1000)),
                    BigDecimal::add);
                if (!"FREE".equals(users.get(impression.getUserId()).tier())) {
                    expected.premiumImpressions++;
                }
            } else if (event.value() instanceof AdClick click) {
                if (seen.add("click:" + click.getClickId())) {
                    expected.distinctClicks++;
                }
            }
        }
        tracks.forEach((k, v) -> expected.trackPlays.put(k, String.valueOf(v)));
        charts.forEach((k, v) -> expected.chartCounts.put(k, String.valueOf(v)));
        royaltyPlays.forEach((k, v) -> expected.royalties.put(k, v + " " + plain(royaltyAmounts.get(k))));
        impressions.forEach((k, v) -> expected.adDelivery.put(k, v + " " + plain(spend.get(k))));
        return expected;
    }

    /** The rate row of the play's (country, tier) with the latest valid_from not after the play. */
    private static BigDecimal rateAt(final List<Rate> versions, final Instant at) {
        BigDecimal rate = null;
        for (final Rate version : versions) {
            if (!version.validFrom().isAfter(at)) {
                rate = version.perPlay();
            }
        }
        if (rate == null) {
            throw new IllegalStateException("no rate valid at " + at);
        }
        return rate;
    }

    /** Money compared as numbers: 1.50 and 1.5000000 are the same amount. */
    static String plain(final BigDecimal amount) {
        return amount.signum() == 0 ? "0" : amount.stripTrailingZeros().toPlainString();
    }
}
