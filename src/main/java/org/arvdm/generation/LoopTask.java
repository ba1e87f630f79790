package org.arvdm.generation;

/**
 * One loop the runner ({@link GenerationService}) advances: a one-shot generation or an
 * interactive session. The runner puts it on a worker only while {@link #ready()} holds (its
 * actions are there, its output has room, it is not paused), runs units until it is not ready,
 * finished or ended, and then lets the worker go: a task that waits holds no thread. Whoever
 * changes what {@link #ready()} reads does so under the task's monitor and then calls
 * {@link GenerationService#wake(LoopTask)}.
 */
public abstract class LoopTask {
    protected final ArLoop loop;
    protected final CallGateway gateway;
    protected final EngineObserver observer;
    private boolean queued;
    private boolean running;
    private boolean ended;
    private volatile boolean cancelled;
    private volatile String cancelReason;

    protected LoopTask(ArLoop loop, CallGateway gateway, EngineObserver observer) {
        this.loop = loop;
        this.gateway = gateway;
        this.observer = observer;
    }

    /** Under the task's monitor: may the next unit run now? */
    protected abstract boolean ready();

    /** Called on the worker right before a unit runs (not under the monitor): resolve padding, emit started. */
    protected void beforeUnit() {
    }

    /** The actions {@link ArLoop#advance} reads; only indices below {@link ArLoop#actionsNeeded()}. */
    protected abstract ActionSource actions();

    protected abstract GenerationListener listener();

    /**
     * The task ended, exactly once: {@code error} null when the loop finished, else what stopped
     * it ({@link GenerationCancelledException} with {@link #cancelReason()}, a deadline, an
     * interrupt, an inference error).
     */
    protected abstract void ended(Throwable error);

    /** Asks the task to stop: before its next network call if running, at once if waiting. */
    public final void cancel(String reason) {
        if (cancelReason == null) {
            cancelReason = reason;
        }
        cancelled = true;
    }

    public final boolean cancelled() {
        return cancelled;
    }

    /** The reason given to the first {@link #cancel(String)}. */
    public final String cancelReason() {
        return cancelReason;
    }

    public final ArLoop loop() {
        return loop;
    }

    /** Under the monitor: whether the task has ended. */
    protected final boolean hasEnded() {
        return ended;
    }

    // The runner's bookkeeping, all under the task's monitor.

    /** True if the task should be put on a worker now (and marks it queued). */
    final boolean claimQueue() {
        if (queued || running || ended) {
            return false;
        }
        if (!cancelled && !ready()) {
            return false;
        }
        queued = true;
        return true;
    }

    /** On the worker: true if it may run (marks it running). */
    final boolean claimRun() {
        queued = false;
        if (ended || running) {
            return false;
        }
        running = true;
        return true;
    }

    /** On the worker between units: true to run another unit now; false releases the worker. */
    final boolean continueRunning() {
        if (ended || cancelled) {
            return true;
        }
        if (ready()) {
            return true;
        }
        running = false;
        return false;
    }

    final void stopRunning() {
        running = false;
    }

    /** Marks the task ended; true for the one caller that ends it. A running task is ended by its worker. */
    final boolean claimEnd(boolean byWorker) {
        if (ended || (running && !byWorker)) {
            return false;
        }
        ended = true;
        running = false;
        return true;
    }
}
