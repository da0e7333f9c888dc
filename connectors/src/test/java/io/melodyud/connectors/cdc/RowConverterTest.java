package io.melodyud.connectors.cdc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.melodyud.avro.cdc.AdCampaign;
import io.melodyud.avro.cdc.CampaignStatus;
import io.melodyud.avro.cdc.Subscription;
import io.melodyud.avro.cdc.Track;
import io.melodyud.avro.cdc.User;
import io.melodyud.avro.common.Tier;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.generic.IndexedRecord;
import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Struct;
import org.junit.jupiter.api.Test;

class RowConverterTest {

    private static final long LSN = 0x1A2B3C4DL;
    private static final long COMMITTED_AT = 1_793_000_000_123L;

    @Test
    void userRowBecomesTheContractWithoutPersonalColumns() throws ConversionException {
        final IndexedRecord record = RowConverter.convert(User.getClassSchema(),
            DebeziumRecords.user(42L, "CO", "PREMIUM"), LSN, COMMITTED_AT);
        final User user = (User) record;
        assertEquals(42L, user.getUserId());
        assertEquals("CO", user.getCountry());
        assertEquals(Tier.PREMIUM, user.getTier());
        // Microseconds of timestamptz are cut to the contract's milliseconds.
        assertEquals(Instant.parse("2025-03-14T09:26:53.589Z"), user.getSignupAt().truncatedTo(
            java.time.temporal.ChronoUnit.MILLIS));
        assertEquals(LSN, user.getCdcLsn());
        assertEquals(Instant.ofEpochMilli(COMMITTED_AT), user.getCdcCommittedAt());
        assertEquals(7, User.getClassSchema().getFields().size(), "no e-mail, no display name");
    }

    @Test
    void snapshotRowsCarryNoLsnNorCommitTime() throws ConversionException {
        final User user = (User) RowConverter.convert(User.getClassSchema(),
            DebeziumRecords.user(42L, "CO", "FREE"), null, null);
        assertNull(user.getCdcLsn());
        assertNull(user.getCdcCommittedAt());
    }

    @Test
    void moneyKeepsItsExactDecimalAndAnOpenEndIsNull() throws ConversionException {
        final Subscription subscription = (Subscription) RowConverter.convert(Subscription.getClassSchema(),
            DebeziumRecords.subscription(7L, 42L, new BigDecimal("16900.00")), LSN, COMMITTED_AT);
        assertEquals(new BigDecimal("16900.00"), subscription.getMonthlyPrice());
        assertNull(subscription.getEndsAt());
        assertEquals(Tier.PREMIUM, subscription.getPlan());
    }

    @Test
    void releaseDateAndMissingIsrcConvert() throws ConversionException {
        final org.apache.kafka.connect.data.Schema row = org.apache.kafka.connect.data.SchemaBuilder.struct()
            .field("track_id", org.apache.kafka.connect.data.Schema.INT64_SCHEMA)
            .field("title", org.apache.kafka.connect.data.Schema.STRING_SCHEMA)
            .field("artist_name", org.apache.kafka.connect.data.Schema.STRING_SCHEMA)
            .field("rights_holder_id", org.apache.kafka.connect.data.Schema.INT64_SCHEMA)
            .field("duration_ms", org.apache.kafka.connect.data.Schema.INT32_SCHEMA)
            .field("isrc", org.apache.kafka.connect.data.Schema.OPTIONAL_STRING_SCHEMA)
            .field("released_on", DebeziumRecords.DATE)
            .field("updated_at", DebeziumRecords.ZONED)
            .build();
        final Track track = (Track) RowConverter.convert(Track.getClassSchema(), new Struct(row)
            .put("track_id", 9001L).put("title", "La Bicicleta").put("artist_name", "Carlos Vives")
            .put("rights_holder_id", 12L).put("duration_ms", 229_000).put("released_on", 16_950)
            .put("updated_at", "2026-11-02T18:00:00Z"), LSN, COMMITTED_AT);
        assertEquals(LocalDate.ofEpochDay(16_950), track.getReleasedOn());
        assertNull(track.getIsrc());
    }

    @Test
    void targetCountriesArrayAndStatusConvert() throws ConversionException {
        final org.apache.kafka.connect.data.Schema row = org.apache.kafka.connect.data.SchemaBuilder.struct()
            .field("campaign_id", org.apache.kafka.connect.data.Schema.INT64_SCHEMA)
            .field("advertiser", org.apache.kafka.connect.data.Schema.STRING_SCHEMA)
            .field("name", org.apache.kafka.connect.data.Schema.STRING_SCHEMA)
            .field("cpm", Decimal.builder(4).build())
            .field("budget", Decimal.builder(2).build())
            .field("currency", org.apache.kafka.connect.data.Schema.STRING_SCHEMA)
            .field("target_countries", org.apache.kafka.connect.data.SchemaBuilder.array(
                org.apache.kafka.connect.data.Schema.OPTIONAL_STRING_SCHEMA).build())
            .field("status", org.apache.kafka.connect.data.Schema.STRING_SCHEMA)
            .field("starts_at", DebeziumRecords.ZONED)
            .field("ends_at", DebeziumRecords.ZONED)
            .field("updated_at", DebeziumRecords.ZONED)
            .build();
        final AdCampaign campaign = (AdCampaign) RowConverter.convert(AdCampaign.getClassSchema(), new Struct(row)
            .put("campaign_id", 5L).put("advertiser", "Postobón").put("name", "Verano 2026")
            .put("cpm", new BigDecimal("12.5000")).put("budget", new BigDecimal("25000000.00"))
            .put("currency", "COP").put("target_countries", new ArrayList<>(List.of("CO", "MX")))
            .put("status", "ACTIVE").put("starts_at", "2026-06-01T00:00:00Z").put("ends_at", "2026-09-01T00:00:00Z")
            .put("updated_at", "2026-06-01T00:00:00Z"), LSN, COMMITTED_AT);
        assertEquals(List.of("CO", "MX"), campaign.getTargetCountries());
        assertEquals(CampaignStatus.ACTIVE, campaign.getStatus());
        assertEquals(new BigDecimal("12.5000"), campaign.getCpm());
    }

