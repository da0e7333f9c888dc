package io.melodyud.topologies.ads;

import io.melodyud.topologies.ads.AdCodecs.CampaignVersion;
import io.melodyud.topologies.common.ErrorCounters;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.VersionedKeyValueStore;
import org.apache.kafka.streams.state.VersionedRecord;

/**
 * The versions of every campaign, by {@code updated_at}, so that an impression is priced with the CPM (and checked
 * against the status, dates and targeting) valid when it was served: a Kafka Streams versioned store.
 *
 * <p>A versioned store silently drops a write older than its history retention behind the newest timestamp it has
 * seen (its "observed stream time"), and the CDC snapshot's rows carry an {@code updated_at} of months ago, often
 * after newer changes of other campaigns. Such a write is clamped to the retention floor instead: the version then
 * starts at the floor, which gives the right answer for every lookup the store can serve (those at or after the
 * floor) unless a newer version of the campaign already covers the floor, in which case the old row changes nothing
 * and is skipped. That comparison uses the true {@code updated_at} kept in the value, since a clamped version's
 * store timestamp is not its own. The observed time is kept in a small store of its own, because the versioned store
 * does not expose it.
 *
 * <p>The latest version of each campaign is also kept in memory: nearly every impression is priced with it, and a
 * lookup then costs a map access instead of a RocksDB read and a decode.
 */
final class CampaignHistory {

    private static final Long CLOCK_KEY = 0L;

    private final VersionedKeyValueStore<Long, CampaignVersion> store;
    private final KeyValueStore<Long, Long> clock;
    private final long retentionMs;
    private final Map<Long, VersionedRecord<CampaignVersion>> latest = new HashMap<>();
    private final LongAdder clamped;
    private final LongAdder stale;
    private long observed;

    CampaignHistory(final VersionedKeyValueStore<Long, CampaignVersion> store, final KeyValueStore<Long, Long> clock,
                    final long retentionMs, final ErrorCounters counters) {
        this.store = store;
        this.clock = clock;
        this.retentionMs = retentionMs;
        this.clamped = counters.counter("campaign-version", "clamped-to-retention");
        this.stale = counters.counter("campaign-version", "superseded-beyond-retention");
        final Long saved = clock.get(CLOCK_KEY);
        this.observed = saved == null ? Long.MIN_VALUE : saved;
    }

    static StoreBuilder<VersionedKeyValueStore<Long, CampaignVersion>> storeBuilder(final String name,
                                                                                    final long retentionMs) {
        return Stores.versionedKeyValueStoreBuilder(
            Stores.persistentVersionedKeyValueStore(name, Duration.ofMillis(retentionMs)), Serdes.Long(),
            AdCodecs.CAMPAIGN_VERSION);
    }

    static StoreBuilder<KeyValueStore<Long, Long>> clockBuilder(final String name) {
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(name), Serdes.Long(), Serdes.Long());
    }

    /** Records a new version of a campaign, valid from its {@code updated_at}. */
    void put(final CampaignVersion version) {
        final long updatedAt = version.updatedAt();
        final long floor = floor();
        long timestamp = updatedAt;
        if (updatedAt < floor) {
            final VersionedRecord<CampaignVersion> atFloor = store.get(version.campaignId(), floor);
            if (atFloor != null && atFloor.value().updatedAt() > updatedAt) {
                stale.increment();
                return;
            }
            clamped.increment();
            timestamp = floor;
        }
        store.put(version.campaignId(), version, timestamp);
        latest.remove(version.campaignId());
        advance(timestamp);
    }

    /** The campaign's row was deleted at {@code timestamp}: no version from then on. */
    void delete(final long campaignId, final long timestamp) {
        final long at = Math.max(timestamp, floor());
        store.delete(campaignId, at);
        latest.remove(campaignId);
        advance(at);
    }

    /** The version valid at {@code timeMs}, or null when the campaign was unknown (or deleted) then. */
    CampaignVersion asOf(final long campaignId, final long timeMs) {
        VersionedRecord<CampaignVersion> newest = latest.get(campaignId);
        if (newest == null) {
            newest = store.get(campaignId);
            if (newest == null) {
                return valueOf(store.get(campaignId, timeMs));
            }
            latest.put(campaignId, newest);
        }
        if (timeMs >= newest.timestamp()) {
            return newest.value();
        }
        return valueOf(store.get(campaignId, timeMs));
    }

    /** The newest version, whatever its time, or null. */
    CampaignVersion latest(final long campaignId) {
        final VersionedRecord<CampaignVersion> newest = latest.get(campaignId);
        if (newest != null) {
            return newest.value();
        }
        return valueOf(store.get(campaignId));
    }

    private static CampaignVersion valueOf(final VersionedRecord<CampaignVersion> record) {
        return record == null ? null : record.value();
    }

    /** The oldest timestamp the store still accepts a write at. */
    private long floor() {
        return observed == Long.MIN_VALUE ? Long.MIN_VALUE : observed - retentionMs;
    }

    private void advance(final long timestamp) {
        if (timestamp > observed) {
            observed = timestamp;
            clock.put(CLOCK_KEY, observed);
        }
    }
}
