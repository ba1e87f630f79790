package org.arvdm.api;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.arvdm.config.ArvdmProperties;
import org.arvdm.generation.GenerationEvent;
import org.arvdm.generation.GenerationPlanner;
import org.arvdm.generation.GenerationService;
import org.arvdm.image.ImageCodec;
import org.arvdm.manifest.ModelManifest;
import org.arvdm.model.LoadedModel;
import org.arvdm.model.ModelRegistry;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

@RestController
@Tag(name = "generations", description = "Auto-regressive video generation, streamed frame by frame")
class GenerationController {
    /** Marks the end of the event stream so the keep-alive ticker stops with it. */
    private static final ServerSentEvent<Object> END =
            ServerSentEvent.builder().comment("end").build();

    static final String SUMMARY = "Generate frames: streamed as server-sent events, or answered once as JSON";
    static final String DESCRIPTION = "With Accept: text/event-stream the frames stream as they are denoised:"
            + " events started (id, model, seed, resolved schedule and memory), frame (index, image, action,"
            + " elapsedMs, arStep; SSE id = index), preview (only when previews=true: x0 estimates of the frames"
            + " still in the window), then done (frames, arSteps, networkCalls, totalMs, meanStepMs,"
            + " timeToFirstFrameMs) or error (a problem detail; always last). Keep-alive comments are sent while"
            + " no event is due. With Accept: application/json the same started, frames and done come in one"
            + " answer. Errors before any work are application/problem+json naming the field.";

    private final ModelRegistry registry;
    private final GenerationService service;
    private final GenerationPlanner planner;
    private final Duration keepAlive;
    private final RequestDecoding decoding;

    GenerationController(
            ModelRegistry registry,
            GenerationService service,
            GenerationPlanner planner,
            ArvdmProperties props,
            RequestDecoding decoding) {
        this.decoding = decoding;
        this.registry = registry;
        this.service = service;
        this.planner = planner;
        this.keepAlive = props.keepAlive();
    }

    /** A request checked: its events, which take an admission place when subscribed. */
    private record Accepted(LoadedModel model, GenerationRequests.Planned planned, Flux<GenerationEvent> events) {}

    @PostMapping(
            path = "/v1/generations",
            consumes = MediaType.APPLICATION_JSON_VALUE,
            produces = MediaType.TEXT_EVENT_STREAM_VALUE)
    @Operation(summary = SUMMARY, description = DESCRIPTION)
    @ApiResponse(responseCode = "200", description = "The event stream")
    @ApiResponse(
            responseCode = "400",
            description = "A field breaks a rule; the problem names it",
            content =
                    @Content(
                            mediaType = "application/problem+json",
                            schema = @Schema(implementation = org.springframework.http.ProblemDetail.class)))
    @ApiResponse(
            responseCode = "404",
            description = "Unknown model",
            content = @Content(mediaType = "application/problem+json"))
    @ApiResponse(
            responseCode = "413",
            description = "Body over arvdm.limits.max-body-bytes",
            content = @Content(mediaType = "application/problem+json"))
    @ApiResponse(
            responseCode = "429",
            description = "No generation place free; see Retry-After",
            content = @Content(mediaType = "application/problem+json"))
    @ApiResponse(
            responseCode = "503",
            description = "Models still loading, or shutting down",
            content = @Content(mediaType = "application/problem+json"))
    Flux<ServerSentEvent<Object>> stream(@RequestBody GenerationRequest request) {
        return plan(request).flatMapMany(p -> {
            Accepted a = accept(p);
            Flux<ServerSentEvent<Object>> events = a.events().map(e -> toSse(e, a));
            Flux<ServerSentEvent<Object>> ticks = Flux.interval(keepAlive, keepAlive)
                    .map(i -> ServerSentEvent.builder().comment("keep-alive").build());
            return Flux.merge(events.concatWithValues(END), ticks).takeWhile(e -> e != END);
        });
    }

