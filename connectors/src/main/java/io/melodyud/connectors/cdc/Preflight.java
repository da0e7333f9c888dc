package io.melodyud.connectors.cdc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks a node before its engine starts, with the CDC role's own credentials, so that the failures Debezium
 * reports vaguely or not at all stop CDC with a message that names the node and the remedy: wrong credentials, a
 * role without REPLICATION, a missing publication, and a slot dropped while offsets remain (Debezium would create
 * a new slot at the current WAL position and silently skip every change in between).
 */
final class Preflight {

    private static final Logger LOG = LoggerFactory.getLogger(Preflight.class);

    private final CdcConfig config;
    private final Predicate<String> hasOffsets;

    /** @param hasOffsets whether the offsets topic holds offsets for an engine name */
    Preflight(final CdcConfig config, final Predicate<String> hasOffsets) {
        this.config = config;
        this.hasOffsets = hasOffsets;
    }

    /**
     * @throws CdcFailure for what retrying cannot fix
     * @throws SQLException when the node cannot be reached (to be retried)
     */
    void check(final Node node, final List<LogicalTable> tables) throws SQLException {
        try (Connection connection = PgConnections.open(node, config.database(), config.user(), config.password(),
                config.connectTimeoutSeconds())) {
            checkRole(node, connection);
            checkPublication(node, connection, tables);
            checkSlot(node, connection);
        } catch (final SQLException e) {
            if (PgConnections.isAuthenticationFailure(e)) {
                throw new CdcFailure("Node " + node + ": authentication failed for role " + config.user()
                    + ". Check " + CdcConfig.USER + " and its password (" + CdcConfig.PASSWORD + " / "
                    + CdcConfig.PASSWORD_FILE + "); the provision command sets it.", e);
            }
            if (PgConnections.isPermanent(e)) {
                throw new CdcFailure("Node " + node + ": " + e.getMessage(), e);
            }
            throw e;
        }
    }

    private void checkRole(final Node node, final Connection connection) throws SQLException {
        try (PreparedStatement st = connection.prepareStatement(
                "SELECT rolreplication, rolsuper FROM pg_roles WHERE rolname = current_user");
             ResultSet rs = st.executeQuery()) {
            rs.next();
            if (!rs.getBoolean(1) && !rs.getBoolean(2)) {
                throw new CdcFailure("Node " + node + ": role " + config.user() + " lacks the REPLICATION "
                    + "attribute; run the provision command (or ALTER ROLE " + config.user() + " REPLICATION)");
            }
            if (rs.getBoolean(2)) {
                LOG.warn("Node {}: role {} is a superuser; CDC needs only LOGIN, REPLICATION and SELECT on the "
                    + "published tables", node, config.user());
            }
        }
    }

    private void checkPublication(final Node node, final Connection connection, final List<LogicalTable> tables)
            throws SQLException {
        try (PreparedStatement st = connection.prepareStatement("SELECT 1 FROM pg_publication WHERE pubname = ?")) {
            st.setString(1, config.publicationName());
            try (ResultSet rs = st.executeQuery()) {
                if (!rs.next()) {
                    throw new CdcFailure("Node " + node + ": publication " + config.publicationName()
                        + " does not exist in database " + config.database() + "; run the provision command "
                        + "(see connectors/README.md)");
                }
            }
        }
        // Shard tables CDC should capture that the publication lacks (a new shard after a rebalance, or a
        // table refused for having no primary key): their changes would never arrive.
        final List<String> missing = new ArrayList<>();
        try (PreparedStatement st = connection.prepareStatement("""
                SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = ? AND c.relkind IN ('r', 'p') AND c.relname ~ ?
                  AND NOT EXISTS (SELECT 1 FROM pg_publication_tables pt
                                  WHERE pt.pubname = ? AND pt.schemaname = n.nspname AND pt.tablename = c.relname)
                ORDER BY 1""")) {
            st.setString(1, config.schema());
            st.setString(2, ShardRouting.shardNameRegex(tables));
            st.setString(3, config.publicationName());
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    missing.add(rs.getString(1));
                }
            }
        }
        if (!missing.isEmpty()) {
            LOG.error("Node {}: shard tables {} are not in publication {}: their changes are NOT captured. Run the "
                + "provision command to add them (it refuses tables without a primary key).", node, missing,
                config.publicationName());
        }
    }

    private void checkSlot(final Node node, final Connection connection) throws SQLException {
        final boolean slotExists;
        try (PreparedStatement st = connection.prepareStatement(
                "SELECT 1 FROM pg_replication_slots WHERE slot_name = ? AND database = ?")) {
            st.setString(1, config.slotName());
            st.setString(2, config.database());
            try (ResultSet rs = st.executeQuery()) {
                slotExists = rs.next();
            }
        }
        final String engine = config.engineName(node);
        if (!slotExists && hasOffsets.test(engine)) {
            throw new CdcFailure("Node " + node + ": replication slot " + config.slotName() + " is missing but "
                + "offsets for engine " + engine + " exist in " + config.offsetsTopic() + ". The slot was dropped "
                + "(by hand, or by max_slot_wal_keep_size), so the changes since the last offset are gone from "
                + "the WAL. Recovery: run `CdcApp reset-offsets " + node.name() + " <config>` and restart; the node "
                + "then takes a new snapshot (consumers see every current row again; deletes made in the gap "
                + "are not replayed, see docs/cdc.md).");
        }
    }
}
