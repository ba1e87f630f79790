package org.arvdm.diagnostics;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Does the model follow its actions? Measured on a controllability set (docs/evaluation.md):
 *
 * <ul>
 *   <li>{@code hits}: per action a, the share of states where the frame the model makes for a
 *       (the state's true history, the same seed for every action) is nearer (MSE) to the true next
 *       frame for a than to the true next frame of every other action; {@code hitsNewViews} and
 *       {@code hitsSeenViews} split the states by whether the view after a is new;</li>
 *   <li>{@code change}: over the set's free-running trajectories, per action, the mean
 *       frame-to-frame change (mean absolute difference on the 0–255 scale) of the generated
 *       frames against the true ones, grouped by the action that led to the later frame (the
 *       first generated frame is compared with the last context frame);</li>
 *   <li>{@code sharpness}: mean squared image gradient of the generated frames over the first
 *       {@link #SHARPNESS_FRAMES} of each trajectory, divided by the same for the true frames
 *       (1 = as sharp as the truth; a blurred world model scores well under 1).</li>
 * </ul>
 *
 * @param states the states probed
 */
public record Controllability(
        int states,
        Map<String, Double> hits,
        Map<String, Double> hitsNewViews,
        Map<String, Double> hitsSeenViews,
        Map<String, Change> change,
        Double sharpness) {

    public static final int SHARPNESS_FRAMES = 16;

    /**
     * @param generated mean change of the generated frames after this action (0–255)
     * @param truth     mean change of the true frames after this action (0–255)
     * @param ratio     generated / truth (null when the truth does not change or no frame had this action)
     * @param frames    frames after this action, per seed
     */
    public record Change(double generated, double truth, Double ratio, int frames) {}

    /** True when {@code made} is nearer to {@code next[a]} than to every other action's true next frame. */
    public static boolean hit(float[] made, List<float[]> next, int a) {
        double own = ImageMetrics.mse(made, next.get(a));
        for (int b = 0; b < next.size(); b++) {
            if (b != a && !(own < ImageMetrics.mse(made, next.get(b)))) {
                return false;
            }
        }
        return true;
    }

    /** Mean absolute difference of two frames in [-1, 1], on the 0–255 scale. */
    public static double change(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += Math.abs(a[i] - b[i]);
        }
        return s / a.length * 127.5;
    }

    /** Sum of squared horizontal and vertical neighbour differences, and how many of each: {sx, nx, sy, ny}. */
    static double[] gradientEnergy(float[] f, int channels, int height, int width) {
        double sx = 0;
        double sy = 0;
        for (int c = 0; c < channels; c++) {
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++) {
                    int i = (c * height + y) * width + x;
                    if (x + 1 < width) {
                        double d = f[i + 1] - f[i];
                        sx += d * d;
                    }
                    if (y + 1 < height) {
                        double d = f[i + width] - f[i];
                        sy += d * d;
                    }
                }
            }
        }
        return new double[] {sx, (double) channels * height * (width - 1), sy, (double) channels * (height - 1) * width
        };
    }

    /** Mean squared x gradient plus mean squared y gradient over the frames. */
    public static double sharpness(List<float[]> frames, int channels, int height, int width) {
        double[] acc = new double[4];
        for (float[] f : frames) {
            double[] g = gradientEnergy(f, channels, height, width);
            for (int k = 0; k < 4; k++) {
                acc[k] += g[k];
            }
        }
        return acc[0] / acc[1] + acc[2] / acc[3];
    }

    /** Collects the per-state hits and the free-running frames, then summarizes. */
    static final class Tally {
        private final List<String> actions;
        private final int[] hits;
        private final int[] total;
        private final int[][] hitsBy = new int[2][];
        private final int[][] totalBy = new int[2][];
        private final double[] genChange;
        private final double[] trueChange;
        private final int[] frames;
        private final List<float[]> sharpGen = new ArrayList<>();
        private final List<float[]> sharpTrue = new ArrayList<>();
        private int states;

        Tally(List<String> actions) {
            this.actions = List.copyOf(actions);
            int n = actions.size();
            hits = new int[n];
            total = new int[n];
            for (int k = 0; k < 2; k++) {
                hitsBy[k] = new int[n];
                totalBy[k] = new int[n];
            }
            genChange = new double[n];
            trueChange = new double[n];
            frames = new int[n];
        }

        void state(List<float[]> made, EvaluationSet.ControlState s) {
            states++;
            for (int a = 0; a < made.size(); a++) {
                boolean ok = hit(made.get(a), s.next(), a);
                int nv = s.newView()[a] ? 1 : 0;
                total[a]++;
                totalBy[nv][a]++;
                if (ok) {
                    hits[a]++;
                    hitsBy[nv][a]++;
                }
            }
        }

        /**
         * One free-running trajectory: {@code last} the last context frame, {@code generated} and
         * {@code truth} the frames after it, {@code actions} the action index of each.
         */
        void trajectory(float[] last, List<float[]> generated, List<float[]> truth, int[] actionIdx) {
            float[] pg = last;
            float[] pt = last;
            for (int k = 0; k < generated.size(); k++) {
                int a = actionIdx[k];
                genChange[a] += change(generated.get(k), pg);
                trueChange[a] += change(truth.get(k), pt);
                frames[a]++;
                pg = generated.get(k);
                pt = truth.get(k);
                if (k < SHARPNESS_FRAMES) {
                    sharpGen.add(generated.get(k));
                    sharpTrue.add(truth.get(k));
                }
            }
        }

        Controllability result(int channels, int height, int width) {
            Map<String, Double> all = new LinkedHashMap<>();
            Map<String, Double> fresh = new LinkedHashMap<>();
            Map<String, Double> seen = new LinkedHashMap<>();
            Map<String, Change> ch = new LinkedHashMap<>();
            for (int a = 0; a < actions.size(); a++) {
                String name = actions.get(a);
                all.put(name, share(hits[a], total[a]));
                fresh.put(name, share(hitsBy[1][a], totalBy[1][a]));
                seen.put(name, share(hitsBy[0][a], totalBy[0][a]));
                if (frames[a] > 0) {
                    double g = genChange[a] / frames[a];
                    double t = trueChange[a] / frames[a];
                    ch.put(name, new Change(round(g), round(t), t > 0 ? round(g / t) : null, frames[a]));
                }
            }
            Double sharp = null;
            if (!sharpGen.isEmpty()) {
                double t = sharpness(sharpTrue, channels, height, width);
                sharp = t > 0 ? round(sharpness(sharpGen, channels, height, width) / t) : null;
            }
            return new Controllability(states, all, fresh, seen, ch, sharp);
        }

        private static Double share(int hit, int of) {
            return of == 0 ? null : round((double) hit / of);
        }

        private static double round(double v) {
            return Math.round(v * 1000.0) / 1000.0;
        }
    }
}
