package org.arvdm.generation;

/**
 * A job was cancelled: its client went away, or (with the reason {@link JobRunner#SHUTDOWN}) the
 * service stopped it. The loop stops before its next network call.
 */
public final class GenerationCancelledException extends EngineFailure {
    public GenerationCancelledException(String message) {
        super(message, null, false);
    }

    @Override
    public Kind kind() {
        return Kind.CANCELLED;
    }
}
