package io.melodyud.ops.citus;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Realistic, deterministic reference and user data for the operational schema: the same seed and sizes always
 * give the same rows. Countries are weighted like a streaming service's audience, tiers like a freemium one (most
 * users free), royalty rates change once in the middle of the period so that pricing "as of play time" matters.
 */
public final class SeedData {

    /** Fixed reference instant: seed data must not depend on the day it is loaded. */
    public static final Instant EPOCH = Instant.parse("2026-01-01T00:00:00Z");
    /** Every rate gets a second version from this instant on (a mid-period rate change). */
    public static final Instant RATE_CHANGE = Instant.parse("2026-07-01T00:00:00Z");

    /** Country codes and their share of the audience, in per-mille. */
    static final String[] COUNTRIES = {"US", "BR", "MX", "CO", "GB", "DE", "FR", "ES", "AR", "JP", "IN", "SE", "CA",
        "AU", "NG", "KR", "IT", "NL", "CL", "PE"};
    static final int[] COUNTRY_WEIGHTS = {180, 100, 80, 60, 70, 70, 55, 50, 40, 60, 80, 20, 40, 30, 20, 25, 25, 15,
        15, 15};
    /** Relative price level per country (percent of the US level), used for subscription prices and rates. */
    static final int[] PRICE_LEVEL = {100, 45, 50, 40, 95, 95, 95, 85, 35, 90, 25, 105, 90, 95, 30, 70, 85, 100, 50,
        45};
    static final String[] TIERS = {"FREE", "PREMIUM", "FAMILY", "STUDENT"};
    static final int[] TIER_WEIGHTS = {600, 250, 100, 50};
    /** US monthly list price per tier, in cents. */
    static final int[] TIER_PRICE_CENTS = {0, 1199, 1999, 599};
    /** US royalty per play per tier, in units of 1e-8 USD. */
    static final long[] TIER_RATE = {120_000L, 400_000L, 350_000L, 300_000L};

    private static final String[] FIRST = {"Valentina", "Santiago", "Camila", "Mateo", "Sofia", "Lucas", "Isabella",
        "Liam", "Emma", "Noah", "Yuki", "Hana", "Aarav", "Diya", "Chidi", "Amara", "Lena", "Jonas", "Chloe", "Hugo",
        "Minjun", "Seoyeon", "Giulia", "Daan", "Olivia", "Ethan", "Maria", "Jose", "Ana", "Pedro"};
    private static final String[] LAST = {"Garcia", "Rodriguez", "Martinez", "Silva", "Santos", "Smith", "Johnson",
        "Muller", "Schmidt", "Martin", "Bernard", "Tanaka", "Sato", "Sharma", "Patel", "Okafor", "Eze", "Kim",
        "Park", "Rossi", "de Vries", "Lopez", "Gomez", "Diaz", "Fernandez", "Brown", "Wilson", "Andersson"};
    private static final String[] WORDS = {"Midnight", "Golden", "Electric", "Summer", "Velvet", "Neon", "Silent",
        "Wild", "Broken", "Crystal", "Fading", "Burning", "Ocean", "City", "Paper", "Echo", "River", "Shadow",
        "Sunset", "Heart", "Dream", "Fire", "Rain", "Stars", "Road", "Lights", "Dance", "Love", "Storm", "Bloom"};
    private static final String[] ARTIST_WORDS = {"The", "Los", "Luna", "Sol", "Kids", "Brothers", "Collective",
        "Orchestra", "Project", "Band", "Sound", "Machine", "Club", "Society", "Union", "Crew"};
    private static final String[] LABEL_SUFFIX = {"Records", "Music", "Publishing", "Recordings", "Sounds",
        "Entertainment", "Music Group", "Songs"};
    private static final String[] KINDS = {"LABEL", "PUBLISHER", "ARTIST", "DISTRIBUTOR"};
    private static final String[] ADVERTISERS = {"Andes Coffee Co.", "Nimbus Mobile", "Kite Airlines",
        "Orbit Sneakers", "Lumen Bank", "Pampa Foods", "Atlas Insurance", "Volt Energy Drinks", "Harbor Hotels",
        "Quill Books", "Zephyr Cars", "Mosaic Games"};

    public record Sizes(int users, int rightsHolders, int tracks, int campaigns) {
        public Sizes {
            if (users < 1 || rightsHolders < 1 || tracks < 1 || campaigns < 0) {
                throw new IllegalArgumentException("seed sizes must be positive: " + this);
            }
        }
    }

