package org.arvdm.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.LongTaskTimer;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.arvdm.diagnostics.EvaluationReport;
import org.arvdm.diagnostics.Scoring;
import org.arvdm.generation.EngineObserver;
import org.junit.jupiter.api.Test;

/**
 * {@link ArvdmMetrics} on a {@link SimpleMeterRegistry}: which meters exist right after binding,
 * with which descriptions and units, and which meters the observer callbacks move.
 */
class ArvdmMetricsTest {
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    /** Batches of up to 16 samples: every batch bucket is reachable. */
    final ArvdmMetrics metrics = new ArvdmMetrics(16);

    /** Every meter present once the binder is bound and a model registered, and its base unit (null: none). */
    static final Map<String, String> UNITS = new HashMap<>();

    static {
        for (String timer : List.of(
                "arvdm.step.latency",
                "arvdm.generation.first_frame",
                "arvdm.generation.active",
                "arvdm.batch.wait",
                "arvdm.sessions.action_latency")) {
            UNITS.put(timer, "seconds");
        }
        UNITS.put("arvdm.memory.bytes", "bytes");
        UNITS.put("arvdm.sessions.bytes", "bytes");
        for (String plain : List.of(
                "arvdm.network.calls",
                "arvdm.frames.generated",
                "arvdm.generation.queue",
                "arvdm.memory.budget",
                "arvdm.memory.used",
                "arvdm.batch.size",
                "arvdm.native.arrays",
                "arvdm.evaluation.queue",
                "arvdm.sessions.open",
                "arvdm.sessions.created",
                "arvdm.sessions.closed",
                "arvdm.sessions.late_frames")) {
            UNITS.put(plain, null);
        }
    }

    /** The registry's meters, less the SimpleMeterRegistry's own {@code .histogram} gauges of SLO buckets. */
    private List<Meter> ours() {
        return registry.getMeters().stream()
                .filter(m -> !m.getId().getName().endsWith(".histogram"))
                .toList();
    }

    private Set<String> names() {
        return ours().stream().map(m -> m.getId().getName()).collect(Collectors.toCollection(TreeSet::new));
    }

    private Set<String> tagValues(String name, String tag) {
        return registry.find(name).meters().stream()
                .map(m -> m.getId().getTag(tag))
                .collect(Collectors.toCollection(TreeSet::new));
    }

    @Test
    void bindingRegistersEveryMeterWithItsDescriptionAndUnit() {
        // a model loaded before the binding is registered at it
        metrics.registerModel("m", 8, "frames");
        metrics.registerNativeArrays("m", () -> 3);
        assertThat(registry.getMeters()).isEmpty();
        metrics.bindTo(registry);

        assertThat(names()).isEqualTo(UNITS.keySet().stream().collect(Collectors.toCollection(TreeSet::new)));
        for (Meter meter : ours()) {
            Meter.Id id = meter.getId();
            assertThat(id.getDescription()).as(id.toString()).isNotBlank();
            assertThat(id.getBaseUnit()).as(id.toString()).isEqualTo(UNITS.get(id.getName()));
            if (id.getName().startsWith("arvdm.sessions")) {
                assertThat(id.getTag("model")).as(id.toString()).isNull();
            } else {
                assertThat(id.getTag("model")).as(id.toString()).isEqualTo("m");
            }
        }
        // every phase and batch bucket, every network, every mode and close reason, before any traffic
        assertThat(registry.find("arvdm.step.latency").timers()).hasSize(2 * 5);
        assertThat(tagValues("arvdm.step.latency", "phase")).containsExactlyInAnyOrder("init", "ar");
        assertThat(tagValues("arvdm.step.latency", "batch")).containsExactlyInAnyOrder("1", "2", "3-4", "5-8", "9+");
        assertThat(tagValues("arvdm.batch.size", "network")).containsExactlyInAnyOrder("denoiser", "memory_encoder");
        assertThat(tagValues("arvdm.network.calls", "network")).containsExactlyInAnyOrder("denoiser", "memory_encoder");
        assertThat(tagValues("arvdm.sessions.open", "mode")).containsExactlyInAnyOrder("realtime", "step");
        assertThat(tagValues("arvdm.sessions.created", "mode")).containsExactlyInAnyOrder("realtime", "step");
        assertThat(registry.find("arvdm.sessions.closed").counters()).hasSize(2 * 4);
        assertThat(tagValues("arvdm.sessions.closed", "reason"))
                .containsExactlyInAnyOrder("deleted", "expired", "shutdown", "error");
        assertThat(registry.get("arvdm.memory.budget")
                        .tag("unit", "frames")
                        .gauge()
                        .value())
                .isEqualTo(8.0);
        assertThat(registry.get("arvdm.native.arrays").gauge().value()).isEqualTo(3.0);
    }

