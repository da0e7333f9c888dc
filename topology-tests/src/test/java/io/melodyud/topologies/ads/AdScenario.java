package io.melodyud.topologies.ads;

import io.melodyud.avro.cdc.AdCampaign;
import io.melodyud.avro.cdc.User;
import io.melodyud.avro.common.Device;
import io.melodyud.avro.common.Tier;
import io.melodyud.avro.event.AdClick;
import io.melodyud.avro.event.AdImpression;
import io.melodyud.avro.event.AdPlacement;
import io.melodyud.avro.output.AdReport;
import io.melodyud.contracts.fixtures.AvroFixtures;
import io.melodyud.contracts.serde.AvroTrust;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.UUID;

/**
 * A seeded stream of ad traffic with what it must add up to, computed here independently of the topology: a few
 * campaigns (one changes its CPM part-way), listeners in three countries (a tenth on paid tiers, one upgrading
 * part-way), impressions with producer retries, clicks a few seconds to minutes after their impression (some sent
 * before it, some retried). Expected totals follow the contract: an impression counts in the hour it was served,
 * billed at the CPM valid then unless its listener was on a paid tier then; a click counts in the hour it was made,
 * for its impression's campaign and country, when it came at most {@code window} after the impression.
 */
final class AdScenario {

    static final String[] COUNTRIES = {"CO", "BR", "MX"};
    private static final long HOUR_MS = Duration.ofHours(1).toMillis();

    /** One campaign's versions, oldest first, and the times they start. */
    record Campaign(long id, List<AdCampaign> versions) {

        AdCampaign at(final Instant time) {
            AdCampaign valid = null;
            for (final AdCampaign version : versions) {
                if (!version.getUpdatedAt().isAfter(time)) {
                    valid = version;
                }
            }
            return valid;
        }
    }

    /** Totals of one report: campaign, country, hour. */
    static final class Totals {
        long impressions;
        long premiumImpressions;
        long clicks;
        long unattributedClicks;
        BigDecimal spend = BigDecimal.ZERO.setScale(7);

        static Totals of(final AdReport report) {
            final Totals totals = new Totals();
            totals.impressions = report.getImpressions();
            totals.premiumImpressions = report.getPremiumImpressions();
            totals.clicks = report.getClicks();
            totals.unattributedClicks = report.getUnattributedClicks();
            totals.spend = report.getSpend();
            return totals;
        }

        @Override
        public boolean equals(final Object other) {
            return other instanceof Totals t && t.impressions == impressions
                && t.premiumImpressions == premiumImpressions && t.clicks == clicks
                && t.unattributedClicks == unattributedClicks && t.spend.compareTo(spend) == 0;
        }

        @Override
        public int hashCode() {
            return Long.hashCode(impressions);
        }

        @Override
        public String toString() {
            return "{imp=" + impressions + " prem=" + premiumImpressions + " clk=" + clicks + " unatt="
                + unattributedClicks + " spend=" + spend.toPlainString() + "}";
        }
    }

    final List<Campaign> campaigns = new ArrayList<>();
    final List<User> users = new ArrayList<>();
    /** Impressions and clicks in the order they are produced (retries included). */
    final List<Object> events = new ArrayList<>();
    final Map<String, Totals> expected = new TreeMap<>();
    private final Map<Long, List<User>> userVersions = new HashMap<>();

    static {
        // Building records with enum fields (tiers, devices) needs the contract classes trusted, which the serdes
        // otherwise do when they are created.
        AvroTrust.trustContractClasses();
    }
    private final long windowMs;

    /**
     * @param start served_at of the first impression; impressions follow every {@code spacing}
     */
    AdScenario(final long seed, final long campaignBase, final long userBase, final int impressions,
               final Instant start, final Duration spacing, final long windowMs) {
        this(seed, campaignBase, userBase, impressions, start, spacing, windowMs, 90_000L);
    }

