package io.melodyud.topologies.common;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The deduplicator on real RocksDB stores, opened, closed and reopened the way Kafka Streams does across restarts,
 * wipes and standby promotions. Kafka Streams restores the journal from its changelog; here the journal simply
 * stays on disk while the index is deleted or replaced, which is what a restore leaves behind.
 */
class DeduplicatorTest {

    private static final String NAME = "play-dedup";
    private static final long HORIZON = Duration.ofHours(1).toMillis();
    private static final long RETENTION = HORIZON + Duration.ofMinutes(30).toMillis();
    private static final int PAYLOAD_BYTES = 18;
    private static final long T0 = Instant.parse("2026-11-24T19:00:00Z").toEpochMilli();

    @TempDir
    Path stateDir;

    private WindowStore<Bytes, byte[]> index;
    private KeyValueStore<Bytes, byte[]> journal;
    private long nextId;

    @AfterEach
    void closeStores() {
        close();
    }

    @Test
    void aRetryIsADuplicateAndAnotherEventIsNot() {
        final Deduplicator dedup = open();
        final UUID first = id();
        assertTrue(dedup.firstSeen(first, T0));
        assertFalse(dedup.firstSeen(first, T0), "the retry, before any commit");
        dedup.commit(T0);
        assertFalse(dedup.firstSeen(first, T0), "the retry, after the commit");
        assertTrue(dedup.firstSeen(id(), T0));
    }

    @Test
    void onACleanRestartTheIndexIsKeptAsItIs() {
        final Deduplicator dedup = open();
        final UUID seen = id();
        dedup.firstSeen(seen, T0);
        dedup.commit(T0 + 1_000);
        close();
        // Remove the journal's records, keeping its meta record: a rebuild would then forget the id.
        final Deduplicator reopened = openWithJournalRecordsDropped();
        assertFalse(reopened.firstSeen(seen, T0), "the index was trusted: it matches the journal's sequence");
    }

    @Test
    void anIndexWipedWithTheTaskIsRebuiltFromTheJournal() {
        final Deduplicator dedup = open();
        final List<UUID> ids = new ArrayList<>();
        for (int i = 0; i < 1_000; i++) {
            ids.add(id());
            dedup.firstSeen(ids.get(i), T0 + i * 100L);
        }
        dedup.commit(T0 + 100_000);
        close();
        delete(indexDir());

        final Deduplicator rebuilt = open();
        ids.forEach(id -> assertFalse(rebuilt.firstSeen(id, T0 + ids.indexOf(id) * 100L), "journaled id " + id));
        assertTrue(rebuilt.firstSeen(id(), T0), "an id never seen");
    }

    @Test
    void idsSeenAfterTheLastCommitAreNotJournaled() {
        final Deduplicator dedup = open();
        final UUID committed = id();
        final UUID uncommitted = id();
        dedup.firstSeen(committed, T0);
        dedup.commit(T0);
        dedup.firstSeen(uncommitted, T0);
        close(); // a crash: under exactly-once Kafka Streams wipes the task's state, index included
        delete(indexDir());

        final Deduplicator rebuilt = open();
        assertFalse(rebuilt.firstSeen(committed, T0));
        assertTrue(rebuilt.firstSeen(uncommitted, T0), "its event is processed again, and must count");
    }

    @Test
    void aStaleIndexIsClearedAndRebuilt() throws IOException {
        final UUID early = id();
        final UUID later = id();
        final UUID stray = id();
        Deduplicator dedup = open();
        dedup.firstSeen(early, T0);
        dedup.commit(T0);
        // Written to the index but never journaled, as by an uncommitted event before a crash.
        index.put(Deduplicator.key(stray), new byte[] {1}, T0);
        close();
        final Path staleIndex = stateDir.resolve("stale-index");
        copy(indexDir(), staleIndex);

        dedup = open();
        dedup.firstSeen(later, T0 + 1_000);
        dedup.commit(T0 + 1_000);
        close();
        // The index of an earlier incarnation (a standby promoted, an instance coming back): not to be trusted.
        delete(indexDir());
        copy(staleIndex, indexDir());

        final Deduplicator rebuilt = open();
        assertFalse(rebuilt.firstSeen(early, T0));
        assertFalse(rebuilt.firstSeen(later, T0 + 1_000), "journaled after the stale index was copied");
        assertTrue(rebuilt.firstSeen(stray, T0), "in the stale index only");
    }

