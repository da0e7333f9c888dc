package io.melodyud.ops.loadgen;

import io.melodyud.ops.citus.SeedData;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The users, tracks and campaigns of the operational database, rebuilt from the seed it was loaded with
 * ({@link SeedData} is deterministic), so that the generator needs no database connection and every id it sends
 * exists there. Immutable after construction; shared by the generator's threads.
 */
public final class ReferenceData {

    /** The seed and sizes the database was loaded with ({@code OpsCli db seed}). */
    public record Sizes(long seed, int users, int rightsHolders, int tracks, int campaigns) {
    }

    /** A campaign as the generator needs it: times as epoch milliseconds, target countries as indexes. */
    public record Campaign(long campaignId, long startsMs, long endsMs) {
    }

    private final Sizes sizes;
    private final String[] countries;
    /** Country index of user id {@code i + 1}. */
    private final int[] userCountry;
    private final boolean[] userFree;
    /** User ids ordered from most to least active (a shuffle, so that activity does not follow ids). */
    private final long[] usersByActivity;
    private final double[] userActivityCdf;
    private final long[] freeUsersByActivity;
    private final double[] freeUserActivityCdf;
    /** Track ids ordered from most to least popular. */
    private final long[] tracksByPopularity;
    private final double[] trackPopularityCdf;
    private final int[] trackDurationMs;
    /** Active campaigns a country may be served, by country index. */
    private final Campaign[][] campaignsByCountry;

    public ReferenceData(final Sizes sizes, final double trackZipfExponent, final double userActivityExponent) {
        this.sizes = sizes;
        final SeedData seed = new SeedData(sizes.seed(), new SeedData.Sizes(sizes.users(), sizes.rightsHolders(),
            sizes.tracks(), sizes.campaigns()));
        final List<SeedData.UserRow> users = seed.users();
        final Map<String, Integer> countryIndex = new LinkedHashMap<>();
        userCountry = new int[users.size()];
        userFree = new boolean[users.size()];
        for (int i = 0; i < users.size(); i++) {
            final SeedData.UserRow user = users.get(i);
            if (user.userId() != i + 1) {
                throw new IllegalStateException("seed users are not numbered 1..n: " + user.userId() + " at " + i);
            }
            userCountry[i] = countryIndex.computeIfAbsent(user.country(), c -> countryIndex.size());
            userFree[i] = "FREE".equals(user.tier());
        }
        countries = countryIndex.keySet().toArray(new String[0]);

        // Activity and popularity ranks are shuffled with the stream-independent reference seed, so that the
        // same database always has the same hits whatever the stream's seed.
        final SplittableRandom shuffle = new SplittableRandom(sizes.seed() * 7919 + 11);
        usersByActivity = shuffled(users.size(), shuffle);
        userActivityCdf = zipfCdf(users.size(), userActivityExponent);
        final List<Long> free = new ArrayList<>();
        for (final long user : usersByActivity) {
            if (userFree[(int) user - 1]) {
                free.add(user);
            }
        }
        freeUsersByActivity = free.stream().mapToLong(Long::longValue).toArray();
        freeUserActivityCdf = zipfCdf(freeUsersByActivity.length, userActivityExponent);

        final List<SeedData.TrackRow> tracks = seed.tracks();
        trackDurationMs = new int[tracks.size()];
        for (int i = 0; i < tracks.size(); i++) {
            trackDurationMs[i] = tracks.get(i).durationMs();
        }
        tracksByPopularity = shuffled(tracks.size(), shuffle);
        trackPopularityCdf = zipfCdf(tracks.size(), trackZipfExponent);

        final Map<Integer, List<Campaign>> byCountry = new HashMap<>();
        for (final SeedData.CampaignRow row : seed.campaigns()) {
            if (!"ACTIVE".equals(row.status())) {
                continue;
            }
            final Campaign campaign = new Campaign(row.campaignId(), row.startsAt().toEpochMilli(),
                row.endsAt().toEpochMilli());
            for (int c = 0; c < countries.length; c++) {
                if (row.targetCountries().isEmpty() || row.targetCountries().contains(countries[c])) {
                    byCountry.computeIfAbsent(c, k -> new ArrayList<>()).add(campaign);
                }
            }
        }
        campaignsByCountry = new Campaign[countries.length][];
        for (int c = 0; c < countries.length; c++) {
            campaignsByCountry[c] = byCountry.getOrDefault(c, List.of()).toArray(new Campaign[0]);
        }
    }

    public Sizes sizes() {
        return sizes;
    }

    /** A user drawn by activity, given a uniform number in [0, 1). */
    public long user(final double u) {
        return usersByActivity[search(userActivityCdf, u)];
    }

    /** A free-tier user drawn by activity, or -1 when the seed has none. */
    public long freeUser(final double u) {
        return freeUsersByActivity.length == 0 ? -1 : freeUsersByActivity[search(freeUserActivityCdf, u)];
    }

    /** A track drawn by popularity (Zipf), given a uniform number in [0, 1). */
    public long track(final double u) {
        return tracksByPopularity[search(trackPopularityCdf, u)];
    }

    public int trackDurationMs(final long trackId) {
        return trackDurationMs[(int) trackId - 1];
    }

    public String country(final long userId) {
        return countries[userCountry[(int) userId - 1]];
    }

    public boolean isFree(final long userId) {
        return userFree[(int) userId - 1];
    }

    /** Campaigns that may serve an ad in the user's country at the instant, or an empty array. */
    public Campaign[] campaignsFor(final long userId, final long atMs) {
        final Campaign[] candidates = campaignsByCountry[userCountry[(int) userId - 1]];
        int running = 0;
        for (final Campaign campaign : candidates) {
            if (campaign.startsMs() <= atMs && atMs < campaign.endsMs()) {
                running++;
            }
        }
        if (running == candidates.length) {
            return candidates;
        }
        final Campaign[] result = new Campaign[running];
        int i = 0;
        for (final Campaign campaign : candidates) {
            if (campaign.startsMs() <= atMs && atMs < campaign.endsMs()) {
                result[i++] = campaign;
            }
        }
        return result;
    }

    public int userCount() {
        return userCountry.length;
    }

    public int trackCount() {
        return trackDurationMs.length;
    }

    private static long[] shuffled(final int n, final SplittableRandom random) {
        final long[] ids = new long[n];
        for (int i = 0; i < n; i++) {
            ids[i] = i + 1;
        }
        for (int i = n - 1; i > 0; i--) {
            final int j = random.nextInt(i + 1);
            final long swap = ids[i];
            ids[i] = ids[j];
            ids[j] = swap;
        }
        return ids;
    }

    /** Cumulative Zipf probabilities over ranks 1..n (a workload shape, not money). */
    static double[] zipfCdf(final int n, final double exponent) {
        final double[] cdf = new double[n];
        double sum = 0;
        for (int k = 1; k <= n; k++) {
            sum += Math.pow(k, -exponent);
            cdf[k - 1] = sum;
        }
        for (int k = 0; k < n; k++) {
            cdf[k] /= sum;
        }
        return cdf;
    }

    static int search(final double[] cdf, final double u) {
        int lo = 0;
        int hi = cdf.length - 1;
        while (lo < hi) {
            final int mid = (lo + hi) >>> 1;
            if (cdf[mid] <= u) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }
}
