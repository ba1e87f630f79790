package org.arvdm.api;

import io.swagger.v3.oas.annotations.media.Schema;

/**
 * Body of {@code POST /v1/sessions}: a generation request without the action list, plus how
 * frames are paced.
 *
 * @param mode {@code realtime} (default: frames paced at {@code fps}, padding when no action is due,
 *             paused while no viewer is connected) or {@code step} (a frame only for actions sent)
 * @param fps  frames per second of a realtime session (default arvdm.sessions.default-fps, 1..max-fps)
 * @param deterministic as for a generation: the session's (and its forks') network calls run unbatched
 */
@Schema(description = "An interactive session: a context clip, then actions sent while it runs")
public record SessionRequest(
        @Schema(example = "maze2-unet-4w") String model,
        GenerationRequest.Context context,
        GenerationRequest.Schedule schedule,
        GenerationRequest.Memory memory,
        Long seed,
        GenerationRequest.Output output,
        Boolean previews,
        @Schema(allowableValues = {"realtime", "step"}) String mode,
        Integer fps,

        @Schema(
                description = "Run the session's network calls unbatched, so the same seed and actions give"
                        + " byte-identical frames whatever the load",
                defaultValue = "false")
        Boolean deterministic) {

    /** The planner's overrides: those of a generation without actions (a session's come while it runs). */
    org.arvdm.generation.GenerationPlanner.Request asPlan(org.arvdm.manifest.ModelManifest m) {
        return GenerationRequests.request(
                new GenerationRequest(
                        model, context, null, null, schedule, memory, seed, output, previews, deterministic),
                m);
    }
}
