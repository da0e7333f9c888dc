package io.melodyud.topologies.ads;

import io.melodyud.avro.cdc.CampaignStatus;
import io.melodyud.avro.cdc.User;
import io.melodyud.avro.common.Tier;
import io.melodyud.avro.event.AdClick;
import io.melodyud.avro.event.AdImpression;
import io.melodyud.contracts.topics.Topics;
import io.melodyud.topologies.ads.AdCodecs.CampaignDelta;
import io.melodyud.topologies.ads.AdCodecs.CampaignVersion;
import io.melodyud.topologies.ads.AdCodecs.HourDelta;
import io.melodyud.topologies.ads.AdCodecs.ImpressionRef;
import io.melodyud.topologies.ads.AdCodecs.PendingClick;
import io.melodyud.topologies.ads.AdCodecs.Watermark;
import io.melodyud.topologies.common.BadInputException;
import io.melodyud.topologies.common.CommitHook;
import io.melodyud.topologies.common.DeadLetterHandlers;
import io.melodyud.topologies.common.Deduplicator;
import io.melodyud.topologies.common.ErrorCounters;
import io.melodyud.topologies.common.UserHistory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.atomic.LongAdder;
import org.apache.avro.specific.SpecificRecord;
import org.apache.datasketches.hll.HllSketch;
import org.apache.datasketches.hll.TgtHllType;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * First stage, on the input partitions (impressions, clicks and users are all keyed by user id, so a user's events
 * and tier history meet in one task, and a retried event lands where its first copy did; every partition also
 * receives every campaign change, broadcast):
 * <ul>
 *   <li>keeps the users' tiers over time ({@link UserHistory}; a tombstone erases the user) and the campaigns'
 *       versions ({@link CampaignHistory}). Kafka Streams hands a task its records in timestamp order across its
 *       partitions, so a change committed before an impression was served is normally applied before the
 *       impression is priced; when CDC trails, the lookup uses the version valid at served_at among those
 *       known;</li>
 *   <li>validates each event (dead letter otherwise), decides lateness against the partition's event time, and
 *       drops duplicates by impression id and click id;</li>
 *   <li>prices an impression with the campaign version valid at its served_at ({@link CampaignHistory}), bills it
 *       only when the user was on the free tier then ({@link UserHistory}), and indexes it by id for its clicks;</li>
 *   <li>attributes a click to its impression (found in the index, or when it arrives later: the click is held in
 *       state for {@code ads.click.hold.ms}), or counts it as unattributed;</li>
 *   <li>adds everything to per-(campaign, country, hour) pending deltas in plain maps, sent downstream (keyed by
 *       campaign) when the task commits ({@link CommitHook}), in the transaction that commits the events they
 *       count, followed by this partition's watermark.</li>
 * </ul>
 * The event time of the partition (its watermark) is the newest served_at or clicked_at seen, not Kafka Streams'
 * stream time, which the users' and campaigns' changes also move; it is stored, so a restart resumes from it.
 *
 * <p>Outputs, all keyed by a long: {@link CampaignDelta} and {@link Watermark} (to the aggregation), {@link Late}
 * (late events), {@link Anomaly} (impressions served to paid users) and {@link DeadLetter} (a held click that
 * turned out to name another user's or campaign's impression when that impression arrived).
 */
final class AdIntakeProcessor implements Processor<Long, Object, Long, Object> {

    static final String USERS_STORE = "ad-user-history";
    static final String CAMPAIGN_VERSIONS_STORE = "ad-campaign-versions";
    static final String CAMPAIGN_CLOCK_STORE = "ad-campaign-clock";
    static final String IMPRESSION_DEDUP_STORE = "ad-impression-dedup";
    static final String CLICK_DEDUP_STORE = "ad-click-dedup";
    static final String PENDING_CLICKS_STORE = "ad-pending-clicks";
    static final String WATERMARK_STORE = "ad-intake-watermark";
    static final String COMMIT_HOOK = "ad-intake-commit";

    static final String LATE_REASON_HEADER = "melody.late.reason";
    static final String LATE_EVENT_HEADER = "melody.late.event";
    static final String LATE_HOUR_HEADER = "melody.late.hour";

