package io.melodyud.sinks.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class IdentifiersTest {

    @Test
    void plainNamesAreQuotedForEachStore() {
        assertEquals("\"track_stats\"", Identifiers.quotePostgres("track_stats"));
        assertEquals("`chart_data_1min`", Identifiers.quoteClickHouse("chart_data_1min"));
    }

    @Test
    void hostileOrAmbiguousNamesAreRejected() {
        for (final String hostile : new String[] {
            "users; DROP TABLE users", "t` FORMAT TabSeparated --", "x\" TO PUBLIC", "Track_Stats", "1table",
            "schema.table", "", "tr\u0430ck", "a".repeat(64), "name with space"}) {
            assertThrows(ConfigException.class, () -> Identifiers.validate("table.x", hostile), hostile);
            assertThrows(ConfigException.class, () -> Identifiers.quotePostgres(hostile), hostile);
            assertThrows(ConfigException.class, () -> Identifiers.quoteClickHouse(hostile), hostile);
        }
        assertThrows(ConfigException.class, () -> Identifiers.validate("table.x", null));
    }

    @Test
    void theLongestAllowedNameIs63Characters() {
        final String longest = "a".repeat(63);
        assertEquals(longest, Identifiers.validate("table.x", longest));
    }
}
