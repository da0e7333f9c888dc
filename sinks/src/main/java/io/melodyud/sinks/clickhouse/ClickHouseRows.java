package io.melodyud.sinks.clickhouse;

import io.melodyud.avro.output.AdReport;
import io.melodyud.avro.output.Chart;
import io.melodyud.avro.output.ChartCount;
import io.melodyud.avro.output.ChartEntry;
import io.melodyud.avro.output.ChartWindow;
import io.melodyud.avro.output.RoyaltyAggregate;
import io.melodyud.avro.output.RoyaltyPeriod;
import io.melodyud.avro.output.RoyaltyRecordKind;
import io.melodyud.avro.output.TrackDailyPlays;
import io.melodyud.avro.output.TrackPlayTotal;
import io.melodyud.sinks.common.BadRecordException;
import io.melodyud.sinks.common.SinkStream;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.regex.Pattern;
import org.apache.avro.specific.SpecificRecord;

/**
 * Turns output records into RowBinary rows of the analysts' tables (see {@link ClickHouseTable} for the columns,
 * in the same order as written here). Values a column cannot hold (negative counts in unsigned columns, amounts
 * with more digits than the decimal column, instants before 1970 or after 2106) are refused with a
 * {@link BadRecordException} rather than wrapped or rounded.
 */
public final class ClickHouseRows {

    private static final Pattern CURRENCY = Pattern.compile("[A-Z]{3}");

    private ClickHouseRows() {
    }

    /** The table a record of {@code stream} goes to. */
    public static ClickHouseTable tableOf(final SinkStream stream, final SpecificRecord value) {
        return switch (stream) {
            case TRACK_PLAY_TOTALS -> ClickHouseTable.TRACK_PLAY_TOTALS;
            case TRACK_DAILY_PLAYS -> ClickHouseTable.TRACK_DAILY_PLAYS;
            case CHART_COUNTS_MINUTE -> ClickHouseTable.CHART_DATA_1MIN;
            case CHART_COUNTS_HOUR -> ClickHouseTable.CHART_DATA_1HOUR;
            case CHART_COUNTS_DAY -> ClickHouseTable.CHART_DATA_1DAY;
            case CHARTS_LIVE_MINUTE, CHARTS_LIVE_HOUR, CHARTS_LIVE_DAY -> ClickHouseTable.CHARTS_LIVE;
            case CHARTS_FINAL_MINUTE, CHARTS_FINAL_HOUR, CHARTS_FINAL_DAY -> ClickHouseTable.CHARTS_FINAL;
            case AD_REPORTS_LIVE, AD_REPORTS_FINAL -> ClickHouseTable.AD_REPORTS_HOURLY;
            case ROYALTIES_DAILY, ROYALTIES_MONTHLY, ROYALTY_ADJUSTMENTS ->
                ((RoyaltyAggregate) value).getPeriod() == RoyaltyPeriod.DAY
                    ? ClickHouseTable.ROYALTIES_DAILY : ClickHouseTable.ROYALTIES_MONTHLY;
        };
    }

    /** Appends the row of {@code value} to {@code out}; on failure nothing is appended. */
    public static void write(final SinkStream stream, final SpecificRecord value, final RowBinary out)
            throws BadRecordException {
        final int mark = out.size();
        try {
            switch (stream) {
                case TRACK_PLAY_TOTALS -> trackPlayTotal((TrackPlayTotal) value, out);
                case TRACK_DAILY_PLAYS -> trackDailyPlays((TrackDailyPlays) value, out);
                case CHART_COUNTS_MINUTE -> chartCount((ChartCount) value, ChartWindow.MINUTE, out);
                case CHART_COUNTS_HOUR -> chartCount((ChartCount) value, ChartWindow.HOUR, out);
                case CHART_COUNTS_DAY -> chartCount((ChartCount) value, ChartWindow.DAY, out);
                case CHARTS_LIVE_MINUTE, CHARTS_LIVE_HOUR, CHARTS_LIVE_DAY,
                     CHARTS_FINAL_MINUTE, CHARTS_FINAL_HOUR, CHARTS_FINAL_DAY -> chart((Chart) value, out);
                case AD_REPORTS_LIVE, AD_REPORTS_FINAL -> adReport((AdReport) value, out);
                case ROYALTIES_DAILY, ROYALTIES_MONTHLY, ROYALTY_ADJUSTMENTS ->
                    royalty(stream, (RoyaltyAggregate) value, out);
            }
        } catch (final BadRecordException e) {
            out.truncate(mark);
            throw e;
        }
        out.endRow();
    }

