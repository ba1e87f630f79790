package org.arvdm.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.LongTaskTimer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import java.util.function.ToIntFunction;
import org.arvdm.diagnostics.EvaluationReport;
import org.arvdm.diagnostics.Scoring;
import org.arvdm.generation.EngineObserver;
import org.arvdm.session.Session;
import org.arvdm.session.SessionObserver;

/**
 * Every meter the service publishes, in one place (names in docs/metrics.md), as a Micrometer
 * {@link MeterBinder}: Spring Boot binds it to the service's registry once, at start. The engine
 * and the sessions reach it only through their ports, {@link EngineObserver} (one per generation
 * or session, from {@link #forModel}) and {@link SessionObserver}.
 * <p>
 * When each meter appears, so that /actuator/prometheus shows it before any traffic:
 * <ul>
 *   <li>at {@link #bindTo}: the sessions' meters, every mode and close reason;
 *   <li>when a model is registered ({@link #registerModel}, as its bundle loads; a model loaded
 *       before the binding is registered at it): all of that model's meters, step latency for
 *       every phase and every batch bucket up to the configured batch size, batch size for every
 *       network, calls, frames, first frame, active generations, queues, memory gauges (and
 *       {@link #registerNativeArrays}' gauge);
 *   <li>on a model's first evaluation report on a set ({@link #evaluationReported}): that set's
 *       "last evaluation" gauges, whose interval, bucket and action tags come from the report.
 * </ul>
 * Every meter has a description. Base units are set where the Prometheus name carries them:
 * seconds on the timers (the registry's time unit), bytes, dB; the other units in docs/metrics.md
 * (calls, frames, samples, sessions) are not, as a base unit would become a suffix of the name.
 * Tags stay bounded: model, phase, network, batch bucket, unit, mode, close reason, set,
 * interval, bucket, action; never a generation or session id or a seed.
 */
public final class ArvdmMetrics implements MeterBinder, EngineObserver.Factory, SessionObserver {
    /** The batch tags of {@code arvdm.step.latency} a call of at most {@code maxBatchSize} samples can get. */
    private final List<String> batchBuckets;

    private volatile MeterRegistry registry;
    /** Registrations that came before {@link #bindTo}; guarded by {@code this}. */
    private final List<Consumer<MeterRegistry>> pending = new ArrayList<>();

    private final Map<String, ModelMeters> models = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> evaluationValues = new ConcurrentHashMap<>();

    private volatile ToIntFunction<String> openSessions = mode -> 0;
    private volatile LongSupplier sessionBytes = () -> 0;
    private final Map<String, Counter> sessionsCreated = new ConcurrentHashMap<>();
    private final Map<String, Counter> sessionsClosed = new ConcurrentHashMap<>();
    private final Map<String, Timer> actionLatency = new ConcurrentHashMap<>();
    private volatile Counter lateFrames;

    /**
     * @param maxBatchSize the most samples one network call batches ({@code arvdm.batching.max-batch-size}):
     *     step latency is registered for the batch buckets up to it, the ones a call can reach
     */
    public ArvdmMetrics(int maxBatchSize) {
        Set<String> buckets = new LinkedHashSet<>();
        for (int size = 1; size <= Math.max(1, maxBatchSize); size++) {
            buckets.add(batchBucket(size));
        }
        this.batchBuckets = List.copyOf(buckets);
    }

    /**
     * Registers the sessions' meters, then the models registered so far. Bound once, to one
     * registry (Spring Boot binds to its composite where there are several).
     */
    @Override
    public synchronized void bindTo(MeterRegistry registry) {
        if (this.registry != null) {
            throw new IllegalStateException("ArvdmMetrics is already bound to a registry");
        }
        this.registry = registry;
        for (Session.Mode mode : Session.Mode.values()) {
            String label = mode.label();
            Gauge.builder("arvdm.sessions.open", () -> openSessions.applyAsInt(label))
                    .tag("mode", label)
                    .description("Sessions open now")
                    .register(registry);
            sessionCreatedCounter(label);
            actionLatencyTimer(label);
            for (String reason : CLOSE_REASONS) {
                sessionClosedCounter(label, reason);
            }
        }
        Gauge.builder("arvdm.sessions.bytes", () -> sessionBytes.getAsLong())
                .baseUnit("bytes")
                .description("Heap bytes held by open sessions (state, replay buffers, recordings)")
                .register(registry);
        lateFrames = Counter.builder("arvdm.sessions.late_frames")
                .description("Realtime frames emitted after the end of their pacing slot")
                .register(registry);
        pending.forEach(p -> p.accept(registry));
        pending.clear();
    }

