package io.melodyud.topologies.common;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kafka Streams' RocksDB stores configured as our applications configure them, in the numbers a play analytics
 * instance has (six tasks: thirty stores), each written a little at a time, as a commit writes them.
 */
class BoundedMemoryRocksDbConfigTest {

    private static final int STORES = 30;
    private static final long TOTAL_MEMORY = 64L * 1024 * 1024;

    @TempDir
    Path stateDir;

    private final List<KeyValueStore<Bytes, byte[]>> stores = new ArrayList<>();

    @BeforeEach
    void openStores() {
        BoundedMemoryRocksDbConfig.resetSharedMemory();
        final Properties config = new Properties();
        config.put(StreamsConfig.APPLICATION_ID_CONFIG, "rocksdb-memory-test");
        config.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        config.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        config.put(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, BoundedMemoryRocksDbConfig.class.getName());
        config.put(BoundedMemoryRocksDbConfig.TOTAL_MEMORY_CONFIG, TOTAL_MEMORY);
        final MockProcessorContext<Object, Object> context = new MockProcessorContext<>(config,
            new TaskId(0, 0), stateDir.toFile());
        for (int i = 0; i < STORES; i++) {
            final KeyValueStore<Bytes, byte[]> store = Stores.keyValueStoreBuilder(
                    Stores.persistentKeyValueStore("store-" + i), Serdes.Bytes(), Serdes.ByteArray())
                .withLoggingDisabled().withCachingDisabled().build();
            store.init(context.getStateStoreContext(), store);
            stores.add(store);
        }
    }

    @AfterEach
    void closeStores() {
        stores.forEach(KeyValueStore::close);
        BoundedMemoryRocksDbConfig.resetSharedMemory();
    }

    @Test
    void storesWritingALittleEachDoNotFlushAtEveryWrite() {
        final byte[] value = new byte[100];
        // 30 stores x 2,000 records x about 120 bytes: 7 MB, half of the 16 MB write buffer budget.
        for (int round = 0; round < 2_000; round++) {
            for (final KeyValueStore<Bytes, byte[]> store : stores) {
                store.put(Bytes.wrap(ByteBuffer.allocate(8).putLong(round).array()), value);
            }
        }
        // RocksDB numbers every file it creates in a store, SST files of flushes and compactions alike; the highest
        // number is how many it made. With Kafka Streams' memtable settings this was in the thousands per store.
        final long filesCreated = filesCreated();
        assertTrue(filesCreated < STORES * 10L, "files created by flushes and compactions: " + filesCreated);
    }

    /** The sum over the stores of the highest file number of each. */
    private long filesCreated() {
        try (Stream<Path> files = Files.walk(stateDir)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".sst"))
                .map(Path::getParent).distinct().mapToLong(BoundedMemoryRocksDbConfigTest::highestFileNumber).sum();
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static long highestFileNumber(final Path store) {
        try (Stream<Path> files = Files.list(store)) {
            return files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".sst"))
                .mapToLong(n -> Long.parseLong(n.substring(0, n.length() - 4))).max().orElse(0);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
