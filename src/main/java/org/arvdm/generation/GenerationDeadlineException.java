package org.arvdm.generation;

/** The generation ran past {@code arvdm.limits.max-generation-seconds}. */
public final class GenerationDeadlineException extends RuntimeException {
    public GenerationDeadlineException(String message) {
        super(message);
    }
}
