package org.arvdm.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.arvdm.TinyBundleServiceTest;
import org.arvdm.model.ModelRegistry;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;

/** Every bad input gets its own 4xx problem naming the field, before any network work. */
@TinyBundleServiceTest
class GenerationErrorsTest {
    @LocalServerPort
    int port;

    @Autowired
    ModelRegistry registry;

    WebTestClient http;

    @BeforeEach
    void setUp() throws Exception {
        assertThat(registry.awaitLoaded(Duration.ofSeconds(60))).isTrue();
        http = WebTestClient.bindToServer().baseUrl("http://localhost:" + port).build();
    }

    private WebTestClient.BodyContentSpec problem(Object body, int status, String field) {
        return http.post()
                .uri("/v1/generations")
                .contentType(MediaType.APPLICATION_JSON)
                .accept(MediaType.TEXT_EVENT_STREAM)
                .bodyValue(body)
                .exchange()
                .expectStatus()
                .isEqualTo(status)
                .expectHeader()
                .contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody()
                .jsonPath("$.status")
                .isEqualTo(status)
                .jsonPath("$.field")
                .isEqualTo(field);
    }

    private static Map<String, Object> with(String key, Object value) {
        Map<String, Object> r = GenerationApiTest.request("tiny-frames", 2, 3, 1);
        r.put(key, value);
        return r;
    }

    @Test
    void unknownModelIs404() {
        problem(with("model", "nope"), 404, "model")
                .jsonPath("$.detail")
                .value(d -> assertThat((String) d).contains("unknown model 'nope'"));
    }

    @Test
    void wrongImageSizeNamesTheFrame() {
        problem(
                        with("context", Map.of("frames", List.of(TestImages.png(16, 16, 0), TestImages.png(8, 16, 1)))),
                        400,
                        "context.frames[1]")
                .jsonPath("$.detail")
                .value(d -> assertThat((String) d).contains("image is 8x16, the model takes 16x16"));
    }

    @Test
    void undecodableImageNamesTheFrame() {
        String junk = Base64.getEncoder().encodeToString("not an image".getBytes());
        problem(with("context", Map.of("frames", List.of(junk))), 400, "context.frames[0]")
                .jsonPath("$.detail")
                .value(d -> assertThat((String) d).contains("not a decodable PNG or JPEG"));
        problem(with("context", Map.of("frames", List.of("%%%"))), 400, "context.frames[0]")
                .jsonPath("$.detail")
                .value(d -> assertThat((String) d).contains("not valid base64"));
    }

    @Test
    void unknownActionNamesItsIndex() {
        problem(with("actions", List.of("forward", "jump")), 400, "actions[1]")
                .jsonPath("$.detail")
                .value(d ->
                        assertThat((String) d).contains("unknown action 'jump'").contains("forward"));
        problem(with("actions", List.of("forward", List.of(1, 2))), 400, "actions[1]");
        problem(
                with("context", Map.of("frames", TestImages.clip(2, 16), "actions", List.of("fly"))),
                400,
                "context.actions[0]");
    }

    @Test
    void eachBrokenScheduleRuleHasItsOwnMessage() {
        problem(
                        with("schedule", Map.of("stride", 1, "inputLevels", List.of(50, 25, 75, 100))),
                        400,
                        "schedule.inputLevels")
                .jsonPath("$.rule")
                .isEqualTo("monotonicity")
                .jsonPath("$.detail")
                .value(d -> assertThat((String) d).contains("rule 1 (monotonicity)"));
        problem(
                        with(
                                "schedule",
                                Map.of(
                                        "stride",
                                        1,
                                        "inputLevels",
                                        List.of(25, 50, 75, 100),
                                        "outputLevels",
                                        List.of(0, 20, 50, 75))),
                        400,
                        "schedule.outputLevels")
                .jsonPath("$.rule")
                .isEqualTo("circularity");
        problem(
                        with("schedule", Map.of("stride", 1, "inputLevels", List.of(25, 50, 75, 90))),
                        400,
                        "schedule.inputLevels")
                .jsonPath("$.rule")
                .isEqualTo("boundary");
        problem(with("schedule", Map.of("stride", 3)), 400, "schedule.stride");
        problem(with("schedule", Map.of("arSteps", 0)), 400, "schedule.arSteps");
    }

