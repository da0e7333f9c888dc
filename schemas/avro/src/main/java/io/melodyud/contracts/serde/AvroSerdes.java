package io.melodyud.contracts.serde;

import io.melodyud.contracts.registry.SchemaRegistry;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/** Serdes for generated Avro classes in the Confluent wire format, backed by one registry client. */
public final class AvroSerdes {

    private AvroSerdes() {
    }

    public static <T extends SpecificRecord> Serde<T> specific(
            final SchemaRegistry registry, final Class<T> type, final boolean isKey) {
        return Serdes.serdeFrom(new AvroSerializer<>(registry, isKey), AvroDeserializer.specific(registry, type));
    }
}
