package io.melodyud.contracts.serde;

import java.nio.ByteBuffer;
import org.apache.kafka.common.errors.SerializationException;

/**
 * The Confluent wire format: magic byte 0, the schema id as a 4-byte big-endian integer, then the Avro binary
 * encoding of the record. Any Confluent-compatible consumer reads what we write.
 */
public final class WireFormat {

    public static final byte MAGIC_BYTE = 0;
    public static final int HEADER_SIZE = 5;

    private WireFormat() {
    }

    /** Reads the schema id from the header, failing with a clear message when the bytes are not in this format. */
    public static int schemaId(final String topic, final byte[] data) {
        if (data.length < HEADER_SIZE) {
            throw new SerializationException("Record on topic " + topic + " has " + data.length
                + " bytes, fewer than the 5-byte Confluent wire-format header: not an Avro record of ours");
        }
        if (data[0] != MAGIC_BYTE) {
            throw new SerializationException(String.format(
                "Record on topic %s starts with byte 0x%02x instead of the magic byte 0x00: not Confluent wire format",
                topic, data[0]));
        }
        return ByteBuffer.wrap(data, 1, 4).getInt();
    }
}