    static final long HOUR_MS = Duration.ofHours(1).toMillis();
    private static final Long WATERMARK_KEY = 0L;
    private static final long UNKNOWN = Long.MIN_VALUE;

    /** A change of the users topic; {@code user} is null for a tombstone (an erasure). */
    record UserChange(User user) {
    }

    /** A late event, for the late topic; the reason is in the record's headers. */
    record Late(SpecificRecord event) {
    }

    /** An impression served to a user who was not on the free tier: counted, not billed. */
    record Anomaly(AdImpression impression) {
    }

    /** A record sent to the dead-letter topic by the processor itself; reason and source are in the headers. */
    record DeadLetter(SpecificRecord event) {
    }

    private final AdReportsConfig config;
    private final AdRules rules;
    private final ErrorCounters counters;
    private final long graceMs;
    private final long holdMs;
    private final long windowMs;
    private final int lgK;
    private final LongAdder duplicateImpressions;
    private final LongAdder duplicateClicks;
    private final LongAdder premium;
    private final LongAdder unknownUser;
    private final LongAdder tierBeforeHistory;
    private final LongAdder attributed;

    private ProcessorContext<Long, Object> context;
    private Deduplicator impressionDedup;
    private Deduplicator clickDedup;
    private KeyValueStore<Bytes, byte[]> pendingStore;
    private KeyValueStore<Long, Long> watermarkStore;
    private CampaignHistory campaigns;
    private UserHistory users;
    private int partition;

    /** Newest event time of this partition, and the value last sent downstream. */
    private long watermark = UNKNOWN;
    private long sentWatermark = UNKNOWN;

    /** Pending deltas: campaign id, then (hour index, country) packed in a long. */
    private final Map<Long, CampaignPending> pending = new HashMap<>();
    /** Held clicks by impression id, and in expiry order; both mirror the pending-clicks store. */
    private final Map<UUID, List<HeldClick>> heldByImpression = new HashMap<>();
    private final TreeSet<HeldClick> heldByTime = new TreeSet<>(Comparator.comparingLong(HeldClick::clickedAt)
        .thenComparing(h -> h.pending().click().getClickId()));

    AdIntakeProcessor(final AdReportsConfig config, final ErrorCounters counters) {
        this.config = config;
        this.rules = new AdRules(config.maxFutureMs());
        this.counters = counters;
        this.graceMs = config.graceMs();
        this.holdMs = config.clickHoldMs();
        this.windowMs = config.attributionWindowMs();
        this.lgK = config.uniqueUsersLgK();
        this.duplicateImpressions = counters.counter("skipped", "duplicate-impression");
        this.duplicateClicks = counters.counter("skipped", "duplicate-click");
        this.premium = counters.counter("anomaly", "premium-impression");
        this.unknownUser = counters.counter("assumed-free", "unknown-user");
        this.tierBeforeHistory = counters.counter("tier", "before-oldest-version");
        this.attributed = counters.counter("clicks", "attributed");
    }

    @Override
    public void init(final ProcessorContext<Long, Object> context) {
        this.context = context;
        this.partition = context.taskId().partition();
        // The impressions' deduplicator also keeps each impression's reference, for its clicks to find.
        this.impressionDedup = new Deduplicator(context, IMPRESSION_DEDUP_STORE, config.dedupHorizonMs(),
            config.impressionIndexRetentionMs(), AdCodecs.IMPRESSION_REF_BYTES);
        this.clickDedup = new Deduplicator(context, CLICK_DEDUP_STORE, config.dedupHorizonMs());
        this.pendingStore = context.getStateStore(PENDING_CLICKS_STORE);
        this.watermarkStore = context.getStateStore(WATERMARK_STORE);
        this.campaigns = new CampaignHistory(context.getStateStore(CAMPAIGN_VERSIONS_STORE),
            context.getStateStore(CAMPAIGN_CLOCK_STORE), config.campaignHistoryRetentionMs(), counters);
        this.users = new UserHistory(context.getStateStore(USERS_STORE));
        final Long saved = watermarkStore.get(WATERMARK_KEY);
        watermark = saved == null ? UNKNOWN : saved;
        try (KeyValueIterator<Bytes, byte[]> all = pendingStore.all()) {
            all.forEachRemaining(entry -> remember(new HeldClick(entry.key, AdCodecs.decodePendingClick(entry.value))));
        }
        final CommitHook hook = context.getStateStore(COMMIT_HOOK);
        hook.register(context, this::flush);
    }

