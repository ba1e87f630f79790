package org.arvdm.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.arvdm.TinyBundleServiceTest;
import org.arvdm.diagnostics.EvaluationPlanner;
import org.arvdm.diagnostics.EvaluationReport;
import org.arvdm.diagnostics.EvaluationService;
import org.arvdm.diagnostics.EvaluationSets;
import org.arvdm.diagnostics.Evaluator;
import org.arvdm.model.ModelRegistry;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.function.client.WebClient;

/** The evaluation API over the real HTTP stack: tiny TorchScript bundles through DJL, tiny evaluation sets. */
@TinyBundleServiceTest
class EvaluationApiTest {
    static final ParameterizedTypeReference<ServerSentEvent<Map<String, Object>>> SSE =
            new ParameterizedTypeReference<>() {};

    @LocalServerPort
    int port;

    @Autowired
    ModelRegistry registry;

    @Autowired
    EvaluationSets sets;

    @Autowired
    EvaluationService service;

    @Autowired
    MeterRegistry meters;

    WebTestClient http;
    WebClient client;

    @BeforeEach
    void setUp() throws Exception {
        assertThat(registry.awaitLoaded(Duration.ofSeconds(60))).isTrue();
        assertThat(registry.ready()).as(registry.problem()).isTrue();
        http = WebTestClient.bindToServer()
                .baseUrl("http://localhost:" + port)
                .responseTimeout(Duration.ofSeconds(120))
                .build();
        client = WebClient.builder().baseUrl("http://localhost:" + port).build();
    }

    static Map<String, Object> request(String model, String set, int frames, long seed) {
        Map<String, Object> r = new HashMap<>();
        r.put("model", model);
        r.put("set", set);
        r.put("frames", frames);
        r.put("seed", seed);
        return r;
    }

