package io.melodyud.ops.pipeline;

import io.melodyud.contracts.config.LocalStack;
import io.melodyud.contracts.topics.Topics;
import io.melodyud.ops.citus.CitusLayout;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.function.Function;
import org.apache.kafka.clients.admin.Admin;

/**
 * The watching half of the main job ({@code OpsCli pipeline watch}): while the applications and the load
 * generator run (started by {@code ops/melody run}), shows their progress in place, writes the operational
 * changes into the workers at even intervals, and when the duration is over prints the summary read back from the
 * sinks. It starts and stops nothing: the pipeline keeps running for exploration.
 */
public final class PipelineCommand {

    private PipelineCommand() {
    }

    /** @param metricsUrls each application's Prometheus endpoint, in display order */
    public static int watch(final LocalStack stack, final Map<String, Object> adminConfig, final int shards,
                            final long durationSeconds, final String dashboardUrl,
                            final Map<String, String> metricsUrls, final PrintStream out)
            throws Exception {
        final List<PipelineStatus.App> apps = new ArrayList<>();
        metricsUrls.forEach((app, url) -> apps.add(new PipelineStatus.App(app, url)));
        final List<Connection> workers = new ArrayList<>();
        try (Admin admin = Admin.create(adminConfig);
             Connection coordinator = connect(stack, stack.coordinatorJdbcUrl())) {
            for (final String url : stack.workerJdbcUrls()) {
                workers.add(connect(stack, url));
            }
            final CitusLayout layout = new CitusLayout(shards, workers.size(), CitusLayout.DEFAULT_FIRST_SHARD_ID);
            final OperationalChanges changes = new OperationalChanges(layout, workers);
            final List<Function<Instant, OperationalChanges.Change>> plan = changes.plan();
            final PipelineStatus status = new PipelineStatus(admin, apps, Set.of(Topics.PLAYS.name(),
                Topics.AD_IMPRESSIONS.name(), Topics.AD_CLICKS.name()), workers, coordinator,
                stack.clickhouseHttpUrl(), "melody_sink");
            final boolean live = System.console() != null;
            final long start = System.nanoTime();
            PipelineStatus.Sample previous = status.sample();
            String lastChange = "(none yet)";
            int nextChange = 0;
            int printed = 0;
            long lastPrinted = -10;
            while (true) {
                Thread.sleep(1000);
                final long elapsed = (System.nanoTime() - start) / 1_000_000_000L;
                if (nextChange < plan.size() && elapsed >= durationSeconds * (nextChange + 1) / (plan.size() + 1)) {
                    try {
                        lastChange = plan.get(nextChange).apply(Instant.now()).description();
                    } catch (final IllegalStateException e) {
                        lastChange = "failed: " + e.getMessage();
                    }
                    nextChange++;
                }
                final PipelineStatus.Sample now = status.sample();
                final List<String> lines = PipelineStatus.render(previous, now, Math.min(elapsed, durationSeconds),
                    durationSeconds, lastChange);
                previous = now;
                if (live) {
                    // Redraw the block in place: a status display, not a log.
                    if (printed > 0) {
                        out.print("\033[" + printed + "A");
                    }
                    lines.forEach(line -> out.print("\r\033[2K" + line + "\n"));
                    printed = lines.size();
                } else if (elapsed - lastPrinted >= 10 || elapsed >= durationSeconds) {
                    lines.forEach(out::println);
                    lastPrinted = elapsed;
                }
                out.flush();
                if (elapsed >= durationSeconds) {
                    break;
                }
            }
            new PipelineSummary(stack.clickhouseHttpUrl(), coordinator, "melody_sink", workers.get(0),
                layout.shardsOf("tracks").get(0).tableName()).print(out);
            out.println();
            out.println("Live dashboard: " + dashboardUrl);
            return 0;
        } finally {
            for (final Connection worker : workers) {
                worker.close();
            }
        }
    }

    private static Connection connect(final LocalStack stack, final String url) throws SQLException {
        final Properties properties = new Properties();
        properties.setProperty("user", stack.pgSuperuser());
        properties.setProperty("ApplicationName", "melody-main-job");
        return DriverManager.getConnection(url, properties);
    }
}