    @Override
    public void process(final Record<Long, Object> record) {
        final long now = context.currentSystemTimeMs();
        final Object value = record.value();
        if (value instanceof AdImpression impression) {
            impression(record, rules.validate(record.key(), impression, now));
        } else if (value instanceof AdClick click) {
            click(record, rules.validate(record.key(), click, now));
        } else if (value instanceof UserChange change) {
            rules.validate(record.key(), change.user(), now);
            users.apply(record.key(), change.user());
            return;
        } else if (value instanceof CampaignVersion version) {
            if (version.deleted()) {
                campaigns.delete(version.campaignId(), record.timestamp());
            } else {
                campaigns.put(version);
            }
            return;
        } else if (record.key() == null) {
            throw new BadInputException(AdRules.NULL_KEY, "Record without a key or value on " + sourceTopic());
        } else {
            throw new BadInputException(AdRules.NULL_VALUE, "Tombstone on " + sourceTopic() + " for user "
                + record.key());
        }
    }

    private void impression(final Record<Long, Object> record, final AdImpression impression) {
        final long servedAt = impression.getServedAt().toEpochMilli();
        advance(servedAt);
        if (impressionDedup.beyondHorizon(servedAt, watermark)) {
            // It could be a duplicate we no longer remember: counting it could count it twice.
            late(record, "impression", "beyond-dedup-horizon", servedAt);
            return;
        }
        final long campaignId = impression.getCampaignId();
        final CampaignVersion campaign = campaigns.asOf(campaignId, servedAt);
        if (campaign == null) {
            throw new BadInputException(AdRules.UNKNOWN_CAMPAIGN, describe(impression) + ": no such campaign at "
                + impression.getServedAt());
        }
        if (campaign.status() != CampaignStatus.ACTIVE) {
            throw new BadInputException(AdRules.CAMPAIGN_NOT_ACTIVE, describe(impression)
                + " served while the campaign was " + campaign.status() + ": not billed");
        }
        if (!campaign.runsAt(servedAt)) {
            throw new BadInputException(AdRules.OUTSIDE_CAMPAIGN_DATES, describe(impression) + " served at "
                + impression.getServedAt() + ", outside the campaign's dates " + Instant.ofEpochMilli(campaign.startsAt())
                + " to " + Instant.ofEpochMilli(campaign.endsAt()) + ": not billed");
        }
        final short country = AdRules.countryCode(impression.getCountry());
        if (!campaign.targets(country)) {
            throw new BadInputException(AdRules.COUNTRY_NOT_TARGETED, describe(impression) + " served in "
                + impression.getCountry() + ", which the campaign does not target: not billed");
        }
        final long userId = impression.getUserId();
        final ImpressionRef ref = new ImpressionRef(campaignId, userId, country);
        // Checked after the campaign, so that an impression refused for an unknown campaign (CDC behind) can be
        // sent again from the dead-letter topic once the campaign is known, without being taken for a duplicate.
        // A late impression is remembered too: its clicks find it, and are late or attributed on their own time.
        if (!impressionDedup.firstSeen(impression.getImpressionId(), servedAt, AdCodecs.encode(ref))) {
            duplicateImpressions.increment();
            return;
        }
        // After deduplication: a retried copy of a late impression is a duplicate, not a second late record.
        if (closed(servedAt)) {
            late(record, "impression", "after-grace", servedAt);
            return;
        }

        final UserHistory.Version user = users.asOf(userId, servedAt);
        final boolean billed;
        if (user == null) {
            // New accounts start on the free tier and CDC can trail the ad server by a little: the ad server's
            // decision to serve stands, and the counter shows how often we had no evidence.
            unknownUser.increment();
            billed = true;
        } else {
            if (user.beforeOldest()) {
                tierBeforeHistory.increment();
            }
            billed = user.tier() == Tier.FREE;
        }
        final HourPending hour = pending(campaignId, campaign.currency(), country, servedAt);
        hour.impressions++;
        hour.users.update(userId);
        if (billed) {
            hour.spendUnits = Math.addExact(hour.spendUnits, campaign.cpmUnits());
            hour.lastBilledAt = Math.max(hour.lastBilledAt, servedAt);
        } else {
            hour.premiumImpressions++;
            premium.increment();
            context.forward(new Record<>(userId, new Anomaly(impression), record.timestamp(), record.headers()));
        }

        final List<HeldClick> held = heldByImpression.remove(impression.getImpressionId());
        if (held != null) {
            for (final HeldClick click : held) {
                heldByTime.remove(click);
                pendingStore.delete(click.key());
                resolveHeld(click.pending(), ref, servedAt);
            }
        }
    }