    List<ServerSentEvent<Map<String, Object>>> stream(Map<String, Object> body) {
        return client.post()
                .uri("/v1/evaluations")
                .contentType(MediaType.APPLICATION_JSON)
                .accept(MediaType.TEXT_EVENT_STREAM)
                .bodyValue(body)
                .retrieve()
                .bodyToFlux(SSE)
                .filter(e -> e.event() != null)
                .collectList()
                .block(Duration.ofSeconds(120));
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> report(Map<String, Object> body) {
        return http.post()
                .uri("/v1/evaluations")
                .contentType(MediaType.APPLICATION_JSON)
                .accept(MediaType.APPLICATION_JSON)
                .bodyValue(body)
                .exchange()
                .expectStatus()
                .isOk()
                .expectBody(Map.class)
                .returnResult()
                .getResponseBody();
    }

    @Test
    void listsTheBundledSetsWithTheirRevisitsPerBucket() {
        http.get()
                .uri("/v1/evaluation-sets")
                .exchange()
                .expectStatus()
                .isOk()
                .expectBody()
                .jsonPath("$.sets.length()")
                .isEqualTo(4)
                .jsonPath("$.sets[0].name")
                .isEqualTo("tiny-control")
                .jsonPath("$.sets[0].kind")
                .isEqualTo("controllability")
                .jsonPath("$.sets[0].states")
                .isEqualTo(2)
                .jsonPath("$.sets[0].world")
                .isEqualTo("maze-v1")
                .jsonPath("$.sets[1].world")
                .isEqualTo("maze-v2")
                .jsonPath("$.sets[2].name")
                .isEqualTo("tiny-loop")
                .jsonPath("$.sets[2].kind")
                .isEqualTo("retrieval")
                .jsonPath("$.sets[2].states")
                .isEqualTo(0)
                .jsonPath("$.sets[2].contextFrames")
                .isEqualTo(4)
                .jsonPath("$.sets[2].trajectories")
                .isEqualTo(3)
                .jsonPath("$.sets[2].frame.width")
                .isEqualTo(16)
                .jsonPath("$.sets[2].revisits['0-16']")
                .isEqualTo(sets.get("tiny-loop").orElseThrow().revisitsPerBucket()[0])
                .jsonPath("$.sets[3].name")
                .isEqualTo("tiny-walk");
    }

    @Test
    @SuppressWarnings("unchecked")
    void aControllabilitySetReportsPerActionHitsChangeAndSharpnessAndFeedsTheGauges() {
        Map<String, Object> report = report(request("tiny-frames", "tiny-control", 8, 5));
        Map<String, Object> c = (Map<String, Object>) report.get("controllability");
        assertThat(c).containsEntry("states", 2);
        assertThat((Map<String, Object>) c.get("hits"))
                .containsOnlyKeys("noop", "forward", "back", "left", "right")
                .allSatisfy((k, v) -> assertThat(((Number) v).doubleValue()).isBetween(0.0, 1.0));
        assertThat((Map<String, Object>) c.get("hitsNewViews")).containsKeys("forward", "back", "right");
        assertThat(((Number) c.get("sharpness")).doubleValue()).isPositive();
        Map<String, Object> change = (Map<String, Object>) c.get("change");
        int frames = change.values().stream()
                .mapToInt(v -> ((Number) ((Map<String, Object>) v).get("frames")).intValue())
                .sum();
        assertThat(frames).isEqualTo(8);
        assertThat(meters.get("arvdm.evaluation.controllability")
                        .tag("model", "tiny-frames")
                        .tag("set", "tiny-control")
                        .tag("action", "left")
                        .gauge()
                        .value())
                .isEqualTo(((Number) ((Map<String, Object>) c.get("hits")).get("left")).doubleValue());
        // the other kinds say nothing about controllability
        assertThat(report(request("tiny-frames", "tiny-walk", 4, 5)).get("controllability"))
                .isNull();
    }

    @Test
    void aSetOfAnotherWorldIsRefusedNamingTheSet() {
        http.post()
                .uri("/v1/evaluations")
                .contentType(MediaType.APPLICATION_JSON)
                .accept(MediaType.APPLICATION_JSON)
                .bodyValue(request("tiny-frames", "tiny-control-v2", 4, 1))
                .exchange()
                .expectStatus()
                .isBadRequest()
                .expectBody()
                .jsonPath("$.field")
                .isEqualTo("set")
                .jsonPath("$.detail")
                .value(d -> assertThat((String) d).contains("maze-v2").contains("maze-v1"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void streamsStartedThenProgressPerTrajectoryThenTheReport() {
        List<ServerSentEvent<Map<String, Object>>> events = stream(request("tiny-frames", "tiny-loop", 12, 7));
        assertThat(events)
                .extracting(ServerSentEvent::event)
                .containsExactly("started", "progress", "progress", "progress", "report");
        Map<String, Object> started = events.get(0).data();
        assertThat(started)
                .containsEntry("model", "tiny-frames")
                .containsEntry("set", "tiny-loop")
                .containsEntry("seed", 7)
                .containsEntry("trajectories", 3)
                .containsEntry("contextFrames", 4)
                .containsEntry("frames", 12)
                .containsEntry("dataRange", 2.0)
                .containsEntry("retrievalThreshold", 0.5);
        assertThat(events.get(2).id()).isEqualTo("1");
        Map<String, Object> progress = events.get(2).data();
        assertThat(progress).containsEntry("trajectory", 1).containsEntry("of", 3);
        assertThat((Map<String, Object>) progress.get("result"))
                .containsEntry("id", "tiny-loop-01")
                .containsEntry("seed", 8)
                .containsEntry("frames", 12);
        List<Map<String, Object>> running =
                (List<Map<String, Object>>) ((Map<String, Object>) progress.get("scores")).get("intervals");
        assertThat(running.get(0)).containsEntry("frames", 24).containsEntry("trajectories", 2);

        Map<String, Object> report = events.get(4).data();
        Map<String, Object> scores = (Map<String, Object>) report.get("scores");
        List<Map<String, Object>> intervals = (List<Map<String, Object>>) scores.get("intervals");
        assertThat(intervals).extracting(i -> i.get("interval")).containsExactly("0-16", "16-32", "32-48", "48-64");
        assertThat(intervals.get(0)).containsEntry("frames", 36);
        assertThat(((Number) intervals.get(0).get("psnrMean")).doubleValue()).isBetween(0.0, 100.0);
        assertThat(intervals.get(1).get("psnrMean")).isNull();
        assertThat(scores.get("maxPsnrDecay")).isNull();
        List<Map<String, Object>> buckets = (List<Map<String, Object>>) scores.get("buckets");
        assertThat(buckets).extracting(b -> b.get("bucket")).containsExactly("0-16", "16-48", "48-112");
        assertThat(((Number) buckets.get(0).get("frames")).intValue()).isPositive();
        assertThat(((Number) buckets.get(0).get("retrievalRate")).doubleValue()).isBetween(0.0, 1.0);
        assertThat(report.get("baseline")).isNotNull();
        assertThat((List<Object>) report.get("trajectoryResults")).hasSize(3);
    }

    @Test
    @SuppressWarnings("unchecked")
    void theSameSeedGivesTheSameNumbersAndAnotherSeedOthers() {
        Map<String, Object> body = request("tiny-tokens", "tiny-walk", 20, 5);
        body.put("maxTrajectories", 2);
        Map<String, Object> http1 = report(body);
        Map<String, Object> http2 = report(body);
        body.put("seed", 6);
        Map<String, Object> other = report(body);

        assertThat(http1.get("scores")).isEqualTo(http2.get("scores"));
        assertThat(other.get("scores")).isNotEqualTo(http1.get("scores"));
        assertThat(other.get("baseline")).isEqualTo(http1.get("baseline"));
        Map<String, Object> decayed = (Map<String, Object>) http1.get("scores");
        assertThat(decayed.get("maxPsnrDecay")).isNotNull();
    }

    @Test
    @SuppressWarnings("unchecked")
    void uploadedTrajectoriesAreScoredWithTheirSinceSeen() {
        Map<String, Object> body = new HashMap<>();
        body.put("model", "tiny-none");
        body.put("contextFrames", 2);
        body.put("seed", 1);
        List<String> frames = TestImages.clip(6, 16);
        body.put(
                "trajectories",
                List.of(Map.of(
                        "id",
                        "mine",
                        "frames",
                        frames,
                        "actions",
                        List.of("noop", "left", "right", "left", "right", "noop"),
                        "sinceSeen",
                        List.of(-1, -1, 2, 2, 20, -1))));
        Map<String, Object> report = report(body);
        assertThat(report).containsEntry("set", "uploaded").containsEntry("frames", 4);
        Map<String, Object> scores = (Map<String, Object>) report.get("scores");
        List<Map<String, Object>> buckets = (List<Map<String, Object>>) scores.get("buckets");
        assertThat(buckets.get(0)).containsEntry("frames", 2);
        assertThat(buckets.get(1)).containsEntry("frames", 1);
        assertThat(buckets.get(2)).containsEntry("frames", 0).containsEntry("retrievalRate", null);
        assertThat((List<Map<String, Object>>) report.get("trajectoryResults"))
                .singleElement()
                .satisfies(t -> assertThat(t).containsEntry("id", "mine").containsEntry("revisits", 3));
    }

    @Test
    void badInputIsA400ThatNamesTheFieldAndUnknownNamesAre404() {
        Map<String, Object> ok = request("tiny-frames", "tiny-walk", 4, 1);
        expectProblem(with(ok, "trajectories", List.of()), 400, "trajectories");
        expectProblem(without(ok, "set"), 400, "set");
        expectProblem(with(ok, "set", "nope"), 404, "set");
        expectProblem(with(ok, "model", "nope"), 404, "model");
        expectProblem(with(ok, "contextFrames", 0), 400, "contextFrames");
        expectProblem(with(ok, "contextFrames", 36), 400, "contextFrames");
        expectProblem(with(ok, "frames", 0), 400, "frames");
        expectProblem(with(ok, "frames", 65), 400, "frames");
        expectProblem(with(ok, "maxTrajectories", 0), 400, "maxTrajectories");
        expectProblem(with(ok, "retrievalThreshold", 1.5), 400, "retrievalThreshold");
        expectProblem(with(ok, "schedule", Map.of("stride", 3)), 400, "schedule.stride");
        expectProblem(with(ok, "memory", Map.of("frames", 9)), 400, "memory.frames");
        Map<String, Object> upload = without(with(ok, "contextFrames", 1), "set");
        expectProblem(
                with(
                        upload,
                        "trajectories",
                        List.of(Map.of("frames", TestImages.clip(3, 16), "actions", List.of("noop", "jump", "left")))),
                400,
                "trajectories[0].actions[1]");
        expectProblem(
                with(
                        upload,
                        "trajectories",
                        List.of(Map.of("frames", TestImages.clip(3, 16), "actions", List.of("noop", "left")))),
                400,
                "trajectories[0].actions");
        expectProblem(
                with(
                        upload,
                        "trajectories",
                        List.of(Map.of(
                                "frames",
                                List.of(TestImages.png(8, 8, 1), TestImages.png(16, 16, 2)),
                                "actions",
                                List.of("noop", "left")))),
                400,
                "trajectories[0].frames[0]");
        http.post()
                .uri("/v1/evaluations")
                .contentType(MediaType.APPLICATION_JSON)
                .accept(MediaType.APPLICATION_JSON)
                .bodyValue("{\"set\": \"a\", ")
                .exchange()
                .expectStatus()
                .isBadRequest()
                .expectBody()
                .jsonPath("$.field")
                .isEqualTo("body");
        http.post()
                .uri("/v1/evaluations")
                .contentType(MediaType.APPLICATION_JSON)
                .accept(MediaType.APPLICATION_JSON)
                .bodyValue("{\"set\": [1, 2}")
                .exchange()
                .expectStatus()
                .isBadRequest()
                .expectBody()
                .jsonPath("$.field")
                .isEqualTo("set");
        expectProblem(
                without(
                        with(
                                upload,
                                "trajectories",
                                List.of(Map.of("frames", TestImages.clip(2, 16), "actions", List.of("noop", "left")))),
                        "contextFrames"),
                400,
                "contextFrames");
    }

    private void expectProblem(Map<String, Object> body, int status, String field) {
        http.post()
                .uri("/v1/evaluations")
                .contentType(MediaType.APPLICATION_JSON)
                .accept(MediaType.APPLICATION_JSON)
                .bodyValue(body)
                .exchange()
                .expectStatus()
                .isEqualTo(status)
                .expectHeader()
                .contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody()
                .jsonPath("$.field")
                .isEqualTo(field);
    }

    private static Map<String, Object> with(Map<String, Object> body, String key, Object value) {
        Map<String, Object> copy = new HashMap<>(body);
        copy.put(key, value);
        return copy;
    }

    private static Map<String, Object> without(Map<String, Object> body, String key) {
        Map<String, Object> copy = new HashMap<>(body);
        copy.remove(key);
        return copy;
    }

    @Test
    void aClientThatDisconnectsCancelsItsEvaluationAndFreesItsPlace() throws Exception {
        Map<String, Object> body = request("tiny-frames", "tiny-loop", 36, 3);
        body.put("schedule", Map.of("arSteps", 200));
        List<String> got = new ArrayList<>();
        client.post()
                .uri("/v1/evaluations")
                .contentType(MediaType.APPLICATION_JSON)
                .accept(MediaType.TEXT_EVENT_STREAM)
                .bodyValue(body)
                .retrieve()
                .bodyToFlux(SSE)
                .filter(e -> e.event() != null)
                .doOnNext(e -> got.add(e.event()))
                .take(1)
                .blockLast(Duration.ofSeconds(60));
        assertThat(got).containsExactly("started");
        org.arvdm.Await.until(
                Duration.ofSeconds(10),
                () -> service.admission().inFlight() == 0,
                "the evaluations' places to be given back");
        // the freed place takes the next evaluation at once
        assertThat(report(request("tiny-none", "tiny-walk", 2, 1))).containsEntry("frames", 2);
    }

    @Test
    void gaugesHoldTheLastEvaluationsHeadlineNumbers() {
        Map<String, Object> body = request("tiny-none", "tiny-walk", 20, 2);
        report(body);
        EvaluationReport expected;
        try {
            expected = new Evaluator()
                    .run(
                            EvaluationPlanner.ofSet(
                                    registry.get("tiny-none").orElseThrow(),
                                    sets.get("tiny-walk").orElseThrow(),
                                    0,
                                    20,
                                    2,
                                    0.5),
                            new Evaluator.Listener() {});
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
        assertThat(meters.get("arvdm.evaluation.psnr")
                        .tag("model", "tiny-none")
                        .tag("set", "tiny-walk")
                        .tag("interval", "0-16")
                        .gauge()
                        .value())
                .isEqualTo(expected.scores().intervals().get(0).psnrMean());
        assertThat(meters.get("arvdm.evaluation.psnr")
                        .tag("model", "tiny-none")
                        .tag("interval", "48-64")
                        .gauge()
                        .value())
                .isNaN();
        assertThat(meters.get("arvdm.evaluation.max_psnr_decay")
                        .tag("model", "tiny-none")
                        .gauge()
                        .value())
                .isEqualTo(expected.scores().maxPsnrDecay());
        assertThat(meters.get("arvdm.evaluation.retrieval_rate")
                        .tag("model", "tiny-none")
                        .tag("bucket", "0-16")
                        .gauge()
                        .value())
                .isEqualTo(expected.scores().buckets().get(0).retrievalRate());
        String text = org.arvdm.Prometheus.scrape(http);
        assertThat(text)
                .containsPattern(
                        "arvdm_evaluation_psnr_decibels\\{.*interval=\"0-16\".*model=\"tiny-none\".*set=\"tiny-walk\"")
                .containsPattern("arvdm_evaluation_max_psnr_decay_decibels\\{.*model=\"tiny-none\"")
                .containsPattern("arvdm_evaluation_retrieval_rate\\{.*bucket=\"0-16\".*model=\"tiny-none\"");
    }
}
