package io.melodyud.topologies.royalties;

import io.melodyud.avro.cdc.RoyaltyRate;
import io.melodyud.avro.cdc.Track;
import io.melodyud.avro.common.Tier;
import io.melodyud.topologies.common.ErrorCounters;
import io.melodyud.topologies.plays.PlayRules;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * The reference tables pricing needs on every instance: the rights holder of each track, and the royalty rates,
 * as global stores (every instance reads the whole topic; tracks has 3 partitions and rates 1, so neither is
 * co-partitioned with plays). Global stores are restored by running these processors again (KAFKA-7663), so they
 * can keep their own layout.
 *
 * <p>Rates are a versioned table by construction: each row says from when it is valid ({@code valid_from}), and
 * the rate of a play is the row of its (country, tier) with the latest {@code valid_from} not after the play. They
 * are indexed by (country, tier, valid_from, rate_id), so that lookup is one reverse range scan, and by rate id
 * (a changed row moves in the index). Kafka Streams'
 * versioned stores do not fit: their versions are the record timestamps, a rate's validity is a column, and a
 * rate scheduled ahead ({@code valid_from} in the future) must not be dropped.
 */
final class ReferenceData {

    static final String TRACKS_STORE = "royalty-tracks";
    static final String RATES_STORE = "royalty-rates";

    private static final int RATE_KEY_BYTES = 2 + 1 + 8 + 8;

    private ReferenceData() {
    }

    /** A rate valid for a play: amount per play in 1e-8 units of its currency. */
    record Rate(long rateId, long unitsPerPlay, String currency, long validFrom) {
    }