    public record UserRow(long userId, String email, String displayName, String country, String tier,
                          Instant signupAt) {
    }

    public record SubscriptionRow(long subscriptionId, long userId, String plan, String status, Instant startedAt,
                                  Instant endsAt, BigDecimal monthlyPrice, String currency) {
    }

    public record RightsHolderRow(long rightsHolderId, String name, String kind, String country,
                                  String payoutCurrency) {
    }

    public record TrackRow(long trackId, String title, String artistName, long rightsHolderId, int durationMs,
                           String isrc, LocalDate releasedOn) {
    }

    public record RateRow(long rateId, String country, String tier, BigDecimal ratePerPlay, String currency,
                          Instant validFrom) {
    }

    public record CampaignRow(long campaignId, String advertiser, String name, BigDecimal cpm, BigDecimal budget,
                              String currency, List<String> targetCountries, String status, Instant startsAt,
                              Instant endsAt) {
    }

    private final long seed;
    private final Sizes sizes;

    public SeedData(final long seed, final Sizes sizes) {
        this.seed = seed;
        this.sizes = sizes;
    }

    public Sizes sizes() {
        return sizes;
    }

    /** Users 1..n; each stream of rows has its own random generator so that changing one size leaves the others. */
    public List<UserRow> users() {
        final SplittableRandom random = new SplittableRandom(seed * 31 + 1);
        final List<UserRow> rows = new ArrayList<>(sizes.users());
        for (long id = 1; id <= sizes.users(); id++) {
            final String first = pick(random, FIRST);
            final String last = pick(random, LAST);
            final String country = COUNTRIES[weighted(random, COUNTRY_WEIGHTS)];
            final String tier = TIERS[weighted(random, TIER_WEIGHTS)];
            final Instant signup = EPOCH.minus(random.nextLong(3 * 365 * 24 * 3600L), ChronoUnit.SECONDS);
            final String handle = (first + "." + last).toLowerCase().replace(' ', '-');
            rows.add(new UserRow(id, handle + id + "@mail.example", first + " " + last, country, tier, signup));
        }
        return rows;
    }

    /** One subscription per paying user, and a cancelled one for some free users (former subscribers). */
    public List<SubscriptionRow> subscriptions(final List<UserRow> users) {
        final SplittableRandom random = new SplittableRandom(seed * 31 + 2);
        final List<SubscriptionRow> rows = new ArrayList<>();
        long id = 1;
        for (final UserRow user : users) {
            final int countryIndex = indexOf(COUNTRIES, user.country());
            if (!"FREE".equals(user.tier())) {
                final int tierIndex = indexOf(TIERS, user.tier());
                final Instant started = user.signupAt().plus(random.nextLong(90 * 24 * 3600L), ChronoUnit.SECONDS);
                rows.add(new SubscriptionRow(id++, user.userId(), user.tier(), "ACTIVE", started, null,
                    price(TIER_PRICE_CENTS[tierIndex], countryIndex), "USD"));
            } else if (random.nextInt(100) < 15) {
                final Instant started = user.signupAt().plus(random.nextLong(60 * 24 * 3600L), ChronoUnit.SECONDS);
                rows.add(new SubscriptionRow(id++, user.userId(), "PREMIUM", "CANCELLED", started,
                    started.plus(30 + random.nextInt(300), ChronoUnit.DAYS),
                    price(TIER_PRICE_CENTS[1], countryIndex), "USD"));
            }
        }
        return rows;
    }

    public List<RightsHolderRow> rightsHolders() {
        final SplittableRandom random = new SplittableRandom(seed * 31 + 3);
        final List<RightsHolderRow> rows = new ArrayList<>(sizes.rightsHolders());
        for (long id = 1; id <= sizes.rightsHolders(); id++) {
            final String country = COUNTRIES[weighted(random, COUNTRY_WEIGHTS)];
            final String name = pick(random, WORDS) + " " + pick(random, WORDS) + " " + pick(random, LABEL_SUFFIX);
            rows.add(new RightsHolderRow(id, name, pick(random, KINDS), country, "USD"));
        }
        return rows;
    }

