package io.melodyud.ops.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The alert rules ({@code ops/prometheus/alerts.yml}): valid for Prometheus, passing their promtool unit tests,
 * written against the metric contract, and each one tested, documented and given a severity.
 */
class PrometheusRulesTest {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Path RULES = Promtool.PROMETHEUS_DIR.resolve("alerts.yml");
    private static final Path TESTS = Promtool.PROMETHEUS_DIR.resolve("alerts_test.yml");
    private static final Path OPERATIONS = Path.of("..", "docs", "operations.md");

    @Test
    void promtoolAcceptsTheRules() throws IOException {
        final Promtool.Result result = Promtool.run("check", "rules", RULES.toString());
        assertEquals(0, result.exitCode(), result.output());
        assertTrue(result.output().contains("SUCCESS"), result.output());
    }

    @Test
    void theRulesPassTheirPromtoolUnitTests() throws IOException {
        final Promtool.Result result = Promtool.run("test", "rules", TESTS.toString());
        assertEquals(0, result.exitCode(), result.output());
        assertTrue(result.output().contains("SUCCESS"), result.output());
    }

    @Test
    void theUnitTestsCatchAThresholdChangedByMistake(@TempDir final Path dir) throws IOException {
        // The same tests against rules whose lag threshold was raised tenfold must fail: they check thresholds.
        final String rules = Files.readString(RULES);
        assertTrue(rules.contains("> 200000"));
        Files.writeString(dir.resolve("alerts.yml"), rules.replace("> 200000", "> 2000000"));
        Files.copy(TESTS, dir.resolve("alerts_test.yml"));
        final Promtool.Result result = Promtool.run("test", "rules", dir.resolve("alerts_test.yml").toString());
        assertNotEquals(0, result.exitCode(), result.output());
        assertTrue(result.output().contains("MelodyConsumerLagHigh"), result.output());
    }

    @Test
    void everyExpressionUsesTheMetricContract() throws IOException {
        final List<String> problems = new ArrayList<>();
        final Set<String> used = new HashSet<>();
        for (final JsonNode rule : rules()) {
            final String expr = rule.get("expr").asText();
            problems.addAll(MetricContract.violations(expr));
            used.addAll(MetricContract.metricsIn(expr));
        }
        assertEquals(List.of(), problems);
        // Every melody metric the applications serve has an alert reading it, except the rows written by the
        // sinks: their freshness is what matters, and the dashboard shows the rate.
        final Set<String> unused = new HashSet<>(MetricContract.MELODY.keySet());
        unused.removeAll(used);
        assertEquals(Set.of("melody_sink_rows_written_total"), unused);
    }

    @Test
    void everyAlertHasASeverityAndADocumentedRunbook() throws IOException {
        final String operations = Files.readString(OPERATIONS);
        for (final JsonNode rule : rules()) {
            final String name = rule.get("alert").asText();
            final String severity = rule.path("labels").path("severity").asText();
            assertTrue(Set.of("warning", "critical").contains(severity), name + " severity " + severity);
            for (final String annotation : List.of("summary", "description", "runbook")) {
                assertTrue(rule.path("annotations").hasNonNull(annotation), name + " has no " + annotation);
            }
            final String runbook = rule.path("annotations").path("runbook").asText();
            assertTrue(runbook.startsWith("docs/operations.md#"), name + ": " + runbook);
            final String anchor = runbook.substring(runbook.indexOf('#') + 1);
            assertTrue(headingAnchors(operations).contains(anchor),
                name + ": docs/operations.md has no heading for #" + anchor);
            assertTrue(operations.contains(name), name + " is not described in docs/operations.md");
        }
    }

    @Test
    void everyAlertIsExercisedByAUnitTestThatExpectsItToFire() throws IOException {
        final Set<String> fired = new HashSet<>();
        for (final JsonNode test : YAML.readTree(TESTS.toFile()).get("tests")) {
            for (final JsonNode check : test.path("alert_rule_test")) {
                if (check.path("exp_alerts").size() > 0) {
                    fired.add(check.get("alertname").asText());
                }
            }
        }
        final Set<String> alerts = new HashSet<>();
        rules().forEach(rule -> alerts.add(rule.get("alert").asText()));
        alerts.removeAll(fired);
        assertEquals(Set.of(), alerts, "alerts no unit test sees firing");
    }

    private static List<JsonNode> rules() throws IOException {
        final List<JsonNode> rules = new ArrayList<>();
        for (final JsonNode group : YAML.readTree(RULES.toFile()).get("groups")) {
            group.get("rules").forEach(rules::add);
        }
        assertTrue(rules.size() > 10, "rules: " + rules.size());
        return rules;
    }

    /** GitHub-style anchors of the Markdown headings: lower case, spaces to dashes, punctuation dropped. */
    static Set<String> headingAnchors(final String markdown) {
        final Set<String> anchors = new HashSet<>();
        for (final String line : markdown.split("\n")) {
            if (line.startsWith("#")) {
                anchors.add(line.replaceFirst("^#+\\s*", "").trim().toLowerCase(Locale.ROOT)
                    .replaceAll("[^a-z0-9 _-]", "").replace(' ', '-'));
            }
        }
        return anchors;
    }
}