    @Test
    void tooManyFramesNamesTheLimit() {
        Map<String, Object> r = GenerationApiTest.request("tiny-frames", 1, 65, 1);
        problem(r, 400, "actions")
                .jsonPath("$.detail")
                .value(d -> assertThat((String) d).contains("65 frames asked for, the limit is 64"));
        problem(with("frames", 1000), 400, "frames");
    }

    @Test
    void emptyContextIsRejected() {
        problem(with("context", Map.of("frames", List.of())), 400, "context.frames");
        Map<String, Object> r = GenerationApiTest.request("tiny-frames", 1, 2, 1);
        r.remove("context");
        problem(r, 400, "context.frames");
    }

    @Test
    void contextShorterThanTheStrideIsRejected() {
        Map<String, Object> r = GenerationApiTest.request("tiny-frames", 1, 2, 1);
        r.put("schedule", Map.of("stride", 2));
        problem(r, 400, "context.frames")
                .jsonPath("$.detail")
                .value(d -> assertThat((String) d).contains("1 context frame(s) given, fewer than the stride"));
        r.put("context", Map.of("frames", TestImages.clip(2, 16)));
        http.post()
                .uri("/v1/generations")
                .contentType(MediaType.APPLICATION_JSON)
                .accept(MediaType.APPLICATION_JSON)
                .bodyValue(r)
                .exchange()
                .expectStatus()
                .isOk();
    }

    @Test
    void memoryCanBeLoweredNeverRaised() {
        problem(with("memory", Map.of("frames", 5)), 400, "memory.frames")
                .jsonPath("$.detail")
                .value(d -> assertThat((String) d).contains("must be in 1..4"));
        Map<String, Object> none = GenerationApiTest.request("tiny-none", 1, 2, 1);
        none.put("memory", Map.of("frames", 1));
        problem(none, 400, "memory.frames");
    }

    @Test
    void badOutputAndMalformedJsonAreRejected() {
        problem(with("output", Map.of("format", "gif")), 400, "output.format");
        problem(with("output", Map.of("format", "jpeg", "quality", 0)), 400, "output.quality");
        http.post()
                .uri("/v1/generations")
                .contentType(MediaType.APPLICATION_JSON)
                .accept(MediaType.TEXT_EVENT_STREAM)
                .bodyValue("{\"context\": {\"frames\": [")
                .exchange()
                .expectStatus()
                .isBadRequest()
                .expectHeader()
                .contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody()
                .jsonPath("$.field")
                .isEqualTo("body");
        http.post()
                .uri("/v1/generations")
                .contentType(MediaType.APPLICATION_JSON)
                .accept(MediaType.TEXT_EVENT_STREAM)
                .bodyValue("{\"context\": [")
                .exchange()
                .expectStatus()
                .isBadRequest()
                .expectHeader()
                .contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody()
                .jsonPath("$.field")
                .isEqualTo("context")
                .jsonPath("$.detail")
                .isEqualTo("context: must be an object, got an array");
    }

    @Test
    void bodyOverTheLimitIs413() {
        String big = "x".repeat(1_100_000);
        http.post()
                .uri("/v1/generations")
                .contentType(MediaType.APPLICATION_JSON)
                .accept(MediaType.TEXT_EVENT_STREAM)
                .bodyValue(Map.of("context", Map.of("frames", List.of(big))))
                .exchange()
                .expectStatus()
                .isEqualTo(413)
                .expectHeader()
                .contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody()
                .jsonPath("$.field")
                .isEqualTo("body");
    }
}