    @PostMapping(
            path = "/v1/generations",
            consumes = MediaType.APPLICATION_JSON_VALUE,
            produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(summary = SUMMARY, description = DESCRIPTION)
    Mono<ResponseEntity<Object>> once(@RequestBody GenerationRequest request) {
        return plan(request).flatMap(p -> {
            Accepted a = accept(p);
            return a.events().collectList().map(events -> answer(events, a));
        });
    }

    private static ResponseEntity<Object> answer(List<GenerationEvent> events, Accepted a) {
        ApiModels.Started started = null;
        List<ApiModels.Frame> frames = new ArrayList<>();
        for (GenerationEvent e : events) {
            if (e instanceof GenerationEvent.Failed f) {
                return ApiErrors.failure(f.failure(), ApiErrors.Work.GENERATION).response();
            }
            Object data = payload(e, a);
            if (data instanceof ApiModels.Started s) {
                started = s;
            } else if (data instanceof ApiModels.Frame f) {
                frames.add(f);
            } else if (data instanceof ApiModels.Done d) {
                return ResponseEntity.ok((Object) new ApiModels.GenerationResponse(started, frames, d));
            }
        }
        throw new IllegalStateException("generation ended without done or error");
    }

    /** A request checked and planned, not yet admitted. */
    private record Checked(LoadedModel model, GenerationRequests.Planned planned) {}

    /** Resolves the model, decodes the context and plans, on the decoding pool (never the event loop). */
    private Mono<Checked> plan(GenerationRequest request) {
        return decoding.run(() -> {
            if (request == null) {
                throw ApiException.badRequest("body", "a JSON generation request is required");
            }
            LoadedModel model = RequestedModel.resolve(registry, request.model());
            return new Checked(model, GenerationRequests.plan(planner, request, model.manifest()));
        });
    }

    /** The events of a checked request; subscribing takes an admission place (or fails with 429/503). */
    private Accepted accept(Checked c) {
        LoadedModel model = c.model();
        GenerationRequests.Planned planned = c.planned();
        ModelManifest.Frame shape = model.manifest().frame();
        int previewScale = Math.max(1, Math.max(shape.height(), shape.width()) / 32);
        Flux<GenerationEvent> events = service.generate(
                model.id(),
                planned.plan(),
                planned.planned().actions(),
                planned.deterministic() ? model.unbatched() : model.gateway(),
                f -> ImageCodec.encode(f, shape, planned.format(), planned.quality(), 1),
                f -> ImageCodec.encode(f, shape, "png", 0, previewScale));
        return new Accepted(model, planned, events);
    }

    private static Object payload(GenerationEvent e, Accepted a) {
        ModelManifest m = a.model().manifest();
        if (e instanceof GenerationEvent.Queued q) {
            return new ApiModels.Queued(q.position());
        }
        if (e instanceof GenerationEvent.Started s) {
            return ApiModels.Started.of(
                    s.id(),
                    m,
                    s.seed(),
                    a.planned().plan().frames(),
                    a.planned().plan().schedule(),
                    a.planned().plan().memory());
        }
        if (e instanceof GenerationEvent.Frame f) {
            return new ApiModels.Frame(
                    f.index(),
                    f.image(),
                    a.planned().planned().actionEcho().get(f.index()),
                    ApiModels.round(f.elapsedMs()),
                    f.arStep());
        }
        if (e instanceof GenerationEvent.Preview p) {
            return new ApiModels.Preview(
                    p.arStep(),
                    p.iteration(),
                    p.frames().stream()
                            .map(i -> new ApiModels.PreviewFrame(i.index(), i.level(), i.image()))
                            .toList());
        }
        if (e instanceof GenerationEvent.Done d) {
            return ApiModels.Done.of(d.stats());
        }
        return ApiErrors.failure(((GenerationEvent.Failed) e).failure(), ApiErrors.Work.GENERATION)
                .problem();
    }

    private static String eventName(GenerationEvent e) {
        if (e instanceof GenerationEvent.Queued) {
            return "queued";
        }
        if (e instanceof GenerationEvent.Started) {
            return "started";
        }
        if (e instanceof GenerationEvent.Frame) {
            return "frame";
        }
        if (e instanceof GenerationEvent.Preview) {
            return "preview";
        }
        return e instanceof GenerationEvent.Done ? "done" : "error";
    }

    private static ServerSentEvent<Object> toSse(GenerationEvent e, Accepted a) {
        ServerSentEvent.Builder<Object> b =
                ServerSentEvent.builder(payload(e, a)).event(eventName(e));
        if (e instanceof GenerationEvent.Frame f) {
            b.id(Integer.toString(f.index()));
        }
        return b.build();
    }
}
