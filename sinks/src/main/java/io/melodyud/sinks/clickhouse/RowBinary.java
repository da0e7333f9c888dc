package io.melodyud.sinks.clickhouse;

import java.io.ByteArrayOutputStream;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A growable buffer of rows in ClickHouse's RowBinary format: little-endian fixed-width numbers, strings and arrays
 * prefixed with their LEB128 length. Writing it by hand keeps the hot path free of per-value objects and works the
 * same on ClickHouse 18.16 and current versions. Not thread-safe.
 */
public final class RowBinary {

    private byte[] buffer;
    private int size;
    private int rows;

    public RowBinary(final int initialCapacity) {
        buffer = new byte[Math.max(64, initialCapacity)];
    }

    public void endRow() {
        rows++;
    }

    public int rows() {
        return rows;
    }

    public int size() {
        return size;
    }

    public byte[] array() {
        return buffer;
    }

    public void reset() {
        size = 0;
        rows = 0;
    }

    /** Drops the bytes written since {@code mark}, for a row that turned out to be invalid halfway. */
    public void truncate(final int mark) {
        size = mark;
    }

    public void uint8(final int value) {
        ensure(1);
        buffer[size++] = (byte) value;
    }

    public void uint16(final int value) {
        ensure(2);
        buffer[size++] = (byte) value;
        buffer[size++] = (byte) (value >>> 8);
    }

    public void uint32(final long value) {
        ensure(4);
        for (int i = 0; i < 4; i++) {
            buffer[size++] = (byte) (value >>> (8 * i));
        }
    }

    /** UInt64 and Int64 share the encoding. */
    public void int64(final long value) {
        ensure(8);
        for (int i = 0; i < 8; i++) {
            buffer[size++] = (byte) (value >>> (8 * i));
        }
    }

    public void varint(final long value) {
        long v = value;
        ensure(10);
        while ((v & ~0x7FL) != 0) {
            buffer[size++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        buffer[size++] = (byte) v;
    }

    public void string(final String value) {
        final byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        bytes(bytes);
    }

    public void bytes(final byte[] bytes) {
        varint(bytes.length);
        ensure(bytes.length);
        System.arraycopy(bytes, 0, buffer, size, bytes.length);
        size += bytes.length;
    }

    /**
     * Decimal with precision 19 to 38 (Decimal128): the unscaled value as a 16-byte little-endian two's complement.
     * The value must already have the column's scale.
     */
    public void decimal128(final BigDecimal value) {
        final BigInteger unscaled = value.unscaledValue();
        final byte[] bigEndian = unscaled.toByteArray();
        ensure(16);
        final byte fill = unscaled.signum() < 0 ? (byte) 0xFF : 0;
        for (int i = 0; i < 16; i++) {
            final int from = bigEndian.length - 1 - i;
            buffer[size++] = from >= 0 ? bigEndian[from] : fill;
        }
    }

    private void ensure(final int more) {
        if (size + more > buffer.length) {
            buffer = Arrays.copyOf(buffer, Math.max(buffer.length * 2, size + more));
        }
    }

    /** The bytes written so far, as a stream for the client's insert. */
    public java.io.InputStream stream() {
        return new java.io.ByteArrayInputStream(buffer, 0, size);
    }

    /** A copy, for tests. */
    public byte[] toByteArray() {
        final ByteArrayOutputStream out = new ByteArrayOutputStream(size);
        out.write(buffer, 0, size);
        return out.toByteArray();
    }
}
