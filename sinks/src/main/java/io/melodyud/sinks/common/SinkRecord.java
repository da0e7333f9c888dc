package io.melodyud.sinks.common;

import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/** A decoded record of one of the sink's streams, with the consumer record it came from (for dead letters). */
public record SinkRecord(SinkStream stream, SpecificRecord value, ConsumerRecord<byte[], byte[]> source) {
}
