package io.melodyud.topologies.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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

    private Deduplicator open() {
        final Properties config = new Properties();
        config.put(StreamsConfig.APPLICATION_ID_CONFIG, "dedup-test");
        config.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        config.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        final MockProcessorContext<Object, Object> context = new MockProcessorContext<>(config, new TaskId(0, 0),
            stateDir.toFile());
        index = Stores.windowStoreBuilder(Stores.persistentWindowStore(Deduplicator.indexStore(NAME),
                Duration.ofMillis(HORIZON), Duration.ofMillis(1), false), Serdes.Bytes(), Serdes.ByteArray())
            .withLoggingDisabled().build();
        // The journal's changelog is Kafka Streams' business; on disk it is the same store.
        journal = Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(Deduplicator.journalStore(NAME)),
                Serdes.Bytes(), Serdes.ByteArray())
            .withLoggingDisabled().build();
        index.init(context.getStateStoreContext(), index);
        journal.init(context.getStateStoreContext(), journal);
        context.addStateStore(index);
        context.addStateStore(journal);
        return new Deduplicator(context, NAME, HORIZON);
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
