package io.melodyud.contracts.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * The endpoints of a running local stack, read from the {@code stack.properties} file that {@code ops/melody up}
 * writes. Used by the operations tools and by integration tests; deployed components take their endpoints from
 * their own configuration instead.
 */
public final class LocalStack {

    /** System property naming the file; the build sets it for integration tests. */
    public static final String FILE_PROPERTY = "melody.stack.file";

    private final Path file;
    private final Properties properties;

    private LocalStack(final Path file, final Properties properties) {
        this.file = file;
        this.properties = properties;
    }

    public static LocalStack load(final Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalStateException("The local stack is not running: " + file
                + " does not exist. Start it with `ops/melody up`.");
        }
        final Properties properties = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            properties.load(in);
        } catch (final IOException e) {
            throw new IllegalStateException("Cannot read the local stack file " + file, e);
        }
        return new LocalStack(file, properties);
    }

    /** The stack named by the {@value #FILE_PROPERTY} system property, or {@code .stack/stack.properties}. */
    public static LocalStack fromSystemProperty() {
        return load(Path.of(System.getProperty(FILE_PROPERTY, ".stack/stack.properties")));
    }

    public String kafkaBootstrapServers() {
        return require("kafka.bootstrap.servers");
    }

    /** Base URL of the registry's Confluent-compatible API. */
    public String registryUrl() {
        return require("registry.url");
    }

    public String coordinatorJdbcUrl() {
        return require("pg.coordinator.url");
    }

    public List<String> workerJdbcUrls() {
        final int workers = Integer.parseInt(require("pg.workers"));
        final List<String> urls = new ArrayList<>(workers);
        for (int i = 1; i <= workers; i++) {
            urls.add(require("pg.worker." + i + ".url"));
        }
        return urls;
    }

    /** The PostgreSQL superuser of the local clusters (trust authentication on loopback). */
    public String pgSuperuser() {
        return properties.getProperty("pg.superuser", "postgres");
    }

    public String clickhouseHttpUrl() {
        return require("clickhouse.http.url");
    }

    public Path file() {
        return file;
    }

    private String require(final String key) {
        final String value = properties.getProperty(key);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("Local stack file " + file + " has no value for " + key
                + "; re-run `ops/melody up`");
        }
        return value.trim();
    }
}
