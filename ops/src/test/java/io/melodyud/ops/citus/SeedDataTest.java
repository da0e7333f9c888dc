package io.melodyud.ops.citus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SeedDataTest {

    private final SeedData data = new SeedData(42, new SeedData.Sizes(5_000, 50, 2_000, 20));

    @Test
    void theSameSeedGivesTheSameRows() {
        final SeedData again = new SeedData(42, new SeedData.Sizes(5_000, 50, 2_000, 20));
        assertEquals(data.users(), again.users());
        assertEquals(data.tracks(), again.tracks());
        assertEquals(data.royaltyRates(), again.royaltyRates());
        assertEquals(data.campaigns(), again.campaigns());
        assertNotEquals(data.users(), new SeedData(43, data.sizes()).users());
    }

    @Test
    void mostUsersAreOnTheFreeTierAndTheBiggestMarketIsTheUs() {
        final Map<String, Integer> tiers = new HashMap<>();
        final Map<String, Integer> countries = new HashMap<>();
        for (final SeedData.UserRow user : data.users()) {
            tiers.merge(user.tier(), 1, Integer::sum);
            countries.merge(user.country(), 1, Integer::sum);
        }
        assertTrue(tiers.get("FREE") > 2_700 && tiers.get("FREE") < 3_300, "about 60% free: " + tiers);
        final String biggest = countries.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
        assertEquals("US", biggest);
    }

    @Test
    void everyPayingUserHasExactlyOneActiveSubscriptionAtTheirTier() {
        final List<SeedData.UserRow> users = data.users();
        final Map<Long, String> tierOf = new HashMap<>();
        users.forEach(u -> tierOf.put(u.userId(), u.tier()));
        final Set<Long> active = new HashSet<>();
        for (final SeedData.SubscriptionRow s : data.subscriptions(users)) {
            if (s.status().equals("ACTIVE")) {
                assertTrue(active.add(s.userId()), "one active subscription per user");
                assertEquals(tierOf.get(s.userId()), s.plan());
                assertEquals(2, s.monthlyPrice().scale(), "prices in cents");
            } else {
                assertEquals("FREE", tierOf.get(s.userId()), "cancelled subscriptions belong to free users");
            }
        }
        assertEquals(users.stream().filter(u -> !u.tier().equals("FREE")).count(), active.size());
    }

    @Test
    void everyCountryAndTierHasARateBeforeAndAfterTheMidYearChange() {
        final List<SeedData.RateRow> rates = data.royaltyRates();
        assertEquals(SeedData.COUNTRIES.length * SeedData.TIERS.length * 2, rates.size());
        final Map<String, BigDecimal> before = new HashMap<>();
        for (final SeedData.RateRow rate : rates) {
            assertEquals(8, rate.ratePerPlay().scale());
            final String key = rate.country() + "/" + rate.tier();
            if (rate.validFrom().isBefore(SeedData.RATE_CHANGE)) {
                before.put(key, rate.ratePerPlay());
            } else {
                assertTrue(rate.ratePerPlay().compareTo(before.get(key)) > 0, "rate rises mid-year for " + key);
            }
        }
    }

    @Test
    void tracksPointAtExistingRightsHoldersAndCampaignsAreValid() {
        for (final SeedData.TrackRow track : data.tracks()) {
            assertTrue(track.rightsHolderId() >= 1 && track.rightsHolderId() <= 50);
            assertEquals(12, track.isrc().length(), "ISRCs have 12 characters: " + track.isrc());
        }
        for (final SeedData.CampaignRow campaign : data.campaigns()) {
            assertEquals(4, campaign.cpm().scale());
            assertEquals(2, campaign.budget().scale());
            assertTrue(campaign.endsAt().isAfter(campaign.startsAt()));
        }
    }

    @Test
    void csvQuotesTextAndWritesNullAsAnEmptyField() {
        assertEquals("\"1\",,\"O'Brien \"\"Live\"\", Dublin\"\n",
            SeedLoader.csv(1L, null, "O'Brien \"Live\", Dublin"));
    }
}
