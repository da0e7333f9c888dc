package io.melodyud.contracts.serde;

import io.melodyud.contracts.registry.SchemaRegistry;
import io.melodyud.contracts.topics.Format;
import io.melodyud.contracts.topics.Topic;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * Makes the serdes of a {@link Topic} from its declared formats. One instance per application, built from the
 * registry settings; serdes are cached so that every use of a type shares one (thread-safe) instance.
 */
public final class TopicSerdes {

    private final SchemaRegistry registry;
    private final Map<Format<?>, Serde<?>> keySerdes = new ConcurrentHashMap<>();
    private final Map<Format<?>, Serde<?>> valueSerdes = new ConcurrentHashMap<>();

    public TopicSerdes(final SchemaRegistry registry) {
        this.registry = registry;
    }

    public <K> Serde<K> key(final Topic<K, ?> topic) {
        return serde(topic.key(), true);
    }

    public <V> Serde<V> value(final Topic<?, V> topic) {
        return serde(topic.value(), false);
    }

    /** The serde of a format on its own, for stores and repartition topics holding the same types. */
    @SuppressWarnings("unchecked")
    public <T> Serde<T> serde(final Format<T> format, final boolean isKey) {
        final Map<Format<?>, Serde<?>> cache = isKey ? keySerdes : valueSerdes;
        return (Serde<T>) cache.computeIfAbsent(format, f -> create(f, isKey));
    }

    private Serde<?> create(final Format<?> format, final boolean isKey) {
        if (format instanceof Format.Avro<?> avro) {
            return avroSerde(avro.type(), isKey);
        }
        if (format == Format.LONG) {
            return Serdes.Long();
        }
        if (format == Format.STRING) {
            return Serdes.String();
        }
        if (format == Format.BYTES) {
            return Serdes.ByteArray();
        }
        throw new IllegalArgumentException("No serde for format " + format.declaration());
    }

    private <T extends SpecificRecord> Serde<T> avroSerde(final Class<T> type, final boolean isKey) {
        return AvroSerdes.specific(registry, type, isKey);
    }
}
