package io.melodyud.ops.citus;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Our copy of PostgreSQL's hashint8 must agree with the server's, or rows would land on the wrong shard. */
class PgHashIT {

    @Test
    void hashInt8AgreesWithPostgresql() throws Exception {
        final List<Long> values = new ArrayList<>(List.of(0L, 1L, -1L, 42L, 102008L, Long.MAX_VALUE, Long.MIN_VALUE,
            (long) Integer.MAX_VALUE, (long) Integer.MIN_VALUE, 1L << 32, -(1L << 32)));
        final SplittableRandom random = new SplittableRandom(2026);
        for (int i = 0; i < 20_000; i++) {
            values.add(i < 10_000 ? random.nextLong(1, 10_000_000) : random.nextLong());
        }
        try (ScratchCluster cluster = new ScratchCluster("pghash");
             Connection connection = cluster.coordinator();
             PreparedStatement st = connection.prepareStatement(
                 "SELECT v, hashint8(v) FROM unnest(?::bigint[]) WITH ORDINALITY AS t(v, n) ORDER BY n")) {
            final Array array = connection.createArrayOf("bigint", values.toArray());
            st.setArray(1, array);
            try (ResultSet rs = st.executeQuery()) {
                int checked = 0;
                while (rs.next()) {
                    final long value = rs.getLong(1);
                    assertEquals(rs.getInt(2), PgHash.hashInt8(value), "hashint8(" + value + ")");
                    checked++;
                }
                assertEquals(values.size(), checked);
            }
        }
    }
}
