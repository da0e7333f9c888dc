package io.melodyud.sinks.common;

/**
 * The store could not be written for now (connection refused or dropped, timeout, server restarting). The batch is
 * kept and written again after a backoff; offsets do not move meanwhile.
 */
public final class TransientWriteException extends Exception {

    public TransientWriteException(final String message, final Throwable cause) {
        super(message, cause);
    }
}
