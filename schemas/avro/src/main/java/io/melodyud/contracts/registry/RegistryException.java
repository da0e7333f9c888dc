package io.melodyud.contracts.registry;

/** A registry request failed; the message says which request, against which registry, and why. */
public class RegistryException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int httpStatus;
    private final int errorCode;

    public RegistryException(final String message, final int httpStatus, final int errorCode, final Throwable cause) {
        super(message, cause);
        this.httpStatus = httpStatus;
        this.errorCode = errorCode;
    }

    /** HTTP status of the answer, or -1 when no answer came (connection error, timeout). */
    public int httpStatus() {
        return httpStatus;
    }

    /** Confluent-style error code from the answer body (40403: schema not found), or -1. */
    public int errorCode() {
        return errorCode;
    }

    /** Whether the registry does not know the schema id or subject asked for. */
    public boolean isNotFound() {
        return httpStatus == 404;
    }
}