    @Test
    void aNullInARequiredFieldIsRefusedWithItsReason() {
        final ConversionException e = assertThrows(ConversionException.class, () -> RowConverter.convert(
            User.getClassSchema(), DebeziumRecords.user(42L, null, "FREE"), LSN, COMMITTED_AT));
        assertEquals("null-in-required-field", e.reason());
    }

    @Test
    void aDecimalFinerThanTheContractIsRefusedRatherThanRounded() {
        final ConversionException e = assertThrows(ConversionException.class, () -> RowConverter.convert(
            Subscription.getClassSchema(), DebeziumRecords.subscription(7L, 42L, new BigDecimal("9.999")),
            LSN, COMMITTED_AT));
        assertEquals("decimal-scale", e.reason());
    }

    @Test
    void aDecimalTooLargeForTheContractIsRefused() {
        final ConversionException e = assertThrows(ConversionException.class, () -> RowConverter.convert(
            Subscription.getClassSchema(), DebeziumRecords.subscription(7L, 42L, new BigDecimal("123456789.00")),
            LSN, COMMITTED_AT));
        assertEquals("decimal-precision", e.reason());
    }

    @Test
    void aTierTheContractDoesNotKnowBecomesUnknown() throws ConversionException {
        final User user = (User) RowConverter.convert(User.getClassSchema(),
            DebeziumRecords.user(42L, "CO", "PLATINUM"), LSN, COMMITTED_AT);
        assertEquals(Tier.UNKNOWN, user.getTier());
    }

    @Test
    void aFieldAddedToTheContractIsFilledFromTheNewColumnOrItsDefault() throws ConversionException {
        // The contract evolves compatibly: an optional field with a default, named like the new column.
        final Schema evolved = evolvedUserSchema();
        final org.apache.kafka.connect.data.SchemaBuilder builder = org.apache.kafka.connect.data.SchemaBuilder
            .struct();
        DebeziumRecords.USER_ROW.fields().forEach(f -> builder.field(f.name(), f.schema()));
        builder.field("referral_code", org.apache.kafka.connect.data.Schema.OPTIONAL_STRING_SCHEMA);
        final Struct old = DebeziumRecords.user(42L, "CO", "FREE");
        final Struct row = new Struct(builder.build());
        DebeziumRecords.USER_ROW.fields().forEach(f -> row.put(f.name(), old.get(f)));
        row.put("referral_code", "AMIGO2026");
        final GenericRecord withColumn = (GenericRecord) RowConverter.convert(evolved, row, LSN, COMMITTED_AT);
        assertEquals("AMIGO2026", withColumn.get("referral_code"));
        final GenericRecord withoutColumn = (GenericRecord) RowConverter.convert(evolved, old, LSN, COMMITTED_AT);
        assertNull(withoutColumn.get("referral_code"));
    }

    @Test
    void debeziumTimestampsParseLikeTheJdkParser() {
        for (final String text : List.of("2025-03-14T09:26:53Z", "2025-03-14T09:26:53.5Z", "2025-03-14T09:26:53.589Z",
                "2025-03-14T09:26:53.589793Z", "2025-03-14T09:26:53.123456789Z", "1969-12-31T23:59:59.999999Z",
                "2024-02-29T00:00:00Z", "2025-03-14T09:26:53.589793+05:00", "+12025-01-01T00:00:00Z")) {
            assertEquals(java.time.OffsetDateTime.parse(text).toInstant(), RowConverter.parseTimestamp(text), text);
        }
        assertThrows(java.time.DateTimeException.class, () -> RowConverter.parseTimestamp("2025-02-30T00:00:00Z"));
    }

    private static Schema evolvedUserSchema() {
        final List<Schema.Field> fields = new ArrayList<>();
        for (final Schema.Field f : User.getClassSchema().getFields()) {
            fields.add(new Schema.Field(f, f.schema()));
        }
        fields.add(new Schema.Field("referral_code", SchemaBuilder.unionOf().nullType().and().stringType()
            .endUnion(), "Referral code used at sign-up.", Schema.Field.NULL_DEFAULT_VALUE));
        // Another name, so that SpecificData does not map it to the generated User class.
        return Schema.createRecord("UserV2", "evolved", "io.melodyud.test", false, fields);
    }
}
