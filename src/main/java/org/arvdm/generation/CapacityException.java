package org.arvdm.generation;

import java.time.Duration;

/** No room for another generation: 429 with Retry-After, or 503 while shutting down. */
public final class CapacityException extends EngineFailure {
    private final Duration retryAfter;
    private final boolean shuttingDown;

    public CapacityException(String message, Duration retryAfter, boolean shuttingDown) {
        super(message, null, false);
        this.retryAfter = retryAfter;
        this.shuttingDown = shuttingDown;
    }

    public Duration retryAfter() {
        return retryAfter;
    }

    public boolean shuttingDown() {
        return shuttingDown;
    }

    @Override
    public Kind kind() {
        return shuttingDown ? Kind.SHUTDOWN : Kind.CAPACITY;
    }
}
