package io.melodyud.ops.loadgen;

import io.melodyud.avro.common.Device;
import io.melodyud.avro.event.AdClick;
import io.melodyud.avro.event.AdImpression;
import io.melodyud.avro.event.AdPlacement;
import io.melodyud.avro.event.PlayEvent;
import io.melodyud.avro.event.PlaySource;
import io.melodyud.ops.loadgen.GeneratedEvent.Kind;
import io.melodyud.ops.loadgen.GeneratedEvent.Lateness;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;

/**
 * The generator's event stream as a pure function of (spec, reference data, index): {@link #event(long)} computes
 * the record sent at any index without generating the ones before it, so a test can regenerate exactly what a run
 * sent, and several threads can build events ahead of the sender.
 *
 * <p>Each index gets its own random generator, seeded from the stream's seed and the index. What ties events
 * together is laid out in blocks of {@value #BLOCK} indexes:
 * <ul>
 *   <li>a clicked block has one designated position holding an impression; the block's click is sent from the
 *       last position (the slot) of a later block. Slots and blocks are paired by a random permutation within
 *       super-blocks, a bijection, so that each clicked impression gets exactly one click, minutes later, and no
 *       slot is claimed twice. Rarely, the two swap: the click is sent at the designated position and the
 *       impression, served earlier and reported late, at the slot;</li>
 *   <li>any other position may be a producer retry: the event of one of the previous few hundred indexes again,
 *       identical (same id, same times).</li>
 * </ul>
 * Not thread-safe (small caches); give each thread its own instance over the same {@link ReferenceData}.
 */
public final class EventStream {

    public static final int BLOCK = 64;
    private static final int SLOT = BLOCK - 1;
    /** Caps the permutation size, so that super-blocks stay a few megabytes at extreme densities. */
    private static final int MAX_SUPER_BLOCK = 1 << 18;

    private static final long SALT_INDEX = 0x5bd1e995L;
    private static final long SALT_BLOCK = 0x27d4eb2fL;
    private static final long SALT_DESIGNATED = 0x165667b1L;
    private static final long SALT_PERMUTATION = 0x61c88647L;
    private static final long SALT_SESSION = 0x7feb352dL;
    private static final long SALT_USER = 0x846ca68bL;

    private static final Device[] DEVICES = {Device.MOBILE, Device.DESKTOP, Device.WEB, Device.SMART_SPEAKER,
        Device.TV, Device.CAR};
    private static final int[] DEVICE_CDF = cdf(62, 14, 10, 6, 4, 4);
    private static final PlaySource[] SOURCES = {PlaySource.PLAYLIST, PlaySource.ALBUM, PlaySource.ARTIST,
        PlaySource.SEARCH, PlaySource.RADIO, PlaySource.RECOMMENDATION, PlaySource.UNKNOWN};
    private static final int[] SOURCE_CDF = cdf(34, 14, 10, 9, 8, 24, 1);
    private static final AdPlacement[] PLACEMENTS = {AdPlacement.AUDIO_BREAK, AdPlacement.BANNER,
        AdPlacement.VIDEO};
    private static final int[] PLACEMENT_CDF = cdf(62, 28, 10);

    private final StreamSpec spec;
    private final ReferenceData reference;
    private final DailyRhythm clock;
    private final int superBlock;
    private final double clickedBlockProbability;
    private final long[] blockCacheKeys = new long[64];
    private final BlockInfo[] blockCache = new BlockInfo[64];
    private final Map<Long, int[]> permutations = new LinkedHashMap<>(8, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(final Map.Entry<Long, int[]> eldest) {
            return size() > 3;
        }
    };

    /** What a block decides for the whole block: whether its designated impression is clicked, and how. */
    private record BlockInfo(boolean clicked, int designated, boolean clickFirst) {
    }

    public EventStream(final StreamSpec spec, final ReferenceData reference) {
        this.spec = spec;
        this.reference = reference;
        this.clock = new DailyRhythm(spec.startMs(), spec.density(), spec.rhythm());
        // Slot n hosts a block between 1 and 2S-1 blocks earlier: S sized so that the longest delay in events
        // matches the longest click delay at the mean density.
        final double maxDelayEvents = spec.clickMaxDelayMs() / 1000.0 * spec.density();
        this.superBlock = (int) Math.max(1, Math.min(MAX_SUPER_BLOCK, Math.floor(maxDelayEvents / (2.0 * BLOCK))));
        // Clicks per block / impressions per block = the click-through rate.
        this.clickedBlockProbability = Math.min(1.0, spec.clickRate() * spec.impressionFraction() * SLOT);
        java.util.Arrays.fill(blockCacheKeys, -1);
    }

