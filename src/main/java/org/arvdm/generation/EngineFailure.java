package org.arvdm.generation;

/**
 * Why the engine did not finish (or did not take) a piece of work, typed: {@link #kind()} says
 * which of the five ways it failed, the message says it in words for the client. The engine only
 * reports these; the API maps each kind to its problem (type, title, status) in one place.
 * <ul>
 * <li>{@link Kind#CANCELLED}: the client went away ({@link GenerationCancelledException}); nobody hears it;</li>
 * <li>{@link Kind#DEADLINE}: the work ran past its time limit ({@link GenerationDeadlineException});</li>
 * <li>{@link Kind#SHUTDOWN}: the service stopped first ({@link Shutdown}, or a {@link CapacityException} while
 *     shutting down);</li>
 * <li>{@link Kind#CAPACITY}: no place was free ({@link CapacityException});</li>
 * <li>{@link Kind#INFERENCE}: a network call or the loop itself failed ({@link Inference}).</li>
 * </ul>
 */
public abstract sealed class EngineFailure extends RuntimeException
        permits GenerationCancelledException,
                GenerationDeadlineException,
                CapacityException,
                EngineFailure.Shutdown,
                EngineFailure.Inference {

    public enum Kind {
        CANCELLED,
        DEADLINE,
        SHUTDOWN,
        CAPACITY,
        INFERENCE
    }

    protected EngineFailure(String message, Throwable cause, boolean stackTrace) {
        super(message, cause, true, stackTrace);
    }

    public abstract Kind kind();

    /** The service stopped before the work finished. */
    public static final class Shutdown extends EngineFailure {
        public Shutdown(String message) {
            super(message, null, false);
        }

        @Override
        public Kind kind() {
            return Kind.SHUTDOWN;
        }
    }

    /** A network call or the loop failed; the message names the error, the cause is kept for the log. */
    public static final class Inference extends EngineFailure {
        public Inference(Throwable cause) {
            super(cause.getClass().getSimpleName() + ": " + cause.getMessage(), cause, true);
        }

        @Override
        public Kind kind() {
            return Kind.INFERENCE;
        }
    }

    /**
     * What ended a piece of {@code work} ("generation", "evaluation"): {@code error} as thrown on
     * its worker, or the cancel that stopped it (with {@code cancelReason}
     * {@link JobRunner#SHUTDOWN} a shutdown). An interrupt is the shutdown's too.
     */
    public static EngineFailure of(Throwable error, String cancelReason, String work) {
        if (error instanceof GenerationCancelledException c && !JobRunner.SHUTDOWN.equals(cancelReason)) {
            return c;
        }
        if (error instanceof GenerationCancelledException || error instanceof InterruptedException) {
            return new Shutdown("the service stopped before the " + work + " finished");
        }
        if (error instanceof EngineFailure f) {
            return f;
        }
        return new Inference(error);
    }
}
