package org.arvdm.generation;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;

import io.micrometer.core.instrument.LongTaskTimer;
import org.arvdm.metrics.ArvdmMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;
import reactor.core.publisher.Operators;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * The one runner of AR loops: one-shot generations and interactive sessions are
 * {@link LoopTask}s that a bounded pool of worker threads (never the event loop) advances one
 * unit at a time while they are ready. A task that waits (for actions, for a slow reader, for a
 * viewer) is on no worker and holds no gateway registration; when what it waits for arrives,
 * {@link #wake} puts it back in the workers' FIFO queue. A task that could run on yields its
 * worker after each unit when another task waits for one, so sessions and generations share the
 * workers first come, first served, and their network calls meet in the model's gateway.
 * <p>
 * Frames are encoded off the loop's thread, on the {@link #encoders()} scheduler, through a
 * bounded pipeline: a generation holds at most {@link #OUTBOX} events its client has not asked
 * for, then parks until the client reads (no unbounded buffer between the loop and the wire).
 * <p>
 * Owns its worker threads: {@link #shutdown(Duration)} lets running generations finish for the
 * grace period, then ends the rest with a shutdown error.
 */
public final class GenerationService {
    private static final Logger log = LoggerFactory.getLogger(GenerationService.class);

    /** The cancel reason that ends a task with a shutdown error rather than silently. */
    public static final String SHUTDOWN = "shutdown";
    /** Events a one-shot generation holds that its reader has not asked for yet, before it parks. */
    static final int OUTBOX = 8;
    /** Frames waiting to be encoded between the loop and the HTTP writer. */
    static final int ENCODE_PREFETCH = 4;

    /** Encodes one frame (C·H·W floats in [-1, 1]) for the client, on an encoder thread. */
    @FunctionalInterface
    public interface FrameEncoder {
        String encode(float[] frame);
    }

    private final WorkerPool workers;
    private final Scheduler encoders;
    private final ArvdmMetrics metrics;
    private final Admission admission;
    private final Set<LoopTask> live = ConcurrentHashMap.newKeySet();
    private volatile boolean stopping;

    public GenerationService(int workerCount, Admission admission, ArvdmMetrics metrics) {
        this.workers = new WorkerPool("arvdm-worker-", workerCount);
        this.encoders = Schedulers.newParallel("arvdm-encode",
                Math.max(2, Math.min(4, Runtime.getRuntime().availableProcessors())), true);
        this.admission = admission;
        this.metrics = metrics;
    }

    public Admission admission() {
        return admission;
    }

    public ArvdmMetrics metrics() {
        return metrics;
    }

    /** Where frames are encoded: off the loop's worker and off the event loop. */
    public Scheduler encoders() {
        return encoders;
    }

    /** Tasks not yet ended (generations and sessions, waiting or running). */
    public int liveTasks() {
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
     * The generation as a stream: {@code Started}, then {@code Frame}s (and {@code Preview}s),
     * then {@code Done} or {@code Failed}. Takes ownership of {@code ticket}.
     */
    public Flux<GenerationEvent> generate(String model, GenerationPlan plan, ActionSource actions, CallGateway gateway,
                                          Admission.Ticket ticket, FrameEncoder frameEncoder,
                                          FrameEncoder previewEncoder) {
        String id = UUID.randomUUID().toString();
        return Flux.<Object>create(sink -> {
                    OneShot job = new OneShot(id, model, plan, actions, gateway, ticket, sink);
                    live.add(job);
                    sink.onDispose(() -> cancel(job, "client gone"));
                    sink.onRequest(job::request);
                }, FluxSink.OverflowStrategy.ERROR)
                .publishOn(encoders, ENCODE_PREFETCH)
                .map(e -> encode(e, frameEncoder, previewEncoder));
    }

    private static GenerationEvent encode(Object e, FrameEncoder frames, FrameEncoder previews) {
        if (e instanceof RawFrame f) {
            return new GenerationEvent.Frame(f.index(), frames.encode(f.frame()), f.arStep(), f.elapsedMs());
        }
        if (e instanceof RawPreview p) {
            return new GenerationEvent.Preview(p.arStep(), p.iteration(), p.frames().stream()
                    .map(f -> new GenerationEvent.PreviewImage(f.index(), f.level(), previews.encode(f.x0())))
                    .toList());
        }
        return (GenerationEvent) e;
    }

    private record RawFrame(int index, float[] frame, int arStep, double elapsedMs) {
    }

    private record RawPreview(int arStep, int iteration, List<GenerationListener.PreviewFrame> frames) {
    }

    /** Starts running a task (a session) whenever it is ready. */
    public void start(LoopTask task) {
        if (stopping) {
            throw new CapacityException("the service is shutting down", Duration.ofSeconds(1), true);
        }
        live.add(task);
        wake(task);
    }

    /** Puts the task on a worker if it is ready and not already queued or running. */
    public void wake(LoopTask task) {
        boolean go;
        synchronized (task) {
            go = task.claimQueue();
        }
        if (go) {
            try {
                workers.submit(() -> run(task));
            } catch (RejectedExecutionException e) {
                task.cancel(SHUTDOWN);
                synchronized (task) {
                    task.claimRun();
                    task.stopRunning();
                }
                end(task, false, new GenerationCancelledException(SHUTDOWN));
            }
        }
    }

    /** Stops a task: at once when it waits, before its next network call when it runs. Idempotent. */
    public void cancel(LoopTask task, String reason) {
        task.cancel(reason);
        end(task, false, new GenerationCancelledException(reason));
    }

    private void run(LoopTask task) {
        synchronized (task) {
            if (!task.claimRun()) {
                return;
            }
        }
        CallGateway.Registration joined = null;
        try {
            while (true) {
                boolean more;
                synchronized (task) {
                    more = task.continueRunning();
                }
                if (!more) {
                    return;
                }
                if (task.cancelled()) {
                    throw new GenerationCancelledException(task.cancelReason());
                }
                if (joined == null) {
                    joined = task.gateway.open();
                }
                task.beforeUnit();
                long t0 = System.nanoTime();
                task.loop.advance(task.actions(), task.gateway, task.listener(), task.observer);
                task.afterUnit(System.nanoTime() - t0);
                if (task.loop.finished()) {
                    end(task, true, null);
                    return;
                }
                if (workers.hasWaiting()) {
                    synchronized (task) {
                        task.stopRunning();
                    }
                    joined.close();
                    joined = null;
                    wake(task);
                    return;
                }
            }
        } catch (Throwable e) {
            end(task, true, e);
        } finally {
            if (joined != null) {
                joined.close();
            }
        }
    }

    private void end(LoopTask task, boolean byWorker, Throwable error) {
        synchronized (task) {
            if (!task.claimEnd(byWorker)) {
                return;
            }
        }
        live.remove(task);
        task.loop.release(task.observer);
        try {
            task.ended(error);
        } catch (RuntimeException e) {
            log.warn("a task's end handler failed", e);
        }
    }

    /** A generation with a fixed action list that ends after its n frames. */
    private final class OneShot extends LoopTask {
        private final String id;
        private final String model;
        private final GenerationPlan plan;
        private final ActionSource actions;
        private final Admission.Ticket ticket;
        private final FluxSink<Object> sink;
        private final ArrayDeque<Object> outbox = new ArrayDeque<>();
        private final GenerationListener listener;
        private long demand;
        private boolean terminal;
        private boolean completed;
        private boolean started;
        private LongTaskTimer.Sample active;

        OneShot(String id, String model, GenerationPlan plan, ActionSource actions, CallGateway gateway,
                Admission.Ticket ticket, FluxSink<Object> sink) {
            super(new ArLoop(plan), gateway, metrics.observer(model));
            this.id = id;
            this.model = model;
            this.plan = plan;
            this.actions = actions;
            this.ticket = ticket;
            this.sink = sink;
            this.listener = new GenerationListener() {
                @Override
                public void frame(int index, float[] frame, int arStep, long elapsedNanos) {
                    offer(new RawFrame(index, frame, arStep, elapsedNanos / 1e6));
                }

                @Override
                public void preview(int arStep, int iteration, List<PreviewFrame> frames) {
                    offer(new RawPreview(arStep, iteration, frames));
                }

                @Override
                public boolean cancelled() {
                    return OneShot.this.cancelled();
                }
            };
        }

        @Override
        protected boolean ready() {
            return outbox.size() < OUTBOX;
        }

        @Override
        protected void beforeUnit() {
            if (!started) {
                started = true;
                ticket.started();
                active = metrics.generationStarted(model);
                offer(new GenerationEvent.Started(id, plan.seed()));
            }
        }

        @Override
        protected ActionSource actions() {
            return actions;
        }

        @Override
        protected GenerationListener listener() {
            return listener;
        }

        @Override
        protected void ended(Throwable error) {
            if (active != null) {
                active.stop();
            }
            ticket.close();
            GenerationEvent last = null;
            if (error == null) {
                last = new GenerationEvent.Done(loop.stats());
            } else if (error instanceof GenerationCancelledException && SHUTDOWN.equals(cancelReason())
                    || error instanceof InterruptedException) {
                last = new GenerationEvent.Failed("urn:arvdm:shutdown", "Service shutting down", 503,
                        "the service stopped before the generation finished");
            } else if (error instanceof GenerationCancelledException) {
                log.info("generation {} on {} cancelled: {}", id, model, error.getMessage());
            } else if (error instanceof GenerationDeadlineException) {
                last = new GenerationEvent.Failed("urn:arvdm:generation-timeout", "Generation time limit exceeded",
                        504, error.getMessage());
            } else {
                log.error("generation {} on {} failed", id, model, error);
                last = new GenerationEvent.Failed("urn:arvdm:inference-error", "Inference failed", 500,
                        error.getClass().getSimpleName() + ": " + error.getMessage());
            }
            synchronized (this) {
                if (last != null) {
                    outbox.add(last);
                }
                terminal = true;
            }
            drain();
        }

        private void offer(Object event) {
            synchronized (this) {
                outbox.add(event);
            }
            drain();
        }

        void request(long n) {
            synchronized (this) {
                demand = Operators.addCap(demand, n);
            }
            drain();
            wake(this);
        }

        private void drain() {
            boolean complete;
            boolean freed = false;
            synchronized (this) {
                while (demand > 0 && !outbox.isEmpty()) {
                    sink.next(outbox.poll());
                    demand--;
                    freed = true;
                }
                complete = terminal && outbox.isEmpty() && !completed;
                completed |= complete;
            }
            if (complete) {
                sink.complete();
            } else if (freed) {
                wake(this);
            }
        }
    }

    /**
     * Stops admitting, lets running generations finish within {@code grace}, then ends the rest
     * with a shutdown error and waits (a few seconds at most) until every task has ended. Keeps
     * the workers and encoders, so the error events still reach their streams; {@link #shutdown}
     * stops those. Idempotent.
     */
    public void drain(Duration grace) {
        if (stopping && live.isEmpty()) {
            return; // drained already
        }
        stopping = true;
        admission.shutDown();
        log.info("shutting down: {} tasks live, {} s for them to finish", live.size(), grace.toSeconds());
        long deadline = System.nanoTime() + grace.toNanos();
        try {
            while (!live.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            if (!live.isEmpty()) {
                log.info("shutting down: ending {} tasks with a shutdown error", live.size());
            }
            for (LoopTask t : List.copyOf(live)) {
                cancel(t, SHUTDOWN);
            }
            long more = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (!live.isEmpty() && System.nanoTime() < more) {
                Thread.sleep(20);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * {@link #drain}s within {@code grace} (at once when already drained), then stops the worker
     * and encoder threads (sessions are ended by their own service before this).
     */
    public void shutdown(Duration grace) {
        drain(grace);
        workers.shutdown(Duration.ofSeconds(1));
        encoders.dispose();
    }
}
