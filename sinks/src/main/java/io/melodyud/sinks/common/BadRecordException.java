package io.melodyud.sinks.common;

/**
 * A record that decodes but cannot be written: a value outside what the table can hold or a broken contract
 * (negative count, unknown currency format). It goes to the dead-letter topic with {@link #reason()}.
 */
public final class BadRecordException extends Exception {

    private final String reason;

    public BadRecordException(final String reason, final String message) {
        super(message);
        this.reason = reason;
    }

    public BadRecordException(final String reason, final String message, final Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    /** Stable, machine-readable code, for example {@code invalid-value:negative-plays}. */
    public String reason() {
        return reason;
    }
}
