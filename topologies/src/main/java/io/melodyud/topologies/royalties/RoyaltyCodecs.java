package io.melodyud.topologies.royalties;

import java.nio.ByteBuffer;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.utils.Bytes;

/**
 * Binary layouts between the royalties stages and in their stores. They never leave the application (repartition
 * topic, changelogs); a change of layout needs a new application id or a reset.
 */
final class RoyaltyCodecs {

    static final byte DAY = 0;
    static final byte MONTH = 1;

    private RoyaltyCodecs() {
    }

    /** Valid plays and their amount (1e-8 units) one pricing task adds to a (country, UTC day) of a rights holder. */
    record Delta(short country, int epochDay, long plays, long units) {
    }

    /** What one pricing task priced for one rights holder since its last commit. */
    record Deltas(List<Delta> entries) {
    }

    /**
     * One statement line: a rights holder's day in one country, or month over all countries (country 0). Rights
     * holder first, so that a holder's lines are one range of the store.
     */
    record LineKey(long rightsHolder, byte period, int periodStart, short country) {

        Bytes toBytes() {
            return Bytes.wrap(ByteBuffer.allocate(15).putLong(rightsHolder).put(period).putInt(periodStart)
                .putShort(country).array());
        }

        static LineKey fromBytes(final byte[] bytes) {
            final ByteBuffer buffer = ByteBuffer.wrap(bytes);
            return new LineKey(buffer.getLong(), buffer.get(), buffer.getInt(), buffer.getShort());
        }

        static Bytes lowest(final long rightsHolder) {
            return Bytes.wrap(ByteBuffer.allocate(15).putLong(rightsHolder).array());
        }

        static Bytes highest(final long rightsHolder) {
            return Bytes.wrap(ByteBuffer.allocate(15).putLong(rightsHolder).put((byte) 0x7f).putInt(Integer.MAX_VALUE)
                .putShort((short) -1).array());
        }

        LocalDate start() {
            return LocalDate.ofEpochDay(periodStart);
        }

        /** First day after the period (exclusive end). */
        LocalDate end() {
            return period == DAY ? start().plusDays(1) : start().plusMonths(1);
        }

        long endMs() {
            return end().toEpochDay() * 86_400_000L;
        }
    }

    /**
     * A line's totals and the version of its latest emitted record. {@code closed}: its FINAL record was emitted
     * (or its period had closed before the line existed); later plays become adjustments.
     */
    static final class LineState {
        long plays;
        long units;
        long version;
        boolean closed;
        /** What reached a closed line since its last ADJUSTMENT record. */
        long pendingPlays;
        long pendingUnits;

        boolean hasAdjustment() {
            return pendingPlays != 0 || pendingUnits != 0;
        }

        byte[] toBytes() {
            return ByteBuffer.allocate(41).putLong(plays).putLong(units).putLong(version).put((byte) (closed ? 1 : 0))
                .putLong(pendingPlays).putLong(pendingUnits).array();
        }

        static LineState fromBytes(final byte[] bytes) {
            final ByteBuffer buffer = ByteBuffer.wrap(bytes);
            final LineState state = new LineState();
            state.plays = buffer.getLong();
            state.units = buffer.getLong();
            state.version = buffer.getLong();
            state.closed = buffer.get() == 1;
            state.pendingPlays = buffer.getLong();
            state.pendingUnits = buffer.getLong();
            return state;
        }
    }

    static final Serde<Deltas> DELTAS = Serdes.serdeFrom(
        (Serializer<Deltas>) (topic, deltas) -> {
            final ByteBuffer buffer = ByteBuffer.allocate(4 + deltas.entries().size() * 22);
            buffer.putInt(deltas.entries().size());
            for (final Delta delta : deltas.entries()) {
                buffer.putShort(delta.country()).putInt(delta.epochDay()).putLong(delta.plays()).putLong(delta.units());
            }
            return buffer.array();
        },
        (Deserializer<Deltas>) (topic, bytes) -> {
            final ByteBuffer buffer = ByteBuffer.wrap(bytes);
            final int size = buffer.getInt();
            final List<Delta> entries = new ArrayList<>(size);
            for (int i = 0; i < size; i++) {
                entries.add(new Delta(buffer.getShort(), buffer.getInt(), buffer.getLong(), buffer.getLong()));
            }
            return new Deltas(entries);
        });
}
