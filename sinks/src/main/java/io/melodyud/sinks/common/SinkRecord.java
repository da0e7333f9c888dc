package io.melodyud.sinks.common;

import io.melodyud.avro.output.Chart;
import io.melodyud.avro.output.TrackPlayTotal;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/** A decoded record of one of the sink's streams, with the consumer record it came from (for dead letters). */
public record SinkRecord(SinkStream stream, SpecificRecord value, ConsumerRecord<byte[], byte[]> source) {

    /**
     * Event or update time of the row this record becomes, in epoch milliseconds, for the freshness of its table;
     * -1 when unknown. A value's own update time wins ({@code updated_at}, {@code generated_at}); otherwise the
     * record's timestamp, which the topologies set to the event time of the newest input behind the result.
     */
    public long eventTimeMs() {
        if (value instanceof TrackPlayTotal total && total.getUpdatedAt() != null) {
            return total.getUpdatedAt().toEpochMilli();
        }
        if (value instanceof Chart chart && chart.getGeneratedAt() != null) {
            return chart.getGeneratedAt().toEpochMilli();
        }
        return source == null || source.timestamp() < 0 ? -1 : source.timestamp();
    }
}
