package org.arvdm.diagnostics;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;
import org.arvdm.generation.Admission;
import org.arvdm.generation.EngineFailure;
import org.arvdm.generation.Job;
import org.arvdm.generation.JobRunner;
import org.arvdm.generation.Outbox;
import reactor.core.publisher.Flux;

/**
 * Runs evaluations on the same {@link JobRunner} as generations, with a small pool of its own:
 * an evaluation is minutes of batch work (hundreds of frames), and on the generation workers one
 * would hold a worker that long and queue interactive generations behind it. Its own
 * {@link Admission} (workers + a short queue) refuses more with 429. The network calls still go
 * through each model's gateway, like a generation's.
 * <p>
 * An evaluation is a streamed job whose unit is one trajectory (or one controllability state):
 * cancelling the stream (a client that disconnects) stops it before its next network call, and
 * a reader that does not read parks it between trajectories. Owns its threads:
 * {@link #shutdown(Duration)}.
 */
public final class EvaluationService {
    /** Events an evaluation holds that its reader has not asked for, before it parks. */
    static final int OUTBOX = 4;

    private final Evaluator evaluator = new Evaluator();
    private final JobRunner runner;
    private final Admission admission;
    private final Consumer<EvaluationReport> onReport;

    /** @param onReport hears every finished report (the metrics' last-evaluation gauges) */
    public EvaluationService(int workerCount, Admission admission, Consumer<EvaluationReport> onReport) {
        this.runner = new JobRunner("arvdm-evaluation-", workerCount);
        this.admission = admission;
        this.onReport = onReport;
    }

    public Admission admission() {
        return admission;
    }

    /** Evaluations not yet ended. */
    public int liveEvaluations() {
        return runner.liveJobs();
    }

    /** Worker threads running an evaluation's unit now. */
    public int busyWorkers() {
        return runner.busyWorkers();
    }

    /**
     * {@code Started}, one {@code Progressed} per trajectory, then {@code Reported} or {@code Failed}.
     * Cold: the admission place is taken when it is subscribed (a 429 is its error).
     */
    public Flux<EvaluationEvent> evaluate(Evaluation evaluation) {
        String id = UUID.randomUUID().toString();
        return runner.stream(
                admission, evaluation.model(), OUTBOX, (outbox, ticket) -> new EvaluationJob(id, evaluation, outbox));
    }

    /** One evaluation: one trajectory (or controllability state) per unit. */
    private final class EvaluationJob extends Job {
        private final String id;
        private final Evaluation evaluation;
        private final Outbox<EvaluationEvent> outbox;
        private final Evaluator.Run run;

        EvaluationJob(String id, Evaluation evaluation, Outbox<EvaluationEvent> outbox) {
            super(null); // each trajectory's generation registers with the gateway itself
            this.id = id;
            this.evaluation = evaluation;
            this.outbox = outbox;
            this.run = evaluator.start(evaluation, new Evaluator.Listener() {
                @Override
                public void trajectoryDone(Evaluator.Progress p) {
                    outbox.offer(new EvaluationEvent.Progressed(new Evaluator.Progress(
                            p.index(), p.total(), p.result(), List.of(), p.scores(), p.baseline())));
                }

                @Override
                public boolean cancelled() {
                    return EvaluationJob.this.cancelled();
                }
            });
        }

        @Override
        protected boolean ready() {
            return outbox.hasRoom();
        }

        @Override
        protected String work() {
            return "evaluation";
        }

        @Override
        protected String label() {
            return "evaluation " + id + " of " + evaluation.model();
        }

        @Override
        protected void started() {
            outbox.offer(new EvaluationEvent.Started(id, evaluation));
        }

        @Override
        protected void unit() throws InterruptedException {
            run.step();
        }

        @Override
        protected boolean finished() {
            return run.done();
        }

        @Override
        protected void ended(EngineFailure failure) {
            if (failure == null) {
                EvaluationReport report = run.report();
                onReport.accept(report);
                outbox.finish(new EvaluationEvent.Reported(report));
            } else {
                outbox.finish(
                        failure.kind() == EngineFailure.Kind.CANCELLED ? null : new EvaluationEvent.Failed(failure));
            }
        }
    }

    /** Stops admitting, lets running evaluations finish within {@code grace}, then ends them with a shutdown error. */
    public void shutdown(Duration grace) {
        admission.shutDown();
        runner.shutdown(grace);
    }
}
