package org.arvdm.diagnostics;

import java.util.List;
import org.arvdm.generation.ArSchedule;

/**
 * What an evaluation found: the model's scores, the same scores for the "repeat the last
 * context frame" baseline, and one line per trajectory. Definitions in {@link Scoring}.
 *
 * @param frames     generated frames per trajectory (the most of any trajectory)
 * @param dataRange  data range of PSNR and SSIM: 2.0, frames are in [-1, 1]
 * @param durationMs wall time of the whole run
 * @param controllability on a controllability set: does the model follow its actions (else null)
 */
public record EvaluationReport(
        String model,
        String set,
        long seed,
        int trajectories,
        int contextFrames,
        int frames,
        double dataRange,
        double retrievalThreshold,
        ArSchedule schedule,
        Evaluation.MemoryUsed memory,
        Scoring.Scores scores,
        Scoring.Scores baseline,
        List<TrajectoryResult> trajectoryResults,
        int networkCalls,
        double durationMs,
        Controllability controllability) {

    /** A report without controllability figures. */
    public EvaluationReport(
            String model,
            String set,
            long seed,
            int trajectories,
            int contextFrames,
            int frames,
            double dataRange,
            double retrievalThreshold,
            ArSchedule schedule,
            Evaluation.MemoryUsed memory,
            Scoring.Scores scores,
            Scoring.Scores baseline,
            List<TrajectoryResult> trajectoryResults,
            int networkCalls,
            double durationMs) {
        this(
                model,
                set,
                seed,
                trajectories,
                contextFrames,
                frames,
                dataRange,
                retrievalThreshold,
                schedule,
                memory,
                scores,
                baseline,
                trajectoryResults,
                networkCalls,
                durationMs,
                null);
    }

    /**
     * One trajectory's numbers over all its generated frames.
     *
     * @param seed       the seed its generation ran with
     * @param psnr       from the mean MSE over its generated frames
     * @param ssim       mean SSIM over its generated frames
     * @param revisits   generated frames that fall in a retrieval bucket
     * @param retrieved  of those, the ones with SSIM above the threshold
     */
    public record TrajectoryResult(
            String id,
            long seed,
            int frames,
            double psnr,
            double ssim,
            int revisits,
            int retrieved,
            double baselinePsnr,
            double baselineSsim,
            int networkCalls,
            double ms) {}
}
