package org.arvdm.generation;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;

/**
 * The one runner of {@link Job}s: generations and sessions on the generation workers, evaluations
 * on their own (each pool is one runner). A bounded pool of worker threads (never the event loop)
 * advances each job one unit at a time while it is ready. A job that waits (for actions, for a
 * slow reader, for a viewer) is on no worker and holds no gateway registration; when what it
 * waits for arrives, {@link #wake} puts it back in the workers' FIFO queue. A job that could run
 * on yields its worker after each unit when another waits for one, so jobs share the workers
 * first come, first served, and their network calls meet in the model's gateway.
 * <p>
 * A streamed job ({@link #stream}) is pull-driven: its admission place is taken when the stream
 * is subscribed (a 429 is the stream's error), its events wait in a bounded {@link Outbox}
 * until the reader asks, and the place is given back on every end (completion, error, cancel)
 * exactly once. A reader that goes away at any moment cancels the job: at once while it waits or
 * is queued, before its next network call while it runs.
 * <p>
 * Ending is claimed once under the job's monitor, and a running job is ended only by its own
 * worker, so a cancel racing with a worker that is just picking the job up can neither free its
 * loop under the worker nor leave its place taken (the race of {@code Future.cancel(false)}).
 */
public final class JobRunner {
    private static final Logger log = LoggerFactory.getLogger(JobRunner.class);

    /** The cancel reason that ends a job with a shutdown error rather than silently. */
    public static final String SHUTDOWN = "shutdown";

    private final WorkerPool workers;
    private final Set<Job> live = ConcurrentHashMap.newKeySet();
    private volatile boolean stopping;

    public JobRunner(String threadPrefix, int workerCount) {
        this.workers = new WorkerPool(threadPrefix, workerCount);
    }

    /** Jobs not yet ended (waiting or running). */
    public int liveJobs() {
        return live.size();
    }

    /** Worker threads running a unit now. */
    public int busyWorkers() {
        return workers.busy();
    }

    public boolean stopping() {
        return stopping;
    }

    /**
     * A job as a cold stream: on subscription it takes a place from {@code admission} (or the
     * stream fails with its {@link CapacityException}), {@code job} builds the job around the
     * outbox of at most {@code capacity} unread events and that place, and the reader's demand
     * drives it.
     */
    public <E> Flux<E> stream(
            Admission admission, String key, int capacity, BiFunction<Outbox<E>, Admission.Ticket, Job> job) {
        return Flux.create(
                sink -> {
                    if (stopping) {
                        sink.error(new CapacityException("the service is shutting down", Duration.ofSeconds(1), true));
                        return;
                    }
                    Admission.Ticket ticket;
                    try {
                        ticket = admission.admit(key);
                    } catch (CapacityException e) {
                        sink.error(e);
                        return;
                    }
                    Outbox<E> outbox = new Outbox<>(sink, capacity);
                    Job j;
                    try {
                        j = job.apply(outbox, ticket);
                    } catch (RuntimeException e) {
                        ticket.close();
                        sink.error(e);
                        return;
                    }
                    j.ticket = ticket;
                    outbox.bind(j, () -> wake(j));
                    live.add(j);
                    // the connection's close cancels the job even where the reader's cancel does not arrive
                    Disposable hangup = Hangup.of(sink.contextView())
                            .map(h -> h.register(() -> cancel(j, "client gone")))
                            .orElse(() -> {});
                    sink.onDispose(() -> {
                        cancel(j, "client gone");
                        hangup.dispose();
                    });
                    sink.onRequest(outbox::request);
                },
                FluxSink.OverflowStrategy.ERROR);
    }

    /** Starts running a job that is not streamed (a session) whenever it is ready. */
    public void start(Job job) {
        if (stopping) {
            throw new CapacityException("the service is shutting down", Duration.ofSeconds(1), true);
        }
        live.add(job);
        wake(job);
    }