    private void click(final Record<Long, Object> record, final AdClick click) {
        final long clickedAt = click.getClickedAt().toEpochMilli();
        advance(clickedAt);
        if (clickDedup.beyondHorizon(clickedAt, watermark)) {
            late(record, "click", "beyond-dedup-horizon", clickedAt);
            return;
        }
        // Contract checks come before deduplication, so that a refused click sent again (from the dead-letter
        // topic, once fixed) is not taken for a duplicate.
        final KeyValue<Long, ImpressionRef> impression = findImpression(click.getImpressionId(), clickedAt);
        if (impression != null) {
            checkMatches(click, impression.value);
        }
        if (campaigns.asOf(click.getCampaignId(), clickedAt) == null) {
            throw new BadInputException(AdRules.UNKNOWN_CAMPAIGN, describe(click) + ": campaign "
                + click.getCampaignId() + " unknown at " + click.getClickedAt());
        }
        if (!clickDedup.firstSeen(click.getClickId(), clickedAt)) {
            duplicateClicks.increment();
            return;
        }
        if (closed(clickedAt)) {
            late(record, "click", "after-grace", clickedAt);
            return;
        }
        if (impression != null) {
            attribute(click, impression.value, impression.key);
            return;
        }
        final RecordMetadata source = context.recordMetadata().orElse(null);
        final PendingClick pendingClick = new PendingClick(click, source == null ? -1 : source.partition(),
            source == null ? -1 : source.offset());
        final Bytes key = Bytes.wrap(AdCodecs.pendingKey(click.getImpressionId(), click.getClickId()));
        pendingStore.put(key, AdCodecs.encode(pendingClick));
        remember(new HeldClick(key, pendingClick));
        counters.increment("clicks", "held");
    }

    /**
     * The impression a click names, if it was served up to the index's retention before the click (or, for a clock
     * that went backwards, up to an attribution window after it): the latest one, with its served_at.
     */
    private KeyValue<Long, ImpressionRef> findImpression(final UUID impressionId, final long clickedAt) {
        final KeyValue<Long, byte[]> found = impressionDedup.find(impressionId,
            clickedAt - config.impressionIndexRetentionMs(), clickedAt + windowMs);
        return found == null ? null : KeyValue.pair(found.key, AdCodecs.decodeImpressionRef(found.value));
    }

    private static void checkMatches(final AdClick click, final ImpressionRef impression) {
        if (impression.userId() != click.getUserId()) {
            throw new BadInputException(AdRules.CLICK_USER_MISMATCH, describe(click) + " by user "
                + click.getUserId() + ", but the impression was served to user " + impression.userId());
        }
        if (impression.campaignId() != click.getCampaignId()) {
            throw new BadInputException(AdRules.CLICK_CAMPAIGN_MISMATCH, describe(click) + " reports campaign "
                + click.getCampaignId() + ", but the impression belongs to campaign " + impression.campaignId());
        }
    }

    /** For error messages only: built when one is thrown, not for every event. */
    private static String describe(final AdImpression impression) {
        return "Impression " + impression.getImpressionId() + " of campaign " + impression.getCampaignId();
    }

    private static String describe(final AdClick click) {
        return "Click " + click.getClickId() + " on impression " + click.getImpressionId();
    }