    static void trackPlayTotal(final TrackPlayTotal v, final RowBinary out) throws BadRecordException {
        out.int64(unsigned("track_id", v.getTrackId()));
        out.int64(unsigned("valid_plays", v.getValidPlays()));
        out.int64(unsigned("version", v.getVersion()));
        out.uint32(dateTime("updated_at", v.getUpdatedAt()));
    }

    static void trackDailyPlays(final TrackDailyPlays v, final RowBinary out) throws BadRecordException {
        out.int64(unsigned("track_id", v.getTrackId()));
        out.uint16(date("day", v.getDay()));
        out.int64(unsigned("valid_plays", v.getValidPlays()));
        out.int64(unsigned("version", v.getVersion()));
    }

    static void chartCount(final ChartCount v, final ChartWindow expected, final RowBinary out)
            throws BadRecordException {
        if (v.getWindow() != expected) {
            throw new BadRecordException("invalid-value:window-mismatch", "A " + v.getWindow()
                + " count on the " + expected + " count topic");
        }
        out.string(country(v.getCountry().toString()));
        out.int64(unsigned("track_id", v.getTrackId()));
        out.uint32(dateTime("window_start", v.getWindowStart()));
        out.int64(unsigned("plays", v.getPlays()));
        out.int64(unsigned("version", v.getVersion()));
    }

    static void chart(final Chart v, final RowBinary out) throws BadRecordException {
        out.uint8(v.getWindow().ordinal() + 1);
        out.uint32(dateTime("window_start", v.getWindowStart()));
        out.uint32(dateTime("window_end", v.getWindowEnd()));
        out.string(country(v.getCountry().toString()));
        out.uint8(v.getIsFinal() ? 1 : 0);
        final List<ChartEntry> entries = v.getEntries();
        out.varint(entries.size());
        for (final ChartEntry entry : entries) {
            if (entry.getRank() < 1 || entry.getRank() > 65_535) {
                throw new BadRecordException("invalid-value:rank", "Chart rank " + entry.getRank());
            }
            out.uint16(entry.getRank());
        }
        out.varint(entries.size());
        for (final ChartEntry entry : entries) {
            out.int64(unsigned("track_id", entry.getTrackId()));
        }
        out.varint(entries.size());
        for (final ChartEntry entry : entries) {
            out.int64(unsigned("plays", entry.getPlays()));
        }
        out.int64(unsigned("version", v.getVersion()));
        out.uint32(dateTime("generated_at", v.getGeneratedAt()));
    }

    static void adReport(final AdReport v, final RowBinary out) throws BadRecordException {
        out.int64(unsigned("campaign_id", v.getCampaignId()));
        out.string(country(v.getCountry().toString()));
        out.uint32(dateTime("window_start", v.getWindowStart()));
        out.uint32(dateTime("window_end", v.getWindowEnd()));
        out.int64(unsigned("impressions", v.getImpressions()));
        out.int64(unsigned("clicks", v.getClicks()));
        out.int64(unsigned("unattributed_clicks", v.getUnattributedClicks()));
        out.int64(unsigned("ctr_ppm", v.getCtrPpm()));
        out.int64(unsigned("unique_users_estimate", v.getUniqueUsersEstimate()));
        out.bytes(bytes(v.getUniqueUsersSketch()));
        out.decimal128(decimal("spend", v.getSpend(), 20, 7));
        out.string(currency(v.getCurrency().toString()));
        out.int64(unsigned("premium_impressions", v.getPremiumImpressions()));
        out.uint8(v.getIsFinal() ? 1 : 0);
        out.int64(unsigned("version", v.getVersion()));
    }

