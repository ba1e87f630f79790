package org.arvdm.api;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.arvdm.config.ArvdmProperties;
import org.arvdm.generation.ArLoop;
import org.arvdm.generation.GenerationPlan;
import org.arvdm.generation.GenerationPlanner;
import org.arvdm.image.ImageCodec;
import org.arvdm.manifest.ModelManifest;
import org.arvdm.model.LoadedModel;
import org.arvdm.model.ModelRegistry;
import org.arvdm.session.Session;
import org.arvdm.session.SessionEvent;
import org.arvdm.session.SessionException;
import org.arvdm.session.SessionService;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/** Interactive sessions over REST and SSE (docs/sessions.md); the WebSocket is {@link SessionSocketHandler}. */
@RestController
@Tag(name = "sessions", description = "Interactive sessions: play a world model live, fork it")
class SessionController {
    private static final ServerSentEvent<Object> END =
            ServerSentEvent.builder().comment("end").build();

    private final ModelRegistry registry;
    private final SessionService sessions;
    private final GenerationPlanner planner;
    private final ArvdmProperties.Sessions config;
    private final Duration keepAlive;

    SessionController(
            ModelRegistry registry, SessionService sessions, GenerationPlanner planner, ArvdmProperties props) {
        this.registry = registry;
        this.sessions = sessions;
        this.planner = planner;
        this.config = props.sessions();
        this.keepAlive = props.keepAlive();
    }

    record Links(String self, String events, String ws, String actions, String fork, String recording) {
        static Links of(String id) {
            String base = "/v1/sessions/" + id;
            return new Links(
                    base, base + "/events", base + "/ws", base + "/actions", base + "/fork", base + "/recording");
        }
    }

    record MemoryBudget(String kind, int budget, String unit) {}

    record MemoryUse(int used, int budget, String unit) {}

    /** The {@code started} event's payload. */
    record Started(
            String id,
            String model,
            String mode,
            int fps,
            int lagFrames,
            long seed,
            ApiModels.ScheduleInfo schedule,
            MemoryBudget memory) {}

    /** Answer of create and fork. */
    @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
    record Created(
            String id,
            String model,
            String mode,
            int fps,
            int lagFrames,
            long seed,
            ApiModels.ScheduleInfo schedule,
            MemoryBudget memory,
            Instant expiresAt,
            Links links,
            String forkedFrom) {}

    record StateBody(
            String id,
            String model,
            String mode,
            int fps,
            int lagFrames,
            ApiModels.ScheduleInfo schedule,
            int framesEmitted,
            long actionsReceived,
            int actionsPending,
            MemoryUse memory,
            long bytesHeld,
            int viewers,
            long lateFrames,
            Instant createdAt,
            Instant lastActivityAt,
            Instant expiresAt) {}

    record ActionsRequest(List<Object> actions) {}

    record ActionsAccepted(long[] sequences, int pending) {}