    /** Runs {@code registration} now if bound, else at {@link #bindTo}. */
    private synchronized void whenBound(Consumer<MeterRegistry> registration) {
        if (registry == null) {
            pending.add(registration);
        } else {
            registration.accept(registry);
        }
    }

    private MeterRegistry bound() {
        MeterRegistry r = registry;
        if (r == null) {
            throw notBound();
        }
        return r;
    }

    private static IllegalStateException notBound() {
        return new IllegalStateException("ArvdmMetrics is used before it is bound to a MeterRegistry");
    }

    /**
     * Registers a model's meters (see the class comment) and its gauges: memory budget (w_m frames
     * or k tokens), used slots, bytes, queues.
     */
    public void registerModel(String model, int memoryBudget, String memoryUnit) {
        whenBound(r -> {
            meters(model);
            Gauge.builder("arvdm.memory.budget", () -> memoryBudget)
                    .tag("model", model)
                    .tag("unit", memoryUnit)
                    .description("Configured memory budget of the model: w_m frames or k tokens")
                    .register(r);
        });
    }

    /**
     * The model's live native (PyTorch) arrays: its parameters between calls, so a value that grows
     * under load is a leak (docs/reliability.md watches it over a soak).
     */
    public void registerNativeArrays(String model, IntSupplier liveArrays) {
        whenBound(r -> Gauge.builder("arvdm.native.arrays", liveArrays::getAsInt)
                .tag("model", model)
                .description("Live native arrays under the model's managers")
                .register(r));
    }

    private ModelMeters meters(String model) {
        ModelMeters m = models.get(model);
        return m != null ? m : models.computeIfAbsent(model, id -> new ModelMeters(bound(), id, batchBuckets));
    }

    /** Generations of {@code model} admitted and waiting for a worker (the admission's count). */
    public AtomicInteger queue(String model) {
        return meters(model).queued;
    }

    /** Evaluations of {@code model} admitted and waiting for an evaluation worker. */
    public AtomicInteger evaluationQueue(String model) {
        return meters(model).evaluationsQueued;
    }

    /** Batch size of one network call and how long its samples waited to be batched. */
    public void batched(String model, String network, int size, long waitNanos) {
        ModelMeters m = meters(model);
        m.batchSize(network).record(size);
        m.batchWait.record(waitNanos, TimeUnit.NANOSECONDS);
    }

    /** A new observer for one generation or session of {@code model}: its meters, and the active-generation timer. */
    @Override
    public EngineObserver forModel(String model) {
        ModelMeters m = meters(model);
        return new EngineObserver() {
            private LongTaskTimer.Sample active;

            @Override
            public void generationStarted() {
                active = m.active.start();
            }

            @Override
            public void generationEnded() {
                if (active != null) {
                    active.stop();
                    active = null;
                }
            }

            @Override
            public void iteration(String phase, long nanos, int batchSize) {
                m.stepLatency(phase, batchBucket(batchSize)).record(nanos, TimeUnit.NANOSECONDS);
            }

            @Override
            public void networkCall(String network) {
                (network.equals("denoiser") ? m.denoiserCalls : m.encoderCalls).increment();
            }

            @Override
            public void frameEmitted() {
                m.frames.increment();
            }

            @Override
            public void firstFrame(long nanos) {
                m.firstFrame.record(nanos, TimeUnit.NANOSECONDS);
            }

            @Override
            public void memoryChanged(int usedDelta, long bytesDelta) {
                m.memoryUsed.addAndGet(usedDelta);
                m.memoryBytes.addAndGet(bytesDelta);
            }
        };
    }

    // ---- sessions (SessionObserver) --------------------------------------------------------

    /** The {@code arvdm.sessions.open} and {@code arvdm.sessions.bytes} gauges read these. */
    @Override
    public void watch(ToIntFunction<String> openByMode, LongSupplier bytesHeld) {
        this.openSessions = openByMode;
        this.sessionBytes = bytesHeld;
    }

    @Override
    public void sessionCreated(String mode) {
        sessionCreatedCounter(mode).increment();
    }

    @Override
    public void sessionClosed(String mode, String reason) {
        sessionClosedCounter(mode, reason).increment();
    }

    @Override
    public void actionToFrame(String mode, double ms) {
        actionLatencyTimer(mode).record((long) (ms * 1e6), TimeUnit.NANOSECONDS);
    }

