package io.melodyud.contracts.topics;

import java.util.Objects;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;

/**
 * How a key or value is encoded on a topic; {@link #declaration()} is the form used in the topic catalogue.
 *
 * @param <T> the Java type of the decoded key or value
 */
public sealed interface Format<T> {

    Format<Long> LONG = new Primitive<>(Long.class, "long");
    Format<String> STRING = new Primitive<>(String.class, "string");
    Format<byte[]> BYTES = new Primitive<>(byte[].class, "bytes");

    /** The catalogue's spelling of this format: {@code long}, {@code string}, {@code bytes}, {@code avro:Name}. */
    String declaration();

    Class<T> type();

    static <T extends SpecificRecord> Avro<T> avro(final Class<T> type) {
        return new Avro<>(type);
    }

    /** A Kafka primitive serde format. */
    record Primitive<T>(Class<T> type, String declaration) implements Format<T> {
    }

    /** A generated Avro class, in the Confluent wire format with the registry. */
    record Avro<T extends SpecificRecord>(Class<T> type) implements Format<T> {
        public Avro {
            Objects.requireNonNull(type, "type");
        }

        @Override
        public String declaration() {
            return "avro:" + SpecificData.get().getSchema(type).getFullName();
        }
    }
}
