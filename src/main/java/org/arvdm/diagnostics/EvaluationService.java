package org.arvdm.diagnostics;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

import org.arvdm.generation.Admission;
import org.arvdm.generation.GenerationCancelledException;
import org.arvdm.generation.GenerationDeadlineException;
import org.arvdm.generation.WorkerPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;

/**
 * Runs evaluations on their own small, bounded pool of threads, apart from the generation
 * workers: an evaluation is minutes of batch work (hundreds of frames), and on the shared
 * FIFO pool one would hold a generation worker that long and queue interactive generations
 * behind it. Its own {@link Admission} (workers + a short queue) refuses more with 429. The
 * network calls still go through each model's gateway, like a generation's.
 * <p>
 * Each evaluation is a cold {@link Flux}; cancelling it (a client that disconnects) stops the
 * run before its next network call. Owns its threads: {@link #shutdown(Duration)}.
 */
public final class EvaluationService {
    private static final Logger log = LoggerFactory.getLogger(EvaluationService.class);

    private final Evaluator evaluator = new Evaluator();
    private final WorkerPool workers;
    private final Admission admission;
    private final Consumer<EvaluationReport> onReport;

    /** @param onReport hears every finished report (the metrics' last-evaluation gauges) */
    public EvaluationService(int workerCount, Admission admission, Consumer<EvaluationReport> onReport) {
        this.workers = new WorkerPool("arvdm-evaluation-", workerCount);
        this.admission = admission;
        this.onReport = onReport;
    }

    public Admission admission() {
        return admission;
    }

    /** {@code Started}, one {@code Progressed} per trajectory, then {@code Reported} or {@code Failed}. Takes the ticket. */
    public Flux<EvaluationEvent> evaluate(Evaluation evaluation, Admission.Ticket ticket) {
        String id = UUID.randomUUID().toString();
        return Flux.create(sink -> {
            AtomicBoolean cancelled = new AtomicBoolean();
            Future<?> task = workers.submit(() -> run(id, evaluation, ticket, sink, cancelled));
            sink.onDispose(() -> {
                cancelled.set(true);
                if (task.cancel(false)) {
                    ticket.close();
                }
            });
        }, FluxSink.OverflowStrategy.BUFFER);
    }

    private void run(String id, Evaluation evaluation, Admission.Ticket ticket, FluxSink<EvaluationEvent> sink,
                     AtomicBoolean cancelled) {
        ticket.started();
        try {
            sink.next(new EvaluationEvent.Started(id, evaluation));
            EvaluationReport report = evaluator.run(evaluation, new Evaluator.Listener() {
                @Override
                public void trajectoryDone(Evaluator.Progress p) {
                    sink.next(new EvaluationEvent.Progressed(new Evaluator.Progress(p.index(), p.total(), p.result(),
                            List.of(), p.scores(), p.baseline())));
                }

                @Override
                public boolean cancelled() {
                    return cancelled.get() || sink.isCancelled();
                }
            });
            onReport.accept(report);
            sink.next(new EvaluationEvent.Reported(report));
        } catch (GenerationCancelledException e) {
            log.info("evaluation {} of {} cancelled: {}", id, evaluation.model(), e.getMessage());
            if (!cancelled.get() && !sink.isCancelled()) { // interrupted by shutdown, the client is still there
                sink.next(new EvaluationEvent.Failed("urn:arvdm:shutdown", "Service shutting down", 503,
                        "the service stopped before the evaluation finished"));
            }
        } catch (GenerationDeadlineException e) {
            sink.next(new EvaluationEvent.Failed("urn:arvdm:evaluation-timeout", "Evaluation time limit exceeded",
                    504, e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            sink.next(new EvaluationEvent.Failed("urn:arvdm:shutdown", "Service shutting down", 503,
                    "the service stopped before the evaluation finished"));
        } catch (RuntimeException | Error e) {
            log.error("evaluation {} of {} failed", id, evaluation.model(), e);
            sink.next(new EvaluationEvent.Failed("urn:arvdm:inference-error", "Evaluation failed", 500,
                    e.getClass().getSimpleName() + ": " + e.getMessage()));
        } finally {
            ticket.close();
            sink.complete();
        }
    }

    /** Stops admitting, lets running evaluations finish within {@code grace}, then interrupts them. */
    public void shutdown(Duration grace) {
        admission.shutDown();
        workers.shutdown(grace);
    }
}
