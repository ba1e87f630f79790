package org.arvdm.generation;

/**
 * One piece of work the {@link JobRunner} advances a unit at a time: a one-shot generation, an
 * interactive session ({@link LoopTask}s: one unit is one AR step) or an evaluation (one unit is
 * one trajectory). The runner puts it on a worker only while {@link #ready()} holds (its output
 * has room, its actions are there, it is not paused), runs units until it is not ready, finished
 * or ended, and then lets the worker go: a job that waits holds no thread. Whoever changes what
 * {@link #ready()} reads does so under the job's monitor and then calls {@link JobRunner#wake(Job)}.
 * <p>
 * A job may hold an admission {@link Admission.Ticket}: the runner marks it started before the
 * first unit and closes it when the job ends, however it ends (exactly once).
 */
public abstract class Job {
    private final CallGateway gateway;
    Admission.Ticket ticket;
    boolean begun;
    private boolean queued;
    private boolean running;
    private boolean ended;
    private volatile boolean cancelled;
    private volatile String cancelReason;

    /** @param gateway the model's gateway, which the job is registered with while it runs a unit */
    protected Job(CallGateway gateway) {
        this.gateway = gateway;
    }

    final CallGateway gateway() {
        return gateway;
    }

    /** Under the job's monitor: may the next unit run now? */
    protected abstract boolean ready();

    /** What the job is, in words ("generation", "evaluation", "session"): for its shutdown message. */
    protected abstract String work();

    /** The job in the log: what, which, on which model. */
    protected abstract String label();

    /** Called on the worker once, right before the first unit (not under the monitor): emit started. */
    protected void started() {}

    /** Called on the worker right before each unit (not under the monitor): resolve padding. */
    protected void beforeUnit() {}

    /** Runs one unit on the worker (not under the monitor); checks {@link #cancelled()} before each network call. */
    protected abstract void unit() throws InterruptedException;

    /** Called on the worker right after a unit ran (not under the monitor). */
    protected void afterUnit(long unitNanos) {}

    /** True once the last unit has run. */
    protected abstract boolean finished();

    /**
     * Frees what the job holds (its loop's buffers) and stops its meters; called once, when it
     * ends, before its admission place is given back and before {@link #ended}, so whoever sees
     * the place free sees the job's memory and meters at rest.
     */
    protected void free() {}

    /**
     * The job ended, exactly once: {@code failure} null when it finished, else what stopped it,
     * typed by {@link EngineFailure#of} ({@code CANCELLED} when its client went away: nobody
     * hears it; {@code SHUTDOWN} when the service stopped it).
     */
    protected abstract void ended(EngineFailure failure);

    /** Asks the job to stop: before its next network call if running, at once if waiting. */
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

    /** Under the monitor: whether a worker is running a unit of the job now. */
    protected final boolean isRunning() {
        return running;
    }

    /** Under the monitor: whether the job has ended. */
    protected final boolean hasEnded() {
        return ended;
    }

    // The runner's bookkeeping, all under the job's monitor.

    /** True if the job should be put on a worker now (and marks it queued). */
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

    /** Marks the job ended; true for the one caller that ends it. A running job is ended by its worker. */
    final boolean claimEnd(boolean byWorker) {
        if (ended || (running && !byWorker)) {
            return false;
        }
        ended = true;
        running = false;
        return true;
    }
}