    /**
     * @param maxClickDelayMs clicks come 1 s to this long after their impression; only those within two minutes
     *     are ever sent before their impression
     */
    AdScenario(final long seed, final long campaignBase, final long userBase, final int impressions,
               final Instant start, final Duration spacing, final long windowMs, final long maxClickDelayMs) {
        this.windowMs = windowMs;
        final SplittableRandom random = new SplittableRandom(seed);
        final Instant longAgo = start.minus(Duration.ofDays(1));
        final Instant cpmChange = start.plus(spacing.multipliedBy(impressions * 45L / 100));
        final Instant upgrade = start.plus(spacing.multipliedBy(impressions * 35L / 100));
        campaigns.add(new Campaign(campaignBase, List.of(campaign(campaignBase, "18000.0000", "25000000.00", longAgo),
            campaign(campaignBase, "21500.5000", "25000000.00", cpmChange))));
        campaigns.add(new Campaign(campaignBase + 1, List.of(campaign(campaignBase + 1, "2500.5000", "9000000.00",
            longAgo))));
        campaigns.add(new Campaign(campaignBase + 2, List.of(campaign(campaignBase + 2, "0.3333", "1000.00",
            longAgo))));
        for (int i = 0; i < 200; i++) {
            final long id = userBase + i;
            final User user = AvroFixtures.user().setUserId(id).setCountry(COUNTRIES[i % COUNTRIES.length])
                .setTier(i % 10 == 0 ? Tier.PREMIUM : Tier.FREE).setUpdatedAt(longAgo).setCdcCommittedAt(longAgo)
                .setCdcLsn(null).build();
            users.add(user);
            userVersions.computeIfAbsent(id, k -> new ArrayList<>()).add(user);
        }
        final User upgraded = User.newBuilder(users.get(1)).setTier(Tier.PREMIUM).setUpdatedAt(upgrade)
            .setCdcCommittedAt(upgrade.plusMillis(300)).setCdcLsn(7_700L).build();
        users.add(upgraded);
        userVersions.get(upgraded.getUserId()).add(upgraded);

        final Set<UUID> seenImpressions = new HashSet<>();
        AdImpression previous = null;
        AdClick previousClick = null;
        for (int i = 0; i < impressions; i++) {
            if (previous != null && random.nextInt(100) < 3) {
                events.add(previous); // a producer retry
            }
            final Campaign campaign = campaigns.get(random.nextInt(campaigns.size()));
            // One listener in twenty signed up so recently that CDC has not replicated the account yet.
            final long user = random.nextInt(20) == 0 ? userBase + 500 + random.nextInt(50)
                : userBase + random.nextInt(200);
            final AdImpression impression = AdImpression.newBuilder()
                .setImpressionId(new UUID(seed, i))
                .setUserId(user)
                .setCampaignId(campaign.id())
                .setCreativeId(310_000L + random.nextInt(4))
                .setServedAt(start.plus(spacing.multipliedBy(i)))
                .setCountry(COUNTRIES[random.nextInt(COUNTRIES.length)])
                .setDevice(Device.MOBILE)
                .setPlacement(AdPlacement.AUDIO_BREAK)
                .build();
            AdClick click = null;
            if (random.nextInt(100) < 4) {
                click = AdClick.newBuilder()
                    .setClickId(new UUID(~seed, i))
                    .setImpressionId(impression.getImpressionId())
                    .setUserId(user)
                    .setCampaignId(campaign.id())
                    .setClickedAt(impression.getServedAt().plusMillis(1_000 + random.nextLong(maxClickDelayMs)))
                    .setCountry(impression.getCountry())
                    .setDevice(Device.MOBILE)
                    .build();
            }
            if (click != null && random.nextInt(10) == 0
                    && click.getClickedAt().toEpochMilli() - impression.getServedAt().toEpochMilli() < 120_000) {
                events.add(click); // the click tracker was faster than the ad server
                events.add(impression);
                early.add(click.getClickId());
            } else {
                events.add(impression);
                if (click != null) {
                    events.add(click);
                }
            }
            if (click != null && previousClick != null && random.nextInt(10) == 0) {
                events.add(previousClick);
            }
            impressionsById.put(impression.getImpressionId(), impression);
            count(impression, campaign, seenImpressions);
            if (click != null) {
                countClick(click, impression);
                previousClick = click;
            }
            previous = impression;
        }
    }

