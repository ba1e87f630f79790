package org.arvdm.generation;

import java.util.List;
import org.arvdm.memory.MemoryModule;

/**
 * Everything one generation needs, validated: the model's shapes and noise schedule, the AR
 * schedule, the memory module, the context clip and how many frames to emit.
 *
 * @param frameSize      C·H·W
 * @param actionSize     A, the action vector length
 * @param contextFrames  the context clip, oldest first, each C·H·W in [-1, 1] (at least Δ: the newest Δ
 *                       start the window)
 * @param contextActions one action vector per context frame (the first is the padding action)
 * @param padding        the action used where none is known (noop, or zeros)
 * @param deadlineNanos  System.nanoTime() past which the loop stops (Long.MAX_VALUE for none)
 */
public record GenerationPlan(
        int frameSize,
        int actionSize,
        double[] alphasCumprod,
        DdimSampler.Prediction prediction,
        ArSchedule schedule,
        MemoryModule memory,
        List<float[]> contextFrames,
        List<float[]> contextActions,
        float[] padding,
        int frames,
        long seed,
        boolean previews,
        long deadlineNanos) {

    public GenerationPlan {
        if (contextFrames.isEmpty()) {
            throw new IllegalArgumentException("a generation needs at least one context frame");
        }
        if (contextFrames.size() < schedule.stride()) {
            throw new IllegalArgumentException("the context has " + contextFrames.size() + " frames, fewer than the"
                    + " stride (" + schedule.stride() + ")");
        }
        if (contextActions.size() != contextFrames.size()) {
            throw new IllegalArgumentException("one action per context frame expected");
        }
        if (frames < 1) {
            throw new IllegalArgumentException("frames must be at least 1");
        }
    }
}
