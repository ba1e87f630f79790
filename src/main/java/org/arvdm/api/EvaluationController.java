package org.arvdm.api;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.arvdm.config.ArvdmProperties;
import org.arvdm.diagnostics.Evaluation;
import org.arvdm.diagnostics.EvaluationEvent;
import org.arvdm.diagnostics.EvaluationPlanner;
import org.arvdm.diagnostics.EvaluationReport;
import org.arvdm.diagnostics.EvaluationService;
import org.arvdm.diagnostics.EvaluationSet;
import org.arvdm.diagnostics.EvaluationSets;
import org.arvdm.diagnostics.Evaluator;
import org.arvdm.diagnostics.Scoring;
import org.arvdm.manifest.ModelManifest;
import org.arvdm.model.LoadedModel;
import org.arvdm.model.ModelRegistry;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

@RestController
@Tag(
        name = "evaluations",
        description = "Error accumulation and memory retrieval of a model, measured on" + " ground-truth trajectories")
class EvaluationController {
    private static final ServerSentEvent<Object> END =
            ServerSentEvent.builder().comment("end").build();

    static final String SUMMARY = "Evaluate a model on ground-truth trajectories: error accumulation and memory"
            + " retrieval, streamed as server-sent events or answered once as JSON";
    static final String DESCRIPTION = "Give a bundled set (GET /v1/evaluation-sets) or uploaded trajectories. Each"
            + " trajectory's context goes in, the model generates the rest with the trajectory's actions (trajectory"
            + " i with seed + i), and every generated frame is scored against the ground truth (PSNR and SSIM, data"
            + " range 2), as is the last context frame (the baseline). With Accept: text/event-stream: events"
            + " started (model, set, seed, schedule, memory, threshold), progress (one per trajectory; SSE id = its"
            + " index; its result and the running scores), then report or error (a problem detail; always last);"
            + " closing the stream cancels the run. With Accept: application/json: the report once. The report:"
            + " PSNR and SSIM per interval of generated frames (0-16, 16-32, 32-48, 48-64; mean and std over"
            + " trajectories), maximum PSNR decay, retrieval SSIM and rate (SSIM > retrievalThreshold) per bucket of"
            + " frames since the place was last seen (0-16, 16-48, 48-112), the same for the baseline, and one line"
            + " per trajectory. Errors before any work are application/problem+json naming the field.";

    private final ModelRegistry registry;
    private final EvaluationSets sets;
    private final EvaluationService service;
    private final EvaluationPlanner planner;
    private final Duration keepAlive;
    private final RequestDecoding decoding;

    EvaluationController(
            ModelRegistry registry,
            EvaluationSets sets,
            EvaluationService service,
            EvaluationPlanner planner,
            ArvdmProperties props,
            RequestDecoding decoding) {
        this.decoding = decoding;
        this.registry = registry;
        this.sets = sets;
        this.service = service;
        this.planner = planner;
        this.keepAlive = props.keepAlive();
    }

    /**
     * A bundled set as listed: its world, shape, actions, how many revisits fall in each bucket and
     * (controllability sets) how many states it probes.
     */
    record SetInfo(
            String name,
            String kind,
            String world,
            String description,
            ModelManifest.Frame frame,
            List<String> actions,
            int contextFrames,
            int trajectories,
            int[] lengths,
            Map<String, Integer> revisits,
            int states) {
        static SetInfo of(EvaluationSet s) {
            int[] counts = s.revisitsPerBucket();
            Map<String, Integer> revisits = new LinkedHashMap<>();
            for (int b = 0; b < counts.length; b++) {
                revisits.put(Scoring.BUCKETS.get(b).label(), counts[b]);
            }
            int[] lengths = s.trajectories().stream()
                    .mapToInt(EvaluationSet.Trajectory::length)
                    .toArray();
            return new SetInfo(
                    s.name(),
                    s.kind(),
                    s.world(),
                    s.description(),
                    s.frame(),
                    s.actionNames(),
                    s.contextFrames(),
                    lengths.length,
                    lengths,
                    revisits,
                    s.states().size());
        }
    }

    record SetList(String dir, List<SetInfo> sets, Map<String, String> failed) {}

    /** Payload of the {@code started} event. */
    record Started(
            String id,
            String model,
            String set,
            long seed,
            int trajectories,
            int contextFrames,
            int frames,
            double dataRange,
            double retrievalThreshold,
            ApiModels.ScheduleInfo schedule,
            Evaluation.MemoryUsed memory) {
        static Started of(String id, Evaluation e) {
            return new Started(
                    id,
                    e.model(),
                    e.set(),
                    e.seed(),
                    e.trajectories().size(),
                    e.contextFrames(),
                    e.frames(),
                    Scoring.DATA_RANGE,
                    e.retrievalThreshold(),
                    ApiModels.ScheduleInfo.of(e.schedule()),
                    e.memoryUsed());
        }
    }

    /** Payload of a {@code progress} event: one trajectory done, and the running numbers so far. */
    record Progress(
            int trajectory,
            int of,
            EvaluationReport.TrajectoryResult result,
            Scoring.Scores scores,
            Scoring.Scores baseline) {
        static Progress of(Evaluator.Progress p) {
            return new Progress(p.index(), p.total(), p.result(), p.scores(), p.baseline());
        }
    }

