package io.melodyud.ops.deploy;

import static org.junit.jupiter.api.Assumptions.abort;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs Prometheus' promtool, found or fetched by {@code ops/prometheus/promtool.sh} (from Debian's prometheus
 * package). A test that needs it is skipped, with the reason, only when promtool cannot be had on this machine.
 */
final class Promtool {

    /** Surefire runs in the module directory (ops/). */
    static final Path PROMETHEUS_DIR = Path.of("prometheus");

    private static String binary;
    private static String unavailable;

    private Promtool() {
    }

    record Result(int exitCode, String output) {
    }

    /** The promtool binary; aborts (skips) the calling test when it cannot be installed. */
    static synchronized String binary() {
        if (binary == null && unavailable == null) {
            try {
                final Result found = exec(List.of("bash", PROMETHEUS_DIR.resolve("promtool.sh").toString()), 600);
                if (found.exitCode() == 0) {
                    final String[] lines = found.output().strip().split("\n");
                    binary = lines[lines.length - 1].strip();
                } else {
                    unavailable = found.output().strip();
                }
            } catch (final IOException e) {
                unavailable = e.toString();
            }
        }
        if (binary == null) {
            abort("promtool cannot be installed on this machine, so the Prometheus rules are not checked: "
                + unavailable);
        }
        return binary;
    }

    static Result run(final String... args) throws IOException {
        final List<String> command = new ArrayList<>();
        command.add(binary());
        command.addAll(List.of(args));
        return exec(command, 120);
    }

    private static Result exec(final List<String> command, final int timeoutSeconds) throws IOException {
        // Output to a file, not a pipe: a long report must not block the process on a full pipe.
        final Path output = Files.createTempFile("promtool", ".out");
        final Process process = new ProcessBuilder(command).redirectErrorStream(true)
            .redirectOutput(output.toFile()).start();
        try {
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return new Result(-1, String.join(" ", command) + " did not finish in " + timeoutSeconds + " s");
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            return new Result(-1, "interrupted");
        }
        try {
            return new Result(process.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(output);
        }
    }
}
