package io.melodyud.sinks.common;

import java.util.regex.Pattern;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;

/**
 * Table, column, schema, database and role names that come from configuration end up inside SQL text (DDL and
 * inserts cannot bind identifiers as parameters). They are checked against an allow-list pattern when the
 * configuration is parsed and quoted where they are used, so that a hostile or mistyped name is refused instead of
 * being spliced into a statement.
 */
public final class Identifiers {

    /**
     * Lower-case ASCII letters, digits and underscores, starting with a letter or underscore, at most 63 characters
     * (PostgreSQL's identifier limit; ClickHouse accepts the same set). Deliberately narrower than either store
     * allows: no quoting rules to get wrong, and the name reads the same in both.
     */
    public static final Pattern ALLOWED = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

    private Identifiers() {
    }

    /** Returns {@code name} when it matches {@link #ALLOWED}; fails saying why otherwise. */
    public static String validate(final String setting, final String name) {
        if (name == null || !ALLOWED.matcher(name).matches()) {
            throw new ConfigException(setting, name, "must match " + ALLOWED.pattern()
                + " (lower-case letters, digits and underscores, at most 63 characters)");
        }
        return name;
    }

    /** A {@link ConfigDef.Validator} for identifier settings. */
    public static ConfigDef.Validator validator() {
        return new ConfigDef.Validator() {
            @Override
            public void ensureValid(final String name, final Object value) {
                validate(name, value == null ? null : value.toString());
            }

            @Override
            public String toString() {
                return "matches " + ALLOWED.pattern();
            }
        };
    }

    /** A validated name quoted for PostgreSQL. */
    public static String quotePostgres(final String name) {
        return '"' + validate("identifier", name) + '"';
    }

    /** A validated name quoted for ClickHouse. */
    public static String quoteClickHouse(final String name) {
        return '`' + validate("identifier", name) + '`';
    }
}