    /** Counts a click whose impression is known: attributed within the window, otherwise unattributed. */
    private void attribute(final AdClick click, final ImpressionRef impression, final long servedAt) {
        final long clickedAt = click.getClickedAt().toEpochMilli();
        if (clickedAt < servedAt) {
            unattributed(click, "before-impression");
        } else if (clickedAt - servedAt > windowMs) {
            unattributed(click, "after-window");
        } else {
            final CampaignVersion campaign = campaigns.latest(impression.campaignId());
            pending(impression.campaignId(), campaign == null ? null : campaign.currency(), impression.country(),
                clickedAt).clicks++;
            attributed.increment();
        }
    }

    /** A held click meets its impression: checked like a fresh one, but its dead letter is sent from here. */
    private void resolveHeld(final PendingClick held, final ImpressionRef impression, final long servedAt) {
        final AdClick click = held.click();
        try {
            checkMatches(click, impression);
        } catch (final BadInputException e) {
            deadLetter(held, e);
            return;
        }
        attribute(click, impression, servedAt);
    }

    private void unattributed(final AdClick click, final String reason) {
        final long clickedAt = click.getClickedAt().toEpochMilli();
        final CampaignVersion campaign = campaigns.asOf(click.getCampaignId(), clickedAt);
        if (campaign == null) {
            // Only when the campaign vanished from the history while the click was held: nothing to report it on.
            counters.increment("unattributed-dropped", "unknown-campaign");
            return;
        }
        pending(click.getCampaignId(), campaign.currency(), AdRules.countryCode(click.getCountry()), clickedAt)
            .unattributedClicks++;
        counters.increment("unattributed", reason);
    }

    /** Moves the partition's event time forward, and releases the held clicks that have waited long enough. */
    private void advance(final long eventTime) {
        if (eventTime <= watermark) {
            return;
        }
        watermark = eventTime;
        while (!heldByTime.isEmpty() && heldByTime.first().clickedAt() + holdMs <= watermark) {
            final HeldClick expired = heldByTime.pollFirst();
            final List<HeldClick> sameImpression = heldByImpression.get(expired.pending().click().getImpressionId());
            sameImpression.remove(expired);
            if (sameImpression.isEmpty()) {
                heldByImpression.remove(expired.pending().click().getImpressionId());
            }
            pendingStore.delete(expired.key());
            unattributed(expired.pending().click(), "no-impression");
        }
    }

    /** Whether the hour holding {@code eventTime} has closed for this partition (its end plus grace is behind). */
    private boolean closed(final long eventTime) {
        return hourStart(eventTime) + HOUR_MS + graceMs <= watermark;
    }

    static long hourStart(final long timeMs) {
        return Math.floorDiv(timeMs, HOUR_MS) * HOUR_MS;
    }

    private HourPending pending(final long campaignId, final String currency, final short country, final long time) {
        final CampaignPending campaign = pending.computeIfAbsent(campaignId, id -> new CampaignPending(currency));
        final long hour = hourStart(time);
        final long packed = (hour / HOUR_MS) << 16 | (country & 0xffffL);
        return campaign.hours.computeIfAbsent(packed, p -> new HourPending(country, hour, lgK));
    }

    private void remember(final HeldClick held) {
        heldByImpression.computeIfAbsent(held.pending().click().getImpressionId(), id -> new ArrayList<>(1)).add(held);
        heldByTime.add(held);
    }

    private void late(final Record<Long, Object> record, final String event, final String reason,
                      final long eventTime) {
        counters.increment("late", event + ":" + reason);
        final Headers headers = new RecordHeaders(record.headers().toArray());
        headers.add(LATE_REASON_HEADER, utf8(reason));
        headers.add(LATE_EVENT_HEADER, utf8(event));
        headers.add(LATE_HOUR_HEADER, utf8(Instant.ofEpochMilli(hourStart(eventTime)).toString()));
        context.recordMetadata().ifPresent(meta -> addSource(headers, meta.topic(), meta.partition(), meta.offset()));
        context.forward(new Record<>(record.key(), new Late((SpecificRecord) record.value()), record.timestamp(), headers));
    }