    @Override
    public void lateFrame() {
        Counter c = lateFrames;
        if (c == null) {
            throw notBound();
        }
        c.increment();
    }

    private Counter sessionCreatedCounter(String mode) {
        return sessionsCreated.computeIfAbsent(
                mode,
                k -> Counter.builder("arvdm.sessions.created")
                        .tag("mode", mode)
                        .description("Sessions created")
                        .register(bound()));
    }

    private Counter sessionClosedCounter(String mode, String reason) {
        return sessionsClosed.computeIfAbsent(
                mode + "|" + reason,
                k -> Counter.builder("arvdm.sessions.closed")
                        .tag("mode", mode)
                        .tag("reason", reason)
                        .description("Sessions ended, by reason (deleted, expired, shutdown, error)")
                        .register(bound()));
    }

    private Timer actionLatencyTimer(String mode) {
        return actionLatency.computeIfAbsent(
                mode,
                k -> Timer.builder("arvdm.sessions.action_latency")
                        .tag("mode", mode)
                        .description("Time from an action's arrival to the frame it leads to")
                        .publishPercentileHistogram()
                        .register(bound()));
    }

    // ---- evaluations -----------------------------------------------------------------------

    /**
     * The headline numbers of a model's last evaluation on a set, as gauges tagged model and
     * set (a bundled set's name, or {@code uploaded}); NaN where the evaluation had no frames.
     */
    public void evaluationReported(EvaluationReport r) {
        Scoring.Scores s = r.scores();
        for (Scoring.IntervalScore i : s.intervals()) {
            evaluationGauge(
                    "arvdm.evaluation.psnr",
                    r,
                    "interval",
                    i.interval(),
                    i.psnrMean(),
                    "Mean PSNR of generated frames in the interval, last evaluation",
                    "dB");
            evaluationGauge(
                    "arvdm.evaluation.ssim",
                    r,
                    "interval",
                    i.interval(),
                    i.ssimMean(),
                    "Mean SSIM of generated frames in the interval, last evaluation",
                    null);
        }
        for (Scoring.BucketScore b : s.buckets()) {
            evaluationGauge(
                    "arvdm.evaluation.retrieval_rate",
                    r,
                    "bucket",
                    b.bucket(),
                    b.retrievalRate(),
                    "Share of revisit frames with SSIM over the threshold, per frames-since-seen bucket",
                    null);
            evaluationGauge(
                    "arvdm.evaluation.retrieval_ssim",
                    r,
                    "bucket",
                    b.bucket(),
                    b.ssimMean(),
                    "Mean SSIM of revisit frames, per frames-since-seen bucket",
                    null);
        }
        evaluationGauge(
                "arvdm.evaluation.max_psnr_decay",
                r,
                null,
                null,
                s.maxPsnrDecay(),
                "First interval's mean PSNR minus the lowest later interval's, last evaluation",
                "dB");
        evaluationGauge(
                "arvdm.evaluation.mean_retrieval_rate",
                r,
                null,
                null,
                s.meanRetrievalRate(),
                "Mean of the buckets' retrieval rates, last evaluation",
                null);
        var c = r.controllability();
        if (c != null) {
            c.hits()
                    .forEach((action, v) -> evaluationGauge(
                            "arvdm.evaluation.controllability",
                            r,
                            "action",
                            action,
                            v,
                            "Share of states where the frame made for the action is nearest the true frame for it",
                            null));
            c.change()
                    .forEach((action, v) -> evaluationGauge(
                            "arvdm.evaluation.change_ratio",
                            r,
                            "action",
                            action,
                            v.ratio(),
                            "Mean frame change after the action, generated over true, free running",
                            null));
            evaluationGauge(
                    "arvdm.evaluation.sharpness_ratio",
                    r,
                    null,
                    null,
                    c.sharpness(),
                    "Image gradient energy of generated over true frames, first 16 frames",
                    null);
        }
    }

    private void evaluationGauge(
            String name,
            EvaluationReport r,
            String tag,
            String tagValue,
            Double value,
            String description,
            String unit) {
        String key = name + "|" + r.model() + "|" + r.set() + "|" + tagValue;
        AtomicLong bits = evaluationValues.computeIfAbsent(key, k -> {
            AtomicLong holder = new AtomicLong(Double.doubleToLongBits(Double.NaN));
            Gauge.Builder<AtomicLong> b = Gauge.builder(name, holder, h -> Double.longBitsToDouble(h.get()))
                    .tag("model", r.model())
                    .tag("set", r.set())
                    .description(description);
            if (tag != null) {
                b.tag(tag, tagValue);
            }
            if (unit != null) {
                b.baseUnit(unit);
            }
            b.register(bound());
            return holder;
        });
        bits.set(Double.doubleToLongBits(value == null ? Double.NaN : value));
    }

