package org.arvdm.generation;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Generations and sessions on one {@link JobRunner} ({@code arvdm.workers} threads): one-shot
 * generations are streamed jobs with a fixed action list that end after their n frames, sessions
 * are {@link LoopTask}s their own service starts; both advance one AR step per unit, so their
 * network calls meet in the model's gateway.
 * <p>
 * Frames are encoded off the loop's thread, on the {@link #encoders()} scheduler, through a
 * bounded pipeline: a generation holds at most {@link #OUTBOX} events its client has not asked
 * for, then parks until the client reads (no unbounded buffer between the loop and the wire).
 * <p>
 * Owns its worker threads: {@link #shutdown(Duration)} lets running generations finish for the
 * grace period, then ends the rest with a shutdown error.
 */
public final class GenerationService {

    /** The cancel reason that ends a task with a shutdown error rather than silently. */
    public static final String SHUTDOWN = JobRunner.SHUTDOWN;
    /** Events a one-shot generation holds that its reader has not asked for yet, before it parks. */
    static final int OUTBOX = 8;
    /** Frames waiting to be encoded between the loop and the HTTP writer. */
    static final int ENCODE_PREFETCH = 4;

    /** Encodes one frame (C·H·W floats in [-1, 1]) for the client, on an encoder thread. */
    @FunctionalInterface
    public interface FrameEncoder {
        String encode(float[] frame);
    }

    private final JobRunner runner;
    private final Scheduler encoders;
    private final EngineObserver.Factory observers;
    private final Admission admission;

    public GenerationService(int workerCount, Admission admission, EngineObserver.Factory observers) {
        this.runner = new JobRunner("arvdm-worker-", workerCount);
        this.encoders = Schedulers.newParallel(
                "arvdm-encode", Math.max(2, Math.min(4, Runtime.getRuntime().availableProcessors())), true);
        this.admission = admission;
        this.observers = observers;
    }

    public Admission admission() {
        return admission;
    }

    /** Where frames are encoded: off the loop's worker and off the event loop. */
    public Scheduler encoders() {
        return encoders;
    }

    /** Tasks not yet ended (generations and sessions, waiting or running). */
    public int liveTasks() {
        return runner.liveJobs();
    }

    /** Worker threads running a unit now. */
    public int busyWorkers() {
        return runner.busyWorkers();
    }

    public boolean stopping() {
        return runner.stopping();
    }

    /**
     * The generation as a stream: {@code Queued} (when it waits for a worker), {@code Started},
     * then {@code Frame}s (and {@code Preview}s), then {@code Done} or {@code Failed}. Cold: the
     * admission place is taken when it is subscribed (a {@link CapacityException} is its error)
     * and given back however it ends.
     */
    public Flux<GenerationEvent> generate(
            String model,
            GenerationPlan plan,
            ActionSource actions,
            CallGateway gateway,
            FrameEncoder frameEncoder,
            FrameEncoder previewEncoder) {
        String id = UUID.randomUUID().toString();
        return runner.<Object>stream(
                        admission,
                        model,
                        OUTBOX,
                        (outbox, ticket) -> new OneShot(id, model, plan, actions, gateway, outbox, ticket))
                .publishOn(encoders, ENCODE_PREFETCH)
                .map(e -> encode(e, frameEncoder, previewEncoder));
    }

    private static GenerationEvent encode(Object e, FrameEncoder frames, FrameEncoder previews) {
        if (e instanceof RawFrame f) {
            return new GenerationEvent.Frame(f.index(), frames.encode(f.frame()), f.arStep(), f.elapsedMs());
        }
        if (e instanceof RawPreview p) {
            return new GenerationEvent.Preview(
                    p.arStep(),
                    p.iteration(),
                    p.frames().stream()
                            .map(f -> new GenerationEvent.PreviewImage(f.index(), f.level(), previews.encode(f.x0())))
                            .toList());
        }
        return (GenerationEvent) e;
    }

    private record RawFrame(int index, float[] frame, int arStep, double elapsedMs) {}

    private record RawPreview(int arStep, int iteration, List<GenerationListener.PreviewFrame> frames) {}

    /** Starts running a task (a session) whenever it is ready. */
    public void start(LoopTask task) {
        runner.start(task);
    }

    /** Puts the task on a worker if it is ready and not already queued or running. */
    public void wake(LoopTask task) {
        runner.wake(task);
    }

    /** Stops a task: at once when it waits, before its next network call when it runs. Idempotent. */
    public void cancel(LoopTask task, String reason) {
        runner.cancel(task, reason);
    }

    /** A generation with a fixed action list that ends after its n frames. */
    private final class OneShot extends LoopTask {
        private final String id;
        private final String model;
        private final GenerationPlan plan;
        private final ActionSource actions;
        private final Outbox<Object> outbox;
        private final GenerationListener listener;

        OneShot(
                String id,
                String model,
                GenerationPlan plan,
                ActionSource actions,
                CallGateway gateway,
                Outbox<Object> outbox,
                Admission.Ticket ticket) {
            super(new ArLoop(plan), gateway, observers.forModel(model));
            this.id = id;
            this.model = model;
            this.plan = plan;
            this.actions = actions;
            this.outbox = outbox;
            this.listener = new GenerationListener() {
                @Override
                public void frame(int index, float[] frame, int arStep, long elapsedNanos) {
                    outbox.offer(new RawFrame(index, frame, arStep, elapsedNanos / 1e6));
                }

                @Override
                public void preview(int arStep, int iteration, List<PreviewFrame> frames) {
                    outbox.offer(new RawPreview(arStep, iteration, frames));
                }

                @Override
                public boolean cancelled() {
                    return OneShot.this.cancelled();
                }
            };
            if (ticket.position() > 0) {
                // first, so a queued client sees headers and its place instead of silence
                outbox.offer(new GenerationEvent.Queued(ticket.position()));
            }
        }

        @Override
        protected boolean ready() {
            return outbox.hasRoom();
        }

        @Override
        protected String work() {
            return "generation";
        }

        @Override
        protected String label() {
            return "generation " + id + " on " + model;
        }

        @Override
        protected void started() {
            observer.generationStarted();
            outbox.offer(new GenerationEvent.Started(id, plan.seed()));
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
        protected void free() {
            super.free();
            observer.generationEnded(); // a no-op for a generation that never started, and when repeated
        }

        @Override
        protected void ended(EngineFailure failure) {
            if (failure == null) {
                outbox.finish(new GenerationEvent.Done(loop.stats()));
            } else {
                outbox.finish(
                        failure.kind() == EngineFailure.Kind.CANCELLED ? null : new GenerationEvent.Failed(failure));
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
        admission.shutDown();
        runner.drain(grace);
    }

    /**
     * {@link #drain}s within {@code grace} (at once when already drained), then stops the worker
     * and encoder threads (sessions are ended by their own service before this).
     */
    public void shutdown(Duration grace) {
        drain(grace);
        runner.shutdown(Duration.ZERO);
        encoders.dispose();
    }
}
