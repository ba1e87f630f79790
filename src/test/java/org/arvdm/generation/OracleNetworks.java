package org.arvdm.generation;

import java.util.ArrayList;
import java.util.List;

/**
 * A denoiser that knows the clean clip: generated frame k carries action vector [k + 1]
 * (context frames carry [0] or less), and its clean value is {@link #clean(int, int)}. It
 * returns the exact prediction (eps, v or x0) in closed form, so a correct sampler must
 * reproduce the clip exactly. Records every call.
 */
final class OracleNetworks implements Networks {
    final int frameSize;
    final double[] alphas;
    final DdimSampler.Prediction prediction;
    final List<DenoiseCall> calls = new ArrayList<>();
    final List<EncodeCall> encodes = new ArrayList<>();
    final List<float[]> encodeOutputs = new ArrayList<>();
    int tokenValues = 4;

    OracleNetworks(int frameSize, double[] alphas, DdimSampler.Prediction prediction) {
        this.frameSize = frameSize;
        this.alphas = alphas;
        this.prediction = prediction;
    }

    static float clean(int k, int i) {
        return (float) (0.9 * Math.sin(0.7 * k + 0.13 * i + 0.2));
    }

    static float[] cleanFrame(int k, int size) {
        float[] f = new float[size];
        for (int i = 0; i < size; i++) {
            f[i] = clean(k, i);
        }
        return f;
    }

    @Override
    public synchronized List<float[]> denoise(List<DenoiseCall> batch) {
        List<float[]> outs = new ArrayList<>();
        for (DenoiseCall c : batch) {
            calls.add(new DenoiseCall(
                    c.x().clone(),
                    c.levels().clone(),
                    c.actions().clone(),
                    c.memory().clone(),
                    c.memorySlots(),
                    c.memoryActions().clone(),
                    c.memoryMask().clone()));
            int w = c.levels().length;
            int as = c.actions().length / w;
            float[] out = new float[c.x().length];
            for (int j = 0; j < w; j++) {
                int t = (int) c.levels()[j];
                int k = Math.round(c.actions()[j * as]) - 1;
                if (t == 0 || k < 0) {
                    continue;
                }
                double ab = alphas[t];
                for (int i = 0; i < frameSize; i++) {
                    double x0 = clean(k, i);
                    double xt = c.x()[j * frameSize + i];
                    double eps = (xt - Math.sqrt(ab) * x0) / Math.sqrt(1 - ab);
                    out[j * frameSize + i] = (float)
                            switch (prediction) {
                                case EPS -> eps;
                                case V -> Math.sqrt(ab) * eps - Math.sqrt(1 - ab) * x0;
                                case X0 -> x0;
                            };
                }
            }
            outs.add(out);
        }
        return outs;
    }

    @Override
    public synchronized List<float[]> encodeMemory(List<EncodeCall> batch) {
        List<float[]> outs = new ArrayList<>();
        for (EncodeCall c : batch) {
            encodes.add(c);
            float[] tokens = new float[tokenValues];
            for (int i = 0; i < tokens.length; i++) {
                tokens[i] = encodes.size() * 10 + i;
            }
            encodeOutputs.add(tokens);
            outs.add(tokens);
        }
        return outs;
    }

    /** A cosine ᾱ schedule with ᾱ_T ≈ 2e-3, so eps-prediction stays well conditioned in float. */
    static double[] cosineAlphas(int timesteps) {
        double[] a = new double[timesteps + 1];
        double s = 0.008;
        double f0 = Math.pow(Math.cos(s / (1 + s) * Math.PI / 2), 2);
        for (int t = 0; t <= timesteps; t++) {
            double f = Math.pow(Math.cos(((double) t / timesteps + s) / (1 + s) * Math.PI / 2), 2);
            a[t] = Math.max(f / f0, 2e-3);
        }
        a[0] = 1.0;
        return a;
    }
}
