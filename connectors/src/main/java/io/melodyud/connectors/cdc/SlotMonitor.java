package io.melodyud.connectors.cdc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Measures the WAL a node's replication slot retains, for the {@code RetainedWalBytes} metric: a slot that stops
 * advancing (CDC down, a stuck engine) keeps every WAL segment since its restart LSN and can fill the node's disk.
 * Uses the CDC role ({@code pg_replication_slots} and {@code pg_current_wal_lsn()} need no privilege).
 */
final class SlotMonitor implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(SlotMonitor.class);

    private final Node node;
    private final CdcConfig config;
    private final CdcMetrics.NodeStats stats;
    private Connection connection;

    SlotMonitor(final Node node, final CdcConfig config, final CdcMetrics.NodeStats stats) {
        this.node = node;
        this.config = config;
        this.stats = stats;
    }

    @Override
    public void run() {
        try {
            if (connection == null || !connection.isValid(2)) {
                close();
                connection = PgConnections.open(node, config.database(), config.user(), config.password(),
                    config.connectTimeoutSeconds());
            }
            try (PreparedStatement st = connection.prepareStatement("""
                    SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint,
                           pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint
                    FROM pg_replication_slots WHERE slot_name = ? AND database = ?""")) {
                st.setString(1, config.slotName());
                st.setString(2, config.database());
                try (ResultSet rs = st.executeQuery()) {
                    if (rs.next()) {
                        stats.slot(rs.getLong(1), rs.getLong(2));
                        LOG.debug("Node {}: slot {} retains {} bytes of WAL", node, config.slotName(), rs.getLong(1));
                    } else {
                        stats.slot(-1, -1);
                    }
                }
            }
        } catch (final SQLException | RuntimeException e) {
            stats.slot(-1, -1);
            LOG.debug("Node {}: cannot measure slot {}: {}", node, config.slotName(), e.getMessage());
            close();
        }
    }

    void close() {
        if (connection != null) {
            try {
                connection.close();
            } catch (final SQLException e) {
                LOG.debug("Closing the slot monitor connection of {}: {}", node, e.getMessage());
            }
            connection = null;
        }
    }
}
