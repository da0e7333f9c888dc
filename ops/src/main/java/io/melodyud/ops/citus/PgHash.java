package io.melodyud.ops.citus;

/**
 * PostgreSQL's {@code hashint8}, the hash Citus applies to a {@code bigint} distribution column to choose its
 * shard. Reproduced here so that the local stack places each row on the shard real Citus would; an integration
 * test compares it with the server's own {@code hashint8} over many values.
 */
public final class PgHash {

    private PgHash() {
    }

    /** {@code hashint8(value)} as PostgreSQL returns it (a signed 32-bit integer). */
    public static int hashInt8(final long value) {
        int lo = (int) value;
        final int hi = (int) (value >>> 32);
        lo ^= value >= 0 ? hi : ~hi;
        return hashUint32(lo);
    }

    /** {@code hash_bytes_uint32}: Bob Jenkins' lookup3 final mix, as in PostgreSQL's src/common/hashfn.c. */
    static int hashUint32(final int k) {
        int a = 0x9e3779b9 + 4 + 3923095;
        int b = a;
        int c = a;
        a += k;
        c ^= b;
        c -= Integer.rotateLeft(b, 14);
        a ^= c;
        a -= Integer.rotateLeft(c, 11);
        b ^= a;
        b -= Integer.rotateLeft(a, 25);
        c ^= b;
        c -= Integer.rotateLeft(b, 16);
        a ^= c;
        a -= Integer.rotateLeft(c, 4);
        b ^= a;
        b -= Integer.rotateLeft(a, 14);
        c ^= b;
        c -= Integer.rotateLeft(b, 24);
        return c;
    }
}
