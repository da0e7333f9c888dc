package io.melodyud.contracts.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.melodyud.contracts.fixtures.AvroFixtures;
import io.melodyud.contracts.serde.AvroTrust;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each generated record, built from its fixture, survives binary encoding with the generated classes' own logical-type
 * conversions (decimals, instants, dates, UUIDs); this also proves the fixtures' values fit their schemas.
 */
class GeneratedRecordRoundTripTest {

    /** Avro 1.12 refuses untrusted classes; the serdes trust the contract classes the same way. */
    @BeforeAll
    static void trustGeneratedClasses() {
        AvroTrust.trustContractClasses();
    }

    static List<Named<SpecificRecord>> fixtures() {
        return List.of(
                named(AvroFixtures.playEvent().build()),
                named(AvroFixtures.adImpression().build()),
                named(AvroFixtures.adClick().build()),
                named(AvroFixtures.user().build()),
                named(AvroFixtures.subscription().build()),
                named(AvroFixtures.track().build()),
                named(AvroFixtures.rightsHolder().build()),
                named(AvroFixtures.royaltyRate().build()),
                named(AvroFixtures.adCampaign().build()),
                named(AvroFixtures.trackPlayTotal().build()),
                named(AvroFixtures.trackDailyPlays().build()),
                named(AvroFixtures.chartCount().build()),
                named(AvroFixtures.chartEntry().build()),
                named(AvroFixtures.chart().build()),
                named(AvroFixtures.adReport().build()),
                named(AvroFixtures.pacingAlert().build()),
                named(AvroFixtures.royaltyAggregate().build()),
                named(AvroFixtures.pendingPlay().build()));
    }

    @ParameterizedTest
    @MethodSource("fixtures")
    void recordDecodesToAnEqualRecord(final SpecificRecord record) throws IOException {
        assertEquals(record, roundTrip(record));
    }

    @Test
    void everyRecordSchemaHasAFixture() {
        final Set<String> records = SchemaFiles.current().stream()
                .map(SchemaFiles.Current::schema)
                .filter(s -> s.getType() == Schema.Type.RECORD)
                .map(Schema::getFullName)
                .collect(Collectors.toCollection(TreeSet::new));
        final Set<String> covered = fixtures().stream()
                .map(n -> n.getPayload().getSchema().getFullName())
                .collect(Collectors.toCollection(TreeSet::new));
        records.removeAll(covered);
        assertEquals(Set.of(), records, "add a builder to AvroFixtures and list it in fixtures()");
    }

    private static Named<SpecificRecord> named(final SpecificRecord record) {
        return Named.of(record.getSchema().getName(), record);
    }

    private static <T extends SpecificRecord> T roundTrip(final T record) throws IOException {
        @SuppressWarnings("unchecked")
        final Class<T> type = (Class<T>) record.getClass();
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(bytes, null);
        new SpecificDatumWriter<>(type).write(record, encoder);
        encoder.flush();
        final BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(bytes.toByteArray(), null);
        return new SpecificDatumReader<>(type).read(null, decoder);
    }
}
