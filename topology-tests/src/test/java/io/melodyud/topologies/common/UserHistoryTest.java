package io.melodyud.topologies.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.melodyud.avro.cdc.User;
import io.melodyud.avro.common.Tier;
import io.melodyud.contracts.fixtures.AvroFixtures;
import java.time.Instant;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The users' tier history, and the cache in front of its store. */
class UserHistoryTest {

    private static final Instant UPGRADE = Instant.parse("2026-11-20T18:00:00Z");
    private static final long ANA = 1_001L;
    private static final long BEN = 1_002L;

    private KeyValueStore<Long, byte[]> store;

    @BeforeEach
    void openStore() {
        store = TestStores.inMemory("users", Serdes.Long(), Serdes.ByteArray());
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    private static User user(final long id, final Tier tier, final String country, final Instant updatedAt) {
        return AvroFixtures.user().setUserId(id).setTier(tier).setCountry(country).setUpdatedAt(updatedAt).build();
    }

    @Test
    void theTierIsTheOneValidAtTheTimeAsked() {
        final UserHistory users = new UserHistory(store);
        users.apply(ANA, user(ANA, Tier.FREE, "CO", UPGRADE.minusSeconds(86_400)));
        users.apply(ANA, user(ANA, Tier.PREMIUM, "CO", UPGRADE));

        assertEquals(Tier.FREE, users.asOf(ANA, UPGRADE.toEpochMilli() - 1).tier());
        assertEquals(Tier.PREMIUM, users.asOf(ANA, UPGRADE.toEpochMilli()).tier(), "from its updated_at on");
        final UserHistory.Version before = users.asOf(ANA, UPGRADE.minusSeconds(2 * 86_400).toEpochMilli());
        assertEquals(Tier.FREE, before.tier(), "before the oldest version: the oldest known");
        assertTrue(before.beforeOldest());
        assertNull(users.asOf(BEN, UPGRADE.toEpochMilli()), "never seen");
    }

    @Test
    void aChangeAfterALookupIsSeenAtOnce() {
        final UserHistory users = new UserHistory(store);
        assertNull(users.asOf(ANA, UPGRADE.toEpochMilli()), "cached as absent");
        users.apply(ANA, user(ANA, Tier.FREE, "MX", UPGRADE.minusSeconds(60)));
        assertEquals("MX", users.asOf(ANA, UPGRADE.toEpochMilli()).country());
        users.apply(ANA, user(ANA, Tier.FAMILY, "MX", UPGRADE));
        assertEquals(Tier.FAMILY, users.asOf(ANA, UPGRADE.toEpochMilli()).tier());
    }

    @Test
    void anErasureLeavesNothingInTheStoreOrTheCache() {
        final UserHistory users = new UserHistory(store);
        users.apply(ANA, user(ANA, Tier.FREE, "BR", UPGRADE));
        assertEquals(Tier.FREE, users.asOf(ANA, UPGRADE.toEpochMilli()).tier());
        users.apply(ANA, null);
        assertNull(users.asOf(ANA, UPGRADE.toEpochMilli()));
        assertNull(store.get(ANA));
    }

    @Test
    void usersSharingACacheSlotKeepTheirOwnHistories() {
        final UserHistory users = new UserHistory(store, 1);
        users.apply(ANA, user(ANA, Tier.FREE, "CO", UPGRADE));
        users.apply(BEN, user(BEN, Tier.PREMIUM, "PE", UPGRADE));
        for (int i = 0; i < 3; i++) {
            assertEquals(Tier.FREE, users.asOf(ANA, UPGRADE.toEpochMilli()).tier());
            assertEquals(Tier.PREMIUM, users.asOf(BEN, UPGRADE.toEpochMilli()).tier());
        }
        users.apply(BEN, null);
        assertNull(users.asOf(BEN, UPGRADE.toEpochMilli()));
        assertEquals("CO", users.asOf(ANA, UPGRADE.toEpochMilli()).country());
    }

    @Test
    void lookupsAreServedFromMemoryOnceRead() {
        final UserHistory writer = new UserHistory(store);
        writer.apply(ANA, user(ANA, Tier.STUDENT, "CL", UPGRADE));
        final UserHistory reader = new UserHistory(store);
        assertEquals(Tier.STUDENT, reader.asOf(ANA, UPGRADE.toEpochMilli()).tier(), "read from the store");
        // Behind the cache's back, which the processors never do: the cached copy answers.
        store.delete(ANA);
        assertEquals(Tier.STUDENT, reader.asOf(ANA, UPGRADE.toEpochMilli()).tier());
        assertNull(new UserHistory(store).asOf(ANA, UPGRADE.toEpochMilli()), "a fresh cache reads the store");
    }

    @Test
    void theCacheSizeMustBeAPowerOfTwo() {
        assertThrows(IllegalArgumentException.class, () -> new UserHistory(store, 3000));
    }
}
