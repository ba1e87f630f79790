package org.arvdm.generation;

/**
 * A finished generation's numbers.
 *
 * @param frames             frames emitted
 * @param arSteps            AR steps run
 * @param networkCalls       denoiser and memory-encoder calls made for this generation
 * @param totalMs            wall time from start to the last frame
 * @param meanStepMs         mean wall time of one AR step
 * @param timeToFirstFrameMs wall time until the first frame was final
 */
public record GenerationStats(
        int frames, int arSteps, int networkCalls, double totalMs, double meanStepMs, double timeToFirstFrameMs) {}
