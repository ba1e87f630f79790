package org.arvdm.generation;

import java.util.Arrays;

/**
 * A validated Meta-ARVDM schedule: window {@code w}, stride {@code Δ}, the input levels
 * t^I and output levels t^O of one AR step, and the iteration counts.
 * <p>
 * Positions are 0-based here ({@code j = 0..w-1}); the paper's rules are 1-based. Levels are
 * integers in {@code 0..T}; 0 is clean, T is pure noise.
 */
public record ArSchedule(
        int timesteps,
        int window,
        int stride,
        int[] inputLevels,
        int[] outputLevels,
        int arSteps,
        int initSteps,
        double eta) {

    public ArSchedule {
        inputLevels = inputLevels.clone();
        outputLevels = outputLevels.clone();
        validate(timesteps, window, stride, inputLevels, outputLevels, arSteps, initSteps, eta);
    }

    /**
     * The default family: K = w/Δ bands of Δ frames, band b (1-based) enters at round(T·b/K)
     * and leaves at round(T·(b−1)/K).
     */
    public static ArSchedule defaultFamily(
            int timesteps, int window, int stride, int arSteps, int initSteps, double eta) {
        checkStride(window, stride);
        if (window % stride != 0) {
            throw new ScheduleException(
                    "schedule.stride",
                    "range",
                    "schedule.stride: " + stride
                            + " must divide the window (" + window + " frames) for the default schedule family;"
                            + " give schedule.inputLevels for other strides");
        }
        int bands = window / stride;
        int[] in = new int[window];
        int[] out = new int[window];
        for (int j = 0; j < window; j++) {
            int b = j / stride + 1;
            in[j] = level((double) timesteps * b / bands);
            out[j] = level((double) timesteps * (b - 1) / bands);
        }
        return new ArSchedule(timesteps, window, stride, in, out, arSteps, initSteps, eta);
    }

    /**
     * Explicit input levels; output levels, when not given, follow from circularity and the
     * 0–T boundary: t^O_j = t^I_{j−Δ} for j ≥ Δ, else 0.
     */
    public static ArSchedule explicit(
            int timesteps,
            int window,
            int stride,
            int[] inputLevels,
            int[] outputLevels,
            int arSteps,
            int initSteps,
            double eta) {
        checkStride(window, stride);
        if (inputLevels.length != window) {
            throw new ScheduleException(
                    "schedule.inputLevels",
                    "range",
                    "schedule.inputLevels: must hold one level" + " per window frame (" + window + "), got "
                            + inputLevels.length);
        }
        int[] out = outputLevels;
        if (out == null) {
            out = new int[window];
            for (int j = stride; j < window; j++) {
                out[j] = inputLevels[j - stride];
            }
        } else if (out.length != window) {
            throw new ScheduleException(
                    "schedule.outputLevels",
                    "range",
                    "schedule.outputLevels: must hold one" + " level per window frame (" + window + "), got "
                            + out.length);
        }
        return new ArSchedule(timesteps, window, stride, inputLevels, out, arSteps, initSteps, eta);
    }

    private static void checkStride(int window, int stride) {
        if (stride < 1 || stride > window) {
            throw new ScheduleException(
                    "schedule.stride",
                    "range",
                    "schedule.stride: must be in 1.." + window + " (the model's window), got " + stride);
        }
    }

    private static void validate(
            int t, int w, int stride, int[] in, int[] out, int arSteps, int initSteps, double eta) {
        checkStride(w, stride);
        if (arSteps < 1) {
            throw new ScheduleException(
                    "schedule.arSteps", "range", "schedule.arSteps: must be at least 1, got " + arSteps);
        }
        if (initSteps < 1) {
            throw new ScheduleException(
                    "schedule.initSteps", "range", "schedule.initSteps: must be at least 1, got " + initSteps);
        }
        if (!(eta >= 0 && eta <= 1)) {
            throw new ScheduleException("schedule.eta", "range", "schedule.eta: must be in [0, 1], got " + eta);
        }
        for (int j = 0; j < w; j++) {
            if (in[j] < 0 || in[j] > t) {
                throw new ScheduleException(
                        "schedule.inputLevels",
                        "range",
                        "schedule.inputLevels[" + j + "]: must be in 0.." + t + ", got " + in[j]);
            }
            if (out[j] < 0 || out[j] > t) {
                throw new ScheduleException(
                        "schedule.outputLevels",
                        "range",
                        "schedule.outputLevels[" + j + "]: must be in 0.." + t + ", got " + out[j]);
            }
        }
        // Rule 1: monotonicity.
        for (int j = 1; j < w; j++) {
            if (in[j - 1] > in[j]) {
                throw new ScheduleException(
                        "schedule.inputLevels",
                        "monotonicity",
                        "schedule.inputLevels: rule 1"
                                + " (monotonicity) broken: older frames may not be noisier, but level[" + (j - 1) + "]="
                                + in[j - 1] + " > level[" + j + "]=" + in[j]);
            }
        }
        for (int j = 0; j < w; j++) {
            if (out[j] > in[j]) {
                throw new ScheduleException(
                        "schedule.outputLevels",
                        "monotonicity",
                        "schedule.outputLevels: rule 1"
                                + " (monotonicity) broken: a step may not add noise, but output[" + j + "]=" + out[j]
                                + " > input[" + j + "]=" + in[j]);
            }
        }
        // Rule 3: 0–T boundary.
        for (int j = 0; j < stride; j++) {
            if (out[j] != 0) {
                throw new ScheduleException(
                        "schedule.outputLevels",
                        "boundary",
                        "schedule.outputLevels: rule 3"
                                + " (0-T boundary) broken: the first " + stride
                                + " frame(s) must leave the window at level 0,"
                                + " but output[" + j + "]=" + out[j]);
            }
        }
        for (int j = w - stride; j < w; j++) {
            if (in[j] != t) {
                throw new ScheduleException(
                        "schedule.inputLevels",
                        "boundary",
                        "schedule.inputLevels: rule 3"
                                + " (0-T boundary) broken: the last " + stride
                                + " frame(s) must enter the window at level T="
                                + t + ", but level[" + j + "]=" + in[j]);
            }
        }
        // Rule 2: circularity.
        for (int j = stride; j < w; j++) {
            if (out[j] != in[j - stride]) {
                throw new ScheduleException(
                        "schedule.outputLevels",
                        "circularity",
                        "schedule.outputLevels: rule 2"
                                + " (circularity) broken: after sliding by " + stride + ", output[" + j + "]=" + out[j]
                                + " must equal input[" + (j - stride) + "]=" + in[j - stride]);
            }
        }
    }

    /** Level of window frame {@code j} after iteration {@code m} (0..arSteps) of an AR step. */
    public int arLevel(int j, int m) {
        return level(inputLevels[j] + (double) (outputLevels[j] - inputLevels[j]) * m / arSteps);
    }

    /** Level of the frames being initialised after iteration {@code m} (0..initSteps). */
    public int initLevel(int m) {
        return level(timesteps * (1.0 - (double) m / initSteps));
    }

    /**
     * The one rounding rule for levels: to the nearest integer, halves to the even one (Python's
     * {@code round} and {@code torch.round}, which the training code and the reference sampler use).
     */
    static int level(double v) {
        return (int) Math.rint(v);
    }

    /** Frames generated jointly by the initialization stage (w − Δ; 0 means none). */
    public int initFrames() {
        return window - stride;
    }

    @Override
    public int[] inputLevels() {
        return inputLevels.clone();
    }

    @Override
    public int[] outputLevels() {
        return outputLevels.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ArSchedule s
                && s.timesteps == timesteps
                && s.window == window
                && s.stride == stride
                && Arrays.equals(s.inputLevels, inputLevels)
                && Arrays.equals(s.outputLevels, outputLevels)
                && s.arSteps == arSteps
                && s.initSteps == initSteps
                && s.eta == eta;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(inputLevels) * 31 + Arrays.hashCode(outputLevels) + window * 7 + stride;
    }

    @Override
    public String toString() {
        return "ArSchedule[T=" + timesteps + ", w=" + window + ", stride=" + stride + ", in="
                + Arrays.toString(inputLevels) + ", out=" + Arrays.toString(outputLevels) + ", arSteps=" + arSteps
                + ", initSteps=" + initSteps + ", eta=" + eta + "]";
    }
}
