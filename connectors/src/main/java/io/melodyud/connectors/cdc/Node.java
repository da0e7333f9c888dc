package io.melodyud.connectors.cdc;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.config.ConfigException;

/**
 * A PostgreSQL node CDC reads: a Citus worker (or the coordinator). The name is stable and appears in the engine
 * name, the offsets key and the metrics, so it must not change once the node has streamed.
 */
public record Node(String name, String host, int port) {

    private static final Pattern SPEC = Pattern.compile("^([a-z][a-z0-9_]{0,30})=([A-Za-z0-9._-]+):(\\d{1,5})$");

    /** Parses {@code name=host:port}, as written in {@code cdc.nodes}. */
    public static Node parse(final String setting, final String spec) {
        final Matcher matcher = SPEC.matcher(spec.trim());
        if (!matcher.matches()) {
            throw new ConfigException(setting, spec, "expected name=host:port, with a name of lower-case letters, "
                + "digits and underscores (for example worker1=10.0.0.11:5432)");
        }
        final int port = Integer.parseInt(matcher.group(3));
        if (port < 1 || port > 65535) {
            throw new ConfigException(setting, spec, "port out of range");
        }
        return new Node(matcher.group(1), matcher.group(2), port);
    }

    public String address() {
        return host + ":" + port;
    }

    public String jdbcUrl(final String database) {
        return "jdbc:postgresql://" + host + ":" + port + "/" + database;
    }

    @Override
    public String toString() {
        return name + " (" + address() + ")";
    }
}
