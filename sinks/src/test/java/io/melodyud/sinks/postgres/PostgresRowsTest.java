package io.melodyud.sinks.postgres;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.melodyud.avro.output.RoyaltyPeriod;
import io.melodyud.avro.output.RoyaltyRecordKind;
import io.melodyud.contracts.fixtures.AvroFixtures;
import io.melodyud.sinks.common.BadRecordException;
import io.melodyud.sinks.common.SinkStream;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.List;
import org.junit.jupiter.api.Test;

class PostgresRowsTest {

    @Test
    void aTrackTotalBecomesATrackStatsRowKeyedByTrack() throws BadRecordException {
        final PostgresRows.Row row = PostgresRows.map(SinkStream.TRACK_PLAY_TOTALS,
            AvroFixtures.trackPlayTotal().build());
        assertEquals(PostgresTable.TRACK_STATS, row.table());
        assertArrayEquals(new Object[] {AvroFixtures.TRACK_ID, 1_482_907L, 1_482_907L,
            AvroFixtures.BASE_TIME.toEpochMilli()}, row.values());
        assertEquals(List.of(AvroFixtures.TRACK_ID), row.key());
        assertEquals(1_482_907L, row.version());
    }

    @Test
    void moneyKeepsItsExactScaleAndIsNeverADouble() throws BadRecordException {
        final PostgresRows.Row row = PostgresRows.map(SinkStream.AD_REPORTS_FINAL, AvroFixtures.adReport().build());
        final Object spend = row.values()[10];
        assertTrue(spend instanceof BigDecimal);
        assertEquals("22464.0000000", spend.toString());
        assertEquals(List.of(AvroFixtures.CAMPAIGN_ID, "CO", AvroFixtures.adReport().build().getWindowStart()
            .toEpochMilli()), row.key());
        assertEquals("invalid-value:amount-scale", assertThrows(BadRecordException.class,
            () -> PostgresRows.exact("amount", new BigDecimal("0.000000001"), 8)).reason());
    }

    @Test
    void royaltyLinesAndAdjustmentsGoToTheirTablesAndAdjustmentsAreKeyedByVersion() throws BadRecordException {
        final PostgresRows.Row line = PostgresRows.map(SinkStream.ROYALTIES_MONTHLY, AvroFixtures.royaltyAggregate()
            .setPeriod(RoyaltyPeriod.MONTH).setPeriodStart(LocalDate.of(2025, 3, 1))
            .setPeriodEnd(LocalDate.of(2025, 4, 1)).setCountry(null).setKind(RoyaltyRecordKind.FINAL).build());
        assertEquals(PostgresTable.ROYALTY_STATEMENTS, line.table());
        assertEquals(List.of(AvroFixtures.RIGHTS_HOLDER_ID, "MONTH", (int) LocalDate.of(2025, 3, 1).toEpochDay(), ""),
            line.key(), "the all-countries line has the empty country");
        final PostgresRows.Row first = PostgresRows.map(SinkStream.ROYALTY_ADJUSTMENTS, AvroFixtures
            .royaltyAggregate().setKind(RoyaltyRecordKind.ADJUSTMENT).setVersion(8).build());
        final PostgresRows.Row second = PostgresRows.map(SinkStream.ROYALTY_ADJUSTMENTS, AvroFixtures
            .royaltyAggregate().setKind(RoyaltyRecordKind.ADJUSTMENT).setVersion(9).build());
        assertEquals(PostgresTable.ROYALTY_ADJUSTMENTS, first.table());
        assertNotEquals(first.key(), second.key(), "two adjustments of one line are two rows");
        assertEquals("invalid-value:royalty-kind", assertThrows(BadRecordException.class, () -> PostgresRows.map(
            SinkStream.ROYALTIES_DAILY, AvroFixtures.royaltyAggregate().setKind(RoyaltyRecordKind.ADJUSTMENT)
                .build())).reason());
    }

    @Test
    void upsertsAreGuardedByVersionAndAdjustmentsAreInsertOnly() {
        final String stats = PostgresTable.TRACK_STATS.upsert("\"s\".\"track_stats\"");
        assertTrue(stats.contains("ON CONFLICT (track_id) DO UPDATE SET plays = EXCLUDED.plays"), stats);
        assertTrue(stats.endsWith("WHERE t.version < EXCLUDED.version"), stats);
        assertTrue(stats.contains("unnest(?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[])"), stats);
        final String adjustments = PostgresTable.ROYALTY_ADJUSTMENTS.upsert("\"s\".\"royalty_adjustments\"");
        assertTrue(adjustments.endsWith("ON CONFLICT (rights_holder_id, period, period_start, country, version) "
            + "DO NOTHING"), adjustments);
    }
}
