package io.melodyud.contracts.serde;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.melodyud.avro.cdc.AdCampaign;
import io.melodyud.avro.event.PlayEvent;
import io.melodyud.contracts.config.LocalStack;
import io.melodyud.contracts.fixtures.AvroFixtures;
import io.melodyud.contracts.registry.RegistryConfig;
import io.melodyud.contracts.registry.SchemaRegistryClient;
import java.io.ByteArrayOutputStream;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * Against the real Apicurio Registry of the local stack: our bytes are Confluent wire format that anyone can read
 * through the Confluent-compatible API alone. Each test writes to subjects named after itself, so runs never
 * collide with the pipeline's own subjects.
 */
class RegistryRoundTripIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    private String registryUrl;
    private SchemaRegistryClient registry;
    private String topic;

    @BeforeEach
    void setUp(final TestInfo test) {
        registryUrl = LocalStack.fromSystemProperty().registryUrl();
        registry = new SchemaRegistryClient(new RegistryConfig(Map.of(RegistryConfig.URL, registryUrl)));
        topic = "it." + test.getTestMethod().orElseThrow().getName() + "." + UUID.randomUUID();
    }

    private static PlayEvent play() {
        return AvroFixtures.playEvent().build();
    }

    @Test
    void bytesWeWriteDecodeWithTheSchemaTheRegistryServesForTheirId() throws Exception {
        final PlayEvent play = play();
        final byte[] bytes = new AvroSerializer<PlayEvent>(registry, false).serialize(topic, play);

        assertEquals(0, bytes[0], "magic byte");
        final int id = ByteBuffer.wrap(bytes, 1, 4).getInt();

        // Read it the way a third-party Confluent consumer would: HTTP lookup by id, then plain Avro.
        final HttpResponse<String> response = HttpClient.newHttpClient().send(
            HttpRequest.newBuilder(URI.create(registryUrl + "/schemas/ids/" + id)).GET().build(),
            HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        final JsonNode body = JSON.readTree(response.body());
        final Schema writerSchema = new Schema.Parser().parse(body.get("schema").asText());
        assertEquals(PlayEvent.getClassSchema(), writerSchema);

        final GenericRecord decoded = new GenericDatumReader<GenericRecord>(writerSchema).read(null,
            DecoderFactory.get().binaryDecoder(bytes, 5, bytes.length - 5, null));
        assertEquals(play.getEventId().toString(), decoded.get("event_id").toString());
        assertEquals(play.getUserId(), decoded.get("user_id"));
        assertEquals(play.getStartedAt().toEpochMilli(), decoded.get("started_at"));
        assertEquals(play.getMsPlayed(), decoded.get("ms_played"));
        assertEquals(play.getCountry(), decoded.get("country").toString());
        assertEquals(play.getDevice().name(), decoded.get("device").toString());

        // And our own deserializer gives back an equal record.
        assertEquals(play, AvroDeserializer.specific(registry, PlayEvent.class).deserialize(topic, bytes));
    }

    @Test
    void theSubjectIsTheTopicNameAndTheSchemaIsRegisteredOnce() throws Exception {
        final AvroSerializer<PlayEvent> serializer = new AvroSerializer<>(registry, false);
        final byte[] first = serializer.serialize(topic, play());
        // A second client (another process) registering the same schema gets the same id.
        final SchemaRegistryClient other =
            new SchemaRegistryClient(new RegistryConfig(Map.of(RegistryConfig.URL, registryUrl)));
        final byte[] second = new AvroSerializer<PlayEvent>(other, false).serialize(topic, play());
        assertArrayEquals(first, second);

        final HttpResponse<String> versions = HttpClient.newHttpClient().send(
            HttpRequest.newBuilder(URI.create(registryUrl + "/subjects/" + topic + "-value/versions")).GET().build(),
            HttpResponse.BodyHandlers.ofString());
        assertEquals(200, versions.statusCode(), versions.body());
        assertEquals(List.of(1), JSON.convertValue(JSON.readTree(versions.body()), List.class));
    }

    @Test
    void moneyKeepsItsExactDecimalValue() {
        final AdCampaign campaign = AvroFixtures.adCampaign()
            .setCpm(new BigDecimal("12.3456"))
            .setBudget(new BigDecimal("25000.10"))
            .build();
        final byte[] bytes = new AvroSerializer<AdCampaign>(registry, false).serialize(topic, campaign);
        final AdCampaign back = AvroDeserializer.specific(registry, AdCampaign.class).deserialize(topic, bytes);
        assertEquals(new BigDecimal("12.3456"), back.getCpm());
        assertEquals(new BigDecimal("25000.10"), back.getBudget());
    }

    @Test
    void aRecordWrittenWithAnOlderSchemaIsReadWithTheCurrentOne() throws Exception {
        // An older producer that did not yet send client_version or session_id.
        final Schema current = PlayEvent.getClassSchema();
        final SchemaBuilder.FieldAssembler<Schema> fields = SchemaBuilder.record("PlayEvent")
            .namespace("io.melodyud.avro.event").fields();
        for (final Schema.Field field : current.getFields()) {
            if (!field.name().equals("client_version") && !field.name().equals("session_id")) {
                fields.name(field.name()).type(field.schema()).noDefault();
            }
        }
        final Schema older = fields.endRecord();
        final GenericRecord record = new GenericData.Record(older);
        final PlayEvent play = play();
        for (final Schema.Field field : older.getFields()) {
            record.put(field.name(), GenericData.get().deepCopy(field.schema(), rawValue(play, field.name())));
        }
        final int id = registry.register(topic + "-value", older);
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0);
        out.write(ByteBuffer.allocate(4).putInt(id).array());
        final BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        new GenericDatumWriter<GenericRecord>(older).write(record, encoder);
        encoder.flush();

        final PlayEvent read = AvroDeserializer.specific(registry, PlayEvent.class).deserialize(topic, out.toByteArray());
        assertEquals(play.getTrackId(), read.getTrackId());
        assertEquals(play.getStartedAt(), read.getStartedAt());
        assertNull(read.getClientVersion(), "a field the writer did not have takes its default");
    }

    private static Object rawValue(final PlayEvent play, final String field) {
        final Object value = play.get(field);
        if (value instanceof UUID uuid) {
            return uuid.toString();
        }
        if (value instanceof Instant instant) {
            return instant.toEpochMilli();
        }
        if (value instanceof Enum<?> symbol) {
            return new GenericData.EnumSymbol(PlayEvent.getClassSchema().getField(field).schema(), symbol.name());
        }
        return value;
    }

    @Test
    void anUnknownSchemaIdIsAClearDeserializationError() {
        final byte[] bytes = {0, 0x7f, 0x00, 0x12, 0x34, 2, 4, 6};
        final SerializationException e = assertThrows(SerializationException.class,
            () -> AvroDeserializer.specific(registry, PlayEvent.class).deserialize(topic, bytes));
        assertTrue(e.getMessage().contains("Unknown schema id " + 0x7f001234), e.getMessage());
    }

    @Test
    void truncatedBytesAreAClearDeserializationError() {
        final byte[] bytes = new AvroSerializer<PlayEvent>(registry, false).serialize(topic, play());
        final byte[] truncated = java.util.Arrays.copyOf(bytes, bytes.length - 10);
        final SerializationException e = assertThrows(SerializationException.class,
            () -> AvroDeserializer.specific(registry, PlayEvent.class).deserialize(topic, truncated));
        assertTrue(e.getMessage().contains("does not decode"), e.getMessage());
    }

    @Test
    void aRecordThatDoesNotMatchItsSchemaFailsAtTheSerializer() {
        final PlayEvent missingCountry = play();
        missingCountry.setCountry(null);
        final SerializationException e = assertThrows(SerializationException.class,
            () -> new AvroSerializer<PlayEvent>(registry, false).serialize(topic, missingCountry));
        assertTrue(e.getMessage().contains("does not match its schema io.melodyud.avro.event.PlayEvent"),
            e.getMessage());
        assertTrue(e.getMessage().contains("country"), "the message names the field: " + e.getMessage());
    }

    @Test
    void aDecimalWithTooManyDigitsFailsAtTheSerializer() {
        final AdCampaign campaign = AvroFixtures.adCampaign()
            .setCpm(new BigDecimal("4.12345")) // scale 5 where the contract says 4: rounding would change money
            .build();
        final SerializationException e = assertThrows(SerializationException.class,
            () -> new AvroSerializer<AdCampaign>(registry, false).serialize(topic, campaign));
        assertTrue(e.getMessage().contains("AdCampaign"), e.getMessage());
    }

    @Test
    void aSerializerThatMayNotRegisterFailsForAnUnregisteredSchema() {
        final SchemaRegistryClient readOnly = new SchemaRegistryClient(new RegistryConfig(Map.of(
            RegistryConfig.URL, registryUrl, RegistryConfig.AUTO_REGISTER, "false")));
        final SerializationException e = assertThrows(SerializationException.class,
            () -> new AvroSerializer<PlayEvent>(readOnly, false).serialize(topic, play()));
        assertTrue(e.getMessage().contains(topic + "-value"), e.getMessage());

        // Once the release process registered it, the same serializer works and uses the registered id.
        final int id = registry.register(topic + "-value", PlayEvent.getClassSchema());
        final byte[] bytes = new AvroSerializer<PlayEvent>(new SchemaRegistryClient(new RegistryConfig(Map.of(
            RegistryConfig.URL, registryUrl, RegistryConfig.AUTO_REGISTER, "false"))), false).serialize(topic, play());
        assertEquals(id, ByteBuffer.wrap(bytes, 1, 4).getInt());
    }

    @Test
    void keysAndValuesUseSeparateSubjects() {
        final int valueId = registry.register(topic + "-value", PlayEvent.getClassSchema());
        final byte[] asKey = new AvroSerializer<PlayEvent>(registry, true).serialize(topic, play());
        assertEquals(valueId, ByteBuffer.wrap(asKey, 1, 4).getInt(), "same schema, same id");
        assertNotEquals(-1, registry.lookup(topic + "-key", PlayEvent.getClassSchema()));
    }
}