    @PostMapping(
            path = "/v1/sessions",
            consumes = MediaType.APPLICATION_JSON_VALUE,
            produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(
            summary = "Open an interactive session",
            description =
                    "Same context, schedule, memory, seed and"
                            + " output as a generation, without the action list; mode realtime (default) or step, fps 1..max."
                            + " The answer links the event stream (SSE), the WebSocket, the actions endpoint, fork and recording.")
    @ApiResponse(responseCode = "201", description = "The session, with Location")
    @ApiResponse(
            responseCode = "400",
            description = "A field breaks a rule; the problem names it",
            content = @Content(mediaType = "application/problem+json"))
    @ApiResponse(
            responseCode = "429",
            description = "arvdm.sessions.max-sessions reached; see Retry-After",
            content = @Content(mediaType = "application/problem+json"))
    ResponseEntity<Created> create(@RequestBody SessionRequest request, ServerWebExchange exchange) {
        if (request == null) {
            throw ApiException.badRequest("body", "a JSON session request is required");
        }
        LoadedModel model = RequestedModel.resolve(registry, request.model());
        Session.Mode mode = mode(request.mode());
        int fps = request.fps() == null ? config.defaultFps() : request.fps();
        if (fps < 1 || fps > config.maxFps()) {
            throw ApiException.badRequest("fps", "must be in 1.." + config.maxFps() + ", got " + fps);
        }
        GenerationPlan endless = planner.planEndless(model.manifest(), request.asPlan(model.manifest()));
        GenerationRequests.Output output = GenerationRequests.output(request.output());
        ModelManifest.Frame shape = model.manifest().frame();
        int previewScale = Math.max(1, Math.max(shape.height(), shape.width()) / 32);
        Session.Spec spec = new Session.Spec(
                model.id(),
                mode,
                fps,
                endless.padding(),
                f -> ImageCodec.encode(f, shape, output.format(), output.quality(), 1),
                f -> ImageCodec.encode(f, shape, "png", 0, previewScale),
                s -> started(s, model.manifest()));
        // Behind ingress-nginx, X-Request-ID is the request id it hashed this request on
        // (k8s/base/ingress-sessions.yaml): the session id starts with it, so later requests hash alike.
        boolean deterministic = Boolean.TRUE.equals(request.deterministic());
        Session s = sessions.create(
                endless,
                deterministic ? model.unbatched() : model.gateway(),
                spec,
                owner(exchange),
                exchange.getRequest().getHeaders().getFirst("X-Request-ID"));
        return ResponseEntity.created(URI.create("/v1/sessions/" + s.id())).body(created(s, model.manifest(), null));
    }

    /** The API key the request was made with (the session owner), or null when keys are off. */
    private static String owner(ServerWebExchange exchange) {
        return ApiKeys.owner(exchange).orElse(null);
    }

    private static Session.Mode mode(String mode) {
        if (mode == null || mode.equals("realtime")) {
            return Session.Mode.REALTIME;
        }
        if (mode.equals("step")) {
            return Session.Mode.STEP;
        }
        throw ApiException.badRequest("mode", "must be realtime or step, got '" + mode + "'");
    }

    private static Started started(Session s, ModelManifest m) {
        GenerationPlan p = s.loop().plan();
        return new Started(
                s.id(),
                m.id(),
                s.mode().label(),
                s.fps(),
                s.lagFrames(),
                p.seed(),
                ApiModels.ScheduleInfo.of(p.schedule()),
                new MemoryBudget(
                        m.memory().kind(), p.memory().budget(), p.memory().unit()));
    }

    private static Created created(Session s, ModelManifest m, String forkedFrom) {
        Started st = started(s, m);
        return new Created(
                st.id(),
                st.model(),
                st.mode(),
                st.fps(),
                st.lagFrames(),
                st.seed(),
                st.schedule(),
                st.memory(),
                s.expiresAt(),
                Links.of(s.id()),
                forkedFrom);
    }

    private ModelManifest manifestOf(Session s) {
        return registry.get(s.spec().model())
                .orElseThrow(SessionException::notFound)
                .manifest();
    }

    @GetMapping(path = "/v1/sessions/{id}", produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(
            summary = "A session's state",
            description = "Frames emitted, actions received and pending, memory"
                    + " used, bytes held, viewers, late frames, activity times and expiry.")
    @ApiResponse(responseCode = "200", description = "The state")
    @ApiResponse(
            responseCode = "404",
            description = "Unknown, expired or deleted session",
            content = @Content(mediaType = "application/problem+json"))
    StateBody state(@PathVariable String id, ServerWebExchange exchange) {
        Session s = sessions.get(id, owner(exchange));
        Session.State st = s.state();
        GenerationPlan p = s.loop().plan();
        return new StateBody(
                s.id(),
                s.spec().model(),
                s.mode().label(),
                s.fps(),
                s.lagFrames(),
                ApiModels.ScheduleInfo.of(p.schedule()),
                st.framesEmitted(),
                st.actionsReceived(),
                st.actionsPending(),
                new MemoryUse(st.memoryUsed(), p.memory().budget(), p.memory().unit()),
                st.bytesHeld(),
                st.viewers(),
                st.lateFrames(),
                s.createdAt(),
                st.lastActivityAt(),
                st.expiresAt());
    }

    @PostMapping(
            path = "/v1/sessions/{id}/actions",
            consumes = MediaType.APPLICATION_JSON_VALUE,
            produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(
            summary = "Send actions",
            description = "Queues the actions in order; each gets a sequence number"
                    + " that the frame it leads to reports as actionSeq.")
    @ApiResponse(responseCode = "202", description = "Queued: their sequence numbers and the queue length")
    @ApiResponse(
            responseCode = "400",
            description = "An unknown action; the problem names actions[i]",
            content = @Content(mediaType = "application/problem+json"))
    @ApiResponse(
            responseCode = "404",
            description = "Unknown, expired or deleted session",
            content = @Content(mediaType = "application/problem+json"))
    @ApiResponse(
            responseCode = "429",
            description = "The session's action queue is full; see Retry-After",
            content = @Content(mediaType = "application/problem+json"))
    ResponseEntity<ActionsAccepted> actions(
            @PathVariable String id, @RequestBody ActionsRequest body, ServerWebExchange exchange) {
        Session s = sessions.get(id, owner(exchange));
        ActionsAccepted a = send(s, body == null ? null : body.actions(), manifestOf(s));
        return ResponseEntity.status(HttpStatus.ACCEPTED).body(a);
    }

    /** Parses and queues actions (shared with the WebSocket). */
    static ActionsAccepted send(Session s, List<Object> actions, ModelManifest m) {
        if (actions == null || actions.isEmpty()) {
            throw ApiException.badRequest("actions", "give at least one action, e.g. {\"actions\": [\"forward\"]}");
        }
        List<Session.Input> inputs = new ArrayList<>();
        for (int i = 0; i < actions.size(); i++) {
            Object a = actions.get(i);
            inputs.add(new Session.Input(GenerationPlanner.action(a, m.actions(), "actions[" + i + "]"), a));
        }
        long[] seqs = s.addActions(inputs);
        return new ActionsAccepted(seqs, s.actionsPending());
    }

    @PostMapping(path = "/v1/sessions/{id}/fork", produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(
            summary = "Fork a session",
            description = "A new session with the same state (window, memory,"
                    + " history, random stream) and an empty action queue: the same actions sent to both give the same"
                    + " frames.")
    @ApiResponse(responseCode = "201", description = "The new session, with forkedFrom")
    @ApiResponse(
            responseCode = "404",
            description = "Unknown, expired or deleted session",
            content = @Content(mediaType = "application/problem+json"))
    @ApiResponse(
            responseCode = "429",
            description = "arvdm.sessions.max-sessions reached",
            content = @Content(mediaType = "application/problem+json"))
    Mono<ResponseEntity<Created>> fork(@PathVariable String id, ServerWebExchange exchange) {
        String owner = owner(exchange);
        Session parent = sessions.get(id, owner);
        ModelManifest m = manifestOf(parent);
        return Mono.fromFuture(sessions.fork(id, owner))
                .map(child -> ResponseEntity.created(URI.create("/v1/sessions/" + child.id()))
                        .body(created(child, m, parent.id())));
    }

    @DeleteMapping(path = "/v1/sessions/{id}")
    @Operation(summary = "End a session", description = "Viewers get closed {reason: deleted}; everything is freed.")
    @ApiResponse(responseCode = "204", description = "Ended")
    @ApiResponse(
            responseCode = "404",
            description = "Unknown, expired or deleted session",
            content = @Content(mediaType = "application/problem+json"))
    ResponseEntity<Void> delete(@PathVariable String id, ServerWebExchange exchange) {
        Session s = sessions.get(id, owner(exchange));
        sessions.close(s.id(), "deleted");
        return ResponseEntity.noContent().build();
    }

    @GetMapping(path = "/v1/sessions/{id}/events", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
    @Operation(
            summary = "The session's event stream",
            description = "Events started, frame (SSE id = frame"
                    + " index), action, preview, error, closed. Last-Event-ID: n resumes with frame n+1 from the replay"
                    + " buffer (arvdm.sessions.replay-frames); without it the stream starts at the oldest event held.")
    @ApiResponse(responseCode = "200", description = "The event stream")
    @ApiResponse(
            responseCode = "404",
            description = "Unknown, expired or deleted session",
            content = @Content(mediaType = "application/problem+json"))
    Flux<ServerSentEvent<Object>> events(
            @PathVariable String id,
            @Parameter(description = "Resume after this frame index")
                    @RequestHeader(name = "Last-Event-ID", required = false)
                    String lastEventId,
            ServerWebExchange exchange) {
        Session s = sessions.get(id, owner(exchange));
        Integer after = null;
        if (lastEventId != null && !lastEventId.isBlank()) {
            try {
                after = Integer.parseInt(lastEventId.trim());
            } catch (NumberFormatException e) {
                throw ApiException.badRequest("Last-Event-ID", "must be a frame index, got '" + lastEventId + "'");
            }
        }
        Flux<ServerSentEvent<Object>> events =
                s.events(after).map(SessionController::toSse).concatWithValues(END);
        Flux<ServerSentEvent<Object>> ticks = Flux.interval(keepAlive, keepAlive)
                .map(i -> ServerSentEvent.builder().comment("keep-alive").build());
        return Flux.merge(events, ticks).takeWhile(e -> e != END);
    }

    private static ServerSentEvent<Object> toSse(SessionEvent e) {
        ServerSentEvent.Builder<Object> b =
                ServerSentEvent.builder(ApiErrors.sessionData(e.data())).event(e.name());
        if (e.frame() >= 0) {
            b.id(Integer.toString(e.frame()));
        }
        return b.build();
    }

    @GetMapping(
            path = "/v1/sessions/{id}/recording",
            produces = {"video/mp4", "application/problem+json"})
    @Operation(
            summary = "The session so far as MP4",
            description = "Every frame emitted so far (the newest"
                    + " arvdm.sessions.max-recording-frames), H.264 at the session's fps.")
    @ApiResponse(responseCode = "200", description = "video/mp4", content = @Content(mediaType = "video/mp4"))
    @ApiResponse(
            responseCode = "404",
            description = "Unknown, expired or deleted session",
            content = @Content(mediaType = "application/problem+json"))
    @ApiResponse(
            responseCode = "409",
            description = "No frame yet",
            content = @Content(mediaType = "application/problem+json"))
    Mono<ResponseEntity<byte[]>> recording(@PathVariable String id, ServerWebExchange exchange) {
        Session s = sessions.get(id, owner(exchange));
        List<String> frames = s.recording();
        if (frames.isEmpty()) {
            throw SessionException.noFrames();
        }
        return Mono.fromCallable(() -> Recording.mp4(frames, s.fps()))
                .subscribeOn(Schedulers.boundedElastic())
                .map(bytes -> ResponseEntity.ok()
                        .contentType(MediaType.parseMediaType("video/mp4"))
                        .header(HttpHeaders.CONTENT_DISPOSITION, "inline; filename=\"session.mp4\"")
                        .body(bytes));
    }

    static int lag(GenerationPlan p) {
        return ArLoop.lag(p.schedule());
    }
}
