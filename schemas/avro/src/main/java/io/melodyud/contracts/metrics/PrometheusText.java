package io.melodyud.contracts.metrics;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * One scrape in the Prometheus text exposition format, version 0.0.4: families (one per metric name, with its
 * {@code # HELP} and {@code # TYPE} lines) and their samples, rendered with every family's samples together, as the
 * format requires. Label values and help texts are escaped; names are checked. Not thread-safe: build one per
 * scrape.
 *
 * <p>A second sample with the same labels in a family is dropped (the first is kept): two Kafka metrics whose names
 * differ only in punctuation would otherwise make the whole scrape invalid.
 */
public final class PrometheusText {

    /** Content type of the format, for the HTTP answer. */
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private static final Pattern METRIC_NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");

    /** The metric types this writer emits. */
    public enum Type {
        COUNTER, GAUGE, UNTYPED;

        String text() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final Map<String, Family> families = new LinkedHashMap<>();

    /** The counter family {@code name}, declared on first use. */
    public Family counter(final String name, final String help) {
        return family(name, Type.COUNTER, help);
    }

    /** The gauge family {@code name}, declared on first use. */
    public Family gauge(final String name, final String help) {
        return family(name, Type.GAUGE, help);
    }

    /**
     * The family {@code name}: declared with {@code type} and {@code help} on first use, the same family afterwards.
     *
     * @throws IllegalArgumentException when the name is not a valid metric name, or was declared with another type
     */
    public Family family(final String name, final Type type, final String help) {
        final Family existing = families.get(name);
        if (existing != null) {
            if (existing.type != type) {
                throw new IllegalArgumentException("Metric " + name + " is declared as " + existing.type.text()
                    + " and as " + type.text());
            }
            return existing;
        }
        if (!METRIC_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("Invalid metric name '" + name + "'");
        }
        final Family family = new Family(name, type, help);
        families.put(name, family);
        return family;
    }

    public boolean has(final String name) {
        return families.containsKey(name);
    }

    /** The scrape as text. */
    public String render() {
        final StringBuilder out = new StringBuilder(4096 + families.size() * 256);
        for (final Family family : families.values()) {
            family.appendTo(out);
        }
        return out.toString();
    }

    public void writeTo(final Writer writer) {
        try {
            writer.write(render());
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String toString() {
        return render();
    }

    /**
     * A valid metric or label name from any text: every character other than ASCII letters, digits and {@code _}
     * becomes {@code _}, and a leading digit gets a {@code _} before it ({@code stream-thread-metrics} gives
     * {@code stream_thread_metrics}).
     */
    public static String sanitize(final String text) {
        final StringBuilder name = new StringBuilder(text.length() + 1);
        for (int i = 0; i < text.length(); i++) {
            final char c = text.charAt(i);
            final boolean alnum = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9';
            name.append(alnum || c == '_' ? c : '_');
        }
        if (name.isEmpty() || name.charAt(0) >= '0' && name.charAt(0) <= '9') {
            name.insert(0, '_');
        }
        return name.toString();
    }

    /** A label value as the format writes it between quotes: backslash, double quote and line feed escaped. */
    static String escapeLabelValue(final String value) {
        final StringBuilder out = new StringBuilder(value.length() + 8);
        for (int i = 0; i < value.length(); i++) {
            final char c = value.charAt(i);
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '"' -> out.append("\\\"");
                case '\n' -> out.append("\\n");
                default -> out.append(c);
            }
        }
        return out.toString();
    }

    /** A help text as the format writes it: backslash and line feed escaped. */
    static String escapeHelp(final String help) {
        return help.replace("\\", "\\\\").replace("\n", "\\n");
    }

    /** A sample value: integral values without a fraction (exact up to 2^53), NaN and infinities by their names. */
    static String formatValue(final double value) {
        if (Double.isNaN(value)) {
            return "NaN";
        }
        if (Double.isInfinite(value)) {
            return value > 0 ? "+Inf" : "-Inf";
        }
        if (value == Math.rint(value) && Math.abs(value) < 9.007199254740992E15) {
            return Long.toString((long) value);
        }
        return Double.toString(value);
    }

    /** The samples of one metric name. */
    public static final class Family {

        private final String name;
        private final Type type;
        private final String help;
        private final Map<String, String> samples = new LinkedHashMap<>();

        private Family(final String name, final Type type, final String help) {
            this.name = name;
            this.type = type;
            this.help = help == null ? "" : help;
        }

        public String name() {
            return name;
        }

        public Type type() {
            return type;
        }

        /** Adds a sample; {@code labels} are name, value pairs. */
        public Family sample(final double value, final String... labels) {
            return add(renderLabels(labels), formatValue(value));
        }

        /** Adds a sample with an exact integer value; {@code labels} are name, value pairs. */
        public Family sample(final long value, final String... labels) {
            return add(renderLabels(labels), Long.toString(value));
        }

        /** Adds a sample with the labels of {@code labels}, in its iteration order. */
        public Family sample(final Map<String, String> labels, final double value) {
            final String[] pairs = new String[labels.size() * 2];
            int i = 0;
            for (final Map.Entry<String, String> label : labels.entrySet()) {
                pairs[i++] = label.getKey();
                pairs[i++] = label.getValue();
            }
            return add(renderLabels(pairs), formatValue(value));
        }

        public boolean isEmpty() {
            return samples.isEmpty();
        }

        public int size() {
            return samples.size();
        }

        private Family add(final String labels, final String value) {
            samples.putIfAbsent(labels, value);
            return this;
        }

        private static String renderLabels(final String[] pairs) {
            if (pairs.length % 2 != 0) {
                throw new IllegalArgumentException("Labels come in name, value pairs; got " + pairs.length
                    + " strings");
            }
            if (pairs.length == 0) {
                return "";
            }
            final StringBuilder out = new StringBuilder("{");
            for (int i = 0; i < pairs.length; i += 2) {
                final String label = pairs[i];
                if (label == null || !LABEL_NAME.matcher(label).matches() || label.startsWith("__")) {
                    throw new IllegalArgumentException("Invalid label name '" + label + "'");
                }
                for (int j = 0; j < i; j += 2) {
                    if (pairs[j].equals(label)) {
                        throw new IllegalArgumentException("Label " + label + " given twice");
                    }
                }
                if (i > 0) {
                    out.append(',');
                }
                out.append(label).append("=\"").append(escapeLabelValue(pairs[i + 1] == null ? "" : pairs[i + 1]))
                    .append('"');
            }
            return out.append('}').toString();
        }

        private void appendTo(final StringBuilder out) {
            out.append("# HELP ").append(name).append(' ').append(escapeHelp(help)).append('\n');
            out.append("# TYPE ").append(name).append(' ').append(type.text()).append('\n');
            samples.forEach((labels, value) -> out.append(name).append(labels).append(' ').append(value)
                .append('\n'));
        }
    }
}
