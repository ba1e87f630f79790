package org.arvdm.generation;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.arvdm.manifest.ModelManifest;

/** Generation plans for a bundle's manifest with its default schedule, random context and actions (tests, benchmark). */
public final class BundlePlans {
    private BundlePlans() {}

    /**
     * @param memoryFrames history frames the memory reads (the manifest's w_m when 0 or more than it)
     */
    public static GenerationPlan plan(ModelManifest m, int contextFrames, int frames, long seed, int memoryFrames) {
        SplittableRandom rng = new SplittableRandom(seed * 31 + 7);
        int fs = m.frame().size();
        int as = m.actions().vectorSize();
        List<float[]> ctx = new ArrayList<>();
        List<float[]> ctxActions = new ArrayList<>();
        for (int i = 0; i < contextFrames; i++) {
            float[] f = new float[fs];
            for (int j = 0; j < fs; j++) {
                f[j] = (float) (rng.nextDouble() * 2 - 1);
            }
            ctx.add(f);
            ctxActions.add(action(m, i == 0 ? 0 : rng.nextInt(Math.max(1, as))));
        }
        boolean full = memoryFrames <= 0
                || memoryFrames > m.memory().frames()
                || "none".equals(m.memory().kind());
        return plan(m, ctx, ctxActions, frames, seed, full ? null : memoryFrames);
    }

    /** The plan the service makes for this context with no schedule override (the model's defaults). */
    public static GenerationPlan plan(
            ModelManifest m,
            List<float[]> context,
            List<float[]> contextActions,
            int frames,
            long seed,
            Integer memoryFrames) {
        GenerationPlanner planner = new GenerationPlanner(GenerationPlanner.Limits.NONE);
        return GenerationPlanner.plan(
                m,
                planner.schedule(m, GenerationPlanner.Schedule.DEFAULT),
                GenerationPlanner.memory(m, memoryFrames),
                context,
                contextActions,
                frames,
                seed,
                false,
                Long.MAX_VALUE);
    }

    /** Action {@code i} as the network sees it: one-hot for discrete spaces, a unit vector otherwise. */
    public static float[] action(ModelManifest m, int i) {
        float[] a = new float[m.actions().vectorSize()];
        if (a.length > 0) {
            a[i % a.length] = 1;
        }
        return a;
    }

    /** Cycles through the action space: frame k gets action 1 + k mod (A − 1). */
    public static ActionSource actions(ModelManifest m) {
        int n = Math.max(1, m.actions().vectorSize() - 1);
        return index -> action(m, 1 + index % n);
    }
}
