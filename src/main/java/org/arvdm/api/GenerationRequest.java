package org.arvdm.api;

import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;

/**
 * Body of {@code POST /v1/generations}. Every field but the context may be left out.
 *
 * @param model    model id; the service's default model when absent
 * @param context  the context clip
 * @param actions  one action per frame to generate: a name (discrete spaces) or a float array (vector spaces)
 * @param frames   frames to generate when {@code actions} is absent (each gets the padding action)
 * @param schedule schedule overrides
 * @param memory   memory overrides
 * @param seed     makes the generation reproducible; random (and reported in {@code started}) when absent
 * @param output   image format of the frames
 * @param previews stream x̂_0 previews of the frames still in the window after each iteration
 * @param deterministic run this generation's network calls alone (never batched with other
 *                 generations), so the same seed gives byte-identical frames whatever the load
 */
@Schema(description = "A generation request: a context clip and the actions to continue it with")
public record GenerationRequest(
        @Schema(example = "maze-prepend-16") String model,
        Context context,

        @Schema(
                description = "One action per frame to generate: a name or a float array",
                example = "[\"forward\", \"forward\", \"left\"]")
        List<Object> actions,

        @Schema(description = "Frame count when actions are left out")
        Integer frames,

        Schedule schedule,
        Memory memory,
        Long seed,
        Output output,
        Boolean previews,

        @Schema(
                description = "Run this generation's network calls unbatched, so the same seed gives"
                        + " byte-identical frames whatever the load (default false: batched with other generations,"
                        + " identical bytes only when it runs alone)",
                defaultValue = "false")
        Boolean deterministic) {

    /**
     * @param frames  base64 PNG or JPEG images of the model's size, oldest first (data: URLs accepted)
     * @param actions optional: c−1 actions (between the frames) or c (the first leading to frame 0)
     */
    public record Context(List<String> frames, List<Object> actions) {}

    /** Overrides of the model's default schedule (docs/meta-arvdm.md). */
    public record Schedule(
            Integer stride,
            List<Integer> inputLevels,
            List<Integer> outputLevels,
            Integer arSteps,
            Integer initSteps,
            Double eta) {}

    /** @param frames history frames the memory module hands the network (w_m); at most the model's */
    public record Memory(Integer frames) {}

    /** @param format png (default) or jpeg; @param quality JPEG quality 1..100 (default 90) */
    public record Output(String format, Integer quality) {}
}
