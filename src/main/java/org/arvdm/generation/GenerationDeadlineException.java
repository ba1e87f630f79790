package org.arvdm.generation;

/** The generation ran past {@code arvdm.limits.max-generation-seconds}. */
public final class GenerationDeadlineException extends EngineFailure {
    public GenerationDeadlineException(String message) {
        super(message, null, true);
    }

    @Override
    public Kind kind() {
        return Kind.DEADLINE;
    }
}
