package io.melodyud.sinks.clickhouse;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.melodyud.avro.output.ChartWindow;
import io.melodyud.avro.output.RoyaltyPeriod;
import io.melodyud.avro.output.RoyaltyRecordKind;
import io.melodyud.contracts.fixtures.AvroFixtures;
import io.melodyud.sinks.common.BadRecordException;
import io.melodyud.sinks.common.SinkStream;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Instant;
import java.time.LocalDate;
import org.junit.jupiter.api.Test;

class ClickHouseRowsTest {

    private static ByteBuffer little(final byte[] bytes) {
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    @Test
    void aTrackTotalBecomesFourLittleEndianColumns() throws BadRecordException {
        final RowBinary out = new RowBinary(64);
        ClickHouseRows.write(SinkStream.TRACK_PLAY_TOTALS, AvroFixtures.trackPlayTotal().build(), out);
        final ByteBuffer row = little(out.toByteArray());
        assertEquals(8 + 8 + 8 + 4, row.remaining());
        assertEquals(AvroFixtures.TRACK_ID, row.getLong());
        assertEquals(1_482_907L, row.getLong());
        assertEquals(1_482_907L, row.getLong());
        assertEquals(AvroFixtures.BASE_TIME.getEpochSecond(), Integer.toUnsignedLong(row.getInt()));
        assertEquals(1, out.rows());
    }

    @Test
    void aMinuteCountBecomesARowOfTheSeedsChartData1min() throws BadRecordException {
        final RowBinary out = new RowBinary(64);
        final Instant minute = Instant.parse("2025-03-14T19:31:00Z");
        ClickHouseRows.write(SinkStream.CHART_COUNTS_MINUTE, AvroFixtures.chartCount().setWindow(ChartWindow.MINUTE)
            .setWindowStart(minute).setCountry("GLOBAL").build(), out);
        final ByteBuffer row = little(out.toByteArray());
        assertEquals(6, row.get(), "region: length-prefixed");
        final byte[] region = new byte[6];
        row.get(region);
        assertEquals("GLOBAL", new String(region));
        assertEquals(AvroFixtures.TRACK_ID, row.getLong());
        assertEquals(minute.getEpochSecond(), Integer.toUnsignedLong(row.getInt()));
        assertEquals(412L, row.getLong());
        assertEquals(412L, row.getLong());
        assertEquals(ClickHouseTable.CHART_DATA_1MIN, ClickHouseRows.tableOf(SinkStream.CHART_COUNTS_MINUTE, null));
    }

    @Test
    void decimalsAreSixteenByteTwosComplementAtTheColumnsScale() {
        final RowBinary out = new RowBinary(16);
        out.decimal128(new BigDecimal("-1.0000000"));
        final ByteBuffer bytes = little(out.toByteArray());
        assertEquals(-10_000_000L, bytes.getLong(), "low half");
        assertEquals(-1L, bytes.getLong(), "high half is the sign extension");
        final RowBinary big = new RowBinary(16);
        big.decimal128(new BigDecimal("99999999999999999999")); // 20 digits: above 2^64
        final ByteBuffer b = little(big.toByteArray());
        assertEquals(new BigDecimal("99999999999999999999").toBigInteger().longValue(), b.getLong());
        assertEquals(5L, b.getLong());
    }

    @Test
    void lengthsUseLeb128() {
        final RowBinary out = new RowBinary(4);
        out.varint(300);
        assertArrayEquals(new byte[] {(byte) 0xAC, 0x02}, out.toByteArray());
    }

    @Test
    void valuesTheColumnsCannotHoldAreRefusedAndLeaveNoPartialRow() {
        final RowBinary out = new RowBinary(64);
        final BadRecordException negative = assertThrows(BadRecordException.class, () -> ClickHouseRows.write(
            SinkStream.CHART_COUNTS_MINUTE, AvroFixtures.chartCount().setWindow(ChartWindow.MINUTE).setPlays(-1)
                .build(), out));
        assertEquals("invalid-value:negative-plays", negative.reason());
        assertEquals(0, out.size(), "the region and track written before the bad field are dropped");
        assertEquals(0, out.rows());
        final BadRecordException window = assertThrows(BadRecordException.class, () -> ClickHouseRows.write(
            SinkStream.CHART_COUNTS_MINUTE, AvroFixtures.chartCount().build(), out));
        assertEquals("invalid-value:window-mismatch", window.reason(), "an hour count on the minute topic");
        final BadRecordException country = assertThrows(BadRecordException.class, () -> ClickHouseRows.write(
            SinkStream.CHART_COUNTS_HOUR, AvroFixtures.chartCount().setCountry("co").build(), out));
        assertEquals("invalid-value:country", country.reason());
        final BadRecordException before1970 = assertThrows(BadRecordException.class, () -> ClickHouseRows.write(
            SinkStream.TRACK_PLAY_TOTALS, AvroFixtures.trackPlayTotal().setUpdatedAt(Instant.parse(
                "1969-12-31T23:59:59Z")).build(), out));
        assertEquals("invalid-value:updated-at-out-of-range", before1970.reason());
    }

    @Test
    void royaltiesGoToTheTableOfTheirPeriodAndAdjustmentsAreKeyedByVersion() throws BadRecordException {
        assertEquals(ClickHouseTable.ROYALTIES_DAILY, ClickHouseRows.tableOf(SinkStream.ROYALTIES_DAILY,
            AvroFixtures.royaltyAggregate().build()));
        assertEquals(ClickHouseTable.ROYALTIES_MONTHLY, ClickHouseRows.tableOf(SinkStream.ROYALTY_ADJUSTMENTS,
            AvroFixtures.royaltyAggregate().setPeriod(RoyaltyPeriod.MONTH).build()));
        final RowBinary out = new RowBinary(64);
        ClickHouseRows.write(SinkStream.ROYALTY_ADJUSTMENTS, AvroFixtures.royaltyAggregate()
            .setKind(RoyaltyRecordKind.ADJUSTMENT).setCountry(null).setVersion(77).build(), out);
        final ByteBuffer row = little(out.toByteArray());
        assertEquals(AvroFixtures.RIGHTS_HOLDER_ID, row.getLong());
        assertEquals(LocalDate.of(2025, 3, 14).toEpochDay(), row.getShort());
        assertEquals(LocalDate.of(2025, 3, 15).toEpochDay(), row.getShort());
        assertEquals(0, row.get(), "all countries: empty string");
        assertEquals(2, row.get(), "entry ADJUSTMENT");
        assertEquals(77L, row.getLong(), "adjustment_version: each adjustment its own row");
        assertEquals(3, row.get(), "kind ADJUSTMENT");
        final BadRecordException misplaced = assertThrows(BadRecordException.class, () -> ClickHouseRows.write(
            SinkStream.ROYALTIES_DAILY, AvroFixtures.royaltyAggregate().setKind(RoyaltyRecordKind.ADJUSTMENT)
                .build(), out));
        assertEquals("invalid-value:royalty-kind", misplaced.reason());
    }

    @Test
    void amountsNeedingRoundingOrMoreDigitsAreRefused() {
        assertEquals("invalid-value:spend-scale", assertThrows(BadRecordException.class,
            () -> ClickHouseRows.decimal("spend", new BigDecimal("0.00000001"), 20, 7)).reason());
        assertEquals("invalid-value:spend-overflow", assertThrows(BadRecordException.class,
            () -> ClickHouseRows.decimal("spend", new BigDecimal("12345678901234.1234567"), 20, 7)).reason());
    }

    @Test
    void everyTableIsAReplacingMergeTreeOnVersionWithNewStyleClauses() {
        for (final ClickHouseTable table : ClickHouseTable.values()) {
            final String ddl = table.createStatement("`db`.`t`");
            assertEquals(true, ddl.contains("ENGINE = ReplacingMergeTree(version)"), ddl);
            assertEquals(true, ddl.contains("ORDER BY ("), ddl);
            assertEquals(false, ddl.contains("DateTime64") || ddl.contains("LowCardinality"), ddl);
            assertEquals(true, table.columnNames().contains("version"), ddl);
        }
    }
}