    @GetMapping("/v1/evaluation-sets")
    @Operation(
            operationId = "listEvaluationSets",
            summary = "List the bundled evaluation sets: shape, actions,"
                    + " context frames, trajectory lengths and revisits per bucket")
    SetList listSets() {
        return new SetList(
                sets.dir().toString(), sets.all().stream().map(SetInfo::of).toList(), sets.failures());
    }

    @PostMapping(
            path = "/v1/evaluations",
            consumes = MediaType.APPLICATION_JSON_VALUE,
            produces = MediaType.TEXT_EVENT_STREAM_VALUE)
    @Operation(operationId = "evaluate", summary = SUMMARY, description = DESCRIPTION)
    @ApiResponse(responseCode = "200", description = "The event stream")
    @ApiResponse(
            responseCode = "400",
            description = "A field breaks a rule; the problem names it",
            content = @Content(mediaType = "application/problem+json"))
    @ApiResponse(
            responseCode = "404",
            description = "Unknown model or set",
            content = @Content(mediaType = "application/problem+json"))
    @ApiResponse(
            responseCode = "429",
            description = "No evaluation place free; see Retry-After",
            content = @Content(mediaType = "application/problem+json"))
    Flux<ServerSentEvent<Object>> stream(@RequestBody EvaluationRequest request) {
        Flux<EvaluationEvent> events = accept(request);
        Flux<ServerSentEvent<Object>> sse =
                events.map(EvaluationController::toSse).concatWithValues(END);
        Flux<ServerSentEvent<Object>> ticks = Flux.interval(keepAlive, keepAlive)
                .map(i -> ServerSentEvent.builder().comment("keep-alive").build());
        return Flux.merge(sse, ticks).takeWhile(e -> e != END);
    }

    @PostMapping(
            path = "/v1/evaluations",
            consumes = MediaType.APPLICATION_JSON_VALUE,
            produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(operationId = "evaluate", summary = SUMMARY, description = DESCRIPTION)
    Mono<ResponseEntity<Object>> once(@RequestBody EvaluationRequest request) {
        return accept(request)
                .filter(e -> e instanceof EvaluationEvent.Reported || e instanceof EvaluationEvent.Failed)
                .next()
                .map(e -> e instanceof EvaluationEvent.Failed f
                        ? ApiErrors.failure(f.failure(), ApiErrors.Work.EVALUATION)
                                .response()
                        : ResponseEntity.ok(payload(e)));
    }

    /** Plans on the decoding pool (uploaded trajectories are images), then admits on subscription. */
    private Flux<EvaluationEvent> accept(EvaluationRequest request) {
        return decoding.run(() -> {
                    if (request == null) {
                        throw ApiException.badRequest("body", "a JSON evaluation request is required");
                    }
                    LoadedModel model = RequestedModel.resolve(registry, request.model());
                    return planner.plan(request(request, model.manifest()), model);
                })
                .flatMapMany(service::evaluate);
    }

    /** The planner's typed overrides; uploaded images stay encoded until the planner asks for them. */
    private static EvaluationPlanner.Request request(EvaluationRequest r, ModelManifest m) {
        List<EvaluationPlanner.Upload> uploads = null;
        if (r.trajectories() != null) {
            uploads = new java.util.ArrayList<>();
            for (int i = 0; i < r.trajectories().size(); i++) {
                EvaluationRequest.Trajectory t = r.trajectories().get(i);
                uploads.add(
                        t == null
                                ? null
                                : new EvaluationPlanner.Upload(
                                        t.id(),
                                        t.frames() == null
                                                ? null
                                                : GenerationRequests.context(
                                                        t.frames(), m.frame(), "trajectories[" + i + "].frames"),
                                        t.actions(),
                                        t.sinceSeen()));
            }
        }
        return new EvaluationPlanner.Request(
                r.set(),
                uploads,
                r.contextFrames(),
                r.frames(),
                r.maxTrajectories(),
                GenerationRequests.schedule(r.schedule()),
                GenerationRequests.memoryFrames(r.memory()),
                r.seed(),
                r.retrievalThreshold());
    }

    private static Object payload(EvaluationEvent e) {
        if (e instanceof EvaluationEvent.Started s) {
            return Started.of(s.id(), s.evaluation());
        }
        if (e instanceof EvaluationEvent.Progressed p) {
            return Progress.of(p.progress());
        }
        if (e instanceof EvaluationEvent.Reported r) {
            return r.report();
        }
        return ApiErrors.failure(((EvaluationEvent.Failed) e).failure(), ApiErrors.Work.EVALUATION)
                .problem();
    }

    private static String eventName(EvaluationEvent e) {
        if (e instanceof EvaluationEvent.Started) {
            return "started";
        }
        if (e instanceof EvaluationEvent.Progressed) {
            return "progress";
        }
        return e instanceof EvaluationEvent.Reported ? "report" : "error";
    }

    private static ServerSentEvent<Object> toSse(EvaluationEvent e) {
        ServerSentEvent.Builder<Object> b = ServerSentEvent.builder(payload(e)).event(eventName(e));
        if (e instanceof EvaluationEvent.Progressed p) {
            b.id(Integer.toString(p.progress().index()));
        }
        return b.build();
    }
}