    static StoreBuilder<KeyValueStore<Long, Long>> tracksStore() {
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(TRACKS_STORE), Serdes.Long(), Serdes.Long())
            .withLoggingDisabled();
    }

    static StoreBuilder<KeyValueStore<Bytes, byte[]>> ratesStore() {
        return Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(RATES_STORE), Serdes.Bytes(),
            Serdes.ByteArray()).withLoggingDisabled();
    }

    /** Keeps track id -> rights holder id; a tombstone removes the track. */
    static final class TrackUpdater implements Processor<Long, Track, Void, Void> {
        private final TrackCache cache;
        private KeyValueStore<Long, Long> tracks;

        TrackUpdater(final TrackCache cache) {
            this.cache = cache;
        }

        @Override
        public void init(final ProcessorContext<Void, Void> context) {
            tracks = context.getStateStore(TRACKS_STORE);
        }

        @Override
        public void process(final Record<Long, Track> record) {
            if (record.key() == null) {
                return;
            }
            if (record.value() == null) {
                tracks.delete(record.key());
            } else {
                tracks.put(record.key(), record.value().getRightsHolderId());
            }
            // After the store: a reader that fills the slot meanwhile sees the generation move and drops its entry.
            cache.invalidate(record.key());
        }
    }

    /**
     * Rights holders of recently looked-up tracks, in front of the global tracks store, shared by the stream
     * threads (readers) and the global thread (the writer): every play looks its track up, and the store's native
     * {@code get} was 15% of the royalties benchmark's stream-thread time. Direct-mapped (one slot per hash of the
     * track id, the latest lookup wins), so its memory is fixed; an unknown track is cached as such until the track
     * arrives.
     *
     * <p>Coherence without locks: the writer changes the store, then bumps a generation and clears the track's
     * slot; a reader reads the generation, then the store, fills the slot, and clears its own entry again if the
     * generation moved meanwhile (its value may predate the write). A stale entry therefore never outlives a write.
     */
    static final class TrackCache {
        static final int DEFAULT_SLOTS = 1 << 16;

        private record Entry(long trackId, Long rightsHolder) {
        }

        private final AtomicReferenceArray<Entry> slots;
        private final AtomicLong generation = new AtomicLong();
        private final int shift;

        TrackCache() {
            this(DEFAULT_SLOTS);
        }

        /** @param slots a power of two, at least 2 */
        TrackCache(final int slots) {
            if (Integer.bitCount(slots) != 1 || slots < 2) {
                throw new IllegalArgumentException("slots must be a power of two, at least 2, not " + slots);
            }
            this.slots = new AtomicReferenceArray<>(slots);
            this.shift = 64 - Integer.numberOfTrailingZeros(slots);
        }

        /** The rights holder of a track (null while unknown), from the cache or from {@code store}. */
        Long rightsHolder(final long trackId, final KeyValueStore<Long, Long> store) {
            final int slot = slot(trackId);
            final Entry cached = slots.get(slot);
            if (cached != null && cached.trackId() == trackId) {
                return cached.rightsHolder();
            }
            final long before = generation.get();
            final Long rightsHolder = store.get(trackId);
            final Entry fresh = new Entry(trackId, rightsHolder);
            slots.set(slot, fresh);
            if (generation.get() != before) {
                slots.compareAndSet(slot, fresh, null);
            }
            return rightsHolder;
        }

        /** Call after each write of the store. */
        void invalidate(final long trackId) {
            generation.incrementAndGet();
            slots.set(slot(trackId), null);
        }

        private int slot(final long trackId) {
            return (int) ((trackId * 0x9E3779B97F4A7C15L) >>> shift);
        }
    }

    /** Keeps the rate index; a changed row moves in it, a tombstone removes it. */
    static final class RateUpdater implements Processor<Long, RoyaltyRate, Void, Void> {
        private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RateUpdater.class);
        private final ErrorCounters counters;
        private final RateIndex index;
        private KeyValueStore<Bytes, byte[]> rates;

        RateUpdater(final ErrorCounters counters, final RateIndex index) {
            this.counters = counters;
            this.index = index;
        }

        @Override
        public void init(final ProcessorContext<Void, Void> context) {
            rates = context.getStateStore(RATES_STORE);
        }

        @Override
        public void process(final Record<Long, RoyaltyRate> record) {
            if (record.key() == null) {
                return;
            }
            final Bytes idKey = rateIdKey(record.key());
            final byte[] previous = rates.get(idKey);
            if (previous != null) {
                rates.delete(Bytes.wrap(previous));
                rates.delete(idKey);
                index.refresh(rates, ByteBuffer.wrap(previous).getShort(), Tier.values()[previous[2]]);
            }
            final RoyaltyRate rate = record.value();
            if (rate == null) {
                return;
            }
            if (!PlayRules.isCountryCode(rate.getCountry()) || rate.getRatePerPlay().signum() < 0
                    || rate.getRatePerPlay().scale() > 8) {
                // A global store has no dead-letter path: the row is refused loudly, and plays that needed it stay
                // pending (UNKNOWN_RATE) until a valid row replaces it.
                counters.increment("reference-rejected", "invalid-rate");
                LOG.warn("Royalty rate {} refused: country '{}', rate {}", record.key(), rate.getCountry(),
                    rate.getRatePerPlay());
                return;
            }
            final Bytes key = rateKey(countryCode(rate.getCountry()), rate.getTier(),
                rate.getValidFrom().toEpochMilli(), record.key());
            final long units = rate.getRatePerPlay().setScale(8).unscaledValue().longValueExact();
            final byte[] currency = rate.getCurrency().getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            rates.put(key, ByteBuffer.allocate(8 + currency.length).putLong(units).put(currency).array());
            rates.put(idKey, key.get());
            index.refresh(rates, countryCode(rate.getCountry()), rate.getTier());
        }
    }

    /** Reads the global stores for pricing. */
    static final class Lookup {
        private final KeyValueStore<Long, Long> tracks;
        private final TrackCache trackCache;
        private final RateIndex rates;

        Lookup(final KeyValueStore<Long, Long> tracks, final TrackCache trackCache, final RateIndex rates) {
            this.tracks = tracks;
            this.trackCache = trackCache;
            this.rates = rates;
        }

        /** Rights holder of a track, or null while the track is unknown. */
        Long rightsHolder(final long trackId) {
            return trackCache.rightsHolder(trackId, tracks);
        }

        /** The rate of (country, tier) valid at {@code atMs}, or null when none is. */
        Rate rate(final String country, final Tier tier, final long atMs) {
            return rates.rate(countryCode(country), tier, atMs);
        }
    }

    /**
     * The rates of the global store as an immutable snapshot per (country, tier), sorted by valid_from, that the
     * pricing tasks read without a store iterator per play (a range scan per play was 8% of the royalties
     * benchmark's time). The global store stays the source of truth: this index is rebuilt from it, entry by
     * entry, by {@link RateUpdater}, which also runs when the global store is restored. One instance per
     * application instance, shared by the global thread (writer) and the stream threads (readers).
     */
    static final class RateIndex {
        private final java.util.concurrent.ConcurrentHashMap<Integer, Rate[]> byCountryTier =
            new java.util.concurrent.ConcurrentHashMap<>();

        /** Re-reads the rates of one (country, tier) from the store. */
        void refresh(final KeyValueStore<Bytes, byte[]> store, final short country, final Tier tier) {
            final java.util.List<Rate> rates = new java.util.ArrayList<>();
            try (KeyValueIterator<Bytes, byte[]> it = store.range(rateKey(country, tier, 0, 0),
                    rateKey(country, tier, Long.MAX_VALUE, Long.MAX_VALUE))) {
                while (it.hasNext()) {
                    rates.add(decode(it.next()));
                }
            }
            final int key = slot(country, tier);
            if (rates.isEmpty()) {
                byCountryTier.remove(key);
            } else {
                byCountryTier.put(key, rates.toArray(new Rate[0]));
            }
        }

        /** The rate with the latest valid_from not after {@code atMs}, or null. */
        Rate rate(final short country, final Tier tier, final long atMs) {
            final Rate[] rates = byCountryTier.get(slot(country, tier));
            if (rates == null) {
                return null;
            }
            for (int i = rates.length - 1; i >= 0; i--) {
                if (rates[i].validFrom() <= atMs) {
                    return rates[i];
                }
            }
            return null;
        }

        private static int slot(final short country, final Tier tier) {
            return (country << 8) | tier.ordinal();
        }

        private static Rate decode(final KeyValue<Bytes, byte[]> entry) {
            final ByteBuffer key = ByteBuffer.wrap(entry.key.get());
            key.position(3);
            final long validFrom = key.getLong();
            final long rateId = key.getLong();
            final long units = ByteBuffer.wrap(entry.value).getLong();
            final String currency = new String(entry.value, 8, entry.value.length - 8,
                java.nio.charset.StandardCharsets.US_ASCII);
            return new Rate(rateId, units, currency, validFrom);
        }
    }

    /**
     * Where the index key of a rate id is kept, in the same store: country code 0 never starts an index key
     * (countries are upper-case letters), so range scans of a (country, tier) never meet these entries.
     */
    static Bytes rateIdKey(final long rateId) {
        return Bytes.wrap(ByteBuffer.allocate(10).putShort((short) 0).putLong(rateId).array());
    }

    /** Big-endian, so that byte order is (country, tier, valid_from) order for valid_from >= 0. */
    static Bytes rateKey(final short country, final Tier tier, final long validFrom, final long rateId) {
        return Bytes.wrap(ByteBuffer.allocate(RATE_KEY_BYTES).putShort(country).put((byte) tier.ordinal())
            .putLong(validFrom).putLong(rateId).array());
    }

    static short countryCode(final String country) {
        return (short) ((country.charAt(0) << 8) | country.charAt(1));
    }

    static String country(final short code) {
        return new String(new char[] {(char) ((code >>> 8) & 0xff), (char) (code & 0xff)});
    }
}