    @Test
    void anIndexWithIdsAndAnEmptyJournalIsCleared() {
        open();
        final UUID stray = id();
        index.put(Deduplicator.key(stray), new byte[] {1}, T0);
        close();
        assertTrue(open().firstSeen(stray, T0), "an application reset leaves no journal: nothing is remembered");
    }

    @Test
    void aLargeCommitIsSplitIntoRecordsUnderTheSizeLimit() {
        final Deduplicator dedup = open();
        final int count = Deduplicator.MAX_IDS_PER_RECORD * 2 + 100;
        final List<UUID> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            ids.add(id());
            dedup.firstSeen(ids.get(i), T0 + i);
        }
        dedup.commit(T0 + count);
        final List<KeyValue<Bytes, byte[]>> records = journalRecords();
        assertEquals(3, records.size(), "records of at most " + Deduplicator.MAX_IDS_PER_RECORD + " ids");
        records.forEach(r -> assertTrue(r.value.length < 512 * 1024, "record of " + r.value.length + " bytes"));
        close();
        delete(indexDir());

        final Deduplicator rebuilt = open();
        for (int i = 0; i < count; i++) {
            assertFalse(rebuilt.firstSeen(ids.get(i), T0 + i), "id " + i);
        }
    }

    @Test
    void journalRecordsLeaveOnceTheirNewestIdLeftTheHorizon() {
        final Deduplicator dedup = open();
        final UUID old = id();
        final UUID recent = id();
        dedup.firstSeen(old, T0);
        dedup.commit(T0);
        dedup.firstSeen(recent, T0 + HORIZON);
        dedup.commit(T0 + HORIZON);
        assertEquals(2, journalRecords().size(), "both still in the horizon");

        dedup.commit(T0 + HORIZON + 1);
        assertEquals(1, journalRecords().size(), "the first record left the horizon");
        assertTrue(dedup.beyondHorizon(T0, T0 + HORIZON + 1), "callers no longer ask about it");
        close();
        delete(indexDir());

        final Deduplicator rebuilt = open();
        assertFalse(rebuilt.firstSeen(recent, T0 + HORIZON));
    }

    @Test
    void aPayloadIsFoundByIdWithItsTimeAndSurvivesARebuild() {
        final Deduplicator dedup = openWithPayloads();
        final UUID impression = id();
        assertTrue(dedup.firstSeen(impression, T0 + 5_000, payload(7)));
        assertFalse(dedup.firstSeen(impression, T0 + 5_000, payload(8)), "a retry is a duplicate");
        assertPayload(7, T0 + 5_000, dedup.find(impression, T0, T0 + 10_000));
        assertEquals(null, dedup.find(impression, T0 + 6_000, T0 + 10_000), "outside the range asked");
        assertEquals(null, dedup.find(id(), T0, T0 + 10_000), "an id never seen");
        dedup.commit(T0 + 5_000);
        close();
        delete(indexDir());

        final Deduplicator rebuilt = openWithPayloads();
        assertPayload(7, T0 + 5_000, rebuilt.find(impression, T0, T0 + 10_000));
        assertFalse(rebuilt.firstSeen(impression, T0 + 5_000, payload(9)));
    }

    @Test
    void idsWithAPayloadStayFindableForTheRetentionAfterLeavingTheHorizon() {
        final Deduplicator dedup = openWithPayloads();
        final UUID old = id();
        dedup.firstSeen(old, T0, payload(1));
        dedup.commit(T0);
        dedup.commit(T0 + HORIZON + 1);
        assertTrue(dedup.beyondHorizon(T0, T0 + HORIZON + 1), "no longer deduplicated");
        assertEquals(1, journalRecords().size(), "still within the retention");
        close();
        delete(indexDir());

        final Deduplicator rebuilt = openWithPayloads();
        assertPayload(1, T0, rebuilt.find(old, T0 - RETENTION, T0 + HORIZON + 1));
        rebuilt.commit(T0 + RETENTION + 1);
        assertEquals(0, journalRecords().size(), "past the retention");
    }

    @Test
    void anEntryWithoutPayloadIsNotFound() {
        final Deduplicator dedup = openWithPayloads();
        final UUID before = id();
        // As written by a version that kept no payload (an upgrade without a reset).
        index.put(Deduplicator.key(before), new byte[] {1}, T0);
        assertEquals(null, dedup.find(before, T0 - 1, T0 + 1));
    }

    @Test
    void aLargeCommitWithPayloadsStaysUnderTheSizeLimitAndRebuildsWhole() {
        final Deduplicator dedup = openWithPayloads();
        final int count = Deduplicator.MAX_IDS_PER_RECORD * 2;
        final List<UUID> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            ids.add(id());
            dedup.firstSeen(ids.get(i), T0 + i, payload(i));
        }
        dedup.commit(T0 + count);
        final List<KeyValue<Bytes, byte[]>> records = journalRecords();
        assertTrue(records.size() > 2, records.size() + " records: payloads take room");
        records.forEach(r -> assertTrue(r.value.length < 512 * 1024, "record of " + r.value.length + " bytes"));
        close();
        delete(indexDir());

        final Deduplicator rebuilt = openWithPayloads();
        for (int i = 0; i < count; i += 97) {
            assertPayload(i, T0 + i, rebuilt.find(ids.get(i), T0 + i, T0 + i));
        }
    }

    @Test
    void payloadsMustHaveTheDeclaredSize() {
        final Deduplicator dedup = openWithPayloads();
        assertThrows(IllegalArgumentException.class, () -> dedup.firstSeen(id(), T0, new byte[PAYLOAD_BYTES - 1]));
        assertThrows(IllegalStateException.class, () -> dedup.firstSeen(id(), T0), "an id needs its payload");
        close();
        final Deduplicator withoutPayloads = open();
        assertThrows(IllegalArgumentException.class, () -> withoutPayloads.firstSeen(id(), T0, payload(1)));
    }

    private static byte[] payload(final int value) {
        final byte[] payload = new byte[PAYLOAD_BYTES];
        java.nio.ByteBuffer.wrap(payload).putInt(value).putInt(PAYLOAD_BYTES - 4, ~value);
        return payload;
    }

    private static void assertPayload(final int value, final long time, final KeyValue<Long, byte[]> found) {
        assertTrue(found != null, "found");
        assertEquals(time, found.key);
        assertArrayEquals(payload(value), found.value);
    }

    private Deduplicator openWithPayloads() {
        return open(RETENTION, PAYLOAD_BYTES);
    }

    private Deduplicator open() {
        return open(HORIZON, 0);
    }

    private Deduplicator open(final long retention, final int payloadBytes) {
        final Properties config = new Properties();
        config.put(StreamsConfig.APPLICATION_ID_CONFIG, "dedup-test");
        config.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        config.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        final MockProcessorContext<Object, Object> context = new MockProcessorContext<>(config, new TaskId(0, 0),
            stateDir.toFile());
        index = Stores.windowStoreBuilder(Stores.persistentWindowStore(Deduplicator.indexStore(NAME),
                Duration.ofMillis(retention), Duration.ofMillis(1), false), Serdes.Bytes(), Serdes.ByteArray())
            .withLoggingDisabled().build();
        // The journal's changelog is Kafka Streams' business; on disk it is the same store.
        journal = Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(Deduplicator.journalStore(NAME)),
                Serdes.Bytes(), Serdes.ByteArray())
            .withLoggingDisabled().build();
        index.init(context.getStateStoreContext(), index);
        journal.init(context.getStateStoreContext(), journal);
        context.addStateStore(index);
        context.addStateStore(journal);
        return new Deduplicator(context, NAME, HORIZON, retention, payloadBytes);
    }

    private Deduplicator openWithJournalRecordsDropped() {
        open();
        journalRecords().forEach(record -> journal.delete(record.key));
        close();
        return open();
    }

    private void close() {
        if (index != null && index.isOpen()) {
            index.close();
        }
        if (journal != null && journal.isOpen()) {
            journal.close();
        }
    }

    private List<KeyValue<Bytes, byte[]>> journalRecords() {
        final List<KeyValue<Bytes, byte[]>> records = new ArrayList<>();
        try (KeyValueIterator<Bytes, byte[]> all = journal.all()) {
            all.forEachRemaining(entry -> {
                if (entry.key.get()[0] == 1) { // the meta record has prefix 0
                    records.add(entry);
                }
            });
        }
        return records;
    }

    private UUID id() {
        return new UUID(0x5eed_0000_0000_0000L, nextId++);
    }

    private Path indexDir() {
        return stateDir.resolve(Deduplicator.indexStore(NAME));
    }

    private static void copy(final Path from, final Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (final Path file : files.toList()) {
                Files.copy(file, to.resolve(from.relativize(file).toString()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    private static void delete(final Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(file -> {
                try {
                    Files.delete(file);
                } catch (final IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
