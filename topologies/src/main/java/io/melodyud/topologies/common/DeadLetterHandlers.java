package io.melodyud.topologies.common;

import io.melodyud.contracts.topics.DeadLetterHeaders;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kafka Streams exception handlers that send the offending record to the application's dead-letter topic (KIP-1034:
 * the record is produced in the same transaction as the task's output) with the reason and the source position in
 * headers, count it, and let the application go on. Nothing is dropped silently and one bad record never stops a
 * partition.
 *
 * <p>Headers of a dead letter: {@value #REASON_HEADER} (a stable code such as {@code unknown-schema-id} or
 * {@code invalid-play:negative-duration}), {@value #MESSAGE_HEADER}, {@value #EXCEPTION_HEADER},
 * {@value #STAGE_HEADER} ({@code deserialization}, {@code processing} or {@code production}),
 * {@value #TOPIC_HEADER}, {@value #PARTITION_HEADER}, {@value #OFFSET_HEADER}, then the original record's headers.
 * Key and value are the original bytes.
 */
public final class DeadLetterHandlers {

    public static final String REASON_HEADER = DeadLetterHeaders.REASON;
    public static final String MESSAGE_HEADER = DeadLetterHeaders.MESSAGE;
    public static final String EXCEPTION_HEADER = DeadLetterHeaders.EXCEPTION;
    public static final String STAGE_HEADER = DeadLetterHeaders.STAGE;
    public static final String TOPIC_HEADER = DeadLetterHeaders.SOURCE_TOPIC;
    public static final String PARTITION_HEADER = DeadLetterHeaders.SOURCE_PARTITION;
    public static final String OFFSET_HEADER = DeadLetterHeaders.SOURCE_OFFSET;
    /** The kind under which {@link ErrorCounters} counts dead letters. */
    public static final String DEAD_LETTER = "dead-letter";

    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterHandlers.class);

    private DeadLetterHandlers() {
    }

    /** Classifies deserialization failures by the serdes' messages (see AvroDeserializer and WireFormat). */
    static String deserializationReason(final Exception exception) {
        final String message = String.valueOf(exception.getMessage());
        if (message.contains("Unknown schema id")) {
            return "unknown-schema-id";
        }
        if (message.contains("magic byte") || message.contains("wire-format header")) {
            return "not-wire-format";
        }
        if (message.contains("Cannot fetch schema id")) {
            return "registry-unavailable";
        }
        return "undecodable";
    }

    static ProducerRecord<byte[], byte[]> deadLetter(final String topic, final String stage, final String reason,
                                                     final byte[] key, final byte[] value,
                                                     final ErrorHandlerContext context, final Exception exception,
                                                     final Headers original) {
        final Headers headers = new RecordHeaders();
        headers.add(REASON_HEADER, utf8(reason));
        headers.add(MESSAGE_HEADER, utf8(String.valueOf(exception.getMessage())));
        headers.add(EXCEPTION_HEADER, utf8(exception.getClass().getName()));
        headers.add(STAGE_HEADER, utf8(stage));
        headers.add(TOPIC_HEADER, utf8(context.topic()));
        headers.add(PARTITION_HEADER, utf8(Integer.toString(context.partition())));
        headers.add(OFFSET_HEADER, utf8(Long.toString(context.offset())));
        if (original != null) {
            original.forEach(headers::add);
        }
        return new ProducerRecord<>(topic, null, context.timestamp() < 0 ? null : context.timestamp(), key, value,
            headers);
    }

    private static byte[] utf8(final String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** Shared configuration of the three handlers. */
    private abstract static class Base {
        protected String topic;
        protected ErrorCounters counters;

        public void configure(final Map<String, ?> configs) {
            final Object name = configs.get(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG);
            if (name == null || name.toString().isBlank()) {
                throw new IllegalStateException(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG
                    + " must name the dead-letter topic");
            }
            topic = name.toString();
            final Object given = configs.get(ErrorCounters.CONFIG_KEY);
            counters = given instanceof ErrorCounters c ? c : new ErrorCounters();
        }

        protected void record(final String stage, final String reason, final ErrorHandlerContext context,
                              final Exception exception) {
            counters.increment(DEAD_LETTER, reason);
            LOG.warn("Dead letter ({} {}): {}-{}@{}: {}", stage, reason, context.topic(), context.partition(),
                context.offset(), exception.getMessage());
        }
    }

    /** Undecodable bytes, unknown schema ids, records that are not in the wire format. */
    public static final class Deserialization extends Base implements DeserializationExceptionHandler {

        @Override
        public Response handleError(final ErrorHandlerContext context, final ConsumerRecord<byte[], byte[]> record,
                                    final Exception exception) {
            final String reason = deserializationReason(exception);
            record("deserialization", reason, context, exception);
            return Response.resume(List.of(deadLetter(topic, "deserialization", reason, record.key(),
                record.value(), context, exception, record.headers())));
        }
    }

    /** Contract violations found by processors ({@link BadInputException}) and unexpected processing errors. */
    public static final class Processing extends Base implements ProcessingExceptionHandler {

        @Override
        public Response handleError(final ErrorHandlerContext context, final Record<?, ?> record,
                                    final Exception exception) {
            final String reason = exception instanceof BadInputException bad ? bad.reason() : "processing-error";
            record("processing", reason, context, exception);
            if (!(exception instanceof BadInputException)) {
                LOG.error("Unexpected processing error, record sent to {}", topic, exception);
            }
            return Response.resume(List.of(deadLetter(topic, "processing", reason, context.sourceRawKey(),
                context.sourceRawValue(), context, exception, context.headers())));
        }
    }

    /**
     * An output record that cannot be serialized goes to the dead-letter topic with its source record. A send
     * the broker refuses for good fails the task instead: dropping an output silently would lose counts.
     */
    public static final class Production extends Base implements ProductionExceptionHandler {

        @Override
        public Response handleSerializationError(final ErrorHandlerContext context,
                                                 final ProducerRecord record, final Exception exception,
                                                 final SerializationExceptionOrigin origin) {
            final String reason = "output-serialization:" + origin.name().toLowerCase(java.util.Locale.ROOT);
            record("production", reason, context, exception);
            return Response.resume(List.of(deadLetter(topic, "production", reason, context.sourceRawKey(),
                context.sourceRawValue(), context, exception, context.headers())));
        }

        @Override
        public Response handleError(final ErrorHandlerContext context, final ProducerRecord<byte[], byte[]> record,
                                    final Exception exception) {
            counters.increment(DEAD_LETTER, "send-failed");
            LOG.error("Could not send a record to {}: failing the task rather than losing it", record.topic(),
                exception);
            return Response.fail();
        }
    }
}
