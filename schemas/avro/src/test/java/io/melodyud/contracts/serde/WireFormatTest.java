package io.melodyud.contracts.serde;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class WireFormatTest {

    @Test
    void readsTheBigEndianSchemaIdAfterTheMagicByte() {
        assertEquals(0x01020304, WireFormat.schemaId("t", new byte[] {0, 1, 2, 3, 4, 42}));
    }

    @Test
    void bytesShorterThanTheHeaderAreRejectedWithTheirLength() {
        final SerializationException e = assertThrows(SerializationException.class,
            () -> WireFormat.schemaId("melody.events.plays", new byte[] {0, 1}));
        assertTrue(e.getMessage().contains("2 bytes") && e.getMessage().contains("melody.events.plays"),
            e.getMessage());
    }

    @Test
    void aWrongMagicByteIsRejected() {
        // Plain JSON sent by a misconfigured producer starts with '{'.
        final SerializationException e = assertThrows(SerializationException.class,
            () -> WireFormat.schemaId("melody.events.plays", "{\"user_id\":1}".getBytes()));
        assertTrue(e.getMessage().contains("0x7b"), e.getMessage());
    }
}
