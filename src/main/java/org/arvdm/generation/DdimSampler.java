package org.arvdm.generation;

import java.util.random.RandomGenerator;

/**
 * DDIM arithmetic on one frame held as a float array: turning the network's output into
 * x̂_0, and one update from level t to level s &lt; t (docs/meta-arvdm.md).
 */
public final class DdimSampler {

    /** What the denoiser predicts, named by the bundle's {@code diffusion.prediction}. */
    public enum Prediction {
        EPS,
        V,
        X0;

        public static Prediction of(String name) {
            return switch (name) {
                case "eps" -> EPS;
                case "v" -> V;
                case "x0" -> X0;
                default -> throw new IllegalArgumentException("unknown prediction type '" + name + "'");
            };
        }
    }

    private final double[] alphasCumprod;
    private final Prediction prediction;

    public DdimSampler(double[] alphasCumprod, Prediction prediction) {
        this.alphasCumprod = alphasCumprod.clone();
        this.prediction = prediction;
    }

    /**
     * x̂_0 of {@code len} values of {@code xt} starting at {@code off}, from the network output
     * at the same offset, clipped to the frame range [-1, 1].
     */
    public void predictX0(float[] xt, float[] out, int off, int len, int level, float[] x0) {
        double ab = alphasCumprod[level];
        double sa = Math.sqrt(ab);
        double s1 = Math.sqrt(1.0 - ab);
        for (int i = 0; i < len; i++) {
            double x = xt[off + i];
            double o = out[off + i];
            double v = switch (prediction) {
                case EPS -> (x - s1 * o) / sa;
                case V -> sa * x - s1 * o;
                case X0 -> o;
            };
            x0[i] = (float) Math.max(-1.0, Math.min(1.0, v));
        }
    }

    /**
     * One DDIM update in place: {@code x} (at {@code off}, {@code len} values) goes from level
     * {@code t} to level {@code s}, given x̂_0. η = 0 is deterministic; noise is drawn from
     * {@code rng} only when σ &gt; 0.
     */
    public void step(float[] x, int off, int len, float[] x0, int t, int s, double eta, RandomGenerator rng) {
        double abT = alphasCumprod[t];
        double abS = alphasCumprod[s];
        double saT = Math.sqrt(abT);
        double s1T = Math.sqrt(1.0 - abT);
        double sigma = eta * Math.sqrt((1.0 - abS) / (1.0 - abT)) * Math.sqrt(Math.max(0.0, 1.0 - abT / abS));
        double dir = Math.sqrt(Math.max(0.0, 1.0 - abS - sigma * sigma));
        double saS = Math.sqrt(abS);
        for (int i = 0; i < len; i++) {
            double eps = (x[off + i] - saT * x0[i]) / s1T;
            double v = saS * x0[i] + dir * eps;
            if (sigma > 0) {
                v += sigma * rng.nextGaussian();
            }
            x[off + i] = (float) v;
        }
    }

    /** Forward noising in place: x = sqrt(ᾱ)·x0 + sqrt(1−ᾱ)·z, writing into {@code x} at {@code off}. */
    public void noise(float[] x0, float[] x, int off, int level, RandomGenerator rng) {
        double ab = alphasCumprod[level];
        double sa = Math.sqrt(ab);
        double s1 = Math.sqrt(1.0 - ab);
        for (int i = 0; i < x0.length; i++) {
            x[off + i] = (float) (sa * x0[i] + s1 * rng.nextGaussian());
        }
    }
}
