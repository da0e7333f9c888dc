package io.melodyud.connectors.cdc;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.common.config.types.Password;

/** JDBC connections to the nodes, and the classification of their failures. */
final class PgConnections {

    /** SQLSTATEs of authentication failures: retrying cannot help. */
    private static final Set<String> AUTHENTICATION = Set.of("28000", "28P01");
    /** Database does not exist, insufficient privilege. */
    private static final Set<String> PERMANENT = Set.of("3D000", "42501");

    private PgConnections() {
    }

    static Connection open(final Node node, final String database, final String user, final Password password,
                           final int connectTimeoutSeconds) throws SQLException {
        final Properties properties = new Properties();
        properties.setProperty("user", user);
        if (password != null) {
            properties.setProperty("password", password.value());
        }
        properties.setProperty("connectTimeout", Integer.toString(connectTimeoutSeconds));
        properties.setProperty("socketTimeout", "60");
        properties.setProperty("ApplicationName", "melody-cdc");
        return DriverManager.getConnection(node.jdbcUrl(database), properties);
    }

    static boolean isAuthenticationFailure(final Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql && AUTHENTICATION.contains(sql.getSQLState())) {
                return true;
            }
            final String message = String.valueOf(t.getMessage());
            if (message.contains("password authentication failed") || message.contains("no pg_hba.conf entry")) {
                return true;
            }
        }
        return false;
    }

    static boolean isPermanent(final Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql && PERMANENT.contains(sql.getSQLState())) {
                return true;
            }
        }
        return isAuthenticationFailure(error);
    }
}
