package io.melodyud.topologies.common;

import java.util.Properties;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/** Stores opened outside a topology, for tests of the classes that read and write them. */
public final class TestStores {

    private TestStores() {
    }

    /** An initialised in-memory key-value store without changelog (thread-safe, like the RocksDB one). */
    public static <K, V> KeyValueStore<K, V> inMemory(final String name, final Serde<K> keys, final Serde<V> values) {
        final Properties config = new Properties();
        config.put(StreamsConfig.APPLICATION_ID_CONFIG, name + "-test");
        config.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        final MockProcessorContext<Object, Object> context = new MockProcessorContext<>(config, new TaskId(0, 0),
            null);
        final KeyValueStore<K, V> store = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(name), keys, values)
            .withLoggingDisabled().build();
        store.init(context.getStateStoreContext(), store);
        return store;
    }
}
