package io.melodyud.connectors.cdc;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A PostgreSQL 15 cluster of the test's own, under the module's {@code target/}, on a free port, with
 * {@code wal_level=logical} and the stack's authentication rules (superuser trusted on loopback, every other role
 * by password): for the tests that crash a server, which may not touch the shared clusters. Run as {@code postgres}
 * when the build runs as root (initdb and pg_ctl refuse root), as in {@code ops/stack/lib/pg.sh}.
 */
final class ThrowawayPostgres implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ThrowawayPostgres.class);
    private static final Path BIN = Path.of("/usr/lib/postgresql/15/bin");

    private final Path dataDir;
    private final Path logFile;
    private final int port;

    ThrowawayPostgres(final String name) throws IOException, InterruptedException {
        final Path target = Path.of("target").toAbsolutePath();
        dataDir = target.resolve("pg-" + name + "-" + Long.toHexString(System.nanoTime()));
        logFile = Path.of(dataDir + ".log");
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Files.createDirectories(dataDir);
        if (isRoot()) {
            run(List.of("chown", "postgres:postgres", dataDir.toString()), false);
            Files.createFile(logFile);
            run(List.of("chown", "postgres:postgres", logFile.toString()), false);
        }
        run(List.of(BIN.resolve("initdb").toString(), "-D", dataDir.toString(), "-U", "postgres", "--auth=trust",
            "-E", "UTF8", "--locale=C.UTF-8"), true);
        Files.writeString(dataDir.resolve("postgresql.conf"), String.join("\n",
            "", "listen_addresses = '127.0.0.1'", "port = " + port, "unix_socket_directories = ''",
            "wal_level = logical", "max_replication_slots = 4", "max_wal_senders = 4", "shared_buffers = 32MB",
            "max_connections = 40", ""), StandardOpenOption.APPEND);
        Files.writeString(dataDir.resolve("pg_hba.conf"), String.join("\n",
            "host all postgres 127.0.0.1/32 trust",
            "host replication postgres 127.0.0.1/32 trust",
            "host all all 127.0.0.1/32 scram-sha-256",
            "host replication all 127.0.0.1/32 scram-sha-256", ""));
        start();
    }

    Node node(final String name) {
        return new Node(name, "127.0.0.1", port);
    }

    void start() throws IOException, InterruptedException {
        run(List.of(BIN.resolve("pg_ctl").toString(), "-D", dataDir.toString(), "-l", logFile.toString(), "-w",
            "-t", "60", "start"), true);
    }

    /** Stops the server the way a power cut would: no checkpoint, crash recovery at the next start. */
    void crash() throws IOException, InterruptedException {
        run(List.of(BIN.resolve("pg_ctl").toString(), "-D", dataDir.toString(), "-m", "immediate", "-w", "stop"),
            true);
    }

    @Override
    public void close() {
        try {
            run(List.of(BIN.resolve("pg_ctl").toString(), "-D", dataDir.toString(), "-m", "fast", "-w", "stop"),
                true);
        } catch (final IOException | InterruptedException | IllegalStateException e) {
            LOG.warn("Could not stop the throwaway cluster {}: {}", dataDir, e.getMessage());
        }
        try {
            run(List.of("rm", "-rf", dataDir.toString(), logFile.toString()), false);
        } catch (final IOException | InterruptedException | IllegalStateException e) {
            LOG.warn("Could not delete {}: {}", dataDir, e.getMessage());
        }
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    private static void run(final List<String> command, final boolean asPostgres)
            throws IOException, InterruptedException {
        final List<String> full = new ArrayList<>();
        if (asPostgres && isRoot()) {
            full.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        full.addAll(command);
        final Process process = new ProcessBuilder(full).redirectErrorStream(true).start();
        final String output = new String(process.getInputStream().readAllBytes());
        if (!process.waitFor(120, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", full) + " failed: " + output);
        }
    }
}
