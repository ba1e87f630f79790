package org.arvdm.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.LongTaskTimer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.arvdm.diagnostics.EvaluationReport;
import org.arvdm.diagnostics.Scoring;
import org.arvdm.generation.EngineObserver;

/**
 * Every meter the service publishes, in one place (names in docs/metrics.md). Tags stay
 * bounded: model, phase, network, batch bucket, unit; never a generation id or a seed.
 */
public final class ArvdmMetrics {
    private final MeterRegistry registry;
    private final Map<String, ModelMeters> models = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> evaluationValues = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> evaluationQueues = new ConcurrentHashMap<>();

    public ArvdmMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** Registers a model's gauges: memory budget (w_m frames or k tokens), used slots, bytes, queue. */
    public void registerModel(String model, int memoryBudget, String memoryUnit) {
        ModelMeters m = meters(model);
        Gauge.builder("arvdm.memory.budget", () -> memoryBudget)
                .tag("model", model)
                .tag("unit", memoryUnit)
                .description("Configured memory budget of the model: w_m frames or k tokens")
                .register(registry);
        Gauge.builder("arvdm.memory.used", m.memoryUsed, AtomicLong::get)
                .tag("model", model)
                .description("Memory slots filled, summed over live generations")
                .register(registry);
        Gauge.builder("arvdm.memory.bytes", m.memoryBytes, AtomicLong::get)
                .tag("model", model)
                .baseUnit("bytes")
                .description("Bytes held by live generations' memory tensors")
                .register(registry);
        Gauge.builder("arvdm.generation.queue", m.queued, AtomicInteger::get)
                .tag("model", model)
                .description("Generations admitted and waiting for a worker")
                .register(registry);
    }

    /**
     * The model's live native (PyTorch) arrays: its parameters between calls, so a value that grows
     * under load is a leak (docs/reliability.md watches it over a soak).
     */
    public void registerNativeArrays(String model, java.util.function.IntSupplier liveArrays) {
        Gauge.builder("arvdm.native.arrays", liveArrays::getAsInt)
                .tag("model", model)
                .description("Live native arrays under the model's managers")
                .register(registry);
    }

    private ModelMeters meters(String model) {
        return models.computeIfAbsent(model, ModelMeters::new);
    }

    public AtomicInteger queue(String model) {
        return meters(model).queued;
    }

    /** Batch size of one network call and how long its samples waited to be batched. */
    public void batched(String model, String network, int size, long waitNanos) {
        ModelMeters m = meters(model);
        m.batchSizes
                .computeIfAbsent(
                        network,
                        n -> DistributionSummary.builder("arvdm.batch.size")
                                .tag("model", model)
                                .tag("network", n)
                                .description("Samples per network call")
                                .serviceLevelObjectives(1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64)
                                .register(registry))
                .record(size);
        m.batchWait.record(waitNanos, TimeUnit.NANOSECONDS);
    }

    /** A new observer for one generation or session of {@code model}: its meters, and the active-generation timer. */
    public EngineObserver observer(String model) {
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
                String bucket = batchBucket(batchSize);
                m.stepLatency
                        .computeIfAbsent(
                                phase + "/" + bucket,
                                k -> Timer.builder("arvdm.step.latency")
                                        .tag("model", model)
                                        .tag("phase", phase)
                                        .tag("batch", bucket)
                                        .description(
                                                "Wall time of one denoising iteration (one denoiser call and its DDIM update)")
                                        .publishPercentileHistogram()
                                        .register(registry))
                        .record(nanos, TimeUnit.NANOSECONDS);
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

    /**
     * The sessions' meters: open sessions by mode, bytes they hold, created/closed counters
     * (closed by reason: deleted, expired, shutdown, error), action-to-frame latency by mode,
     * realtime frames later than their pacing slot. Tags: mode and reason only (never an id).
     */
    public void registerSessions(
            java.util.function.ToIntFunction<String> openByMode, java.util.function.LongSupplier bytesHeld) {
        for (String mode : java.util.List.of("realtime", "step")) {
            Gauge.builder("arvdm.sessions.open", () -> openByMode.applyAsInt(mode))
                    .tag("mode", mode)
                    .description("Sessions open now")
                    .register(registry);
        }
        Gauge.builder("arvdm.sessions.bytes", bytesHeld::getAsLong)
                .baseUnit("bytes")
                .description("Heap bytes held by open sessions (state, replay buffers, recordings)")
                .register(registry);
    }

    public void sessionCreated(String mode) {
        Counter.builder("arvdm.sessions.created")
                .tag("mode", mode)
                .description("Sessions created")
                .register(registry)
                .increment();
    }

    public void sessionClosed(String mode, String reason) {
        Counter.builder("arvdm.sessions.closed")
                .tag("mode", mode)
                .tag("reason", reason)
                .description("Sessions ended, by reason (deleted, expired, shutdown, error)")
                .register(registry)
                .increment();
    }

    public void actionToFrame(String mode, double ms) {
        Timer.builder("arvdm.sessions.action_latency")
                .tag("mode", mode)
                .description("Time from an action's arrival to the frame it leads to")
                .publishPercentileHistogram()
                .register(registry)
                .record((long) (ms * 1e6), TimeUnit.NANOSECONDS);
    }

    public void lateFrame() {
        Counter.builder("arvdm.sessions.late_frames")
                .description("Realtime frames emitted after the end of their pacing slot")
                .register(registry)
                .increment();
    }

    /** Evaluations of {@code model} admitted and waiting for an evaluation worker. */
    public AtomicInteger evaluationQueue(String model) {
        return evaluationQueues.computeIfAbsent(model, k -> {
            AtomicInteger q = new AtomicInteger();
            Gauge.builder("arvdm.evaluation.queue", q, AtomicInteger::get)
                    .tag("model", model)
                    .description("Evaluations admitted and waiting for an evaluation worker")
                    .register(registry);
            return q;
        });
    }

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
            b.register(registry);
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

    private final class ModelMeters {
        final AtomicLong memoryUsed = new AtomicLong();
        final AtomicLong memoryBytes = new AtomicLong();
        final AtomicInteger queued = new AtomicInteger();
        /** Meters with a bounded second tag, created on first use and reused on the hot path. */
        final Map<String, Timer> stepLatency = new ConcurrentHashMap<>();

        final Map<String, DistributionSummary> batchSizes = new ConcurrentHashMap<>();
        final Counter denoiserCalls;
        final Counter encoderCalls;
        final Counter frames;
        final Timer firstFrame;
        final Timer batchWait;
        final LongTaskTimer active;

        ModelMeters(String model) {
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
        }
    }
}
