package io.melodyud.contracts.metrics;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * A strict reader of the Prometheus text format 0.0.4, for tests: it rejects what the Prometheus server's parser
 * rejects (invalid names, unknown escapes, a TYPE after the family's first sample, a family split in two, a series
 * given twice, a missing final line feed) and answers which value a series has. Shared with the other modules'
 * integration tests through the test jar.
 */
public final class PrometheusScrape {

    private static final Pattern METRIC_NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");
    private static final Set<String> TYPES = Set.of("counter", "gauge", "histogram", "summary", "untyped");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** One sample line. */
    public record Sample(String name, Map<String, String> labels, double value) {
    }

    /** A metric family: its declared type and help, and its samples in order. */
    public record Family(String name, String type, String help, List<Sample> samples) {
    }

    private final Map<String, Family> families;
    private final String text;

    private PrometheusScrape(final Map<String, Family> families, final String text) {
        this.families = families;
        this.text = text;
    }

    /** The scrape as received. */
    public String text() {
        return text;
    }

    /**
     * Scrapes {@code url} every 200 ms until {@code condition} holds, for up to {@code timeout}. A refused
     * connection counts as "not yet": applications start their metrics server on their own thread, so the first
     * requests can come before it listens. On timeout, fails with the {@code melody_} lines of the last scrape.
     */
    public static PrometheusScrape await(final String url, final Duration timeout, final String what,
                                         final Predicate<PrometheusScrape> condition) throws Exception {
        final long deadline = System.nanoTime() + timeout.toNanos();
        PrometheusScrape scrape = null;
        while (true) {
            try {
                scrape = fetch(url);
                if (condition.test(scrape)) {
                    return scrape;
                }
            } catch (final ConnectException e) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("timed out waiting for " + what + ": nothing listens at " + url, e);
                }
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what + "; last scrape:\n" + (scrape == null ? ""
                    : scrape.text().lines().filter(l -> l.startsWith("melody_")).reduce("", (a, b) -> a + b + "\n")));
            }
            Thread.sleep(200);
        }
    }

    /** Fetches {@code url}, checks the status and content type, and parses the body. */
    public static PrometheusScrape fetch(final String url) throws IOException, InterruptedException {
        final HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(url))
            .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new AssertionError("GET " + url + " answered " + response.statusCode() + ": " + response.body());
        }
        final String type = response.headers().firstValue("Content-Type").orElse("");
        if (!type.startsWith("text/plain") || !type.contains("version=0.0.4")) {
            throw new AssertionError("GET " + url + " answered content type " + type);
        }
        return parse(response.body());
    }

    /** Parses a scrape; throws {@link IllegalArgumentException} naming the line at the first violation. */
    public static PrometheusScrape parse(final String text) {
        if (!text.isEmpty() && !text.endsWith("\n")) {
            throw new IllegalArgumentException("The last line does not end with a line feed");
        }
        final Map<String, String> types = new LinkedHashMap<>();
        final Map<String, String> helps = new LinkedHashMap<>();
        final Map<String, List<Sample>> samples = new LinkedHashMap<>();
        final Set<String> seen = new HashSet<>();
        final Set<String> series = new HashSet<>();
        String current = null;
        int number = 0;
        for (final String line : text.split("\n", -1)) {
            number++;
            if (line.isEmpty()) {
                continue;
            }
            try {
                if (line.startsWith("#")) {
                    final String[] parts = line.split(" ", 4);
                    if (parts.length >= 3 && ("HELP".equals(parts[1]) || "TYPE".equals(parts[1]))) {
                        final String name = parts[2];
                        requireName(name);
                        current = enter(name, current, seen);
                        if ("TYPE".equals(parts[1])) {
                            final String type = parts.length > 3 ? parts[3] : "";
                            if (!TYPES.contains(type)) {
                                throw new IllegalArgumentException("unknown type '" + type + "'");
                            }
                            if (types.put(name, type) != null) {
                                throw new IllegalArgumentException("second TYPE for " + name);
                            }
                            if (samples.containsKey(name)) {
                                throw new IllegalArgumentException("TYPE of " + name + " after its samples");
                            }
                        } else {
                            if (helps.put(name, unescapeHelp(parts.length > 3 ? parts[3] : "")) != null) {
                                throw new IllegalArgumentException("second HELP for " + name);
                            }
                        }
                    }
                    continue;
                }
                final Sample sample = sample(line);
                current = enter(sample.name(), current, seen);
                if (!series.add(sample.name() + new TreeMap<>(sample.labels()))) {
                    throw new IllegalArgumentException("series given twice");
                }
                samples.computeIfAbsent(sample.name(), k -> new ArrayList<>()).add(sample);
            } catch (final IllegalArgumentException e) {
                throw new IllegalArgumentException("line " + number + " (" + line + "): " + e.getMessage(), e);
            }
        }
        final Map<String, Family> families = new LinkedHashMap<>();
        final Set<String> names = new java.util.LinkedHashSet<>(types.keySet());
        names.addAll(helps.keySet());
        names.addAll(samples.keySet());
        for (final String name : names) {
            families.put(name, new Family(name, types.getOrDefault(name, "untyped"), helps.get(name),
                Collections.unmodifiableList(samples.getOrDefault(name, List.of()))));
        }
        return new PrometheusScrape(families, text);
    }

    /** The family a line belongs to becomes the current one; a family met again after another one is an error. */
    private static String enter(final String name, final String current, final Set<String> seen) {
        if (name.equals(current)) {
            return current;
        }
        if (!seen.add(name)) {
            throw new IllegalArgumentException("family " + name + " appears twice, split by another family");
        }
        return name;
    }

    private static Sample sample(final String line) {
        int i = 0;
        while (i < line.length() && line.charAt(i) != '{' && line.charAt(i) != ' ') {
            i++;
        }
        final String name = line.substring(0, i);
        requireName(name);
        final Map<String, String> labels = new LinkedHashMap<>();
        if (i < line.length() && line.charAt(i) == '{') {
            i++;
            while (line.charAt(i) != '}') {
                final int eq = line.indexOf('=', i);
                final String label = line.substring(i, eq);
                if (!LABEL_NAME.matcher(label).matches() || label.startsWith("__")) {
                    throw new IllegalArgumentException("invalid label name '" + label + "'");
                }
                if (line.charAt(eq + 1) != '"') {
                    throw new IllegalArgumentException("label value not quoted");
                }
                final StringBuilder value = new StringBuilder();
                int j = eq + 2;
                while (line.charAt(j) != '"') {
                    char c = line.charAt(j);
                    if (c == '\\') {
                        j++;
                        c = switch (line.charAt(j)) {
                            case '\\' -> '\\';
                            case '"' -> '"';
                            case 'n' -> '\n';
                            default -> throw new IllegalArgumentException("unknown escape \\" + line.charAt(j));
                        };
                    }
                    value.append(c);
                    j++;
                }
                if (labels.put(label, value.toString()) != null) {
                    throw new IllegalArgumentException("label " + label + " twice");
                }
                i = j + 1;
                if (line.charAt(i) == ',') {
                    i++;
                } else if (line.charAt(i) != '}') {
                    throw new IllegalArgumentException("expected , or } at " + i);
                }
            }
            i++;
        }
        if (i >= line.length() || line.charAt(i) != ' ') {
            throw new IllegalArgumentException("no value");
        }
        final String[] rest = line.substring(i + 1).split(" ");
        if (rest.length > 2) {
            throw new IllegalArgumentException("too many fields after the labels");
        }
        if (rest.length == 2) {
            Long.parseLong(rest[1]);
        }
        return new Sample(name, Collections.unmodifiableMap(labels), value(rest[0]));
    }

    private static double value(final String text) {
        return switch (text) {
            case "NaN" -> Double.NaN;
            case "+Inf", "Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            default -> {
                if (!text.matches("[-+]?(\\d+\\.?\\d*|\\.\\d+)([eE][-+]?\\d+)?")) {
                    throw new IllegalArgumentException("invalid value '" + text + "'");
                }
                yield Double.parseDouble(text);
            }
        };
    }

    private static void requireName(final String name) {
        if (!METRIC_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("invalid metric name '" + name + "'");
        }
    }

    private static String unescapeHelp(final String help) {
        final StringBuilder out = new StringBuilder();
        for (int i = 0; i < help.length(); i++) {
            final char c = help.charAt(i);
            if (c == '\\' && i + 1 < help.length() && (help.charAt(i + 1) == '\\' || help.charAt(i + 1) == 'n')) {
                out.append(help.charAt(++i) == 'n' ? '\n' : '\\');
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /**
     * Runs {@code promtool check metrics} (the Debian package {@code prometheus}) on {@code text}: null when
     * promtool is not installed, otherwise its lint findings (naming advice, one line each). A text promtool cannot
     * parse fails with an {@link AssertionError} holding its message.
     */
    public static List<String> promtoolLint(final String text) throws IOException, InterruptedException {
        final java.nio.file.Path promtool = java.nio.file.Path.of("/usr/bin/promtool");
        if (!java.nio.file.Files.isExecutable(promtool)) {
            return null;
        }
        final Process process = new ProcessBuilder(promtool.toString(), "check", "metrics").redirectErrorStream(true)
            .start();
        try (java.io.OutputStream in = process.getOutputStream()) {
            in.write(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        final String output = new String(process.getInputStream().readAllBytes(),
            java.nio.charset.StandardCharsets.UTF_8);
        final int exit = process.waitFor();
        // 0: clean, 3: lint findings only; anything else (1) is a parse error.
        if (exit != 0 && exit != 3) {
            throw new AssertionError("promtool check metrics exited " + exit + ": " + output);
        }
        return output.lines().filter(line -> !line.isBlank()).toList();
    }

    public Map<String, Family> families() {
        return Collections.unmodifiableMap(families);
    }

    public Family family(final String name) {
        return families.get(name);
    }

    /** The samples of {@code name} whose labels include {@code labels} (name, value pairs). */
    public List<Sample> samples(final String name, final String... labels) {
        final Family family = families.get(name);
        if (family == null) {
            return List.of();
        }
        final List<Sample> matching = new ArrayList<>();
        for (final Sample sample : family.samples()) {
            boolean all = true;
            for (int i = 0; i < labels.length; i += 2) {
                all &= labels[i + 1].equals(sample.labels().get(labels[i]));
            }
            if (all) {
                matching.add(sample);
            }
        }
        return matching;
    }

    /** The value of the one series of {@code name} with exactly {@code labels}; null when there is none. */
    public Double value(final String name, final String... labels) {
        final Map<String, String> wanted = new TreeMap<>();
        for (int i = 0; i < labels.length; i += 2) {
            wanted.put(labels[i], labels[i + 1]);
        }
        for (final Sample sample : samples(name)) {
            if (new TreeMap<>(sample.labels()).equals(wanted)) {
                return sample.value();
            }
        }
        return null;
    }

    /** The sum of the samples of {@code name} whose labels include {@code labels}. */
    public double sum(final String name, final String... labels) {
        return samples(name, labels).stream().mapToDouble(Sample::value).sum();
    }
}