    /** Puts the job on a worker if it is ready and not already queued or running. */
    public void wake(Job job) {
        boolean go;
        synchronized (job) {
            go = job.claimQueue();
        }
        if (go) {
            try {
                workers.submit(() -> run(job));
            } catch (RejectedExecutionException e) {
                job.cancel(SHUTDOWN);
                synchronized (job) {
                    job.claimRun();
                    job.stopRunning();
                }
                end(job, false, new GenerationCancelledException(SHUTDOWN));
            }
        }
    }

    /** Stops a job: at once when it waits, before its next network call when it runs. Idempotent. */
    public void cancel(Job job, String reason) {
        job.cancel(reason);
        end(job, false, new GenerationCancelledException(reason));
    }

    private void run(Job job) {
        synchronized (job) {
            if (!job.claimRun()) {
                return;
            }
        }
        CallGateway.Registration joined = null;
        try {
            while (true) {
                boolean more;
                synchronized (job) {
                    more = job.continueRunning();
                }
                if (!more) {
                    return;
                }
                if (job.cancelled()) {
                    throw new GenerationCancelledException(job.cancelReason());
                }
                if (joined == null && job.gateway() != null) {
                    joined = job.gateway().open();
                }
                if (job.ticket != null) {
                    job.ticket.started();
                }
                if (!job.begun) {
                    job.begun = true;
                    job.started();
                }
                job.beforeUnit();
                long t0 = System.nanoTime();
                job.unit();
                job.afterUnit(System.nanoTime() - t0);
                if (job.finished()) {
                    end(job, true, null);
                    return;
                }
                if (workers.hasWaiting()) {
                    synchronized (job) {
                        job.stopRunning();
                    }
                    if (joined != null) {
                        joined.close();
                        joined = null;
                    }
                    wake(job);
                    return;
                }
            }
        } catch (Throwable e) {
            end(job, true, e);
        } finally {
            if (joined != null) {
                joined.close();
            }
        }
    }

    private void end(Job job, boolean byWorker, Throwable error) {
        synchronized (job) {
            if (!job.claimEnd(byWorker)) {
                return;
            }
        }
        live.remove(job);
        try {
            job.free();
        } finally {
            if (job.ticket != null) {
                job.ticket.close();
            }
        }
        EngineFailure failure = error == null ? null : EngineFailure.of(error, job.cancelReason(), job.work());
        if (failure != null && failure.kind() == EngineFailure.Kind.CANCELLED) {
            log.info("{} cancelled: {}", job.label(), failure.getMessage());
        } else if (failure != null && failure.kind() == EngineFailure.Kind.INFERENCE) {
            log.error("{} failed", job.label(), error);
        }
        try {
            job.ended(failure);
        } catch (RuntimeException e) {
            log.warn("a job's end handler failed", e);
        }
    }

    /**
     * Stops taking jobs, lets running ones finish within {@code grace}, then ends the rest with a
     * shutdown error and waits (a few seconds at most) until every job has ended. Keeps the
     * workers, so the error events still reach their streams; {@link #shutdown} stops those.
     * Idempotent.
     */
    public void drain(Duration grace) {
        if (stopping && live.isEmpty()) {
            return; // drained already
        }
        stopping = true;
        log.info("shutting down: {} jobs live, {} s for them to finish", live.size(), grace.toSeconds());
        long deadline = System.nanoTime() + grace.toNanos();
        try {
            while (!live.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            if (!live.isEmpty()) {
                log.info("shutting down: ending {} jobs with a shutdown error", live.size());
            }
            for (Job j : List.copyOf(live)) {
                cancel(j, SHUTDOWN);
            }
            long more = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (!live.isEmpty() && System.nanoTime() < more) {
                Thread.sleep(20);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** {@link #drain}s within {@code grace} (at once when already drained), then stops the worker threads. */
    public void shutdown(Duration grace) {
        drain(grace);
        workers.shutdown(Duration.ofSeconds(1));
    }
}
