package io.melodyud.contracts.serde;

import io.melodyud.contracts.registry.RegistryException;
import io.melodyud.contracts.registry.SchemaRegistry;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads Confluent wire-format Avro. The writer's schema comes from the registry by the id in the record; records
 * are resolved to the reader schema (the generated class's, for specific records), so that a producer on an older
 * or newer compatible schema is read correctly. Thread-safe.
 *
 * <p>Bytes that are not in the wire format, an id the registry does not know and bytes that do not decode with
 * the writer's schema all fail with a {@link SerializationException} saying which.
 */
public final class AvroDeserializer<T> implements Deserializer<T> {

    private final SchemaRegistry registry;
    private final Schema readerSchema;
    private final GenericData model;
    private final Map<Integer, DatumReader<T>> readers = new ConcurrentHashMap<>();
    private final ThreadLocal<BinaryDecoder> decoders = new ThreadLocal<>();
    /**
     * Ids the registry said it does not know, until when to believe it: a flood of records with a bogus id must
     * not cost one registry request each, yet an id registered a moment later must work soon after.
     */
    private final Map<Integer, Long> unknownUntil = new ConcurrentHashMap<>();
    private static final long UNKNOWN_ID_TTL_MS = 30_000L;

    private AvroDeserializer(final SchemaRegistry registry, final Schema readerSchema, final GenericData model) {
        this.registry = registry;
        this.readerSchema = readerSchema;
        this.model = model;
        AvroTrust.trustContractClasses();
    }

    /** A deserializer producing instances of a generated class. */
    public static <T extends org.apache.avro.specific.SpecificRecord> AvroDeserializer<T> specific(
            final SchemaRegistry registry, final Class<T> type) {
        final SpecificData model = SpecificData.getForClass(type);
        return new AvroDeserializer<>(registry, model.getSchema(type), model);
    }

    /** A deserializer producing generic records in the writer's own schema. */
    public static AvroDeserializer<Object> generic(final SchemaRegistry registry) {
        return new AvroDeserializer<>(registry, null, GenericData.get());
    }

    @Override
    public T deserialize(final String topic, final byte[] data) {
        if (data == null) {
            return null;
        }
        final int id = WireFormat.schemaId(topic, data);
        final DatumReader<T> reader = readers.computeIfAbsent(id, this::readerFor);
        final BinaryDecoder reused = decoders.get();
        final BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(
            data, WireFormat.HEADER_SIZE, data.length - WireFormat.HEADER_SIZE, reused);
        if (decoder != reused) {
            decoders.set(decoder); // once per thread: setting it on every record cost 1% of a stream thread
        }
        try {
            final T value = reader.read(null, decoder);
            if (!decoder.isEnd()) {
                throw new SerializationException("Record on topic " + topic + " with schema id " + id
                    + " has trailing bytes after the Avro record: corrupt or written with another schema");
            }
            return value;
        } catch (final IOException | AvroRuntimeException | IndexOutOfBoundsException | NegativeArraySizeException e) {
            throw new SerializationException("Record on topic " + topic + " does not decode with its schema id "
                + id + ": " + e, e);
        }
    }

    private DatumReader<T> readerFor(final int id) {
        final Long until = unknownUntil.get(id);
        if (until != null && until > System.currentTimeMillis()) {
            throw new SerializationException("Unknown schema id " + id + " (the registry did not know it moments ago)");
        }
        final Schema writer;
        try {
            writer = registry.schemaById(id);
        } catch (final RegistryException e) {
            if (e.isNotFound()) {
                unknownUntil.put(id, System.currentTimeMillis() + UNKNOWN_ID_TTL_MS);
            }
            throw new SerializationException((e.isNotFound() ? "Unknown schema id " + id : "Cannot fetch schema id "
                + id) + ": " + e.getMessage(), e);
        }
        unknownUntil.remove(id);
        final Schema reader = readerSchema == null ? writer : readerSchema;
        if (model instanceof SpecificData specificData) {
            return new SpecificDatumReader<>(writer, reader, specificData);
        }
        return new GenericDatumReader<>(writer, reader, model);
    }
}