    public StreamSpec spec() {
        return spec;
    }

    public DailyRhythm clock() {
        return clock;
    }

    /** The record sent at the index. */
    public GeneratedEvent event(final long index) {
        if (index < 0) {
            throw new IllegalArgumentException("negative index " + index);
        }
        final GeneratedEvent special = special(index);
        if (special != null) {
            return special;
        }
        long original = index;
        long duplicateOf;
        while ((duplicateOf = duplicateOf(original)) >= 0) {
            original = duplicateOf;
        }
        if (original == index) {
            return regular(index);
        }
        final GeneratedEvent first = special(original);
        return (first != null ? first : regular(original)).resentAt(index);
    }

    /** The index whose event this regular position re-sends, or -1 when it sends a new event. */
    private long duplicateOf(final long index) {
        if (index == 0 || special(index) != null) {
            return -1;
        }
        final SplittableRandom random = random(SALT_INDEX, index);
        if (random.nextDouble() >= spec.duplicateFraction()) {
            return -1;
        }
        return index - 1 - random.nextInt((int) Math.min(index, spec.duplicateMaxDistance()));
    }

    /** The designated impression of a clicked block, or its click; the hosted click (or impression) of a slot. */
    private GeneratedEvent special(final long index) {
        final long block = index / BLOCK;
        final int position = (int) (index % BLOCK);
        final BlockInfo info = blockInfo(block);
        if (info.clicked() && position == info.designated()) {
            final AdImpression impression = designatedImpression(block, info);
            if (impression != null) {
                return info.clickFirst()
                    ? click(index, impression, firstClickTimeMs(block, info, impression), true)
                    : new GeneratedEvent(index, Kind.IMPRESSION, impression.getUserId(), impression, index,
                        impression.getServedAt().toEpochMilli(), Lateness.ON_TIME, false, false);
            }
        }
        if (position == SLOT) {
            final long target = hostedBlock(block);
            if (target >= 0) {
                final BlockInfo targetInfo = blockInfo(target);
                final AdImpression impression = targetInfo.clicked() ? designatedImpression(target, targetInfo) : null;
                if (impression != null) {
                    if (targetInfo.clickFirst()) {
                        final long servedAt = impression.getServedAt().toEpochMilli();
                        return new GeneratedEvent(index, Kind.IMPRESSION, impression.getUserId(), impression, index,
                            servedAt, lateness(clock.timeMs(index) - servedAt), false, false);
                    }
                    final long servedAt = impression.getServedAt().toEpochMilli();
                    final long clickedAt = Math.max(servedAt + 1_000,
                        clock.timeMs(index) - random(SALT_DESIGNATED ^ 1, index).nextInt(1_000));
                    return click(index, impression, clickedAt, false);
                }
            }
        }
        return null;
    }

    private GeneratedEvent click(final long index, final AdImpression impression, final long clickedAtMs,
                                 final boolean beforeImpression) {
        final SplittableRandom random = random(SALT_DESIGNATED ^ 2, index);
        final AdClick click = new AdClick(uuid(random), impression.getImpressionId(), impression.getUserId(),
            impression.getCampaignId(), Instant.ofEpochMilli(clickedAtMs), impression.getCountry(),
            impression.getDevice());
        return new GeneratedEvent(index, Kind.CLICK, click.getUserId(), click, index, clickedAtMs,
            lateness(clock.timeMs(index) - clickedAtMs), false, beforeImpression);
    }

    private long firstClickTimeMs(final long block, final BlockInfo info, final AdImpression impression) {
        final SplittableRandom random = random(SALT_DESIGNATED ^ 3, block);
        return impression.getServedAt().toEpochMilli() + 1_000 + random.nextInt(4_000);
    }

