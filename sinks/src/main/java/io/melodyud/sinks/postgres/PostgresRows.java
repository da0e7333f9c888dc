package io.melodyud.sinks.postgres;

import io.melodyud.avro.output.AdReport;
import io.melodyud.avro.output.RoyaltyAggregate;
import io.melodyud.avro.output.RoyaltyRecordKind;
import io.melodyud.avro.output.TrackPlayTotal;
import io.melodyud.sinks.common.BadRecordException;
import io.melodyud.sinks.common.SinkStream;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;

/**
 * Turns output records into rows of the sink's tables, in {@link PostgresTable#columns()} order. Amounts keep their
 * exact scale: a value with more decimal places than the column would be rounded by PostgreSQL, so it is refused
 * here; range and format rules (non-negative counts, ISO codes) are CHECK constraints of the tables, and a row that
 * breaks one becomes a dead letter.
 */
public final class PostgresRows {

    /** A row and the table it belongs to; {@link #key()} identifies the row in its table. */
    public record Row(PostgresTable table, Object[] values) {

        public List<Object> key() {
            final int[] indexes = table.keyIndexes();
            final Object[] key = new Object[indexes.length];
            for (int i = 0; i < indexes.length; i++) {
                key[i] = values[indexes[i]];
            }
            return Arrays.asList(key);
        }

        public long version() {
            return (Long) values[table.versionIndex()];
        }
    }

    private PostgresRows() {
    }

    public static Row map(final SinkStream stream, final SpecificRecord value) throws BadRecordException {
        return switch (stream) {
            case TRACK_PLAY_TOTALS -> trackStats((TrackPlayTotal) value);
            case AD_REPORTS_LIVE, AD_REPORTS_FINAL -> adReport((AdReport) value);
            case ROYALTIES_DAILY, ROYALTIES_MONTHLY, ROYALTY_ADJUSTMENTS -> royalty(stream, (RoyaltyAggregate) value);
            default -> throw new IllegalArgumentException("The PostgreSQL sink does not write " + stream.id());
        };
    }

    static Row trackStats(final TrackPlayTotal v) {
        return new Row(PostgresTable.TRACK_STATS, new Object[] {v.getTrackId(), v.getValidPlays(), v.getVersion(),
            v.getUpdatedAt().toEpochMilli()});
    }

    static Row adReport(final AdReport v) throws BadRecordException {
        final ByteBuffer sketch = v.getUniqueUsersSketch().duplicate();
        final byte[] bytes = new byte[sketch.remaining()];
        sketch.get(bytes);
        return new Row(PostgresTable.AD_CAMPAIGN_REPORTS, new Object[] {v.getCampaignId(), v.getCountry().toString(),
            v.getWindowStart().toEpochMilli(), v.getWindowEnd().toEpochMilli(), v.getImpressions(), v.getClicks(),
            v.getUnattributedClicks(), v.getCtrPpm(), v.getUniqueUsersEstimate(), bytes,
            exact("spend", v.getSpend(), 7), v.getCurrency().toString(), v.getPremiumImpressions(), v.getIsFinal(),
            v.getVersion()});
    }

    static Row royalty(final SinkStream stream, final RoyaltyAggregate v) throws BadRecordException {
        final boolean adjustment = v.getKind() == RoyaltyRecordKind.ADJUSTMENT;
        if (adjustment != (stream == SinkStream.ROYALTY_ADJUSTMENTS)) {
            throw new BadRecordException("invalid-value:royalty-kind", "A " + v.getKind() + " line on the "
                + stream.id() + " topic");
        }
        final String country = v.getCountry() == null ? "" : v.getCountry().toString();
        final BigDecimal amount = exact("amount", v.getAmount(), 8);
        if (adjustment) {
            return new Row(PostgresTable.ROYALTY_ADJUSTMENTS, new Object[] {v.getRightsHolderId(),
                v.getPeriod().name(), (int) v.getPeriodStart().toEpochDay(), (int) v.getPeriodEnd().toEpochDay(),
                country, v.getValidPlays(), amount, v.getCurrency().toString(), v.getVersion()});
        }
        return new Row(PostgresTable.ROYALTY_STATEMENTS, new Object[] {v.getRightsHolderId(), v.getPeriod().name(),
            (int) v.getPeriodStart().toEpochDay(), (int) v.getPeriodEnd().toEpochDay(), country, v.getValidPlays(),
            amount, v.getCurrency().toString(), v.getKind().name(), v.getVersion()});
    }

    /** The amount at the column's scale without rounding; refused when that would need rounding. */
    static BigDecimal exact(final String field, final BigDecimal value, final int scale) throws BadRecordException {
        try {
            return value.setScale(scale);
        } catch (final ArithmeticException e) {
            throw new BadRecordException("invalid-value:" + field + "-scale", field + " " + value
                + " has more than " + scale + " decimal places", e);
        }
    }
}
