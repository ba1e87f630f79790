package org.arvdm.diagnostics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.arvdm.generation.ArSchedule;
import org.arvdm.image.FrameImages;
import org.arvdm.memory.FrameMemory;
import org.junit.jupiter.api.Test;

/** The controllability measures: by hand on small frames, then through the evaluator with a fake network. */
class ControllabilityTest {

    static float[] flat(int n, float v) {
        float[] f = new float[n];
        Arrays.fill(f, v);
        return f;
    }

    @Test
    void aHitIsStrictlyNearestTheOwnActionsTrueFrame() {
        List<float[]> next = List.of(flat(4, -1f), flat(4, 0f), flat(4, 1f));
        assertThat(Controllability.hit(flat(4, 0.1f), next, 1)).isTrue();
        assertThat(Controllability.hit(flat(4, 0.1f), next, 0)).isFalse();
        assertThat(Controllability.hit(flat(4, 0.9f), next, 2)).isTrue();
        // a tie with another action's frame is not a hit: the model did not tell them apart
        List<float[]> same = List.of(flat(4, 0f), flat(4, 0f));
        assertThat(Controllability.hit(flat(4, 0f), same, 0)).isFalse();
    }

    @Test
    void changeIsTheMeanAbsoluteDifferenceOnTheByteScale() {
        assertThat(Controllability.change(flat(6, -1f), flat(6, 1f))).isEqualTo(255.0);
        assertThat(Controllability.change(flat(6, 0.5f), flat(6, 0.5f))).isZero();
    }

    @Test
    void sharpnessIsZeroForFlatFramesAndCountsEveryNeighbourPair() {
        assertThat(Controllability.sharpness(List.of(flat(2 * 3 * 3, 0.3f)), 2, 3, 3))
                .isZero();
        // one channel, 2x2, columns -1 | 1: horizontal differences 2 (squared 4), vertical 0
        float[] stripes = {-1f, 1f, -1f, 1f};
        assertThat(Controllability.sharpness(List.of(stripes), 1, 2, 2)).isCloseTo(4.0, within(1e-12));
    }

    @Test
    void theEvaluatorProbesEveryActionOfEveryStateAndTalliesChangeAgainstTheTruth()
            throws IOException, InterruptedException {
        EvaluationSet walk = EvaluationSet.read(Path.of("src/test/resources/eval/tiny-walk"));
        EvaluationSet.Trajectory t = walk.trajectories().get(0);
        int n = t.frames().get(0).length;
        float[] made = FrameImages.quantize(flat(n, 0.2f));
        // true next frames: action 3 ("left") leads to exactly what the network makes; the rest far away
        List<float[]> next = new ArrayList<>();
        for (int a = 0; a < 5; a++) {
            next.add(a == 3 ? made : flat(n, a % 2 == 0 ? -1f : 1f));
        }
        boolean[] newView = {false, true, true, true, false};
        EvaluationSet.ControlState s = new EvaluationSet.ControlState(
                "s0", t.frames().subList(0, 4), t.actions().subList(0, 4), next, newView);
        EvaluatorTest.ConstantNetwork net = new EvaluatorTest.ConstantNetwork(made);
        Evaluation e = new Evaluation(
                "fake",
                EvaluatorTest.manifest(),
                net,
                walk.name(),
                List.of(t),
                walk.contextFrames(),
                8,
                ArSchedule.defaultFamily(EvaluatorTest.T, 2, 1, 2, 2, 0.0),
                new FrameMemory(2),
                40,
                0.5,
                Long.MAX_VALUE,
                List.of(s, s));
        EvaluationReport r = new Evaluator().run(e, new Evaluator.Listener() {});
        Controllability c = r.controllability();
        assertThat(c).isNotNull();
        assertThat(c.states()).isEqualTo(2);
        assertThat(c.hits())
                .containsExactly(
                        java.util.Map.entry("noop", 0.0),
                        java.util.Map.entry("forward", 0.0),
                        java.util.Map.entry("back", 0.0),
                        java.util.Map.entry("left", 1.0),
                        java.util.Map.entry("right", 0.0));
        assertThat(c.hitsNewViews().get("left")).isEqualTo(1.0);
        assertThat(c.hitsSeenViews().get("left")).isNull();
        assertThat(c.hitsSeenViews().get("noop")).isEqualTo(0.0);
        // free running: every generated frame is `made`, so only the first one changes (from the last context frame)
        float[] last = t.frames().get(walk.contextFrames() - 1);
        String firstAction = t.actions().get(walk.contextFrames());
        int firstCount = 0;
        for (int k = 0; k < 8; k++) {
            if (t.actions().get(walk.contextFrames() + k).equals(firstAction)) {
                firstCount++;
            }
        }
        Controllability.Change ch = c.change().get(firstAction);
        assertThat(ch.frames()).isEqualTo(firstCount);
        assertThat(ch.generated()).isCloseTo(Controllability.change(made, last) / firstCount, within(1e-3));
        assertThat(c.sharpness()).isNotNull();
        assertThat(r.networkCalls()).isGreaterThan(net.calls / 2);
    }

    @Test
    void theBundledControllabilitySetHasItsStatesAndWorld() throws IOException {
        EvaluationSet set = EvaluationSet.read(Path.of("models/eval/v2-controllability"));
        assertThat(set.kind()).isEqualTo(EvaluationSet.CONTROLLABILITY);
        assertThat(set.world()).isEqualTo("maze-v2");
        assertThat(set.states()).hasSize(80).allSatisfy(st -> {
            assertThat(st.history()).hasSize(8);
            assertThat(st.next()).hasSize(5);
            assertThat(st.newView()).hasSize(5);
        });
        // the five next views differ (both moves possible, so every action shows something else)
        EvaluationSet.ControlState s = set.states().get(0);
        for (int a = 1; a < 5; a++) {
            assertThat(s.next().get(a)).isNotEqualTo(s.next().get(0));
        }
        assertThat(EvaluationSet.read(Path.of("models/eval/accumulation")).world())
                .isEqualTo("maze-v1");
    }
}
