package io.melodyud.contracts.topics;

/**
 * Header names of a dead letter, the same on every dead-letter topic ({@code melody.dlq.*}) whichever component
 * wrote it (topologies, CDC, sinks), so that one tool can read them all. Key and value of a dead letter are the
 * original bytes (CDC, which has no Kafka record to copy, writes the row as JSON text).
 */
public final class DeadLetterHeaders {

    /** A stable code, such as {@code unknown-schema-id} or {@code invalid-play:negative-duration}. */
    public static final String REASON = "melody.error.reason";
    /** The human-readable message of the failure. */
    public static final String MESSAGE = "melody.error.message";
    /** Class name of the exception that sent the record here. */
    public static final String EXCEPTION = "melody.error.exception";
    /** Where it failed, for example {@code deserialization}, {@code processing}, {@code conversion}. */
    public static final String STAGE = "melody.error.stage";
    /** Topic the record was read from (for CDC: the logical topic it was meant for). */
    public static final String SOURCE_TOPIC = "melody.source.topic";
    public static final String SOURCE_PARTITION = "melody.source.partition";
    public static final String SOURCE_OFFSET = "melody.source.offset";

    private DeadLetterHeaders() {
    }
}