    /**
     * A held click's dead letter, written like {@link DeadLetterHandlers} writes them, with the click's own source
     * position: the record being processed is the impression, which is fine.
     */
    private void deadLetter(final PendingClick held, final BadInputException e) {
        counters.increment(DeadLetterHandlers.DEAD_LETTER, e.reason());
        final Headers headers = new RecordHeaders();
        headers.add(DeadLetterHandlers.REASON_HEADER, utf8(e.reason()));
        headers.add(DeadLetterHandlers.MESSAGE_HEADER, utf8(e.getMessage()));
        headers.add(DeadLetterHandlers.EXCEPTION_HEADER, utf8(BadInputException.class.getName()));
        headers.add(DeadLetterHandlers.STAGE_HEADER, utf8("processing"));
        addSource(headers, Topics.AD_CLICKS.name(), held.sourcePartition(), held.sourceOffset());
        context.forward(new Record<>(held.click().getUserId(), new DeadLetter(held.click()), held.clickedAt(),
            headers));
    }

    private static void addSource(final Headers headers, final String topic, final int partition, final long offset) {
        headers.add(DeadLetterHandlers.TOPIC_HEADER, utf8(topic));
        headers.add(DeadLetterHandlers.PARTITION_HEADER, utf8(Integer.toString(partition)));
        headers.add(DeadLetterHandlers.OFFSET_HEADER, utf8(Long.toString(offset)));
    }

    private String sourceTopic() {
        return context.recordMetadata().map(RecordMetadata::topic).orElse("an input topic");
    }

    private static byte[] utf8(final String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** Sends one delta per campaign with pending counts, then this partition's watermark. */
    private void flush() {
        // The same clock as their horizon checks: this partition's event watermark.
        impressionDedup.commit(watermark);
        clickDedup.commit(watermark);
        final long timestamp = watermark == UNKNOWN ? context.currentStreamTimeMs() : watermark;
        for (final Map.Entry<Long, CampaignPending> entry : pending.entrySet()) {
            final long campaignId = entry.getKey();
            final CampaignPending campaign = entry.getValue();
            final CampaignVersion latest = campaigns.latest(campaignId);
            final String currency = campaign.currency != null ? campaign.currency
                : latest == null ? null : latest.currency();
            if (currency == null) {
                counters.increment("unattributed-dropped", "unknown-campaign");
                continue;
            }
            final List<HourDelta> hours = new ArrayList<>(campaign.hours.size());
            for (final HourPending hour : campaign.hours.values()) {
                hours.add(new HourDelta(hour.country, hour.hourStart, hour.impressions, hour.premiumImpressions,
                    hour.clicks, hour.unattributedClicks, hour.spendUnits, hour.lastBilledAt,
                    hour.impressions == 0 ? null : hour.users.toCompactByteArray()));
            }
            context.forward(new Record<>(campaignId, new CampaignDelta(currency, latest == null ? 0
                : latest.budgetCents(), hours), timestamp));
        }
        pending.clear();
        if (watermark != sentWatermark && watermark != UNKNOWN) {
            watermarkStore.put(WATERMARK_KEY, watermark);
            context.forward(new Record<>((long) partition, new Watermark(partition, watermark), watermark));
            sentWatermark = watermark;
        }
    }

    private record HeldClick(Bytes key, PendingClick pending) {

        long clickedAt() {
            return pending.clickedAt();
        }
    }

    private static final class CampaignPending {
        private final String currency;
        private final Map<Long, HourPending> hours = new HashMap<>(4);

        CampaignPending(final String currency) {
            this.currency = currency;
        }
    }

    private static final class HourPending {
        private final short country;
        private final long hourStart;
        private final HllSketch users;
        private long impressions;
        private long premiumImpressions;
        private long clicks;
        private long unattributedClicks;
        private long spendUnits;
        private long lastBilledAt = -1;

        HourPending(final short country, final long hourStart, final int lgK) {
            this.country = country;
            this.hourStart = hourStart;
            // HLL_8: the aggregation's unions are HLL_8, and merge it without converting.
            this.users = new HllSketch(lgK, TgtHllType.HLL_8);
        }
    }
}
