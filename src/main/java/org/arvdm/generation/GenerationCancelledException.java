package org.arvdm.generation;

/** The client went away (or the generation's deadline passed); the loop stops before its next network call. */
public final class GenerationCancelledException extends EngineFailure {
    public GenerationCancelledException(String message) {
        super(message, null, false);
    }

    @Override
    public Kind kind() {
        return Kind.CANCELLED;
    }
}
