package org.arvdm.generation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.arvdm.memory.FrameMemory;
import org.arvdm.memory.MemoryModule;
import org.arvdm.memory.NoMemory;
import org.arvdm.memory.TokenMemory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ArGeneratorTest {
    static final int T = 1000;
    static final int FS = 12;

    record Emitted(int index, float[] frame, int arStep) {}

    static final class Recorder implements GenerationListener {
        final List<Emitted> frames = new ArrayList<>();
        int cancelAfter = Integer.MAX_VALUE;

        @Override
        public void frame(int index, float[] frame, int arStep, long elapsedNanos) {
            frames.add(new Emitted(index, frame, arStep));
        }

        @Override
        public boolean cancelled() {
            return frames.size() >= cancelAfter;
        }
    }

    static GenerationPlan plan(ArSchedule schedule, MemoryModule memory, int contextFrames, int frames, long seed) {
        List<float[]> ctx = new ArrayList<>();
        List<float[]> ctxActions = new ArrayList<>();
        for (int i = 0; i < contextFrames; i++) {
            ctx.add(OracleNetworks.cleanFrame(-100 - i, FS));
            ctxActions.add(new float[] {-i});
        }
        return new GenerationPlan(
                FS,
                1,
                OracleNetworks.cosineAlphas(T),
                DdimSampler.Prediction.EPS,
                schedule,
                memory,
                ctx,
                ctxActions,
                new float[] {0},
                frames,
                seed,
                false,
                System.nanoTime() + 3_600_000_000_000L);
    }

    static GenerationPlan withPrediction(GenerationPlan p, DdimSampler.Prediction prediction) {
        return new GenerationPlan(
                p.frameSize(),
                p.actionSize(),
                p.alphasCumprod(),
                prediction,
                p.schedule(),
                p.memory(),
                p.contextFrames(),
                p.contextActions(),
                p.padding(),
                p.frames(),
                p.seed(),
                p.previews(),
                p.deadlineNanos());
    }

    /** Generated frame k's action is [k + 1], which the oracle reads to know its clean frame. */
    static ActionSource indexActions() {
        return index -> new float[] {index + 1};
    }

    static Stream<Arguments> families() {
        List<Arguments> args = new ArrayList<>();
        ArSchedule[] schedules = {
            ArSchedule.defaultFamily(T, 1, 1, 6, 6, 0),
            ArSchedule.defaultFamily(T, 4, 1, 5, 7, 0),
            ArSchedule.defaultFamily(T, 4, 2, 3, 4, 0),
            ArSchedule.defaultFamily(T, 4, 2, 3, 4, 1.0),
            ArSchedule.explicit(T, 3, 1, new int[] {300, 800, T}, null, 4, 4, 0.5),
        };
        String[] names = {"frame-by-frame", "pyramid", "paper w4 s2", "paper w4 s2 eta=1", "explicit w3"};
        for (int i = 0; i < schedules.length; i++) {
            for (DdimSampler.Prediction p : DdimSampler.Prediction.values()) {
                args.add(Arguments.of(names[i], schedules[i], p));
            }
        }
        return args.stream();
    }

    @ParameterizedTest(name = "{0} / {2}")
    @MethodSource("families")
    void oracleDenoiserReproducesTheCleanClipForEveryScheduleFamily(
            String name, ArSchedule schedule, DdimSampler.Prediction prediction) throws Exception {
        OracleNetworks net = new OracleNetworks(FS, OracleNetworks.cosineAlphas(T), prediction);
        Recorder rec = new Recorder();
        GenerationPlan plan = withPrediction(plan(schedule, new NoMemory(), 2, 9, 42), prediction);
        GenerationStats stats =
                new ArGenerator().run(plan, indexActions(), CallGateway.direct(net), rec, EngineObserver.NONE);

        assertThat(rec.frames).hasSize(9);
        for (int k = 0; k < 9; k++) {
            Emitted e = rec.frames.get(k);
            assertThat(e.index()).isEqualTo(k);
            float[] expected = OracleNetworks.cleanFrame(k, FS);
            for (int i = 0; i < FS; i++) {
                assertThat(e.frame()[i]).as("frame %d value %d", k, i).isCloseTo(expected[i], within(2e-4f));
            }
        }
        assertThat(stats.frames()).isEqualTo(9);
        assertThat(stats.arSteps()).isEqualTo((int) Math.ceil(9.0 / schedule.stride()));
        int initCalls = schedule.initFrames() > 0 ? schedule.initSteps() : 0;
        assertThat(net.calls).hasSizeLessThanOrEqualTo(initCalls + stats.arSteps() * schedule.arSteps());
        assertThat(stats.networkCalls()).isEqualTo(net.calls.size());
    }

    @Test
    void everyCallSeesLevelsThatFollowTheSchedule() throws Exception {
        ArSchedule s = ArSchedule.defaultFamily(T, 4, 1, 2, 3, 0);
        OracleNetworks net = new OracleNetworks(FS, OracleNetworks.cosineAlphas(T), DdimSampler.Prediction.EPS);
        new ArGenerator()
                .run(
                        plan(s, new NoMemory(), 1, 6, 1),
                        indexActions(),
                        CallGateway.direct(net),
                        new Recorder(),
                        EngineObserver.NONE);
        // Init: slot 0 holds the context frame at level 0, slots 1..3 go 1000 -> 667 -> 333.
        assertThat(net.calls.get(0).levels()).containsExactly(0, 1000, 1000, 1000);
        assertThat(net.calls.get(1).levels()).containsExactly(0, 667, 667, 667);
        assertThat(net.calls.get(2).levels()).containsExactly(0, 333, 333, 333);
        // First AR step starts at t^I and interpolates to t^O.
        assertThat(net.calls.get(3).levels()).containsExactly(250, 500, 750, 1000);
        assertThat(net.calls.get(4).levels()).containsExactly(125, 375, 625, 875);
        assertThat(net.calls.get(5).levels()).containsExactly(250, 500, 750, 1000);
        // Window frames carry their own actions: generated frames 0..3 in the first AR step.
        assertThat(net.calls.get(3).actions()).containsExactly(1, 2, 3, 4);
        assertThat(net.calls.get(5).actions()).containsExactly(2, 3, 4, 5);
    }

    @Test
    void sameSeedSameFramesAndDifferentSeedDifferentFrames() throws Exception {
        ArSchedule s = ArSchedule.defaultFamily(T, 4, 1, 3, 3, 1.0);
        // A denoiser that is not an oracle, so the noise shows in the output.
        Networks blurry = new Networks() {
            @Override
            public List<float[]> denoise(List<DenoiseCall> batch) {
                return batch.stream().map(c -> c.x().clone()).toList();
            }

            @Override
            public List<float[]> encodeMemory(List<EncodeCall> batch) {
                throw new UnsupportedOperationException();
            }
        };
        float[] a = runOnce(blurry, s, 7).frames.get(5).frame();
        float[] b = runOnce(blurry, s, 7).frames.get(5).frame();
        float[] c = runOnce(blurry, s, 8).frames.get(5).frame();
        assertThat(a).containsExactly(b);
        assertThat(a).isNotEqualTo(c);
    }

    private static Recorder runOnce(Networks net, ArSchedule s, long seed) throws Exception {
        Recorder rec = new Recorder();
        new ArGenerator()
                .run(
                        plan(s, new NoMemory(), 2, 6, seed),
                        indexActions(),
                        CallGateway.direct(net),
                        rec,
                        EngineObserver.NONE);
        return rec;
    }

    @Test
    void frameMemoryHandsTheNetworkTheLastHistoryFramesWithActionsAndMask() throws Exception {
        int wm = 3;
        ArSchedule s = ArSchedule.defaultFamily(T, 2, 1, 2, 2, 0);
        OracleNetworks net = new OracleNetworks(FS, OracleNetworks.cosineAlphas(T), DdimSampler.Prediction.EPS);
        Recorder rec = new Recorder();
        new ArGenerator()
                .run(
                        plan(s, new FrameMemory(wm), 2, 5, 3),
                        indexActions(),
                        CallGateway.direct(net),
                        rec,
                        EngineObserver.NONE);

        // Replay the history as the engine saw it: context frames then emitted frames.
        List<float[]> history =
                new ArrayList<>(List.of(OracleNetworks.cleanFrame(-100, FS), OracleNetworks.cleanFrame(-101, FS)));
        List<Float> historyActions = new ArrayList<>(List.of(0f, -1f));
        int call = 0;
        // Init stage (w - stride = 1 frame, 2 iterations): the newest context frame sits clean in the
        // window, so memory holds only the context before it.
        for (int m = 0; m < 2; m++, call++) {
            assertMemory(net.calls.get(call), history.subList(0, 1), historyActions.subList(0, 1), wm);
        }
        // Each AR step (2 iterations) sees the history as it was at the step's start.
        int emittedBefore = 0;
        for (int step = 0; call < net.calls.size(); step++) {
            for (int m = 0; m < 2 && call < net.calls.size(); m++, call++) {
                assertMemory(net.calls.get(call), history, historyActions, wm);
            }
            int stepNumber = step + 1;
            int emittedNow = (int)
                    rec.frames.stream().filter(e -> e.arStep() <= stepNumber).count();
            for (int k = emittedBefore; k < emittedNow; k++) {
                history.add(rec.frames.get(k).frame());
                historyActions.add((float) (k + 1));
            }
            emittedBefore = emittedNow;
        }
        assertThat(rec.frames).hasSize(5);
    }

    private static void assertMemory(DenoiseCall call, List<float[]> history, List<Float> actions, int wm) {
        assertThat(call.memorySlots()).isEqualTo(wm);
        int used = Math.min(wm, history.size());
        for (int slot = 0; slot < wm; slot++) {
            boolean real = slot >= wm - used;
            assertThat(call.memoryMask()[slot]).as("mask slot %d", slot).isEqualTo(real);
            if (real) {
                int h = history.size() - wm + slot;
                float[] expected = history.get(h);
                for (int i = 0; i < FS; i++) {
                    assertThat(call.memory()[slot * FS + i]).isEqualTo(expected[i]);
                }
                assertThat(call.memoryActions()[slot]).isEqualTo(actions.get(h));
            } else {
                assertThat(call.memoryActions()[slot]).isZero();
                assertThat(call.memory()[slot * FS]).isZero();
            }
        }
    }

    @Test
    void tokenMemoryRunsTheEncoderOncePerStepAndReusesItsTokens() throws Exception {
        ArSchedule s = ArSchedule.defaultFamily(T, 4, 2, 3, 3, 0);
        OracleNetworks net = new OracleNetworks(FS, OracleNetworks.cosineAlphas(T), DdimSampler.Prediction.EPS);
        net.tokenValues = 2 * 3;
        Recorder rec = new Recorder();
        GenerationStats stats = new ArGenerator()
                .run(
                        plan(s, new TokenMemory(4, 2, 3), 3, 8, 5),
                        indexActions(),
                        CallGateway.direct(net),
                        rec,
                        EngineObserver.NONE);

        assertThat(net.encodes).hasSize(1 + stats.arSteps());
        // Init: the newest 2 (= stride) context frames are in the window, the encoder saw the one before.
        assertThat(net.encodes.get(0).mask()).containsExactly(false, false, false, true);
        // AR step 1: the init frames are not history yet (they are emitted when they leave the window).
        assertThat(net.encodes.get(1).mask()).containsExactly(false, true, true, true);
        assertThat(net.encodes.get(2).mask()).containsExactly(true, true, true, true);
        int call = 0;
        for (int e = 0; e < net.encodes.size(); e++) {
            int iterations = e == 0 ? s.initSteps() : s.arSteps();
            for (int m = 0; m < iterations && call < net.calls.size(); m++, call++) {
                DenoiseCall c = net.calls.get(call);
                assertThat(c.memory()).containsExactly(net.encodeOutputs.get(e));
                assertThat(c.memorySlots()).isEqualTo(2);
                assertThat(c.memoryMask()).containsExactly(true, true);
                assertThat(c.memoryActions()).isEmpty();
            }
        }
        assertThat(stats.networkCalls()).isEqualTo(net.calls.size() + net.encodes.size());
    }

    @Test
    void cancellationStopsBeforeTheNextNetworkCall() {
        ArSchedule s = ArSchedule.defaultFamily(T, 4, 1, 3, 3, 0);
        AtomicInteger calls = new AtomicInteger();
        OracleNetworks oracle = new OracleNetworks(FS, OracleNetworks.cosineAlphas(T), DdimSampler.Prediction.EPS);
        Networks counting = new Networks() {
            @Override
            public List<float[]> denoise(List<DenoiseCall> batch) {
                calls.incrementAndGet();
                return oracle.denoise(batch);
            }

            @Override
            public List<float[]> encodeMemory(List<EncodeCall> batch) {
                return oracle.encodeMemory(batch);
            }
        };
        Recorder rec = new Recorder();
        rec.cancelAfter = 2;
        assertThatThrownBy(() -> new ArGenerator()
                        .run(
                                plan(s, new NoMemory(), 1, 20, 1),
                                indexActions(),
                                CallGateway.direct(counting),
                                rec,
                                EngineObserver.NONE))
                .isInstanceOf(GenerationCancelledException.class);
        assertThat(rec.frames).hasSize(2);
        // Init (3) + step 1 (3 calls, frame 0) + step 2 (3 calls, frame 1): nothing after the second frame.
        assertThat(calls.get()).isEqualTo(9);
    }

    @Test
    void deadlineEndsTheGeneration() {
        ArSchedule s = ArSchedule.defaultFamily(T, 1, 1, 2, 2, 0);
        OracleNetworks net = new OracleNetworks(FS, OracleNetworks.cosineAlphas(T), DdimSampler.Prediction.EPS);
        GenerationPlan p = plan(s, new NoMemory(), 1, 5, 1);
        GenerationPlan expired = new GenerationPlan(
                p.frameSize(),
                p.actionSize(),
                p.alphasCumprod(),
                p.prediction(),
                s,
                p.memory(),
                p.contextFrames(),
                p.contextActions(),
                p.padding(),
                5,
                1,
                false,
                System.nanoTime() - 1);
        assertThatThrownBy(() -> new ArGenerator()
                        .run(expired, indexActions(), CallGateway.direct(net), new Recorder(), EngineObserver.NONE))
                .isInstanceOf(GenerationDeadlineException.class);
    }
}
