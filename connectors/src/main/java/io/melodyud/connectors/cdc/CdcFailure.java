package io.melodyud.connectors.cdc;

/**
 * A failure CDC cannot recover from by retrying (wrong credentials, a missing privilege or publication, a dropped
 * slot): the process stops with this message, which names the node and says what to do.
 */
public final class CdcFailure extends RuntimeException {

    public CdcFailure(final String message) {
        super(message);
    }

    public CdcFailure(final String message, final Throwable cause) {
        super(message, cause);
    }
}