    public List<TrackRow> tracks() {
        final SplittableRandom random = new SplittableRandom(seed * 31 + 4);
        final List<TrackRow> rows = new ArrayList<>(sizes.tracks());
        for (long id = 1; id <= sizes.tracks(); id++) {
            final String title = pick(random, WORDS) + " " + pick(random, WORDS);
            final String artist = random.nextBoolean()
                ? pick(random, FIRST) + " " + pick(random, LAST)
                : pick(random, ARTIST_WORDS) + " " + pick(random, WORDS);
            final long holder = 1 + random.nextLong(sizes.rightsHolders());
            final int duration = 90_000 + random.nextInt(330_000);
            final String country = COUNTRIES[weighted(random, COUNTRY_WEIGHTS)];
            final LocalDate released = LocalDate.of(2026, 1, 1).minusDays(random.nextInt(20 * 365));
            final String isrc = String.format("%s%s%02d%05d", country, registrant(random), released.getYear() % 100,
                id % 100_000);
            rows.add(new TrackRow(id, title, artist, holder, duration, isrc, released));
        }
        return rows;
    }

    /** Two versions of the rate for every country and tier: from the epoch of the data set, and from mid-year. */
    public List<RateRow> royaltyRates() {
        final SplittableRandom random = new SplittableRandom(seed * 31 + 5);
        final List<RateRow> rows = new ArrayList<>();
        long id = 1;
        for (int c = 0; c < COUNTRIES.length; c++) {
            for (int t = 0; t < TIERS.length; t++) {
                final long base = TIER_RATE[t] * PRICE_LEVEL[c] / 100;
                rows.add(new RateRow(id++, COUNTRIES[c], TIERS[t], BigDecimal.valueOf(base, 8), "USD",
                    Instant.parse("2025-01-01T00:00:00Z")));
                // A rise of 2-8% mid-year: the royalty topology must price each play by the rate valid at play time.
                final long raised = base + base * (2 + random.nextInt(7)) / 100;
                rows.add(new RateRow(id++, COUNTRIES[c], TIERS[t], BigDecimal.valueOf(raised, 8), "USD",
                    RATE_CHANGE));
            }
        }
        return rows;
    }

    public List<CampaignRow> campaigns() {
        final SplittableRandom random = new SplittableRandom(seed * 31 + 6);
        final List<CampaignRow> rows = new ArrayList<>(sizes.campaigns());
        for (long id = 1; id <= sizes.campaigns(); id++) {
            final String advertiser = pick(random, ADVERTISERS);
            final BigDecimal cpm = BigDecimal.valueOf(250 + random.nextInt(2250), 2).setScale(4, RoundingMode.UNNECESSARY);
            final BigDecimal budget = BigDecimal.valueOf(500 + random.nextInt(49_500)).setScale(2, RoundingMode.UNNECESSARY);
            final List<String> targets = new ArrayList<>();
            if (random.nextInt(100) >= 30) {
                final int n = 1 + random.nextInt(4);
                while (targets.size() < n) {
                    final String country = COUNTRIES[weighted(random, COUNTRY_WEIGHTS)];
                    if (!targets.contains(country)) {
                        targets.add(country);
                    }
                }
            }
            final Instant starts = EPOCH.plus(random.nextInt(200), ChronoUnit.DAYS);
            final Instant ends = starts.plus(30 + random.nextInt(335), ChronoUnit.DAYS);
            final String status = random.nextInt(100) < 85 ? "ACTIVE" : (random.nextBoolean() ? "PAUSED" : "DRAFT");
            rows.add(new CampaignRow(id, advertiser, advertiser + " - " + pick(random, WORDS) + " " + (2026),
                cpm, budget, "USD", List.copyOf(targets), status, starts, ends));
        }
        return rows;
    }

    private static BigDecimal price(final int usCents, final int countryIndex) {
        // Prices are billed in USD at a country's price level and end in .99 like list prices; integer cents only.
        final long cents = usCents == 0 ? 0 : (long) usCents * PRICE_LEVEL[countryIndex] / 10_000 * 100 + 99;
        return BigDecimal.valueOf(cents, 2);
    }

    private static String registrant(final SplittableRandom random) {
        final char[] chars = new char[3];
        for (int i = 0; i < 3; i++) {
            chars[i] = (char) ('A' + random.nextInt(26));
        }
        return new String(chars);
    }

    private static int indexOf(final String[] values, final String value) {
        for (int i = 0; i < values.length; i++) {
            if (values[i].equals(value)) {
                return i;
            }
        }
        throw new IllegalArgumentException(value);
    }

    private static String pick(final SplittableRandom random, final String[] values) {
        return values[random.nextInt(values.length)];
    }

    static int weighted(final SplittableRandom random, final int[] weights) {
        int total = 0;
        for (final int w : weights) {
            total += w;
        }
        int r = random.nextInt(total);
        for (int i = 0; i < weights.length; i++) {
            r -= weights[i];
            if (r < 0) {
                return i;
            }
        }
        return weights.length - 1;
    }
}
