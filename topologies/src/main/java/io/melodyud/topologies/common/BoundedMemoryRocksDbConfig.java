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
 */
public final class BoundedMemoryRocksDbConfig implements RocksDBConfigSetter {

    public static final String TOTAL_MEMORY_CONFIG = "melody.rocksdb.total.memory.bytes";

    /** Share of the total given to memtables; the rest caches blocks. */
    private static final double WRITE_BUFFER_RATIO = 0.25;

    private static Cache cache;
    private static WriteBufferManager writeBufferManager;

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
        initialise(total == null ? 256L * 1024 * 1024 : Long.parseLong(total.toString()));
        final BlockBasedTableConfig table = (BlockBasedTableConfig) options.tableFormatConfig();
        table.setBlockCache(cache);
        table.setCacheIndexAndFilterBlocks(true);
        table.setCacheIndexAndFilterBlocksWithHighPriority(true);
        table.setPinTopLevelIndexAndFilter(true);
        options.setTableFormatConfig(table);
        options.setWriteBufferManager(writeBufferManager);
        options.setCompressionType(CompressionType.LZ4_COMPRESSION);
    }

    @Override
    public void close(final String storeName, final Options options) {
        // The cache and write buffer manager are shared by every store: closing them here would break the others.
    }
}