    private static AdCampaign campaign(final long id, final String cpm, final String budget, final Instant updated) {
        return AvroFixtures.adCampaign().setCampaignId(id).setCpm(new BigDecimal(cpm)).setBudget(new BigDecimal(budget))
            .setTargetCountries(List.of()).setStartsAt(updated.minus(Duration.ofDays(30)))
            .setEndsAt(updated.plus(Duration.ofDays(60))).setUpdatedAt(updated).setCdcCommittedAt(updated)
            .setCdcLsn(null).build();
    }

    static String key(final long campaign, final String country, final long hourStart) {
        return campaign + "|" + country + "|" + hourStart;
    }

    private static long hour(final Instant time) {
        return Math.floorDiv(time.toEpochMilli(), HOUR_MS) * HOUR_MS;
    }

    /** The tier at {@code time}: unknown listeners count as free (new accounts start free). */
    private Tier tierAt(final long user, final Instant time) {
        final List<User> versions = userVersions.get(user);
        if (versions == null) {
            return Tier.FREE;
        }
        Tier tier = null;
        for (final User version : versions) {
            if (!version.getUpdatedAt().isAfter(time)) {
                tier = version.getTier();
            }
        }
        return tier;
    }

    private void count(final AdImpression impression, final Campaign campaign, final Set<UUID> seen) {
        if (!seen.add(impression.getImpressionId())) {
            return;
        }
        final Totals totals = expected.computeIfAbsent(key(campaign.id(), impression.getCountry(),
            hour(impression.getServedAt())), k -> new Totals());
        totals.impressions++;
        if (tierAt(impression.getUserId(), impression.getServedAt()) == Tier.FREE) {
            totals.spend = totals.spend.add(campaign.at(impression.getServedAt()).getCpm().movePointLeft(3));
        } else {
            totals.premiumImpressions++;
        }
    }

    private void countClick(final AdClick click, final AdImpression impression) {
        final Totals totals = expected.computeIfAbsent(key(impression.getCampaignId(), impression.getCountry(),
            hour(click.getClickedAt())), k -> new Totals());
        final long delay = click.getClickedAt().toEpochMilli() - impression.getServedAt().toEpochMilli();
        if (delay >= 0 && delay <= windowMs) {
            totals.clicks++;
        } else {
            totals.unattributedClicks++;
        }
    }

    /** Event time of an impression or click. */
    static long eventTime(final Object event) {
        return event instanceof AdImpression impression ? impression.getServedAt().toEpochMilli()
            : ((AdClick) event).getClickedAt().toEpochMilli();
    }

    /**
     * The events in the order a live stream delivers them: by event time, except that a click sent before its
     * impression (the tracker was faster) keeps its place just before it.
     */
    List<Object> inEventTimeOrder() {
        final List<Object> sorted = new ArrayList<>(events);
        sorted.sort(java.util.Comparator.comparingLong(event -> early.contains(clickId(event))
            ? eventTime(impressionOf(event)) : eventTime(event)));
        return sorted;
    }

    /** Clicks sent before their impression. */
    private final Set<UUID> early = new HashSet<>();

    private final Map<UUID, AdImpression> impressionsById = new HashMap<>();

    private AdImpression impressionOf(final Object click) {
        return impressionsById.get(((AdClick) click).getImpressionId());
    }

    private static UUID clickId(final Object event) {
        return event instanceof AdClick click ? click.getClickId() : null;
    }

    /** Total billed spend of a campaign over the whole scenario. */
    BigDecimal spendOf(final long campaign) {
        return expected.entrySet().stream().filter(e -> e.getKey().startsWith(campaign + "|"))
            .map(e -> e.getValue().spend).reduce(BigDecimal.ZERO, BigDecimal::add);
    }
}