    static String batchBucket(int size) {
        if (size <= 2) {
            return Integer.toString(Math.max(size, 1));
        }
        if (size <= 4) {
            return "3-4";
        }
        return size <= 8 ? "5-8" : "9+";
    }

    /** One model's meters, all registered when it is first named; hot-path lookups hit these maps. */
    private static final class ModelMeters {
        final MeterRegistry registry;
        final String model;
        final AtomicLong memoryUsed = new AtomicLong();
        final AtomicLong memoryBytes = new AtomicLong();
        final AtomicInteger queued = new AtomicInteger();
        final AtomicInteger evaluationsQueued = new AtomicInteger();
        /** Meters with a bounded second tag, keyed phase/batch and network. */
        final Map<String, Timer> stepLatency = new ConcurrentHashMap<>();

        final Map<String, DistributionSummary> batchSizes = new ConcurrentHashMap<>();
        final Counter denoiserCalls;
        final Counter encoderCalls;
        final Counter frames;
        final Timer firstFrame;
        final Timer batchWait;
        final LongTaskTimer active;

        ModelMeters(MeterRegistry registry, String model, List<String> batchBuckets) {
            this.registry = registry;
            this.model = model;
            for (String phase : EngineObserver.PHASES) {
                for (String bucket : batchBuckets) {
                    stepLatency(phase, bucket);
                }
            }
            for (String network : EngineObserver.NETWORKS) {
                batchSize(network);
            }
            denoiserCalls = Counter.builder("arvdm.network.calls")
                    .tag("model", model)
                    .tag("network", "denoiser")
                    .description("Network calls made")
                    .register(registry);
            encoderCalls = Counter.builder("arvdm.network.calls")
                    .tag("model", model)
                    .tag("network", "memory_encoder")
                    .description("Network calls made")
                    .register(registry);
            frames = Counter.builder("arvdm.frames.generated")
                    .tag("model", model)
                    .description("Frames emitted to clients")
                    .register(registry);
            firstFrame = Timer.builder("arvdm.generation.first_frame")
                    .tag("model", model)
                    .description("Time from a generation's start to its first frame")
                    .publishPercentileHistogram()
                    .register(registry);
            batchWait = Timer.builder("arvdm.batch.wait")
                    .tag("model", model)
                    .description("Time a network call waited to be batched")
                    .publishPercentileHistogram()
                    .register(registry);
            active = LongTaskTimer.builder("arvdm.generation.active")
                    .tag("model", model)
                    .description("Generations running now")
                    .register(registry);
            Gauge.builder("arvdm.memory.used", memoryUsed, AtomicLong::get)
                    .tag("model", model)
                    .description("Memory slots filled, summed over live generations")
                    .register(registry);
            Gauge.builder("arvdm.memory.bytes", memoryBytes, AtomicLong::get)
                    .tag("model", model)
                    .baseUnit("bytes")
                    .description("Bytes held by live generations' memory tensors")
                    .register(registry);
            Gauge.builder("arvdm.generation.queue", queued, AtomicInteger::get)
                    .tag("model", model)
                    .description("Generations admitted and waiting for a worker")
                    .register(registry);
            Gauge.builder("arvdm.evaluation.queue", evaluationsQueued, AtomicInteger::get)
                    .tag("model", model)
                    .description("Evaluations admitted and waiting for an evaluation worker")
                    .register(registry);
        }

        Timer stepLatency(String phase, String bucket) {
            return stepLatency.computeIfAbsent(
                    phase + "/" + bucket,
                    k -> Timer.builder("arvdm.step.latency")
                            .tag("model", model)
                            .tag("phase", phase)
                            .tag("batch", bucket)
                            .description("Wall time of one denoising iteration (one denoiser call and its DDIM update)")
                            .publishPercentileHistogram()
                            .register(registry));
        }

        DistributionSummary batchSize(String network) {
            return batchSizes.computeIfAbsent(
                    network,
                    n -> DistributionSummary.builder("arvdm.batch.size")
                            .tag("model", model)
                            .tag("network", n)
                            .description("Samples per network call")
                            .serviceLevelObjectives(1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64)
                            .register(registry));
        }
    }
}
