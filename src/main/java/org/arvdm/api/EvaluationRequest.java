package org.arvdm.api;

import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;

/**
 * Body of {@code POST /v1/evaluations}: a model, a bundled set by name or uploaded
 * trajectories (one of the two), and how to generate. Definitions of the numbers in
 * docs/evaluation.md.
 *
 * @param model              model id; the service's default model when absent
 * @param set                a bundled evaluation set (GET /v1/evaluation-sets)
 * @param trajectories       uploaded trajectories instead of a set
 * @param contextFrames      leading frames of each trajectory given as context; the set's own by default
 *                           (required with uploaded trajectories)
 * @param frames             generated frames per trajectory at most; by default the rest of each trajectory,
 *                           up to arvdm.limits.max-frames
 * @param maxTrajectories    evaluate only the first n trajectories
 * @param schedule           schedule overrides, as for generations
 * @param memory             memory overrides, as for generations
 * @param seed               trajectory i is generated with seed + i; random (and reported) when absent
 * @param retrievalThreshold a revisit frame is retrieved when its SSIM is above this (default 0.5)
 */
@Schema(description = "An evaluation run: a model scored against ground-truth trajectories")
public record EvaluationRequest(
        @Schema(example = "maze-prepend-16") String model,
        @Schema(example = "retrieval") String set,
        List<Trajectory> trajectories,
        Integer contextFrames,
        Integer frames,
        Integer maxTrajectories,
        GenerationRequest.Schedule schedule,
        GenerationRequest.Memory memory,
        Long seed,
        @Schema(example = "0.5") Double retrievalThreshold) {

    /**
     * @param id        a name for the trajectory in the report (trajectory-i when absent)
     * @param frames    N base64 PNG or JPEG images of the model's size, oldest first
     * @param actions   N action names; actions[i] leads to frames[i] (actions[0] is not used for generation)
     * @param sinceSeen optional, N values: -1 where frame i is not a revisit, else the frames since its view
     *                  was last seen (the retrieval buckets need it)
     */
    public record Trajectory(String id, List<String> frames, List<String> actions, List<Integer> sinceSeen) {}
}
