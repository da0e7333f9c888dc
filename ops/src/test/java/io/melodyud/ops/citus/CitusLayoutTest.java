package io.melodyud.ops.citus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class CitusLayoutTest {

    private final CitusLayout layout = new CitusLayout(32, 2, CitusLayout.DEFAULT_FIRST_SHARD_ID);

    @Test
    void shardsOfADistributedTableCoverTheWholeHashRangeWithoutGapsOrOverlaps() {
        final List<CitusLayout.Shard> users = layout.shardsOf("users");
        assertEquals(32, users.size());
        assertEquals(Integer.MIN_VALUE, users.get(0).minHash());
        assertEquals(Integer.MAX_VALUE, users.get(31).maxHash());
        for (int i = 1; i < users.size(); i++) {
            assertEquals((long) users.get(i - 1).maxHash() + 1, users.get(i).minHash(), "gap before shard " + i);
        }
        // Citus's own numbers for 32 shards: 2^32 / 32 = 134217728 hash values each.
        assertEquals(-2013265920, users.get(1).minHash());
    }

    @Test
    void shardIdsStartAt102008AndFollowTableCreationOrder() {
        assertEquals("users_102008", layout.shardsOf("users").get(0).tableName());
        assertEquals("users_102039", layout.shardsOf("users").get(31).tableName());
        assertEquals("subscriptions_102040", layout.shardsOf("subscriptions").get(0).tableName());
        assertEquals("rights_holders_102072", layout.shardsOf("rights_holders").get(0).tableName());
        assertEquals("tracks_102073", layout.shardsOf("tracks").get(0).tableName());
    }

    @Test
    void distributedShardsAlternateBetweenWorkersAndReferenceShardsAreOnEveryWorker() {
        final List<CitusLayout.Shard> users = layout.shardsOf("users");
        assertEquals(List.of(0), users.get(0).workers());
        assertEquals(List.of(1), users.get(1).workers());
        assertEquals(List.of(0, 1), layout.shardsOf("tracks").get(0).workers());
    }

    @Test
    void coLocatedTablesPutAUsersRowsOnTheSameWorker() {
        final SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < 10_000; i++) {
            final long userId = random.nextLong(1, 1L << 40);
            final CitusLayout.Shard user = layout.shardFor("users", userId);
            final CitusLayout.Shard subscription = layout.shardFor("subscriptions", userId);
            assertEquals(user.index(), subscription.index());
            assertEquals(user.workers(), subscription.workers());
            final int hash = PgHash.hashInt8(userId);
            assertTrue(hash >= user.minHash() && hash <= user.maxHash(), "user " + userId + " in its range");
        }
    }

    @Test
    void shardNamesMapBackToTheirLogicalTable() {
        assertEquals("users", CitusLayout.logicalTableOf("users_102008"));
        assertEquals("rights_holders", CitusLayout.logicalTableOf("rights_holders_102072"));
        assertEquals("royalty_rates", CitusLayout.logicalTableOf("royalty_rates"));
    }

    @Test
    void nonsensicalSizesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new CitusLayout(0, 2, 1));
        assertThrows(IllegalArgumentException.class, () -> new CitusLayout(32, 0, 1));
    }
}
