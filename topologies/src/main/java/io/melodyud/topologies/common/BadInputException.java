package io.melodyud.topologies.common;

/**
 * A record that is well-formed Avro but violates the contract (a negative duration, a timestamp before 2000...).
 * Thrown by processors and turned by {@link DeadLetterHandlers.Processing} into a dead-letter record whose
 * {@value DeadLetterHandlers#REASON_HEADER} header is {@link #reason()}. It carries no stack trace: it is an
 * expected outcome for bad input, not a bug, and must be cheap.
 */
public final class BadInputException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String reason;

    public BadInputException(final String reason, final String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    /** Stable, machine-readable reason, used as the DLQ header value and the metric tag. */
    public String reason() {
        return reason;
    }
}
