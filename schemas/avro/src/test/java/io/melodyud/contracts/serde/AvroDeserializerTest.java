package io.melodyud.contracts.serde;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.melodyud.avro.event.PlayEvent;
import io.melodyud.contracts.fixtures.AvroFixtures;
import io.melodyud.contracts.fixtures.InMemorySchemaRegistry;
import io.melodyud.contracts.registry.SchemaRegistry;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.Schema;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class AvroDeserializerTest {

    /** Counts lookups by id, to see which ones reach the registry. */
    private static final class CountingRegistry implements SchemaRegistry {
        private final InMemorySchemaRegistry delegate = new InMemorySchemaRegistry();
        private final AtomicInteger lookups = new AtomicInteger();

        @Override
        public int register(final String subject, final Schema schema) {
            return delegate.register(subject, schema);
        }

        @Override
        public int lookup(final String subject, final Schema schema) {
            return delegate.lookup(subject, schema);
        }

        @Override
        public Schema schemaById(final int id) {
            lookups.incrementAndGet();
            return delegate.schemaById(id);
        }

        @Override
        public boolean autoRegister() {
            return true;
        }
    }

    @Test
    void aFloodOfRecordsWithAnUnknownIdAsksTheRegistryOnce() {
        final CountingRegistry registry = new CountingRegistry();
        final AvroDeserializer<PlayEvent> deserializer = AvroDeserializer.specific(registry, PlayEvent.class);
        final byte[] bogus = {0, 0, 0, 0x30, 0x39, 2, 4};
        for (int i = 0; i < 1_000; i++) {
            final SerializationException e = assertThrows(SerializationException.class,
                () -> deserializer.deserialize("melody.events.plays", bogus));
            assertTrue(e.getMessage().startsWith("Unknown schema id 12345"), e.getMessage());
        }
        assertEquals(1, registry.lookups.get());
    }

    @Test
    void knownIdsAreFetchedOnceAndDecoded() {
        final CountingRegistry registry = new CountingRegistry();
        final PlayEvent play = AvroFixtures.playEvent().build();
        final byte[] bytes = new AvroSerializer<PlayEvent>(registry, false).serialize("melody.events.plays", play);
        final AvroDeserializer<PlayEvent> deserializer = AvroDeserializer.specific(registry, PlayEvent.class);
        for (int i = 0; i < 100; i++) {
            assertEquals(play, deserializer.deserialize("melody.events.plays", bytes));
        }
        assertEquals(1, registry.lookups.get());
    }
}
