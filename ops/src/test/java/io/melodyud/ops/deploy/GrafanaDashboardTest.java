package io.melodyud.ops.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Grafana dashboard ({@code ops/grafana/melody.json}): valid JSON in Grafana's dashboard model, every query
 * written against the metric contract and valid PromQL, and every metric of the contract on some panel.
 */
class GrafanaDashboardTest {

    private static final Path DASHBOARD = Path.of("grafana", "melody.json");
    private static JsonNode dashboard;
    /** Every PromQL expression of the dashboard (panel targets and variable queries), by where it is. */
    private static Map<String, String> expressions;

    @BeforeAll
    static void load() throws IOException {
        // Strict parsing: a trailing comma or a duplicate key is an error Grafana's import would also refuse.
        dashboard = new ObjectMapper()
            .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .readTree(Files.readString(DASHBOARD));
        expressions = new LinkedHashMap<>();
        for (final JsonNode panel : dashboard.get("panels")) {
            for (final JsonNode target : panel.path("targets")) {
                expressions.put("panel " + panel.get("id") + " (" + panel.get("title").asText() + ") "
                    + target.get("refId").asText(), target.get("expr").asText());
            }
        }
        for (final JsonNode variable : dashboard.path("templating").path("list")) {
            if ("query".equals(variable.path("type").asText())) {
                final String query = variable.path("query").path("query").asText();
                // label_values(metric, label) is Grafana's, not PromQL: check the metric inside it.
                expressions.put("variable " + variable.get("name").asText(),
                    query.replaceAll("^label_values\\(([^,]+),.*\\)$", "$1"));
            }
        }
    }

    @Test
    void itIsADashboardGrafanaCanImport() {
        assertEquals("melody-pipeline", dashboard.path("uid").asText());
        assertFalse(dashboard.path("title").asText().isBlank());
        assertTrue(dashboard.path("schemaVersion").asInt() >= 36, "schemaVersion");
        final Set<Integer> ids = new HashSet<>();
        for (final JsonNode panel : dashboard.get("panels")) {
            final String title = panel.path("title").asText();
            assertTrue(ids.add(panel.get("id").asInt()), "duplicate panel id " + panel.get("id"));
            final JsonNode grid = panel.get("gridPos");
            assertTrue(grid != null && grid.get("w").asInt() > 0 && grid.get("x").asInt() + grid.get("w").asInt() <= 24,
                title + ": gridPos " + grid);
            if ("row".equals(panel.get("type").asText())) {
                continue;
            }
            assertEquals("${datasource}", panel.path("datasource").path("uid").asText(), title);
            assertTrue(panel.path("targets").size() > 0, title + " has no query");
            final Set<String> refIds = new HashSet<>();
            for (final JsonNode target : panel.get("targets")) {
                assertTrue(refIds.add(target.get("refId").asText()), title + ": duplicate refId");
                assertFalse(target.path("expr").asText().isBlank(), title + ": empty expr");
            }
            assertFalse(panel.path("description").asText().isBlank(), title + " says nothing about what it shows");
        }
        assertTrue(ids.size() >= 15, "panels: " + ids.size());
    }

    @Test
    void everyQueryUsesTheMetricContract() {
        final List<String> problems = new ArrayList<>();
        expressions.forEach((where, expr) -> MetricContract.violations(expr).forEach(p -> problems.add(where + ": " + p)));
        assertEquals(List.of(), problems);
        expressions.forEach((where, expr) -> assertFalse(MetricContract.metricsIn(expr).isEmpty(),
            where + " selects no metric of the contract: " + expr));
    }

    @Test
    void everyMetricOfTheContractIsOnSomePanel() {
        final Set<String> used = new HashSet<>();
        expressions.values().forEach(expr -> used.addAll(MetricContract.metricsIn(expr)));
        final Set<String> missing = new HashSet<>(MetricContract.MELODY.keySet());
        missing.removeAll(used);
        assertEquals(Set.of(), missing);
        assertTrue(used.stream().anyMatch(m -> m.startsWith("kafka_stream_thread_metrics_")),
            "no panel shows Kafka Streams' own metrics");
    }

    @Test
    void everyQueryIsValidPromQl(@TempDir final Path dir) throws IOException {
        // promtool has no "check expression"; recording rules are expressions it checks. Grafana's variables are
        // replaced by what they expand to.
        final StringBuilder rules = new StringBuilder("groups:\n  - name: dashboard\n    rules:\n");
        int n = 0;
        for (final String expr : expressions.values()) {
            final String promql = expr.replace("$__rate_interval", "2m").replace("$app", ".*");
            rules.append("      - record: dashboard:query_").append(n++).append("\n        expr: '")
                .append(promql.replace("'", "''")).append("'\n");
        }
        final Path file = dir.resolve("dashboard-queries.yml");
        Files.writeString(file, rules.toString());
        final Promtool.Result result = Promtool.run("check", "rules", file.toString());
        assertEquals(0, result.exitCode(), result.output() + "\n" + rules);
        assertTrue(result.output().contains(n + " rules found"), result.output());
    }

    @Test
    void theContractCheckRejectsAMisspeltMetricOrLabel() {
        // The check the two tests above rely on, on expressions a typo would produce.
        assertEquals(1, MetricContract.violations("sum(rate(melody_dead_letter_total[5m]))").size());
        assertEquals(1, MetricContract.violations("melody_cdc_lag_seconds{nod=\"worker1\"}").size());
        assertEquals(1, MetricContract.violations("kafka_streams_thread_process_rate").size());
        assertEquals(List.of(), MetricContract.violations(
            "sum by (app) (rate(melody_dead_letters_total{app=~\"a|b\", reason!=\"x{y}\"}[5m]))"));
    }
}
