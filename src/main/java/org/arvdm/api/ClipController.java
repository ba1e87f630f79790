package org.arvdm.api;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.util.List;
import org.arvdm.diagnostics.EvaluationSet;
import org.arvdm.diagnostics.EvaluationSets;
import org.arvdm.image.ImageCodec;
import org.arvdm.manifest.ModelManifest;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

/**
 * Context clips cut from the bundled evaluation sets, ready to post as a generation's or a
 * session's {@code context}: the player page (src/main/resources/static) starts its sessions
 * from them, and any API user can too.
 */
@RestController
@Tag(name = "clips", description = "Context clips from the bundled evaluation sets, ready to post as context")
class ClipController {
    private final EvaluationSets sets;

    ClipController(EvaluationSets sets) {
        this.sets = sets;
    }

    /** One trajectory of a set as listed: its id and how many frames it has. */
    record TrajectoryInfo(String id, int length) {}

    record TrajectoryList(
            String set,
            ModelManifest.Frame frame,
            List<String> actions,
            int contextFrames,
            List<TrajectoryInfo> trajectories) {}

    /**
     * A context clip: {@code frames} base64 PNGs and {@code actions}, one per frame
     * ({@code actions[i]} led to frame i), exactly the shape of a request's {@code context}.
     */
    record Context(List<String> frames, List<String> actions) {}

    @GetMapping("/v1/evaluation-sets/{set}/trajectories")
    @Operation(
            operationId = "listTrajectories",
            summary = "List a bundled set's trajectories: id and length,"
                    + " with the set's frame shape, actions and context frames")
    @ApiResponse(responseCode = "200", description = "The trajectories")
    @ApiResponse(
            responseCode = "404",
            description = "Unknown set",
            content = @Content(mediaType = "application/problem+json"))
    TrajectoryList trajectories(@PathVariable String set) {
        EvaluationSet s = set(set);
        return new TrajectoryList(
                s.name(),
                s.frame(),
                s.actionNames(),
                s.contextFrames(),
                s.trajectories().stream()
                        .map(t -> new TrajectoryInfo(t.id(), t.length()))
                        .toList());
    }

    @GetMapping("/v1/evaluation-sets/{set}/trajectories/{id}/context")
    @Operation(
            operationId = "trajectoryContext",
            summary = "A context clip from a bundled trajectory: its first"
                    + " contextFrames frames (base64 PNG) and their actions, ready to post as context",
            description = "actions[i] is the action that led to frame i (actions[0] to frame 0), so the clip can"
                    + " be posted unchanged as the context of POST /v1/generations or POST /v1/sessions.")
    @ApiResponse(responseCode = "200", description = "The context clip")
    @ApiResponse(
            responseCode = "404",
            description = "Unknown set or trajectory; the problem names the field",
            content = @Content(mediaType = "application/problem+json"))
    Context context(@PathVariable String set, @PathVariable String id) {
        EvaluationSet s = set(set);
        EvaluationSet.Trajectory t = s.trajectories().stream()
                .filter(x -> x.id().equals(id))
                .findFirst()
                .orElseThrow(() -> new ApiException(
                        HttpStatus.NOT_FOUND, "id", "id: set '" + s.name() + "' has no trajectory '" + id + "'"));
        int n = Math.min(Math.max(1, s.contextFrames()), t.length());
        List<String> frames = t.frames().subList(0, n).stream()
                .map(f -> ImageCodec.encode(f, s.frame(), "png", 0, 1))
                .toList();
        return new Context(frames, t.actions().subList(0, n));
    }

    private EvaluationSet set(String name) {
        return sets.get(name)
                .orElseThrow(() ->
                        new ApiException(HttpStatus.NOT_FOUND, "set", "set: unknown evaluation set '" + name + "'"));
    }
}
