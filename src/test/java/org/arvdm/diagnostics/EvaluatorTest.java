package org.arvdm.diagnostics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.arvdm.generation.ArSchedule;
import org.arvdm.generation.CallGateway;
import org.arvdm.generation.DenoiseCall;
import org.arvdm.generation.EncodeCall;
import org.arvdm.generation.GenerationCancelledException;
import org.arvdm.manifest.ModelManifest;
import org.arvdm.memory.FrameMemory;
import org.junit.jupiter.api.Test;

/** The evaluation loop with a fake network, no DJL. */
class EvaluatorTest {
    static final int T = 10;

    /** An x0-predicting network that always predicts the same frame. */
    static final class ConstantNetwork implements CallGateway {
        final float[] frame;
        int calls;

        ConstantNetwork(float[] frame) {
            this.frame = frame;
        }

        @Override
        public float[] denoise(DenoiseCall call) {
            calls++;
            int w = call.levels().length;
            float[] out = new float[w * frame.length];
            for (int j = 0; j < w; j++) {
                System.arraycopy(frame, 0, out, j * frame.length, frame.length);
            }
            return out;
        }

        @Override
        public float[] encode(EncodeCall call) {
            throw new UnsupportedOperationException();
        }
    }

    static ModelManifest manifest() {
        double[] alphas = new double[T + 1];
        for (int t = 0; t <= T; t++) {
            alphas[t] = 1.0 - 0.999 * t / T;
        }
        return new ModelManifest(
                "fake",
                "x0 network",
                new ModelManifest.Frame(3, 16, 16),
                new ModelManifest.Actions("discrete", List.of("noop", "forward", "back", "left", "right"), null),
                new ModelManifest.Diffusion(T, alphas, "x0"),
                new ModelManifest.Window(2, 1),
                new ModelManifest.Sampling(2, 2, 0.0),
                new ModelManifest.Memory("prepend", "frames", 2, null, null),
                Map.of());
    }

    static Evaluation evaluation(EvaluationSet set, CallGateway gateway, int frames) {
        ModelManifest m = manifest();
        return new Evaluation(
                "fake",
                m,
                gateway,
                set.name(),
                set.trajectories(),
                set.contextFrames(),
                frames,
                ArSchedule.defaultFamily(T, 2, 1, 2, 2, 0.0),
                new FrameMemory(2),
                40,
                0.5,
                Long.MAX_VALUE);
    }

    static EvaluationSet set() throws IOException {
        return EvaluationSet.read(Path.of("src/test/resources/eval/tiny-walk"));
    }

    @Test
    void aNetworkThatRepeatsTheLastContextFrameScoresExactlyAsTheBaseline() throws Exception {
        EvaluationSet set = set();
        // both trajectories: predict trajectory 0's last context frame; only trajectory 0 then equals its baseline
        EvaluationSet one = new EvaluationSet(
                set.name(),
                set.kind(),
                set.description(),
                set.frame(),
                set.actionNames(),
                set.contextFrames(),
                set.trajectories().subList(0, 1));
        float[] last = one.trajectories().get(0).frames().get(one.contextFrames() - 1);
        List<Evaluator.Progress> progress = new ArrayList<>();
        EvaluationReport r = new Evaluator()
                .run(evaluation(one, new ConstantNetwork(last), 34), new Evaluator.Listener() {
                    @Override
                    public void trajectoryDone(Evaluator.Progress p) {
                        progress.add(p);
                    }
                });
        assertThat(r.scores()).isEqualTo(r.baseline());
        assertThat(r.frames()).isEqualTo(34);
        assertThat(r.dataRange()).isEqualTo(2.0);
        assertThat(r.scores().intervals().get(0).frames()).isEqualTo(16);
        assertThat(r.scores().intervals().get(2).frames()).isEqualTo(2);
        assertThat(progress).hasSize(1);
        assertThat(progress.get(0).generated())
                .hasSize(34)
                .allSatisfy(f -> assertThat(f).isEqualTo(last));
        assertThat(r.trajectoryResults().get(0).psnr())
                .isEqualTo(r.trajectoryResults().get(0).baselinePsnr());
    }

    @Test
    void trajectoryIGetsSeedPlusIAndFramesAreCappedByMaxFrames() throws Exception {
        EvaluationSet set = set();
        ConstantNetwork net = new ConstantNetwork(new float[3 * 16 * 16]);
        EvaluationReport r = new Evaluator().run(evaluation(set, net, 5), new Evaluator.Listener() {});
        assertThat(r.trajectoryResults())
                .extracting(EvaluationReport.TrajectoryResult::seed)
                .containsExactly(40L, 41L);
        assertThat(r.trajectoryResults())
                .extracting(EvaluationReport.TrajectoryResult::frames)
                .containsExactly(5, 5);
        assertThat(r.scores().intervals().get(0).frames()).isEqualTo(10);
        assertThat(r.networkCalls()).isEqualTo(net.calls);
    }

    @Test
    void aCancelledRunStopsBeforeItsNextNetworkCall() throws Exception {
        EvaluationSet set = set();
        ConstantNetwork net = new ConstantNetwork(new float[3 * 16 * 16]);
        List<Evaluator.Progress> progress = new ArrayList<>();
        assertThatThrownBy(() -> new Evaluator().run(evaluation(set, net, 34), new Evaluator.Listener() {
                    @Override
                    public void trajectoryDone(Evaluator.Progress p) {
                        progress.add(p);
                    }

                    @Override
                    public boolean cancelled() {
                        return !progress.isEmpty();
                    }
                }))
                .isInstanceOf(GenerationCancelledException.class);
        assertThat(progress).hasSize(1);
        int callsForOne = net.calls;
        assertThat(callsForOne).isPositive();
        assertThat(new Evaluator()
                        .run(evaluation(set, new ConstantNetwork(new float[768]), 34), new Evaluator.Listener() {})
                        .networkCalls())
                .isEqualTo(2 * callsForOne);
    }
}