    /**
     * LIVE and FINAL rows of a line share the key (adjustment_version 0) and replace each other by version;
     * every ADJUSTMENT is its own row, keyed by its version, so that re-delivering one replaces it and summing the
     * table's rows after FINAL gives the payable amount.
     */
    static void royalty(final SinkStream stream, final RoyaltyAggregate v, final RowBinary out)
            throws BadRecordException {
        final boolean adjustment = v.getKind() == RoyaltyRecordKind.ADJUSTMENT;
        if (adjustment != (stream == SinkStream.ROYALTY_ADJUSTMENTS)) {
            throw new BadRecordException("invalid-value:royalty-kind", "A " + v.getKind() + " line on the "
                + stream.id() + " topic");
        }
        out.int64(unsigned("rights_holder_id", v.getRightsHolderId()));
        out.uint16(date("period_start", v.getPeriodStart()));
        out.uint16(date("period_end", v.getPeriodEnd()));
        out.string(v.getCountry() == null ? "" : country(v.getCountry().toString()));
        out.uint8(adjustment ? 2 : 1);
        out.int64(adjustment ? unsigned("version", v.getVersion()) : 0L);
        out.uint8(v.getKind().ordinal() + 1);
        out.int64(v.getValidPlays());
        out.decimal128(decimal("amount", v.getAmount(), 20, 8));
        out.string(currency(v.getCurrency().toString()));
        out.int64(unsigned("version", v.getVersion()));
    }

    static long unsigned(final String field, final long value) throws BadRecordException {
        if (value < 0) {
            throw new BadRecordException("invalid-value:negative-" + field.replace('_', '-'),
                field + " is negative: " + value);
        }
        return value;
    }

    /** DateTime is seconds since 1970 in a UInt32; sub-second parts are dropped (18.16 has no DateTime64). */
    static long dateTime(final String field, final Instant value) throws BadRecordException {
        final long seconds = value.getEpochSecond();
        if (seconds < 0 || seconds > 0xFFFF_FFFFL) {
            throw new BadRecordException("invalid-value:" + field.replace('_', '-') + "-out-of-range",
                field + " " + value + " is outside what DateTime holds");
        }
        return seconds;
    }

    static int date(final String field, final LocalDate value) throws BadRecordException {
        final long days = value.toEpochDay();
        if (days < 0 || days > 0xFFFF) {
            throw new BadRecordException("invalid-value:" + field.replace('_', '-') + "-out-of-range",
                field + " " + value + " is outside what Date holds");
        }
        return (int) days;
    }

    /** The amount at the column's scale, exactly: a value needing rounding or more digits is refused. */
    static BigDecimal decimal(final String field, final BigDecimal value, final int precision, final int scale)
            throws BadRecordException {
        final BigDecimal scaled;
        try {
            scaled = value.setScale(scale);
        } catch (final ArithmeticException e) {
            throw new BadRecordException("invalid-value:" + field + "-scale", field + " " + value
                + " has more than " + scale + " decimal places", e);
        }
        if (scaled.precision() > precision) {
            throw new BadRecordException("invalid-value:" + field + "-overflow", field + " " + value
                + " has more than " + precision + " digits");
        }
        return scaled;
    }

    /** Hand-written rather than a regular expression: it runs once per row (a profile showed 16% in the regex). */
    static String country(final String value) throws BadRecordException {
        final boolean alpha2 = value.length() == 2 && isUpper(value.charAt(0)) && isUpper(value.charAt(1));
        if (!alpha2 && !"GLOBAL".equals(value)) {
            throw new BadRecordException("invalid-value:country", "Country " + value
                + " is neither ISO 3166-1 alpha-2 in upper case nor GLOBAL");
        }
        return value;
    }

    static String currency(final String value) throws BadRecordException {
        if (!CURRENCY.matcher(value).matches()) {
            throw new BadRecordException("invalid-value:currency", "Currency " + value + " is not ISO 4217");
        }
        return value;
    }

    private static boolean isUpper(final char c) {
        return c >= 'A' && c <= 'Z';
    }

    private static byte[] bytes(final ByteBuffer buffer) {
        final ByteBuffer copy = buffer.duplicate();
        final byte[] bytes = new byte[copy.remaining()];
        copy.get(bytes);
        return bytes;
    }
}
