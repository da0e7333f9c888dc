package io.melodyud.contracts.topics;

import java.util.regex.Pattern;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;

/** Kafka's rule for legal topic names, for the catalogue and for every setting that names a topic or a prefix. */
public final class TopicNames {

    private static final Pattern LEGAL = Pattern.compile("[a-zA-Z0-9._-]{1,249}");

    /** Rejects at startup what the broker would reject later, as a missing or invalid topic. */
    public static final ConfigDef.Validator VALIDATOR = new ConfigDef.Validator() {
        @Override
        public void ensureValid(final String name, final Object value) {
            if (value == null || !isLegal(value.toString())) {
                throw new ConfigException(name, value, "a topic name or prefix: 1 to 249 letters, digits, '.', "
                    + "'_' and '-'");
            }
        }

        @Override
        public String toString() {
            return "[a-zA-Z0-9._-]{1,249}";
        }
    };

    private TopicNames() {
    }

    public static boolean isLegal(final String name) {
        return LEGAL.matcher(name).matches();
    }
}
