package io.melodyud.topologies.ads;

import io.melodyud.avro.cdc.AdCampaign;
import io.melodyud.avro.cdc.User;
import io.melodyud.avro.common.Tier;
import io.melodyud.avro.event.AdClick;
import io.melodyud.avro.event.AdImpression;
import io.melodyud.contracts.fixtures.AvroFixtures;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.UUID;

/**
 * Ad events for the tests, built from the contracts' fixtures (a coffee brand's campaign served to free listeners
 * in Colombia): each impression and click gets an id of its own, unique per generator seed.
 */
final class AdEvents {

    static final long CAMPAIGN = AvroFixtures.CAMPAIGN_ID;
    static final String COUNTRY = AvroFixtures.COUNTRY;
    /** The fixture campaign's CPM, in COP. */
    static final BigDecimal CPM = AvroFixtures.CPM;

    private final long seed;
    private long next;

    AdEvents(final long seed) {
        this.seed = seed;
    }

    /** An audio spot of the fixture campaign served to {@code user} at {@code servedAt}. */
    AdImpression impression(final long user, final Instant servedAt) {
        return AvroFixtures.adImpression()
            .setImpressionId(new UUID(0xad00_0000_0000_0000L | seed, next++))
            .setUserId(user)
            .setServedAt(servedAt)
            .build();
    }

    AdImpression impression(final long campaign, final long user, final String country, final Instant servedAt) {
        final AdImpression impression = impression(user, servedAt);
        impression.setCampaignId(campaign);
        impression.setCountry(country);
        return impression;
    }

    /** A tap on {@code impression}'s banner by the same listener at {@code clickedAt}. */
    AdClick click(final AdImpression impression, final Instant clickedAt) {
        return AvroFixtures.adClick()
            .setClickId(new UUID(0xc1c0_0000_0000_0000L | seed, next++))
            .setImpressionId(impression.getImpressionId())
            .setUserId(impression.getUserId())
            .setCampaignId(impression.getCampaignId())
            .setCountry(impression.getCountry())
            .setClickedAt(clickedAt)
            .build();
    }

    /** A listener's account on {@code tier} since {@code since}. */
    static User user(final long user, final Tier tier, final Instant since) {
        return AvroFixtures.user().setUserId(user).setTier(tier).setUpdatedAt(since)
            .setCdcCommittedAt(since.plusMillis(350)).build();
    }

    /** The fixture campaign as of {@code updatedAt}, with another CPM (scale 4, like the column). */
    static AdCampaign campaign(final String cpm, final Instant updatedAt) {
        return AvroFixtures.adCampaign().setCpm(new BigDecimal(cpm)).setUpdatedAt(updatedAt)
            .setCdcCommittedAt(updatedAt.plusMillis(420)).build();
    }
}
