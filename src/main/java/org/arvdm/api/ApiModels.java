package org.arvdm.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;
import java.util.Map;
import org.arvdm.generation.ArSchedule;
import org.arvdm.generation.GenerationStats;
import org.arvdm.manifest.ModelManifest;
import org.arvdm.memory.MemoryModule;
import org.arvdm.model.LoadedModel;

/** The JSON shapes the API returns: model listings, SSE event payloads, the one-shot response. */
final class ApiModels {
    private ApiModels() {}

    /** {@code defaultModel} is left out while no model has loaded. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record ModelList(String defaultModel, List<ModelInfo> models, List<FailedModel> failed) {}

    record FailedModel(String id, String reason) {}

    record ModelInfo(
            String id,
            String description,
            ModelManifest.Frame frame,
            ModelManifest.Actions actions,
            int window,
            int stride,
            DiffusionInfo diffusion,
            SamplingInfo sampling,
            MemoryInfo memory,
            String device,
            double loadMs,
            Map<String, Object> training) {

        static ModelInfo of(LoadedModel lm) {
            ModelManifest m = lm.manifest();
            return new ModelInfo(
                    m.id(),
                    m.description(),
                    m.frame(),
                    m.actions(),
                    m.window().frames(),
                    m.window().stride(),
                    new DiffusionInfo(m.diffusion().timesteps(), m.diffusion().prediction()),
                    new SamplingInfo(
                            m.sampling().arSteps(),
                            m.sampling().initSteps(),
                            m.sampling().eta()),
                    new MemoryInfo(
                            m.memory().architecture(),
                            m.memory().kind(),
                            m.memory().frames(),
                            m.memory().tokens(),
                            m.memory().tokenDim()),
                    lm.device(),
                    Math.round(lm.loadMs() * 10) / 10.0,
                    m.training());
        }
    }

    record DiffusionInfo(int timesteps, String prediction) {}

    record SamplingInfo(int arSteps, int initSteps, double eta) {}

    /**
     * @param frames w_m (the history frames the memory module reads); @param tokens k and
     * {@code tokenDim}, for kind tokens only (left out otherwise)
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record MemoryInfo(String architecture, String kind, int frames, Integer tokens, Integer tokenDim) {}

    record ScheduleInfo(
            int timesteps,
            int window,
            int stride,
            int[] inputLevels,
            int[] outputLevels,
            int arSteps,
            int initSteps,
            double eta) {
        static ScheduleInfo of(ArSchedule s) {
            return new ScheduleInfo(
                    s.timesteps(),
                    s.window(),
                    s.stride(),
                    s.inputLevels(),
                    s.outputLevels(),
                    s.arSteps(),
                    s.initSteps(),
                    s.eta());
        }
    }

    /** Payload of the {@code started} event. */
    @Schema(name = "StartedEvent")
    record Started(String id, String model, long seed, int frames, ScheduleInfo schedule, MemoryInfo memory) {
        static Started of(String id, ModelManifest m, long seed, int frames, ArSchedule s, MemoryModule memory) {
            ModelManifest.Memory mm = m.memory();
            return new Started(
                    id,
                    m.id(),
                    seed,
                    frames,
                    ScheduleInfo.of(s),
                    new MemoryInfo(mm.architecture(), mm.kind(), memory.historyFrames(), mm.tokens(), mm.tokenDim()));
        }
    }

    /** Payload of a {@code frame} event. {@code action} echoes what the client sent (null where padded). */
    @Schema(name = "FrameEvent")
    record Frame(int index, String image, Object action, double elapsedMs, int arStep) {}

    @Schema(name = "PreviewFrame")
    record PreviewFrame(int index, int level, String image) {}

    @Schema(name = "PreviewEvent")
    record Preview(int arStep, int iteration, List<PreviewFrame> frames) {}

    /** Payload of the {@code done} event. */
    @Schema(name = "DoneEvent")
    record Done(
            int frames, int arSteps, int networkCalls, double totalMs, double meanStepMs, double timeToFirstFrameMs) {
        static Done of(GenerationStats s) {
            return new Done(
                    s.frames(),
                    s.arSteps(),
                    s.networkCalls(),
                    round(s.totalMs()),
                    round(s.meanStepMs()),
                    round(s.timeToFirstFrameMs()));
        }
    }

    /** Payload of the {@code queued} event, sent at once to a stream that waits for a worker. */
    @Schema(name = "QueuedEvent")
    record Queued(int position) {}

    /** The {@code application/json} answer: everything the stream would have carried. */
    record GenerationResponse(Started started, List<Frame> frames, Done done) {}

    static double round(double ms) {
        return Math.round(ms * 100) / 100.0;
    }
}
