package org.arvdm.metrics;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.LongTaskTimer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.arvdm.generation.EngineObserver;

/**
 * Every meter the service publishes, in one place (names in docs/metrics.md). Tags stay
 * bounded: model, phase, network, batch bucket, unit; never a generation id or a seed.
 */
public final class ArvdmMetrics {
    private final MeterRegistry registry;
    private final Map<String, ModelMeters> models = new ConcurrentHashMap<>();

    public ArvdmMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** Registers a model's gauges: memory budget (w_m frames or k tokens), used slots, bytes, queue. */
    public void registerModel(String model, int memoryBudget, String memoryUnit) {
        ModelMeters m = meters(model);
        Gauge.builder("arvdm.memory.budget", () -> memoryBudget).tag("model", model).tag("unit", memoryUnit)
                .description("Configured memory budget of the model: w_m frames or k tokens").register(registry);
        Gauge.builder("arvdm.memory.used", m.memoryUsed, AtomicLong::get).tag("model", model)
                .description("Memory slots filled, summed over live generations").register(registry);
        Gauge.builder("arvdm.memory.bytes", m.memoryBytes, AtomicLong::get).tag("model", model).baseUnit("bytes")
                .description("Bytes held by live generations' memory tensors").register(registry);
        Gauge.builder("arvdm.generation.queue", m.queued, AtomicInteger::get).tag("model", model)
                .description("Generations admitted and waiting for a worker").register(registry);
    }

    private ModelMeters meters(String model) {
        return models.computeIfAbsent(model, ModelMeters::new);
    }

    public AtomicInteger queue(String model) {
        return meters(model).queued;
    }

    /** Starts the active-generation long task timer; stop the returned sample when the generation ends. */
    public LongTaskTimer.Sample generationStarted(String model) {
        return meters(model).active.start();
    }

    /** Batch size of one network call and how long its samples waited to be batched. */
    public void batched(String model, String network, int size, long waitNanos) {
        ModelMeters m = meters(model);
        DistributionSummary.builder("arvdm.batch.size").tag("model", model).tag("network", network)
                .description("Samples per network call")
                .serviceLevelObjectives(1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64).register(registry)
                .record(size);
        m.batchWait.record(waitNanos, TimeUnit.NANOSECONDS);
    }

    public EngineObserver observer(String model) {
        ModelMeters m = meters(model);
        return new EngineObserver() {
            @Override
            public void iteration(String phase, long nanos, int batchSize) {
                Timer.builder("arvdm.step.latency").tag("model", model).tag("phase", phase)
                        .tag("batch", batchBucket(batchSize))
                        .description("Wall time of one denoising iteration (one denoiser call and its DDIM update)")
                        .publishPercentileHistogram().register(registry).record(nanos, TimeUnit.NANOSECONDS);
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
        final Counter denoiserCalls;
        final Counter encoderCalls;
        final Counter frames;
        final Timer firstFrame;
        final Timer batchWait;
        final LongTaskTimer active;

        ModelMeters(String model) {
            denoiserCalls = Counter.builder("arvdm.network.calls").tag("model", model).tag("network", "denoiser")
                    .description("Network calls made").register(registry);
            encoderCalls = Counter.builder("arvdm.network.calls").tag("model", model)
                    .tag("network", "memory_encoder").description("Network calls made").register(registry);
            frames = Counter.builder("arvdm.frames.generated").tag("model", model)
                    .description("Frames emitted to clients").register(registry);
            firstFrame = Timer.builder("arvdm.generation.first_frame").tag("model", model)
                    .description("Time from a generation's start to its first frame").publishPercentileHistogram()
                    .register(registry);
            batchWait = Timer.builder("arvdm.batch.wait").tag("model", model)
                    .description("Time a network call waited to be batched").publishPercentileHistogram()
                    .register(registry);
            active = LongTaskTimer.builder("arvdm.generation.active").tag("model", model)
                    .description("Generations running now").register(registry);
        }
    }
}
