package org.arvdm.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.arvdm.TinyBundleServiceTest;
import org.arvdm.generation.GenerationService;
import org.arvdm.model.LoadedModel;
import org.arvdm.model.ModelRegistry;
import org.arvdm.session.SessionService;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.socket.client.ReactorNettyWebSocketClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/** Sessions over the real HTTP stack (REST, SSE, WebSocket) with the tiny bundles through DJL. */
@TinyBundleServiceTest
class SessionApiTest {
    static final ParameterizedTypeReference<ServerSentEvent<Map<String, Object>>> SSE =
            new ParameterizedTypeReference<>() {};
    static final JsonMapper JSON = JsonMapper.builder().build();

    @LocalServerPort
    int port;

    @Autowired
    ModelRegistry registry;

    @Autowired
    SessionService sessions;

    @Autowired
    GenerationService runner;

    WebTestClient http;
    WebClient client;

    @BeforeEach
    void setUp() throws Exception {
        assertThat(registry.awaitLoaded(Duration.ofSeconds(60))).isTrue();
        http = WebTestClient.bindToServer()
                .baseUrl("http://localhost:" + port)
                .responseTimeout(Duration.ofSeconds(60))
                .build();
        client = WebClient.builder().baseUrl("http://localhost:" + port).build();
        await(() -> sessions.openSessions() == 0, "sessions of earlier tests closed");
    }

