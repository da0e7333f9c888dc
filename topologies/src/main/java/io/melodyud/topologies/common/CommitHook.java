package io.melodyud.topologies.common;

import java.util.Map;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.internals.InternalProcessorContext;
import org.apache.kafka.streams.processor.internals.ProcessorNode;
import org.apache.kafka.streams.processor.internals.ProcessorRecordContext;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.internals.CacheFlushListener;
import org.apache.kafka.streams.state.internals.CachedStateStore;

/**
 * Calls a processor back when Kafka Streams commits its task, before the task's output is flushed and its input
 * offsets are committed (in the same transaction under exactly-once), with the processor allowed to forward and to
 * write its stores. A processor can then accumulate hot state in plain maps and write it out once per commit: what
 * Kafka Streams' record cache does, without a cache operation (a {@code TreeMap} lookup and a serialization) per
 * update. Nothing held in those maps needs to survive a crash: a crash aborts the transaction, and the input since
 * the last commit is processed again.
 *
 * <p>It is a state store holding nothing, attached to the processor like any store. Kafka Streams flushes the
 * caches of its stores during the commit ({@code ProcessorStateManager.flushCache}), and calls this one's
 * {@link #flushCache()} as it calls its own caching stores'; like those, it forwards downstream as the owning
 * processor. That relies on Kafka Streams internals; {@code CommitHookTest} pins the behaviour for the version
 * the build uses. The stores a callback writes to must not have a record cache (a write after that store's cache
 * was flushed would miss the transaction): the callback's maps are the cache.
 */
public final class CommitHook implements StateStore, CachedStateStore<Object, Object> {

    private final String name;
    private boolean open;
    private InternalProcessorContext<?, ?> context;
    private ProcessorNode<?, ?, ?, ?> node;
    private Runnable onCommit;

    private CommitHook(final String name) {
        this.name = name;
    }

    public static StoreBuilder<CommitHook> builder(final String name) {
        return new Builder(name);
    }

    /**
     * Registers {@code onCommit} to run at every commit of the task, as the processor whose {@code init} calls this
     * (call it from {@code Processor.init}).
     */
    public void register(final ProcessorContext<?, ?> processorContext, final Runnable onCommit) {
        if (!(processorContext instanceof InternalProcessorContext<?, ?> internal)) {
            throw new IllegalStateException("CommitHook needs Kafka Streams' own processor context, got "
                + processorContext.getClass().getName());
        }
        this.context = internal;
        this.node = internal.currentNode();
        if (node == null) {
            throw new IllegalStateException("CommitHook.register must be called from Processor.init");
        }
        this.onCommit = onCommit;
    }

    @Override
    public void flushCache() {
        if (onCommit == null) {
            return; // a standby task, or a task whose processor is not initialized yet
        }
        final ProcessorNode<?, ?, ?, ?> previousNode = context.currentNode();
        final ProcessorRecordContext previousRecord = context.recordContext();
        context.setCurrentNode(node);
        // The same record context as a punctuation: no source record, the task's stream time.
        context.setRecordContext(new ProcessorRecordContext(context.currentStreamTimeMs(), -1L, -1, null,
            new RecordHeaders()));
        try {
            onCommit.run();
        } finally {
            context.setRecordContext(previousRecord);
            context.setCurrentNode(previousNode);
        }
    }

    @Override
    public boolean setFlushListener(final CacheFlushListener<Object, Object> listener, final boolean sendOldValues) {
        return false;
    }

    @Override
    public void clearCache() {
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void init(final StateStoreContext stateStoreContext, final StateStore root) {
        // Nothing to restore: what a callback holds is rebuilt by processing the input again.
        stateStoreContext.register(root, (key, value) -> { });
        open = true;
    }

    @Override
    public void close() {
        onCommit = null;
        open = false;
    }

    @Override
    public boolean persistent() {
        return false;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    private record Builder(String name) implements StoreBuilder<CommitHook> {

        @Override
        public StoreBuilder<CommitHook> withCachingEnabled() {
            return this;
        }

        @Override
        public StoreBuilder<CommitHook> withCachingDisabled() {
            return this;
        }

        @Override
        public StoreBuilder<CommitHook> withLoggingEnabled(final Map<String, String> config) {
            return this;
        }

        @Override
        public StoreBuilder<CommitHook> withLoggingDisabled() {
            return this;
        }

        @Override
        public CommitHook build() {
            return new CommitHook(name);
        }

        @Override
        public Map<String, String> logConfig() {
            return Map.of();
        }

        @Override
        public boolean loggingEnabled() {
            return false;
        }
    }
}