    /** The designated impression of a clicked block, or null when no campaign may serve its user then. */
    private AdImpression designatedImpression(final long block, final BlockInfo info) {
        final long index = block * BLOCK + info.designated();
        final SplittableRandom random = random(SALT_DESIGNATED, index);
        final long user = reference.freeUser(random.nextDouble());
        if (user < 0) {
            return null;
        }
        final long now = clock.timeMs(index);
        // Clicked before its report: served up to a minute earlier, and the click within seconds (see special()).
        final long servedAt = info.clickFirst() ? now - 5_000 - random.nextInt(55_000) : now - random.nextInt(2_000);
        return impression(random, user, servedAt);
    }

    private AdImpression impression(final SplittableRandom random, final long user, final long servedAtMs) {
        final ReferenceData.Campaign[] campaigns = reference.campaignsFor(user, servedAtMs);
        if (campaigns.length == 0) {
            return null;
        }
        final ReferenceData.Campaign campaign = campaigns[random.nextInt(campaigns.length)];
        return new AdImpression(uuid(random), user, campaign.campaignId(),
            campaign.campaignId() * 100 + 1 + random.nextInt(4), Instant.ofEpochMilli(servedAtMs),
            reference.country(user), device(user, random), PLACEMENTS[weighted(PLACEMENT_CDF, random)]);
    }

    /** A new play or impression at a position with nothing special. */
    private GeneratedEvent regular(final long index) {
        final SplittableRandom random = random(SALT_INDEX, index);
        random.nextDouble(); // the retry draw (see duplicateOf): same generator, so draws stay independent
        final double lateDraw = random.nextDouble();
        final long lateness;
        if (lateDraw < spec.beyondGraceFraction()) {
            lateness = spec.graceMs() + 60_000 + random.nextLong(3_600_000);
        } else if (lateDraw < spec.beyondGraceFraction() + spec.lateFraction()) {
            lateness = 60_000 + random.nextLong(spec.lateMaxMs() - 60_000);
        } else {
            // Delivery jitter: a few hundred milliseconds usually, up to three seconds.
            final double u = random.nextDouble();
            lateness = (long) (u * u * 3_000);
        }
        final long now = clock.timeMs(index);
        final long eventTime = now - lateness;
        if (random.nextDouble() < spec.impressionFraction()) {
            final long user = reference.freeUser(random.nextDouble());
            final AdImpression impression = user < 0 ? null : impression(random, user, eventTime);
            if (impression != null) {
                return new GeneratedEvent(index, Kind.IMPRESSION, user, impression, index, eventTime,
                    lateness(lateness), false, false);
            }
        }
        return play(index, random, now, eventTime, lateness);
    }

    private GeneratedEvent play(final long index, final SplittableRandom random, final long now,
                                final long startedAt, final long lateness) {
        final long user = reference.user(random.nextDouble());
        final long track = reference.track(random.nextDouble());
        final int duration = reference.trackDurationMs(track);
        final boolean invalid = random.nextDouble() < spec.invalidFraction();
        final long msPlayed;
        if (invalid) {
            // What buggy clients send: a negative duration, or a player left "playing" for days.
            msPlayed = random.nextBoolean() ? -1 - random.nextInt(600_000) : 6 * 3_600_000L + random.nextLong(
                3 * 86_400_000L);
        } else if (random.nextDouble() < spec.shortPlayFraction()) {
            msPlayed = 500 + random.nextInt(29_500);
        } else if (random.nextDouble() < 0.7) {
            msPlayed = Math.max(30_000, duration - random.nextInt(2_000));
        } else {
            msPlayed = 30_000 + random.nextInt(Math.max(1, duration - 30_000));
        }
        final long userHash = mix64(reference.sizes().seed() ^ SALT_USER ^ user * 0x9E3779B97F4A7C15L);
        // One user in twenty runs an old app that reports neither session nor version.
        final boolean oldApp = Math.floorMod(userHash, 20) == 0;
        final String country = random.nextInt(200) == 0
            ? reference.country(reference.user(random.nextDouble())) // travelling
            : reference.country(user);
        final Device device = device(user, random);
        final String session = oldApp ? null
            : uuidOf(mix64(spec.seed() ^ SALT_SESSION ^ user), startedAt / 1_800_000L).toString();
        final long sentAt = lateness >= 60_000
            ? now // buffered offline: sent when the device came back
            : startedAt + Math.max(0, msPlayed) + 200 + random.nextInt(1_800);
        final PlayEvent play = new PlayEvent(uuid(random), user, track, Instant.ofEpochMilli(startedAt), msPlayed,
            country, device, SOURCES[weighted(SOURCE_CDF, random)], session,
            oldApp ? null : clientVersion(device, userHash), Instant.ofEpochMilli(sentAt));
        return new GeneratedEvent(index, Kind.PLAY, user, play, index, startedAt, lateness(lateness), invalid, false);
    }

