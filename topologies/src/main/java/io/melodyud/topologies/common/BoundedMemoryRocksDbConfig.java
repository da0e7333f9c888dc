package io.melodyud.topologies.common;

import java.util.Map;
import org.apache.kafka.streams.state.RocksDBConfigSetter;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Cache;
import org.rocksdb.CompressionType;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.WriteBufferManager;

/**
 * Bounds the memory of all RocksDB stores of the process together, the recipe of the Kafka Streams memory
 * management guide: one LRU cache shared by every store holds data, index and filter blocks, and a write buffer
 * manager charges memtables to the same cache. Without it each store (and each segment of a window store) takes
 * its own cache and memtables, and memory grows with the number of partitions.
 *
 * <p>The cache is per process by necessity (RocksDB shares it through a native object), created once from the
 * first store's configuration.
 *
 * <p>A memtable takes a whole arena block as soon as it holds a record, and Kafka Streams' defaults (16 MB memtables,
 * so 1 MB blocks) let thirty stores with a few records each exceed a 16 MB write buffer budget on their own. The
 * manager then asks every writing store to flush, for ever: play analytics wrote thousands of one-kilobyte files,
 * its writes stopped behind the single flush thread, and its transactions outlived {@code transaction.timeout.ms}.
 * Small arena blocks and memtables sized from the budget keep the idle stores' share of it small.
 */
public final class BoundedMemoryRocksDbConfig implements RocksDBConfigSetter {

    public static final String TOTAL_MEMORY_CONFIG = "melody.rocksdb.total.memory.bytes";

    /** Share of the total given to memtables; the rest caches blocks. */
    private static final double WRITE_BUFFER_RATIO = 0.25;
    /** Memory a memtable takes per allocation; RocksDB's default is an eighth of the memtable size. */
    static final long ARENA_BLOCK_BYTES = 64L * 1024;
    /** Kafka Streams' own memtable size, the upper bound. */
    private static final long MAX_MEMTABLE_BYTES = 16L * 1024 * 1024;

    private static Cache cache;
    private static WriteBufferManager writeBufferManager;

    /** Forgets the shared cache and write buffer manager (tests that open stores with another budget). */
    static synchronized void resetSharedMemory() {
        cache = null;
        writeBufferManager = null;
    }

    /** A quarter of the write buffer budget per memtable: one busy store cannot take all of it. */
    static long memtableBytes(final long totalBytes) {
        return Math.max(ARENA_BLOCK_BYTES * 8, Math.min(MAX_MEMTABLE_BYTES, (long) (totalBytes * WRITE_BUFFER_RATIO)
            / 4));
    }

    private static synchronized void initialise(final long totalBytes) {
        if (cache == null) {
            // High-priority pool for index and filter blocks, so that data blocks never evict them.
            cache = new LRUCache(totalBytes, -1, false, 0.1);
            writeBufferManager = new WriteBufferManager((long) (totalBytes * WRITE_BUFFER_RATIO), cache);
        }
    }

    @Override
    public void setConfig(final String storeName, final Options options, final Map<String, Object> configs) {
        final Object total = configs.get(TOTAL_MEMORY_CONFIG);
        final long totalBytes = total == null ? 256L * 1024 * 1024 : Long.parseLong(total.toString());
        initialise(totalBytes);
        final BlockBasedTableConfig table = (BlockBasedTableConfig) options.tableFormatConfig();
        table.setBlockCache(cache);
        table.setCacheIndexAndFilterBlocks(true);
        table.setCacheIndexAndFilterBlocksWithHighPriority(true);
        table.setPinTopLevelIndexAndFilter(true);
        options.setTableFormatConfig(table);
        options.setWriteBufferManager(writeBufferManager);
        options.setWriteBufferSize(memtableBytes(totalBytes));
        options.setArenaBlockSize(ARENA_BLOCK_BYTES);
        options.setCompressionType(CompressionType.LZ4_COMPRESSION);
    }

    @Override
    public void close(final String storeName, final Options options) {
        // The cache and write buffer manager are shared by every store: closing them here would break the others.
    }
}
