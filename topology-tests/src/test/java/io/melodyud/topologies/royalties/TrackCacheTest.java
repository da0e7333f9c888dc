package io.melodyud.topologies.royalties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.melodyud.topologies.common.TestStores;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The rights-holder cache in front of the global tracks store: read by stream threads, written by the global one. */
class TrackCacheTest {

    private static final long TRACK = 4_100_221L;
    private static final long LABEL = 70_001L;

    private KeyValueStore<Long, Long> store;

    @BeforeEach
    void openStore() {
        store = TestStores.inMemory("tracks", Serdes.Long(), Serdes.Long());
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    @Test
    void aTrackIsReadOnceThenServedFromMemoryUntilItChanges() {
        final ReferenceData.TrackCache cache = new ReferenceData.TrackCache();
        store.put(TRACK, LABEL);
        assertEquals(LABEL, cache.rightsHolder(TRACK, store));
        store.put(TRACK, LABEL + 1); // behind the cache's back, which the updater never does
        assertEquals(LABEL, cache.rightsHolder(TRACK, store), "served from memory");
        cache.invalidate(TRACK);
        assertEquals(LABEL + 1, cache.rightsHolder(TRACK, store), "the updater's write is seen");
    }

    @Test
    void anUnknownTrackStaysUnknownUntilItArrives() {
        final ReferenceData.TrackCache cache = new ReferenceData.TrackCache();
        assertNull(cache.rightsHolder(TRACK, store));
        store.put(TRACK, LABEL);
        cache.invalidate(TRACK);
        assertEquals(LABEL, cache.rightsHolder(TRACK, store));
        store.delete(TRACK);
        cache.invalidate(TRACK);
        assertNull(cache.rightsHolder(TRACK, store), "a removed track");
    }

    @Test
    void tracksSharingSlotsKeepTheirOwnRightsHolders() {
        final ReferenceData.TrackCache cache = new ReferenceData.TrackCache(2);
        for (long track = 1; track <= 50; track++) {
            store.put(track, 1_000 + track);
        }
        for (int round = 0; round < 3; round++) {
            for (long track = 1; track <= 50; track++) {
                assertEquals(1_000 + track, cache.rightsHolder(track, store));
            }
        }
    }

    @Test
    void aValueReadBeforeAConcurrentWriteIsNotKept() {
        final ReferenceData.TrackCache cache = new ReferenceData.TrackCache();
        store.put(TRACK, LABEL);
        // The global thread writes and invalidates while a stream thread is inside its store read, which then
        // returns the value from before the write: the worst interleaving, made deterministic.
        final Runnable[] duringNextGet = {() -> {
            store.put(TRACK, LABEL + 1);
            cache.invalidate(TRACK);
        }};
        @SuppressWarnings("unchecked")
        final KeyValueStore<Long, Long> racing = (KeyValueStore<Long, Long>) java.lang.reflect.Proxy.newProxyInstance(
            getClass().getClassLoader(), new Class<?>[] {KeyValueStore.class}, (proxy, method, args) -> {
                final Object result = method.invoke(store, args);
                if (method.getName().equals("get") && duringNextGet[0] != null) {
                    duringNextGet[0].run();
                    duringNextGet[0] = null;
                }
                return result;
            });
        assertEquals(LABEL, cache.rightsHolder(TRACK, racing), "read before the write completed");
        assertEquals(LABEL + 1, cache.rightsHolder(TRACK, racing), "not served from a stale entry");
    }

    @Test
    void noStaleEntryOutlivesAWriteWhileReadersRace() throws Exception {
        final ReferenceData.TrackCache cache = new ReferenceData.TrackCache(2);
        final long tracks = 8;
        for (long track = 0; track < tracks; track++) {
            store.put(track, 0L);
        }
        final AtomicBoolean writing = new AtomicBoolean(true);
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final List<Thread> readers = new ArrayList<>();
        for (int r = 0; r < 3; r++) {
            final Thread reader = new Thread(() -> {
                long track = 0;
                while (writing.get()) {
                    cache.rightsHolder(track++ % tracks, store);
                }
            });
            reader.setUncaughtExceptionHandler((thread, e) -> failure.set(e));
            reader.start();
            readers.add(reader);
        }
        // The global thread: every track gets new rights holders, many times, while the readers fill the slots.
        final long versions = 20_000;
        for (long version = 1; version <= versions; version++) {
            final long track = version % tracks;
            store.put(track, version);
            cache.invalidate(track);
        }
        writing.set(false);
        for (final Thread reader : readers) {
            reader.join();
        }
        assertNull(failure.get());
        for (long track = 0; track < tracks; track++) {
            assertEquals(store.get(track), cache.rightsHolder(track, store), "track " + track);
        }
    }

    @Test
    void theSlotCountMustBeAPowerOfTwo() {
        assertThrows(IllegalArgumentException.class, () -> new ReferenceData.TrackCache(1000));
    }
}
