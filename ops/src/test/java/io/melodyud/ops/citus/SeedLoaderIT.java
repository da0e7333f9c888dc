package io.melodyud.ops.citus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The operational schema and seed on real PostgreSQL clusters, laid out the way Citus would lay them out. */
class SeedLoaderIT {

    private static final CitusLayout LAYOUT = new CitusLayout(8, 2, CitusLayout.DEFAULT_FIRST_SHARD_ID);
    private static final SeedData DATA = new SeedData(7, new SeedData.Sizes(3_000, 30, 1_500, 12));

    @Test
    void everyUserRowIsOnTheShardItsIdHashesToAndNowhereElse() throws Exception {
        try (ScratchCluster cluster = new ScratchCluster("seed_placement")) {
            final List<Connection> workers = init(cluster);
            try {
                new SeedLoader(LAYOUT).load(DATA, workers);
                int seen = 0;
                for (int w = 0; w < workers.size(); w++) {
                    for (final CitusLayout.Shard shard : LAYOUT.shardsOf("users")) {
                        if (!shard.workers().contains(w)) {
                            continue;
                        }
                        // The server computes the hash here: an independent check of our routing.
                        try (Statement st = workers.get(w).createStatement();
                             ResultSet rs = st.executeQuery("SELECT count(*), count(*) FILTER (WHERE hashint8(user_id) "
                                 + "BETWEEN " + shard.minHash() + " AND " + shard.maxHash() + ") FROM "
                                 + shard.tableName())) {
                            rs.next();
                            assertEquals(rs.getInt(1), rs.getInt(2), "rows of " + shard.tableName() + " in its range");
                            seen += rs.getInt(1);
                        }
                    }
                }
                assertEquals(3_000, seen, "every user exactly once across the workers");
                assertTrue(count(workers.get(0), "users_102008") > 0, "worker 1 holds shard 102008");
                assertEquals(0, tableExists(workers.get(1), "users_102008") ? 1 : 0, "worker 2 does not");
            } finally {
                closeAll(workers);
            }
        }
    }

    @Test
    void referenceTablesHoldTheSameRowsOnEveryWorker() throws Exception {
        try (ScratchCluster cluster = new ScratchCluster("seed_reference")) {
            final List<Connection> workers = init(cluster);
            try {
                new SeedLoader(LAYOUT).load(DATA, workers);
                for (final String table : List.of("tracks", "rights_holders", "royalty_rates", "ad_campaigns")) {
                    final String shard = LAYOUT.shardsOf(table).get(0).tableName();
                    final String digest = "SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) FROM " + shard + " t";
                    assertEquals(scalar(workers.get(0), digest), scalar(workers.get(1), digest), table);
                }
                assertEquals(1_500, count(workers.get(0), LAYOUT.shardsOf("tracks").get(0).tableName()));
            } finally {
                closeAll(workers);
            }
        }
    }

    @Test
    void seedingTwiceLeavesTheSameData() throws Exception {
        try (ScratchCluster cluster = new ScratchCluster("seed_twice")) {
            final List<Connection> workers = init(cluster);
            try {
                new SeedLoader(LAYOUT).load(DATA, workers);
                final Map<String, String> first = digests(workers);
                new SeedLoader(LAYOUT).load(DATA, workers);
                assertEquals(first, digests(workers));
            } finally {
                closeAll(workers);
            }
        }
    }

    @Test
    void moneyIsStoredExactly() throws Exception {
        try (ScratchCluster cluster = new ScratchCluster("seed_money")) {
            final List<Connection> workers = init(cluster);
            try {
                new SeedLoader(LAYOUT).load(DATA, workers);
                final SeedData.RateRow rate = DATA.royaltyRates().get(3);
                final String stored = scalar(workers.get(1), "SELECT rate_per_play::text FROM "
                    + LAYOUT.shardsOf("royalty_rates").get(0).tableName() + " WHERE rate_id = " + rate.rateId());
                assertEquals(rate.ratePerPlay().toPlainString(), stored);
            } finally {
                closeAll(workers);
            }
        }
    }

    private static List<Connection> init(final ScratchCluster cluster) throws SQLException {
        try (Connection coordinator = cluster.coordinator()) {
            OperationalSchema.createOnCoordinator(coordinator, LAYOUT, cluster.workerNames());
            assertEquals(8 * 2 + 4 * 2, count(coordinator, "melody_dist.shards"), "one row per placement");
        }
        final List<Connection> workers = cluster.workers();
        for (int w = 0; w < workers.size(); w++) {
            OperationalSchema.createOnWorker(workers.get(w), LAYOUT, w);
            // Idempotent: a second run changes nothing and does not fail.
            OperationalSchema.createOnWorker(workers.get(w), LAYOUT, w);
        }
        return workers;
    }

    private static Map<String, String> digests(final List<Connection> workers) throws SQLException {
        final Map<String, String> digests = new HashMap<>();
        for (int w = 0; w < workers.size(); w++) {
            for (final CitusLayout.Shard shard : LAYOUT.shards()) {
                if (shard.workers().contains(w)) {
                    digests.put(w + ":" + shard.tableName(), scalar(workers.get(w),
                        "SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM "
                            + shard.tableName() + " t"));
                }
            }
        }
        return digests;
    }

    private static boolean tableExists(final Connection connection, final String table) throws SQLException {
        return scalar(connection, "SELECT to_regclass('" + table + "') IS NOT NULL").equals("t");
    }

    private static int count(final Connection connection, final String table) throws SQLException {
        return Integer.parseInt(scalar(connection, "SELECT count(*) FROM " + table));
    }

    private static String scalar(final Connection connection, final String sql) throws SQLException {
        try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static void closeAll(final List<Connection> connections) throws SQLException {
        for (final Connection connection : connections) {
            connection.close();
        }
    }
}
