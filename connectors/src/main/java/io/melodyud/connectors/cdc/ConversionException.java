package io.melodyud.connectors.cdc;

/** A row change that cannot become a record of its contract; {@link #reason()} is a stable code for the DLQ. */
public final class ConversionException extends Exception {

    private final String reason;

    public ConversionException(final String reason, final String message) {
        super(message);
        this.reason = reason;
    }

    public ConversionException(final String reason, final String message, final Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public String reason() {
        return reason;
    }
}
