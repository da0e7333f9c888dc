package io.melodyud.ops.citus;

import io.melodyud.contracts.config.LocalStack;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;

/**
 * A fresh database of its own on the coordinator and on every worker of the local stack, named after the test and
 * dropped on close, so that integration tests never touch the pipeline's {@code melody} database.
 */
final class ScratchCluster implements AutoCloseable {

    private final LocalStack stack;
    private final String database;
    private final List<String> serverUrls = new ArrayList<>();

    ScratchCluster(final String testName) throws SQLException {
        this.stack = LocalStack.fromSystemProperty();
        this.database = ("it_" + testName + "_" + Long.toHexString(System.nanoTime()))
            .toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
        serverUrls.add(stack.coordinatorJdbcUrl());
        serverUrls.addAll(stack.workerJdbcUrls());
        for (final String url : serverUrls) {
            try (Connection admin = open(url); Statement st = admin.createStatement()) {
                st.execute("CREATE DATABASE " + database);
            }
        }
    }

    Connection coordinator() throws SQLException {
        return open(withDatabase(stack.coordinatorJdbcUrl()));
    }

    List<Connection> workers() throws SQLException {
        final List<Connection> workers = new ArrayList<>();
        for (final String url : stack.workerJdbcUrls()) {
            workers.add(open(withDatabase(url)));
        }
        return workers;
    }

    List<String> workerNames() {
        return stack.workerJdbcUrls();
    }

    private String withDatabase(final String url) {
        return url.substring(0, url.lastIndexOf('/') + 1) + database;
    }

    private Connection open(final String url) throws SQLException {
        final Properties properties = new Properties();
        properties.setProperty("user", stack.pgSuperuser());
        return DriverManager.getConnection(url, properties);
    }

    @Override
    public void close() throws SQLException {
        for (final String url : serverUrls) {
            try (Connection admin = open(url); Statement st = admin.createStatement()) {
                st.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
            }
        }
    }
}