    static Map<String, Object> body(String model, String mode, long seed) {
        Map<String, Object> r = new HashMap<>();
        r.put("model", model);
        r.put("context", Map.of("frames", TestImages.clip(2, 16)));
        r.put("mode", mode);
        r.put("seed", seed);
        return r;
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> create(Map<String, Object> body) {
        return http.post()
                .uri("/v1/sessions")
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(body)
                .exchange()
                .expectStatus()
                .isCreated()
                .expectBody(Map.class)
                .returnResult()
                .getResponseBody();
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> post(String id, List<String> actions) {
        return http.post()
                .uri("/v1/sessions/" + id + "/actions")
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("actions", actions))
                .exchange()
                .expectStatus()
                .isAccepted()
                .expectBody(Map.class)
                .returnResult()
                .getResponseBody();
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> state(String id) {
        return http.get()
                .uri("/v1/sessions/" + id)
                .exchange()
                .expectStatus()
                .isOk()
                .expectBody(Map.class)
                .returnResult()
                .getResponseBody();
    }

    int framesEmitted(String id) {
        return ((Number) state(id).get("framesEmitted")).intValue();
    }

    /** Frame events of the stream, starting after {@code lastEventId} (or the oldest held), {@code n} of them. */
    List<ServerSentEvent<Map<String, Object>>> frames(String id, Integer lastEventId, int n) {
        return client.get()
                .uri("/v1/sessions/" + id + "/events")
                .accept(MediaType.TEXT_EVENT_STREAM)
                .headers(h -> {
                    if (lastEventId != null) {
                        h.set("Last-Event-ID", Integer.toString(lastEventId));
                    }
                })
                .retrieve()
                .bodyToFlux(SSE)
                .filter(e -> "frame".equals(e.event()))
                .take(n)
                .collectList()
                .block(Duration.ofSeconds(60));
    }

    static void await(BooleanSupplier condition, String what) throws InterruptedException {
        org.arvdm.Await.until(Duration.ofSeconds(30), condition, what);
    }

    @Test
    @SuppressWarnings("unchecked")
    void stepSessionEmitsAFrameForEachActionOnceTheLagIsFilled() throws Exception {
        var res = http.post()
                .uri("/v1/sessions")
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(body("tiny-frames", "step", 3))
                .exchange()
                .expectStatus()
                .isCreated()
                .expectBody(Map.class)
                .returnResult();
        @SuppressWarnings("unchecked")
        Map<String, Object> s = res.getResponseBody();
        String id = (String) s.get("id");
        assertThat(res.getResponseHeaders().getLocation()).isEqualTo(URI.create("/v1/sessions/" + id));
        assertThat(id).hasSize(22); // 128 random bits, URL-safe base64
        assertThat(s.get("lagFrames")).isEqualTo(3);
        assertThat(s.get("mode")).isEqualTo("step");
        assertThat(s.get("fps")).isEqualTo(10);
        assertThat(cast(s.get("links")))
                .containsEntry("ws", "/v1/sessions/" + id + "/ws")
                .containsEntry("events", "/v1/sessions/" + id + "/events");
        assertThat(s).containsKeys("expiresAt", "schedule", "memory", "seed");

        Map<String, Object> ack = post(id, List.of("forward", "left", "forward", "right", "back", "noop"));
        assertThat((List<Object>) ack.get("sequences")).containsExactly(0, 1, 2, 3, 4, 5);
        // Lag 3: six actions give frames 0..2 (frame i needs the actions up to i + 3).
        List<ServerSentEvent<Map<String, Object>>> frames = frames(id, null, 3);
        for (int i = 0; i < 3; i++) {
            Map<String, Object> f = frames.get(i).data();
            assertThat(f.get("index")).isEqualTo(i);
            assertThat(frames.get(i).id()).isEqualTo(Integer.toString(i));
            assertThat(f.get("actionSeq")).isEqualTo(i);
            assertThat(((Number) f.get("latencyMs")).doubleValue()).isPositive();
            assertThat(TestImages.decode((String) f.get("image")).getWidth()).isEqualTo(16);
        }
        assertThat(frames.get(1).data().get("action")).isEqualTo("left");
        Map<String, Object> st = state(id);
        assertThat(st.get("framesEmitted")).isEqualTo(3);
        assertThat(st.get("actionsReceived")).isEqualTo(6);
        assertThat(st.get("actionsPending")).isEqualTo(0);
        assertThat(((Number) st.get("bytesHeld")).longValue()).isPositive();
        http.delete().uri("/v1/sessions/" + id).exchange().expectStatus().isNoContent();
    }

    @Test
    void badInputAndUnknownSessionsAreProblems() throws Exception {
        String id = (String) create(body("tiny-frames", "step", 1)).get("id");
        http.post()
                .uri("/v1/sessions/" + id + "/actions")
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("actions", List.of("forward", "jump")))
                .exchange()
                .expectStatus()
                .isBadRequest()
                .expectBody()
                .jsonPath("$.field")
                .isEqualTo("actions[1]");
        http.post()
                .uri("/v1/sessions")
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("context", Map.of("frames", TestImages.clip(1, 16)), "mode", "fast"))
                .exchange()
                .expectStatus()
                .isBadRequest()
                .expectBody()
                .jsonPath("$.field")
                .isEqualTo("mode");
        http.post()
                .uri("/v1/sessions")
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("context", Map.of("frames", TestImages.clip(1, 16)), "fps", 99))
                .exchange()
                .expectStatus()
                .isBadRequest()
                .expectBody()
                .jsonPath("$.field")
                .isEqualTo("fps");
        http.get()
                .uri("/v1/sessions/nope")
                .exchange()
                .expectStatus()
                .isNotFound()
                .expectHeader()
                .contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody()
                .jsonPath("$.type")
                .isEqualTo("urn:arvdm:session-not-found");
        // Step mode with no reader: 8 queued actions fill the queue (lag 3 means the first units use
        // some, so keep sending until it is full), then 429 with Retry-After.
        int status = 202;
        for (int i = 0; i < 40 && status == 202; i++) {
            status = http.post()
                    .uri("/v1/sessions/" + id + "/actions")
                    .contentType(MediaType.APPLICATION_JSON)
                    .bodyValue(Map.of("actions", List.of("forward", "forward", "forward", "forward")))
                    .exchange()
                    .returnResult(String.class)
                    .getStatus()
                    .value();
        }
        http.post()
                .uri("/v1/sessions/" + id + "/actions")
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of(
                        "actions",
                        List.of(
                                "forward", "forward", "forward", "forward", "forward", "forward", "forward", "forward",
                                "forward")))
                .exchange()
                .expectStatus()
                .isEqualTo(429)
                .expectHeader()
                .exists("Retry-After")
                .expectBody()
                .jsonPath("$.type")
                .isEqualTo("urn:arvdm:session-queue-full");
        http.delete().uri("/v1/sessions/" + id).exchange().expectStatus().isNoContent();
        http.delete().uri("/v1/sessions/" + id).exchange().expectStatus().isNotFound();
        http.get().uri("/v1/sessions/" + id).exchange().expectStatus().isNotFound();
    }

    @Test
    void aClientThatNeverReadsHoldsABoundedSession() throws Exception {
        String id = (String) create(body("tiny-none", "step", 2)).get("id");
        for (int i = 0; i < 200; i++) {
            int status = http.post()
                    .uri("/v1/sessions/" + id + "/actions")
                    .contentType(MediaType.APPLICATION_JSON)
                    .bodyValue(Map.of("actions", List.of("forward", "left")))
                    .exchange()
                    .returnResult(String.class)
                    .getStatus()
                    .value();
            if (status == 429) {
                break;
            }
        }
        // Flooded, the session runs until its replay buffer is full, then parks and gives its worker back.
        await(() -> runner.busyWorkers() == 0 && framesEmitted(id) > 0, "the flooded session to park");
        Map<String, Object> st = state(id);
        // The session parks once a replay buffer (16 frames) is unread; the queue holds at most 8 actions.
        assertThat(((Number) st.get("framesEmitted")).intValue()).isLessThanOrEqualTo(16);
        assertThat(((Number) st.get("actionsPending")).intValue()).isLessThanOrEqualTo(8);
        assertThat(((Number) st.get("bytesHeld")).longValue()).isLessThan(200_000);
        await(() -> runner.busyWorkers() == 0, "no worker held by the parked session");
        http.delete().uri("/v1/sessions/" + id).exchange().expectStatus().isNoContent();
    }

    @Test
    void lastEventIdResumesWithTheNextFrameWithoutGapsOrDuplicates() throws Exception {
        String id = (String) create(body("tiny-frames", "step", 4)).get("id");
        post(id, List.of("forward", "left", "forward", "right", "back", "noop", "left", "left"));
        List<ServerSentEvent<Map<String, Object>>> first = frames(id, null, 5);
        assertThat(first).extracting(ServerSentEvent::id).containsExactly("0", "1", "2", "3", "4");
        List<ServerSentEvent<Map<String, Object>>> resumed = frames(id, 2, 2);
        assertThat(resumed).extracting(ServerSentEvent::id).containsExactly("3", "4");
        assertThat(resumed.get(0).data().get("image"))
                .isEqualTo(first.get(3).data().get("image"));
        // Resuming at the newest frame waits for the next one.
        post(id, List.of("forward"));
        assertThat(frames(id, 4, 1)).extracting(ServerSentEvent::id).containsExactly("5");
        http.delete().uri("/v1/sessions/" + id).exchange().expectStatus().isNoContent();
    }

    @Test
    void aForkGivenTheSameActionsGivesByteIdenticalFrames() throws Exception {
        String a = (String) create(body("tiny-frames", "step", 9)).get("id");
        post(a, List.of("forward", "left", "forward", "right", "back"));
        await(() -> framesEmitted(a) == 2, "two frames");
        @SuppressWarnings("unchecked")
        Map<String, Object> forked = http.post()
                .uri("/v1/sessions/" + a + "/fork")
                .exchange()
                .expectStatus()
                .isCreated()
                .expectBody(Map.class)
                .returnResult()
                .getResponseBody();
        String b = (String) forked.get("id");
        assertThat(forked.get("forkedFrom")).isEqualTo(a);
        assertThat(b).isNotEqualTo(a);
        assertThat(framesEmitted(b)).isEqualTo(2);
        List<String> more = List.of("left", "left", "forward", "noop");
        post(a, more);
        List<String> fromA = images(frames(a, 1, 4));
        post(b, more);
        List<String> fromB = images(frames(b, 1, 4));
        assertThat(fromA).hasSize(4).isEqualTo(fromB);
        // (That other actions after a fork give other frames is ArLoopTest's; the tiny bundle is untrained.)
        for (String id : List.of(a, b)) {
            http.delete().uri("/v1/sessions/" + id).exchange().expectStatus().isNoContent();
        }
    }

    private static List<String> images(List<ServerSentEvent<Map<String, Object>>> frames) {
        return frames.stream().map(f -> (String) f.data().get("image")).toList();
    }

    @Test
    void deleteAndExpiryReturnCountBytesAndNativeMemoryToBaseline() throws Exception {
        LoadedModel model = registry.get("tiny-tokens").orElseThrow();
        int arrays = model.networks().liveArrays();
        String a = (String) create(body("tiny-tokens", "step", 1)).get("id");
        String b = (String) create(body("tiny-tokens", "step", 2)).get("id");
        post(a, List.of("forward", "left", "forward", "right", "back"));
        frames(a, null, 2);
        assertThat(sessions.openSessions()).isEqualTo(2);
        assertThat(sessions.bytesHeld()).isPositive();
        http.delete().uri("/v1/sessions/" + a).exchange().expectStatus().isNoContent();
        assertThat(sessions.openSessions()).isEqualTo(1);
        // b has no viewer and no action: it expires after the idle timeout (3 s here).
        await(() -> sessions.openSessions() == 0, "the idle session to expire");
        http.get().uri("/v1/sessions/" + b).exchange().expectStatus().isNotFound();
        assertThat(sessions.bytesHeld()).isZero();
        await(() -> runner.liveTasks() == 0, "the session tasks to end");
        assertThat(model.networks().liveArrays()).isEqualTo(arrays);
        String metrics = org.arvdm.Prometheus.scrape(http);
        assertThat(metrics).containsPattern("arvdm_sessions_closed_total\\{.*reason=\"expired\"");
        assertThat(metrics).containsPattern("arvdm_sessions_open\\{.*mode=\"step\".*\\} 0\\.0");
        assertThat(metrics).contains("arvdm_sessions_action_latency_seconds_count");
        assertThat(metrics).doesNotContain(a).doesNotContain(b);
    }

    @Test
    void pastMaxSessionsCreatingOneGets429() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            ids.add((String) create(body("tiny-none", "step", i)).get("id"));
        }
        http.post()
                .uri("/v1/sessions")
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(body("tiny-none", "step", 9))
                .exchange()
                .expectStatus()
                .isEqualTo(429)
                .expectHeader()
                .exists("Retry-After")
                .expectBody()
                .jsonPath("$.type")
                .isEqualTo("urn:arvdm:too-many-sessions");
        ids.forEach(id -> http.delete()
                .uri("/v1/sessions/" + id)
                .exchange()
                .expectStatus()
                .isNoContent());
    }

    @Test
    void realtimeRunsAtItsPaceWithPaddingOnlyWhileAViewerIsConnected() throws Exception {
        Map<String, Object> req = body("tiny-none", "realtime", 5);
        req.put("fps", 20);
        String id = (String) create(req).get("id");
        Thread.sleep(400); // a window in which no frame may come: no condition to await
        assertThat(framesEmitted(id)).as("no viewer: paused").isZero();
        long t0 = System.nanoTime();
        List<ServerSentEvent<Map<String, Object>>> frames = frames(id, null, 10);
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertThat(frames).extracting(f -> f.data().get("actionSeq")).containsOnlyNulls();
        // 10 frames at 20 fps: about half a second, not as fast as the engine can go.
        assertThat(seconds).isGreaterThan(0.35);
        int after = framesEmitted(id);
        Thread.sleep(400); // a window in which at most the frames in flight may come: no condition to await
        assertThat(framesEmitted(id)).as("viewer gone: paused again").isLessThanOrEqualTo(after + 2);
        http.delete().uri("/v1/sessions/" + id).exchange().expectStatus().isNoContent();
    }

    @Test
    void oneWebSocketPlaysTheGameAndSurvivesAMalformedMessage() throws Exception {
        String id = (String) create(body("tiny-frames", "step", 6)).get("id");
        List<Map<String, Object>> got = Collections.synchronizedList(new ArrayList<>());
        ReactorNettyWebSocketClient ws = new ReactorNettyWebSocketClient();
        ws.execute(URI.create("ws://localhost:" + port + "/v1/sessions/" + id + "/ws"), session -> {
                    Flux<String> out = Flux.just(
                            "not json",
                            "{\"actions\": [\"fly\"]}",
                            "{\"actions\": [\"forward\", \"left\", \"forward\", \"right\", \"back\"]}");
                    Mono<Void> in = session.receive()
                            .map(m -> {
                                @SuppressWarnings("unchecked")
                                Map<String, Object> msg = JSON.readValue(m.getPayloadAsText(), Map.class);
                                return msg;
                            })
                            .doOnNext(got::add)
                            .takeUntil(m -> "frame".equals(m.get("event"))
                                    && ((Map<?, ?>) m.get("data")).get("index").equals(1))
                            .then();
                    return session.send(out.delayElements(Duration.ofMillis(50)).map(session::textMessage))
                            .then(in);
                })
                .block(Duration.ofSeconds(60));
        List<Object> names = got.stream().map(m -> m.get("event")).toList();
        assertThat(names.get(0)).isEqualTo("started");
        assertThat(names).contains("error", "action", "frame");
        List<Map<String, Object>> errors = got.stream()
                .filter(m -> "error".equals(m.get("event")))
                .map(m -> (Map<String, Object>) cast(m.get("data")))
                .toList();
        assertThat(errors).hasSize(2);
        assertThat(errors.get(1).get("field")).isEqualTo("actions[0]");
        assertThat(got.stream().filter(m -> "action".equals(m.get("event")))).hasSize(5);
        assertThat(framesEmitted(id)).isEqualTo(2);
        http.delete().uri("/v1/sessions/" + id).exchange().expectStatus().isNoContent();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> cast(Object o) {
        return (Map<String, Object>) o;
    }

    @Test
    void recordingIsAnMp4OfTheFramesSoFar() throws Exception {
        String id = (String) create(body("tiny-none", "step", 7)).get("id");
        http.get()
                .uri("/v1/sessions/" + id + "/recording")
                .exchange()
                .expectStatus()
                .isEqualTo(409);
        post(id, List.of("forward", "left", "forward", "right", "back", "noop"));
        frames(id, null, 3);
        byte[] mp4 = http.get()
                .uri("/v1/sessions/" + id + "/recording")
                .exchange()
                .expectStatus()
                .isOk()
                .expectHeader()
                .contentType("video/mp4")
                .expectBody(byte[].class)
                .returnResult()
                .getResponseBody();
        assertThat(new String(mp4, 4, 4, java.nio.charset.StandardCharsets.US_ASCII))
                .isEqualTo("ftyp");
        assertThat(mp4.length).isGreaterThan(200);
        http.delete().uri("/v1/sessions/" + id).exchange().expectStatus().isNoContent();
    }
}
