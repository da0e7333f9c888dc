package io.melodyud.connectors.cdc;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the node list from a real Citus coordinator: the active primary nodes that hold shards, from
 * {@code pg_dist_node}. Each is named {@code group<groupid>}: a group keeps its id when its primary fails over to a
 * replica, so the engine name, offsets and slot name stay valid. Not testable on the local stack (it has no
 * Citus); see docs/cdc.md.
 */
final class CitusNodes {

    static final String QUERY = """
        SELECT groupid, nodename, nodeport FROM pg_dist_node
        WHERE noderole = 'primary' AND isactive AND shouldhaveshards
        ORDER BY groupid""";

    private CitusNodes() {
    }

    static List<Node> discover(final CdcConfig config) throws SQLException {
        final Node coordinator = Node.parse(CdcConfig.COORDINATOR, "coordinator=" + config.coordinator());
        final List<Node> nodes = new ArrayList<>();
        try (Connection connection = PgConnections.open(coordinator, config.database(), config.user(),
                config.password(), config.connectTimeoutSeconds());
             Statement st = connection.createStatement();
             ResultSet rs = st.executeQuery(QUERY)) {
            while (rs.next()) {
                nodes.add(new Node("group" + rs.getInt(1), rs.getString(2), rs.getInt(3)));
            }
        }
        if (nodes.isEmpty()) {
            throw new CdcFailure("pg_dist_node on " + coordinator + " lists no active primary node with shards");
        }
        return nodes;
    }
}
