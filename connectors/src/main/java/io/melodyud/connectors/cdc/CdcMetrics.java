package io.melodyud.connectors.cdc;

import java.lang.management.ManagementFactory;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.management.StandardMBean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counters and gauges of the CDC process, one JMX bean per node ({@code io.melodyud.cdc:type=node,node=<name>})
 * plus totals ({@code io.melodyud.cdc:type=cdc,engine=<engine name>}). Debezium's own streaming metrics
 * ({@code debezium.postgres:*}) are registered beside them.
 */
public final class CdcMetrics implements AutoCloseable {

    /** What JMX shows of one node. */
    public interface NodeMXBean {
        /** WAL bytes the node's slot keeps (current WAL position minus the slot's restart LSN); -1 when unknown. */
        long getRetainedWalBytes();

        /** Bytes between the current WAL position and the LSN the slot has confirmed; -1 when unknown. */
        long getConfirmedLagBytes();

        long getChangesPublished();

        long getDeadLetters();

        String getState();
    }

    /** What JMX shows of the whole process. */
    public interface TotalsMXBean {
        long getChangesPublished();

        long getDeadLetters();

        Map<String, Long> getDeadLettersByReason();
    }

    private static final Logger LOG = LoggerFactory.getLogger(CdcMetrics.class);

    private final String engineName;
    private final Map<String, NodeStats> nodes = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> deadLettersByReason = new ConcurrentHashMap<>();
    private final AtomicLong published = new AtomicLong();
    private final AtomicLong deadLetters = new AtomicLong();
    private final MBeanServer server = ManagementFactory.getPlatformMBeanServer();
    private final Map<ObjectName, Object> registered = new ConcurrentHashMap<>();

    public CdcMetrics(final String engineName) {
        this.engineName = engineName;
        register("io.melodyud.cdc:type=cdc,engine=" + ObjectName.quote(engineName), new StandardMBean(
            new TotalsMXBean() {
                @Override
                public long getChangesPublished() {
                    return published.get();
                }

                @Override
                public long getDeadLetters() {
                    return deadLetters.get();
                }

                @Override
                public Map<String, Long> getDeadLettersByReason() {
                    return deadLettersByReason();
                }
            }, TotalsMXBean.class, true));
    }

    /** Every node's statistics, by node name. */
    public Map<String, NodeStats> nodes() {
        return new TreeMap<>(nodes);
    }

    /** The statistics of a node, registered with JMX on first use. */
    public NodeStats node(final String node) {
        return nodes.computeIfAbsent(node, n -> {
            final NodeStats stats = new NodeStats();
            register("io.melodyud.cdc:type=node,engine=" + ObjectName.quote(engineName) + ",node=" + n,
                new StandardMBean(stats, NodeMXBean.class, true));
            return stats;
        });
    }

    public void published(final String node, final long count) {
        published.addAndGet(count);
        node(node).published.addAndGet(count);
    }

    public void deadLetter(final String node, final String reason) {
        deadLetters.incrementAndGet();
        node(node).deadLetters.incrementAndGet();
        deadLettersByReason.computeIfAbsent(reason, r -> new AtomicLong()).incrementAndGet();
    }

    public long changesPublished() {
        return published.get();
    }

    public long deadLetters() {
        return deadLetters.get();
    }

    public Map<String, Long> deadLettersByReason() {
        final Map<String, Long> copy = new TreeMap<>();
        deadLettersByReason.forEach((k, v) -> copy.put(k, v.get()));
        return copy;
    }

    private void register(final String name, final Object bean) {
        try {
            final ObjectName objectName = new ObjectName(name);
            if (server.isRegistered(objectName)) {
                server.unregisterMBean(objectName);
            }
            server.registerMBean(bean, objectName);
            registered.put(objectName, bean);
        } catch (final JMException e) {
            // Metrics are for operators; failing to publish them must not stop CDC.
            LOG.warn("Cannot register JMX bean {}: {}", name, e.getMessage());
        }
    }

    @Override
    public void close() {
        registered.keySet().forEach(name -> {
            try {
                server.unregisterMBean(name);
            } catch (final JMException e) {
                LOG.debug("Cannot unregister {}: {}", name, e.getMessage());
            }
        });
        registered.clear();
    }

    /** Live statistics of one node. */
    public static final class NodeStats implements NodeMXBean {

        /** The states a node's engine goes through, as {@link #getState()} names them. */
        public static final java.util.List<String> STATES = java.util.List.of("STARTING", "CHECKING", "RUNNING",
            "RETRYING", "FAILED", "STOPPED");

        private final AtomicLong published = new AtomicLong();
        private final AtomicLong deadLetters = new AtomicLong();
        private volatile long retainedWalBytes = -1;
        private volatile long confirmedLagBytes = -1;
        private volatile String state = "STARTING";
        private volatile long newestCommitMs = -1;
        private volatile long lastChangeAtMs = -1;
        private volatile long lastHeartbeatAtMs = -1;

        @Override
        public long getRetainedWalBytes() {
            return retainedWalBytes;
        }

        @Override
        public long getConfirmedLagBytes() {
            return confirmedLagBytes;
        }

        @Override
        public long getChangesPublished() {
            return published.get();
        }

        @Override
        public long getDeadLetters() {
            return deadLetters.get();
        }

        @Override
        public String getState() {
            return state;
        }

        void slot(final long retained, final long lag) {
            retainedWalBytes = retained;
            confirmedLagBytes = lag;
        }

        void state(final String newState) {
            state = newState;
        }

        /**
         * Records a batch acknowledged by the broker, at {@code nowMs}: the commit time of its newest change (-1
         * when it held none with a commit time: heartbeats, snapshot rows) and whether its last record was a
         * heartbeat, which Debezium emits once it has handed over every change it read.
         */
        void batchPublished(final long newestCommitMs, final boolean endsWithHeartbeat, final long nowMs) {
            if (newestCommitMs >= 0) {
                this.newestCommitMs = Math.max(this.newestCommitMs, newestCommitMs);
                lastChangeAtMs = nowMs;
            }
            if (endsWithHeartbeat) {
                lastHeartbeatAtMs = nowMs;
            }
        }

        /**
         * How far the published changes are behind the node at {@code nowMs}, in milliseconds; -1 when nothing was
         * published yet. While changes flow it is the age of the newest one published (now minus its commit time).
         * Once a heartbeat follows the last change the node is idle and nothing is behind: 0, as long as the next
         * heartbeat is not overdue; beyond that, the time it is overdue by, so that a stalled engine or an
         * unreachable node shows a growing lag instead of a reassuring 0.
         */
        long lagMillis(final long nowMs, final long heartbeatIntervalMs) {
            final long heartbeat = lastHeartbeatAtMs;
            final long change = lastChangeAtMs;
            final long commit = newestCommitMs;
            if (heartbeat >= 0 && heartbeat >= change) {
                return Math.max(0, nowMs - heartbeat - heartbeatIntervalMs);
            }
            if (commit >= 0) {
                return Math.max(0, nowMs - commit);
            }
            return -1;
        }
    }
}