    private Lateness lateness(final long behindMs) {
        if (behindMs > spec.graceMs()) {
            return Lateness.BEYOND_GRACE;
        }
        return behindMs >= 60_000 ? Lateness.LATE : Lateness.ON_TIME;
    }

    private Device device(final long user, final SplittableRandom random) {
        if (random.nextInt(5) > 0) {
            // Four plays in five come from the user's usual device.
            final SplittableRandom usual = new SplittableRandom(mix64(reference.sizes().seed() ^ SALT_USER ^ user));
            return DEVICES[weighted(DEVICE_CDF, usual)];
        }
        return DEVICES[weighted(DEVICE_CDF, random)];
    }

    private static String clientVersion(final Device device, final long userHash) {
        final long h = userHash >>> 8;
        final String platform = switch (device) {
            case MOBILE -> (h & 1) == 0 ? "android" : "ios";
            case DESKTOP -> "desktop";
            case WEB -> "web";
            case SMART_SPEAKER -> "speaker";
            case TV -> "tv";
            case CAR -> "car";
            default -> "unknown";
        };
        return platform + "-8." + (10 + (h >>> 1) % 5) + "." + ((h >>> 4) % 10);
    }

    private BlockInfo blockInfo(final long block) {
        final int slot = (int) (block & 63);
        if (blockCacheKeys[slot] == block) {
            return blockCache[slot];
        }
        final SplittableRandom random = random(SALT_BLOCK, block);
        final BlockInfo info = new BlockInfo(random.nextDouble() < clickedBlockProbability, random.nextInt(SLOT),
            random.nextDouble() < spec.clickBeforeImpressionFraction());
        blockCacheKeys[slot] = block;
        blockCache[slot] = info;
        return info;
    }

    /** The block whose click the slot of this block sends, or -1 (the first super-block's slots host none). */
    private long hostedBlock(final long block) {
        final long group = block / superBlock;
        if (group == 0) {
            return -1;
        }
        final int[] permutation = permutations.computeIfAbsent(group, this::permutation);
        return (group - 1) * superBlock + permutation[(int) (block % superBlock)];
    }

    private int[] permutation(final long group) {
        final int[] permutation = new int[superBlock];
        for (int i = 0; i < superBlock; i++) {
            permutation[i] = i;
        }
        final SplittableRandom random = random(SALT_PERMUTATION, group);
        for (int i = superBlock - 1; i > 0; i--) {
            final int j = random.nextInt(i + 1);
            final int swap = permutation[i];
            permutation[i] = permutation[j];
            permutation[j] = swap;
        }
        return permutation;
    }

    private SplittableRandom random(final long salt, final long index) {
        return new SplittableRandom(mix64(mix64(spec.seed() ^ salt) + index * 0x9E3779B97F4A7C15L));
    }

    /** A random (version 4) UUID from the generator: deterministic, unlike {@link UUID#randomUUID()}. */
    private static UUID uuid(final SplittableRandom random) {
        return uuidOf(random.nextLong(), random.nextLong());
    }

    private static UUID uuidOf(final long a, final long b) {
        final long msb = (mix64(a) & ~0xF000L) | 0x4000L;
        final long lsb = (mix64(b ^ a) & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
        return new UUID(msb, lsb);
    }

    static long mix64(final long value) {
        long z = value;
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    private static int[] cdf(final int... weights) {
        final int[] cdf = new int[weights.length];
        int sum = 0;
        for (int i = 0; i < weights.length; i++) {
            sum += weights[i];
            cdf[i] = sum;
        }
        return cdf;
    }

    private static int weighted(final int[] cdf, final SplittableRandom random) {
        final int r = random.nextInt(cdf[cdf.length - 1]);
        for (int i = 0; i < cdf.length; i++) {
            if (r < cdf[i]) {
                return i;
            }
        }
        return cdf.length - 1;
    }
}