    @Test
    void stepLatencyIsRegisteredForTheBatchBucketsTheBatchSizeReaches() {
        ArvdmMetrics alone = new ArvdmMetrics(1);
        alone.bindTo(registry);
        alone.registerModel("alone", 4, "frames");
        assertThat(tagValues("arvdm.step.latency", "batch")).containsExactly("1");
        SimpleMeterRegistry eight = new SimpleMeterRegistry();
        ArvdmMetrics batched = new ArvdmMetrics(8);
        batched.bindTo(eight);
        batched.registerModel("batched", 4, "frames");
        assertThat(eight.find("arvdm.step.latency").timers())
                .extracting(t -> t.getId().getTag("batch"))
                .containsOnly("1", "2", "3-4", "5-8")
                .hasSize(2 * 4);
        // a larger call than configured is still recorded, under its own bucket
        batched.forModel("batched").iteration("ar", 1000, 12);
        assertThat(eight.get("arvdm.step.latency").tag("batch", "9+").timer().count())
                .isEqualTo(1);
    }

    @Test
    void aModelRegisteredAfterTheBindingGetsItsMetersAtOnce() {
        metrics.bindTo(registry);
        assertThat(registry.find("arvdm.step.latency").timers()).isEmpty();
        metrics.registerModel("late", 4, "tokens");
        assertThat(registry.find("arvdm.step.latency").tag("model", "late").timers())
                .hasSize(10);
        assertThat(registry.get("arvdm.memory.budget")
                        .tag("model", "late")
                        .tag("unit", "tokens")
                        .gauge()
                        .value())
                .isEqualTo(4.0);
        assertThatThrownBy(() -> metrics.bindTo(new SimpleMeterRegistry())).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aGenerationStartedAndEndedMovesTheActiveTimerAndTheFirstFrameTimer() {
        metrics.bindTo(registry);
        metrics.registerModel("m", 8, "frames");
        LongTaskTimer active =
                registry.get("arvdm.generation.active").tag("model", "m").longTaskTimer();
        EngineObserver a = metrics.forModel("m");
        EngineObserver b = metrics.forModel("m");
        assertThat(active.activeTasks()).isZero();
        a.generationStarted();
        b.generationStarted();
        assertThat(active.activeTasks()).isEqualTo(2);
        a.generationEnded();
        a.generationEnded(); // only the first end after a start counts
        assertThat(active.activeTasks()).isEqualTo(1);
        b.generationEnded();
        assertThat(active.activeTasks()).isZero();

        a.firstFrame(TimeUnit.MILLISECONDS.toNanos(40));
        Timer first =
                registry.get("arvdm.generation.first_frame").tag("model", "m").timer();
        assertThat(first.count()).isEqualTo(1);
        assertThat(first.totalTime(TimeUnit.MILLISECONDS)).isCloseTo(40.0, within(1e-9));

        a.frameEmitted();
        a.frameEmitted();
        a.networkCall("denoiser");
        a.networkCall("memory_encoder");
        a.networkCall("memory_encoder");
        assertThat(registry.get("arvdm.frames.generated").counter().count()).isEqualTo(2.0);
        assertThat(registry.get("arvdm.network.calls")
                        .tag("network", "denoiser")
                        .counter()
                        .count())
                .isEqualTo(1.0);
        assertThat(registry.get("arvdm.network.calls")
                        .tag("network", "memory_encoder")
                        .counter()
                        .count())
                .isEqualTo(2.0);

        a.memoryChanged(3, 3000);
        b.memoryChanged(1, 500);
        a.memoryChanged(-3, -3000);
        assertThat(registry.get("arvdm.memory.used").gauge().value()).isEqualTo(1.0);
        assertThat(registry.get("arvdm.memory.bytes").gauge().value()).isEqualTo(500.0);

        metrics.queue("m").incrementAndGet();
        metrics.evaluationQueue("m").addAndGet(2);
        assertThat(registry.get("arvdm.generation.queue").gauge().value()).isEqualTo(1.0);
        assertThat(registry.get("arvdm.evaluation.queue").gauge().value()).isEqualTo(2.0);
    }

    @Test
    void aStepLatencyIsRecordedUnderItsPhaseAndBatchBucket() {
        metrics.bindTo(registry);
        metrics.registerModel("m", 8, "frames");
        EngineObserver o = metrics.forModel("m");
        o.iteration("ar", TimeUnit.MILLISECONDS.toNanos(7), 3);
        o.iteration("init", TimeUnit.MILLISECONDS.toNanos(2), 1);
        Timer ar = registry.get("arvdm.step.latency")
                .tag("phase", "ar")
                .tag("batch", "3-4")
                .timer();
        assertThat(ar.count()).isEqualTo(1);
        assertThat(ar.totalTime(TimeUnit.MILLISECONDS)).isCloseTo(7.0, within(1e-9));
        assertThat(registry.get("arvdm.step.latency")
                        .tag("phase", "init")
                        .tag("batch", "1")
                        .timer()
                        .count())
                .isEqualTo(1);
        long recorded = registry.find("arvdm.step.latency").timers().stream()
                .mapToLong(Timer::count)
                .sum();
        assertThat(recorded).isEqualTo(2);

        metrics.batched("m", "denoiser", 5, TimeUnit.MILLISECONDS.toNanos(3));
        DistributionSummary size =
                registry.get("arvdm.batch.size").tag("network", "denoiser").summary();
        assertThat(size.count()).isEqualTo(1);
        assertThat(size.totalAmount()).isEqualTo(5.0);
        assertThat(registry.get("arvdm.batch.wait").timer().totalTime(TimeUnit.MILLISECONDS))
                .isCloseTo(3.0, within(1e-9));
    }

    @Test
    void tagsStayBoundedWhateverTheBatchSizes() {
        metrics.bindTo(registry);
        metrics.registerModel("m", 8, "frames");
        int meters = registry.getMeters().size();
        EngineObserver o = metrics.forModel("m");
        for (int size = 0; size <= 200; size++) {
            o.iteration("ar", 1000, size);
            o.iteration("init", 1000, size);
            metrics.batched("m", "denoiser", size, 1000);
        }
        assertThat(registry.getMeters()).hasSize(meters);
        assertThat(tagValues("arvdm.step.latency", "batch")).containsExactlyInAnyOrder("1", "2", "3-4", "5-8", "9+");
        assertThat(ArvdmMetrics.batchBucket(0)).isEqualTo("1");
        assertThat(ArvdmMetrics.batchBucket(1)).isEqualTo("1");
        assertThat(ArvdmMetrics.batchBucket(2)).isEqualTo("2");
        assertThat(ArvdmMetrics.batchBucket(3)).isEqualTo("3-4");
        assertThat(ArvdmMetrics.batchBucket(4)).isEqualTo("3-4");
        assertThat(ArvdmMetrics.batchBucket(5)).isEqualTo("5-8");
        assertThat(ArvdmMetrics.batchBucket(8)).isEqualTo("5-8");
        assertThat(ArvdmMetrics.batchBucket(9)).isEqualTo("9+");
        assertThat(ArvdmMetrics.batchBucket(64)).isEqualTo("9+");
        assertThat(registry.get("arvdm.step.latency")
                        .tag("phase", "ar")
                        .tag("batch", "9+")
                        .timer()
                        .count())
                .isEqualTo(192);
    }

    @Test
    void sessionCallbacksMoveTheSessionMeters() {
        metrics.watch(mode -> mode.equals("step") ? 2 : 0, () -> 1234);
        metrics.bindTo(registry);
        int meters = registry.getMeters().size();
        assertThat(registry.get("arvdm.sessions.open")
                        .tag("mode", "step")
                        .gauge()
                        .value())
                .isEqualTo(2.0);
        assertThat(registry.get("arvdm.sessions.open")
                        .tag("mode", "realtime")
                        .gauge()
                        .value())
                .isZero();
        assertThat(registry.get("arvdm.sessions.bytes").gauge().value()).isEqualTo(1234.0);

        metrics.sessionCreated("step");
        metrics.sessionCreated("step");
        metrics.sessionClosed("step", "expired");
        metrics.actionToFrame("realtime", 12.5);
        metrics.lateFrame();

        assertThat(registry.get("arvdm.sessions.created")
                        .tag("mode", "step")
                        .counter()
                        .count())
                .isEqualTo(2.0);
        assertThat(registry.get("arvdm.sessions.created")
                        .tag("mode", "realtime")
                        .counter()
                        .count())
                .isZero();
        double closed = registry.find("arvdm.sessions.closed").counters().stream()
                .mapToDouble(c -> c.count())
                .sum();
        assertThat(closed).isEqualTo(1.0);
        assertThat(registry.get("arvdm.sessions.closed")
                        .tag("mode", "step")
                        .tag("reason", "expired")
                        .counter()
                        .count())
                .isEqualTo(1.0);
        Timer latency = registry.get("arvdm.sessions.action_latency")
                .tag("mode", "realtime")
                .timer();
        assertThat(latency.count()).isEqualTo(1);
        assertThat(latency.totalTime(TimeUnit.MILLISECONDS)).isCloseTo(12.5, within(1e-6));
        assertThat(registry.get("arvdm.sessions.late_frames").counter().count()).isEqualTo(1.0);
        // the callbacks reused the meters registered at bind
        assertThat(registry.getMeters()).hasSize(meters);
        assertThat(names()).noneMatch(n -> n.startsWith("arvdm.sessions") && !UNITS.containsKey(n));
    }

    @Test
    void anEvaluationReportSetsItsGaugesWithDescriptionsAndUnits() {
        metrics.bindTo(registry);
        Scoring.Scores scores = new Scoring.Scores(
                List.of(new Scoring.IntervalScore("0-16", 2, 32, 24.5, 1.0, 0.8, 0.1)),
                null,
                List.of(new Scoring.BucketScore("0-16", 10, 0.7, 0.1, 0.6)),
                0.6);
        metrics.evaluationReported(
                new EvaluationReport("m", "walls", 1, 2, 8, 32, 2.0, 0.5, null, null, scores, null, List.of(), 0, 1.0));
        assertThat(registry.get("arvdm.evaluation.psnr")
                        .tag("set", "walls")
                        .tag("interval", "0-16")
                        .gauge()
                        .value())
                .isEqualTo(24.5);
        assertThat(registry.get("arvdm.evaluation.psnr").gauge().getId().getBaseUnit())
                .isEqualTo("dB");
        assertThat(registry.get("arvdm.evaluation.max_psnr_decay").gauge().value())
                .isNaN();
        assertThat(registry.get("arvdm.evaluation.mean_retrieval_rate").gauge().value())
                .isEqualTo(0.6);
        assertThat(registry.find("arvdm.evaluation.controllability").gauges()).isEmpty();
        for (Meter meter : registry.getMeters()) {
            assertThat(meter.getId().getDescription())
                    .as(meter.getId().toString())
                    .isNotBlank();
        }
    }
}
