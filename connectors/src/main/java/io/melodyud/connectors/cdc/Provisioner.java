package io.melodyud.connectors.cdc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.config.types.Password;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Prepares a node for CDC, as an administrator (a superuser or the tables' owner: creating a publication requires
 * owning its tables, which is why the streaming role cannot do it itself). Idempotent, so it is re-run after a
 * rebalance adds shard tables to a node:
 *
 * <ul>
 *   <li>the CDC role: LOGIN, REPLICATION, NOSUPERUSER, with its password;</li>
 *   <li>CONNECT on the database, USAGE on the schema, SELECT on each shard table published;</li>
 *   <li>the publication, set to exactly the node's shard tables of the published logical tables (inserts,
 *       updates, deletes; truncates are not published).</li>
 * </ul>
 *
 * <p>A shard table without a primary key is refused, and nothing is changed: once in a publication, PostgreSQL
 * rejects the application's UPDATE and DELETE on a table without a replica identity, and its changes could not be
 * keyed, compacted or erased downstream anyway.
 */
public final class Provisioner {

    private static final Logger LOG = LoggerFactory.getLogger(Provisioner.class);

    private final CdcConfig config;

    public Provisioner(final CdcConfig config) {
        this.config = config;
    }

    /** Provisions {@code node} through an administrator connection; returns the published shard tables. */
    public List<String> provision(final Connection admin, final Node node, final List<LogicalTable> tables)
            throws SQLException {
        final List<String> shardTables = shardTables(admin, tables);
        if (shardTables.isEmpty()) {
            throw new CdcFailure("Node " + node + ": no shard table of " + tables.stream()
                .map(LogicalTable::tableName).toList() + " in schema " + config.schema() + " of database "
                + config.database());
        }
        final List<String> withoutKey = withoutPrimaryKey(admin, shardTables);
        if (!withoutKey.isEmpty()) {
            throw new CdcFailure("Node " + node + ": tables " + withoutKey + " have no primary key; CDC refuses to "
                + "publish them (PostgreSQL would then reject UPDATE and DELETE on them, and their changes could not "
                + "be keyed). Add a primary key, then provision again.");
        }
        final String role = quote(config.user());
        final Password password = config.password();
        final boolean autoCommit = admin.getAutoCommit();
        admin.setAutoCommit(false);
        try (Statement st = admin.createStatement()) {
            if (!roleExists(admin, config.user())) {
                st.execute("CREATE ROLE " + role + " LOGIN REPLICATION NOSUPERUSER");
            }
            st.execute("ALTER ROLE " + role + " WITH LOGIN REPLICATION NOSUPERUSER NOCREATEDB NOCREATEROLE");
            // Not logged, and sent as a literal: DDL takes no bind parameters.
            st.execute("ALTER ROLE " + role + " PASSWORD '" + password.value().replace("'", "''") + "'");
            st.execute("GRANT CONNECT ON DATABASE " + quote(config.database()) + " TO " + role);
            st.execute("GRANT USAGE ON SCHEMA " + quote(config.schema()) + " TO " + role);
            final String list = String.join(", ", shardTables.stream()
                .map(t -> quote(config.schema()) + "." + quote(t)).toList());
            st.execute("GRANT SELECT ON " + list + " TO " + role);
            if (publicationExists(admin)) {
                st.execute("ALTER PUBLICATION " + quote(config.publicationName()) + " SET TABLE " + list);
            } else {
                st.execute("CREATE PUBLICATION " + quote(config.publicationName()) + " FOR TABLE " + list
                    + " WITH (publish = 'insert, update, delete')");
            }
            admin.commit();
        } catch (final SQLException | RuntimeException e) {
            admin.rollback();
            throw e;
        } finally {
            admin.setAutoCommit(autoCommit);
        }
        LOG.info("Node {}: publication {} holds {} shard tables; role {} may stream them", node,
            config.publicationName(), shardTables.size(), config.user());
        return shardTables;
    }

    private List<String> shardTables(final Connection admin, final List<LogicalTable> tables) throws SQLException {
        final List<String> names = new ArrayList<>();
        try (PreparedStatement st = admin.prepareStatement("""
                SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = ? AND c.relkind IN ('r', 'p') AND c.relname ~ ? ORDER BY 1""")) {
            st.setString(1, config.schema());
            st.setString(2, ShardRouting.shardNameRegex(tables));
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    names.add(rs.getString(1));
                }
            }
        }
        return names;
    }

    private List<String> withoutPrimaryKey(final Connection admin, final List<String> tables) throws SQLException {
        final List<String> result = new ArrayList<>();
        try (PreparedStatement st = admin.prepareStatement("""
                SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = ? AND c.relname = ANY (?)
                  AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary)
                ORDER BY 1""")) {
            st.setString(1, config.schema());
            st.setArray(2, admin.createArrayOf("text", tables.toArray()));
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    result.add(rs.getString(1));
                }
            }
        }
        return result;
    }

    private static boolean roleExists(final Connection admin, final String role) throws SQLException {
        try (PreparedStatement st = admin.prepareStatement("SELECT 1 FROM pg_roles WHERE rolname = ?")) {
            st.setString(1, role);
            try (ResultSet rs = st.executeQuery()) {
                return rs.next();
            }
        }
    }

    private boolean publicationExists(final Connection admin) throws SQLException {
        try (PreparedStatement st = admin.prepareStatement("SELECT 1 FROM pg_publication WHERE pubname = ?")) {
            st.setString(1, config.publicationName());
            try (ResultSet rs = st.executeQuery()) {
                return rs.next();
            }
        }
    }

    /** Identifiers are validated as [a-z_][a-z0-9_]* by the config; quoting keeps that an invariant here. */
    static String quote(final String identifier) {
        return "\"" + identifier.replace("\"", "\"\"") + "\"";
    }
}
