package io.melodyud.contracts.serde;

import io.melodyud.contracts.registry.RegistryException;
import io.melodyud.contracts.registry.SchemaRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericContainer;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Writes Avro records (specific or generic) in the Confluent wire format, registering (or looking up) their schema
 * under the subject {@code <topic>-value} or {@code <topic>-key}. Thread-safe: Kafka Streams shares one instance
 * between its stream threads.
 *
 * <p>A record that does not match its schema (a null in a required field, a decimal of the wrong scale, a value
 * of the wrong type) fails here with a {@link SerializationException} naming the topic, the schema and the cause,
 * rather than reaching the topic.
 */
public final class AvroSerializer<T extends GenericContainer> implements Serializer<T> {

    private final SchemaRegistry registry;
    private final boolean isKey;
    private final Map<Schema, SchemaWriter> writers = new ConcurrentHashMap<>();
    private final Map<String, String> subjects = new ConcurrentHashMap<>();
    /** A buffer and encoder per thread, reused from one record to the next, where each record allocated both. */
    private final ThreadLocal<Output> outputs = ThreadLocal.withInitial(Output::new);

    private static final int MAX_KEPT_BUFFER = 1 << 20;

    private static final class Output {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
        private final BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(bytes, null);
    }

    public AvroSerializer(final SchemaRegistry registry, final boolean isKey) {
        this.registry = registry;
        this.isKey = isKey;
        AvroTrust.trustContractClasses();
    }

    @Override
    public byte[] serialize(final String topic, final T record) {
        if (record == null) {
            // Tombstones stay tombstones: compacted topics rely on a null value meaning "deleted".
            return null;
        }
        final Schema schema = record.getSchema();
        final SchemaWriter writer = writers.computeIfAbsent(schema, SchemaWriter::new);
        final int id = writer.idFor(subject(topic));
        final Output out = outputs.get();
        out.bytes.reset();
        out.bytes.write(WireFormat.MAGIC_BYTE);
        out.bytes.write(id >>> 24);
        out.bytes.write(id >>> 16);
        out.bytes.write(id >>> 8);
        out.bytes.write(id);
        try {
            writer.datumWriter.write(record, out.encoder);
            out.encoder.flush();
        } catch (final IOException | AvroRuntimeException | NullPointerException | ClassCastException e) {
            throw new SerializationException("Record for topic " + topic + " does not match its schema "
                + schema.getFullName() + ": " + e.getMessage(), e);
        }
        final byte[] bytes = out.bytes.toByteArray();
        if (out.bytes.size() > MAX_KEPT_BUFFER) {
            outputs.remove(); // one huge record should not pin its buffer for the life of the thread
        }
        return bytes;
    }

    private String subject(final String topic) {
        return subjects.computeIfAbsent(topic, t -> t + (isKey ? "-key" : "-value"));
    }

    /** Per-schema state: the datum writer and the id of the schema under each subject it was written to. */
    private final class SchemaWriter {
        private final Schema schema;
        private final DatumWriter<Object> datumWriter;
        private final Map<String, Integer> ids = new ConcurrentHashMap<>();

        SchemaWriter(final Schema schema) {
            this.schema = schema;
            this.datumWriter = datumWriterFor(schema);
        }

        int idFor(final String subject) {
            final Integer id = ids.get(subject);
            if (id != null) {
                return id;
            }
            try {
                final int fresh = registry.autoRegister()
                    ? registry.register(subject, schema)
                    : registry.lookup(subject, schema);
                ids.put(subject, fresh);
                return fresh;
            } catch (final RegistryException e) {
                throw new SerializationException("Cannot get a schema id for " + schema.getFullName()
                    + " under subject " + subject + ": " + e.getMessage(), e);
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static DatumWriter<Object> datumWriterFor(final Schema schema) {
        final Class<?> specific = SpecificData.get().getClass(schema);
        if (specific != null && SpecificRecord.class.isAssignableFrom(specific)) {
            return (DatumWriter<Object>) (DatumWriter<?>) new SpecificDatumWriter<>(schema, SpecificData.getForSchema(schema));
        }
        return new GenericDatumWriter<>(schema, GenericData.get());
    }
}
