package io.melodyud.topologies.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.kafka.common.serialization.LongDeserializer;
import org.apache.kafka.common.serialization.LongSerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;

/**
 * Pins what {@link CommitHook} relies on in Kafka Streams: the hook store's cache is flushed at every commit, and
 * the callback may forward (as its processor) and write an uncached store. If an upgrade of Kafka Streams changes
 * the commit path, these tests fail instead of the counts going quietly stale.
 */
class CommitHookTest {

    /** Sums values per key in a plain map; writes and forwards the sums only when the task commits. */
    private static final class SummingProcessor implements Processor<String, Long, String, Long> {
        private final Map<String, Long> pending = new TreeMap<>();
        private ProcessorContext<String, Long> context;
        private KeyValueStore<String, Long> sums;

        @Override
        public void init(final ProcessorContext<String, Long> context) {
            this.context = context;
            this.sums = context.getStateStore("sums");
            final CommitHook hook = context.getStateStore("sums-hook");
            hook.register(context, this::commit);
        }

        @Override
        public void process(final Record<String, Long> record) {
            pending.merge(record.key(), record.value(), Long::sum);
        }

        private void commit() {
            pending.forEach((key, add) -> {
                final Long before = sums.get(key);
                final long sum = (before == null ? 0 : before) + add;
                sums.put(key, sum);
                context.forward(new Record<>(key, sum, context.currentStreamTimeMs()));
            });
            pending.clear();
        }
    }

    private static TopologyTestDriver driver() {
        final StreamsBuilder builder = new StreamsBuilder();
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore("sums"), Serdes.String(),
            Serdes.Long()));
        builder.addStateStore(CommitHook.builder("sums-hook"));
        builder.stream("amounts", Consumed.with(Serdes.String(), Serdes.Long()).withName("amounts-source"))
            .process(SummingProcessor::new, Named.as("summing"), "sums", "sums-hook")
            .to("sums-out", Produced.with(Serdes.String(), Serdes.Long()).withName("sums-sink"));
        final Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "commit-hook-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        return new TopologyTestDriver(builder.build(), props);
    }

    @Test
    void theCallbackForwardsAndWritesItsStoreAtEveryCommit() {
        try (TopologyTestDriver driver = driver()) {
            final TestInputTopic<String, Long> in = driver.createInputTopic("amounts", new StringSerializer(),
                new LongSerializer());
            final TestOutputTopic<String, Long> out = driver.createOutputTopic("sums-out", new StringDeserializer(),
                new LongDeserializer());
            in.pipeInput("royalties-CO", 7L);
            in.pipeInput("royalties-CO", 5L);
            in.pipeInput("royalties-MX", 3L);
            // The test driver commits after every input record, so each commit forwards what that record changed.
            assertEquals(List.of(KeyValue.pair("royalties-CO", 7L), KeyValue.pair("royalties-CO", 12L),
                KeyValue.pair("royalties-MX", 3L)), out.readKeyValuesToList());
            final KeyValueStore<String, Long> sums = driver.getKeyValueStore("sums");
            assertEquals(12L, sums.get("royalties-CO"));
            assertEquals(3L, sums.get("royalties-MX"));
        }
    }

}
