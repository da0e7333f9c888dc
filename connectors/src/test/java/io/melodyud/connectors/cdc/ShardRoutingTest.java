package io.melodyud.connectors.cdc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.melodyud.contracts.topics.Topics;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class ShardRoutingTest {

    @Test
    void shardTablesRouteToTheirLogicalTable() {
        assertEquals(Optional.of(LogicalTable.USERS), ShardRouting.logicalTable("users_102008"));
        assertEquals(Optional.of(LogicalTable.USERS), ShardRouting.logicalTable("users_102039"));
        assertEquals(Optional.of(LogicalTable.SUBSCRIPTIONS), ShardRouting.logicalTable("subscriptions_102040"));
        assertEquals(Optional.of(LogicalTable.RIGHTS_HOLDERS), ShardRouting.logicalTable("rights_holders_102072"));
        assertEquals(Optional.of(LogicalTable.ROYALTY_RATES), ShardRouting.logicalTable("royalty_rates_102074"));
        assertEquals(Optional.of(LogicalTable.AD_CAMPAIGNS), ShardRouting.logicalTable("ad_campaigns_102075"));
        assertEquals(Optional.of(LogicalTable.TRACKS), ShardRouting.logicalTable("tracks_7"));
    }

    @Test
    void logicalNamesRouteToThemselvesAndUnknownTablesNowhere() {
        assertEquals(Optional.of(LogicalTable.USERS), ShardRouting.logicalTable("users"));
        assertEquals(Optional.empty(), ShardRouting.logicalTable("user_sessions_102008"));
        assertEquals(Optional.empty(), ShardRouting.logicalTable("users_archive"));
        assertEquals(Optional.empty(), ShardRouting.logicalTable("users_"));
        assertEquals(Optional.empty(), ShardRouting.logicalTable(null));
    }

    @Test
    void logicalTopicsAreTheCatalogueTopicsAndNeverNameAShard() {
        assertEquals(Topics.CDC_USERS.name(), LogicalTable.USERS.topic("melody.cdc"));
        assertEquals(Topics.CDC_SUBSCRIPTIONS.name(), LogicalTable.SUBSCRIPTIONS.topic("melody.cdc"));
        assertEquals(Topics.CDC_TRACKS.name(), LogicalTable.TRACKS.topic("melody.cdc"));
        assertEquals(Topics.CDC_RIGHTS_HOLDERS.name(), LogicalTable.RIGHTS_HOLDERS.topic("melody.cdc"));
        assertEquals(Topics.CDC_ROYALTY_RATES.name(), LogicalTable.ROYALTY_RATES.topic("melody.cdc"));
        assertEquals(Topics.CDC_AD_CAMPAIGNS.name(), LogicalTable.AD_CAMPAIGNS.topic("melody.cdc"));
        for (final LogicalTable table : LogicalTable.values()) {
            assertFalse(table.topic("melody.cdc").matches(".*\\d.*"), table.topic("melody.cdc"));
        }
    }

    @Test
    void includeListCapturesEveryShardOfTheTablesAndNothingElse() {
        final Pattern distributed = Pattern.compile(ShardRouting.includeList("public",
            List.of(LogicalTable.USERS, LogicalTable.SUBSCRIPTIONS)));
        assertTrue(distributed.matcher("public.users_102008").matches());
        assertTrue(distributed.matcher("public.subscriptions_102071").matches());
        assertTrue(distributed.matcher("public.users_999999").matches(), "a shard created by a split");
        assertFalse(distributed.matcher("public.tracks_102073").matches());
        assertFalse(distributed.matcher("public.users").matches());
        assertFalse(distributed.matcher("public.users_archive_1").matches());
        assertFalse(distributed.matcher("other.users_102008").matches());
    }

    @Test
    void sqlShardRegexMatchesShardNamesOnly() {
        final Pattern regex = Pattern.compile(ShardRouting.shardNameRegex(List.of(LogicalTable.TRACKS)));
        assertTrue(regex.matcher("tracks_102073").matches());
        assertFalse(regex.matcher("tracks").matches());
        assertFalse(regex.matcher("old_tracks_1").matches());
    }
}
