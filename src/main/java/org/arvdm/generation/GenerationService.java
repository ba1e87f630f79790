package org.arvdm.generation;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;

import io.micrometer.core.instrument.LongTaskTimer;
import org.arvdm.metrics.ArvdmMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;

/**
 * Runs generations on a dedicated, bounded pool of worker threads (never on the event loop)
 * and exposes each as a cold {@link Flux} of {@link GenerationEvent}s. Cancelling the Flux
 * (a client that disconnects) stops the loop before its next network call and frees its
 * worker; a generation that never started gives its place back at once.
 * <p>
 * Owns its worker threads: {@link #shutdown(Duration)} lets running generations finish for
 * the grace period, then interrupts them.
 */
public final class GenerationService {
    private static final Logger log = LoggerFactory.getLogger(GenerationService.class);

    /** Encodes one frame (C·H·W floats in [-1, 1]) for the client, on the worker thread. */
    @FunctionalInterface
    public interface FrameEncoder {
        String encode(float[] frame);
    }

    private final ArGenerator generator = new ArGenerator();
    private final WorkerPool workers;
    private final ArvdmMetrics metrics;
    private final Admission admission;

    public GenerationService(int workerCount, Admission admission, ArvdmMetrics metrics) {
        this.workers = new WorkerPool("arvdm-worker-", workerCount);
        this.admission = admission;
        this.metrics = metrics;
    }

    public Admission admission() {
        return admission;
    }

    /**
     * The generation as a stream: {@code Started}, then {@code Frame}s (and {@code Preview}s),
     * then {@code Done} or {@code Failed}. Takes ownership of {@code ticket}.
     */
    public Flux<GenerationEvent> generate(String model, GenerationPlan plan, ActionSource actions, CallGateway gateway,
                                          Admission.Ticket ticket, FrameEncoder frameEncoder,
                                          FrameEncoder previewEncoder) {
        String id = UUID.randomUUID().toString();
        return Flux.create(sink -> {
            AtomicBoolean cancelled = new AtomicBoolean();
            // Whoever claims first decides: the worker runs the generation, or the cancel gives the place
            // back. (Future.cancel(false) also succeeds on a running task, so it cannot tell the two apart.)
            AtomicBoolean claimed = new AtomicBoolean();
            Future<?> task = workers.submit(() -> {
                if (claimed.compareAndSet(false, true)) {
                    run(id, model, plan, actions, gateway, ticket, frameEncoder, previewEncoder, sink, cancelled);
                }
            });
            sink.onDispose(() -> {
                cancelled.set(true);
                if (claimed.compareAndSet(false, true)) {
                    task.cancel(false);
                    ticket.close();
                    log.debug("generation {} cancelled before it started", id);
                }
            });
        }, FluxSink.OverflowStrategy.BUFFER);
    }

    private void run(String id, String model, GenerationPlan plan, ActionSource actions, CallGateway gateway,
                     Admission.Ticket ticket, FrameEncoder frameEncoder, FrameEncoder previewEncoder,
                     FluxSink<GenerationEvent> sink, AtomicBoolean cancelled) {
        ticket.started();
        LongTaskTimer.Sample active = metrics.generationStarted(model);
        try {
            sink.next(new GenerationEvent.Started(id, plan.seed()));
            GenerationListener listener = new GenerationListener() {
                @Override
                public void frame(int index, float[] frame, int arStep, long elapsedNanos) {
                    sink.next(new GenerationEvent.Frame(index, frameEncoder.encode(frame), arStep, elapsedNanos / 1e6));
                }

                @Override
                public void preview(int arStep, int iteration, List<PreviewFrame> frames) {
                    sink.next(new GenerationEvent.Preview(arStep, iteration, frames.stream()
                            .map(f -> new GenerationEvent.PreviewImage(f.index(), f.level(),
                                    previewEncoder.encode(f.x0())))
                            .toList()));
                }

                @Override
                public boolean cancelled() {
                    return cancelled.get() || sink.isCancelled();
                }
            };
            GenerationStats stats = generator.run(plan, actions, gateway, listener, metrics.observer(model));
            sink.next(new GenerationEvent.Done(stats));
        } catch (GenerationCancelledException e) {
            log.info("generation {} on {} cancelled: {}", id, model, e.getMessage());
        } catch (GenerationDeadlineException e) {
            sink.next(new GenerationEvent.Failed("urn:arvdm:generation-timeout", "Generation time limit exceeded", 504,
                    e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            sink.next(new GenerationEvent.Failed("urn:arvdm:shutdown", "Service shutting down", 503,
                    "the service stopped before the generation finished"));
        } catch (RuntimeException | Error e) {
            log.error("generation {} on {} failed", id, model, e);
            sink.next(new GenerationEvent.Failed("urn:arvdm:inference-error", "Inference failed", 500,
                    e.getClass().getSimpleName() + ": " + e.getMessage()));
        } finally {
            active.stop();
            ticket.close();
            sink.complete();
        }
    }

    /** Stops admitting, lets running generations finish within {@code grace}, then interrupts them. */
    public void shutdown(Duration grace) {
        admission.shutDown();
        workers.shutdown(grace);
    }
}
