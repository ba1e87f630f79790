package org.arvdm.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.arvdm.TinyBundleServiceTest;
import org.arvdm.model.ModelRegistry;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;

/**
 * Request bodies are read strictly and every refusal, from a controller or from the HTTP stack
 * around it, is one problem+json shape naming the field by its JSON path, without class names.
 */
@TinyBundleServiceTest
class StrictRequestsTest {
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

    /** Posts a raw JSON body and checks the problem: status, field, and that nothing internal shows. */
    private WebTestClient.BodyContentSpec post(String json, int status, String field) {
        WebTestClient.BodyContentSpec body = http.post()
                .uri("/v1/generations")
                .contentType(MediaType.APPLICATION_JSON)
                .accept(MediaType.TEXT_EVENT_STREAM)
                .bodyValue(json)
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
        return noInternals(body);
    }

    static WebTestClient.BodyContentSpec noInternals(WebTestClient.BodyContentSpec body) {
        return body.jsonPath("$.type")
                .value(t -> assertThat((String) t).startsWith("urn:arvdm:"))
                .jsonPath("$.detail")
                .value(d -> assertThat((String) d)
                        .doesNotContain("org.arvdm")
                        .doesNotContain("java.")
                        .doesNotContain("tools.jackson")
                        .hasSizeLessThan(600));
    }

    /** A valid request's JSON with {@code extra} spliced in as top-level members. */
    private static String valid(String extra) {
        String frames = String.join("\",\"", TestImages.clip(2, 16));
        return "{\"model\":\"tiny-frames\",\"context\":{\"frames\":[\"" + frames + "\"]},\"actions\":[\"forward\"]"
                + (extra.isEmpty() ? "" : "," + extra) + "}";
    }

    @Test
    void countsAClientSetsAreBounded() {
        post(valid("\"schedule\":{\"arSteps\":2147483647}"), 400, "schedule.arSteps")
                .jsonPath("$.detail")
                .value(d -> assertThat((String) d).contains("arvdm.limits.max-steps"));
        post(valid("\"schedule\":{\"initSteps\":1001}"), 400, "schedule.initSteps");
        post(valid("\"schedule\":{\"arSteps\":99999999999}"), 400, "schedule.arSteps");
    }

    @Test
    void wrongTypesAreNotCoercedAndNameTheirField() {
        post(valid("\"seed\":\"5\""), 400, "seed")
                .jsonPath("$.detail")
                .value(d -> assertThat((String) d).isEqualTo("seed: must be an integer, got a string"));
        post(valid("\"seed\":1.5"), 400, "seed");
        post(valid("\"schedule\":{\"arSteps\":2.0}"), 400, "schedule.arSteps");
        post(valid("\"schedule\":{\"inputLevels\":[25,50,\"x\",100]}"), 400, "schedule.inputLevels[2]");
        post(valid("\"previews\":\"yes\""), 400, "previews");
        post(valid("\"previews\":1"), 400, "previews");
        post(valid("\"output\":{\"format\":5}"), 400, "output.format");
        post(valid("\"output\":[]"), 400, "output");
        post(valid("\"memory\":\"\""), 400, "memory");
        post("{\"context\":{\"frames\":[7]},\"actions\":[\"forward\"]}", 400, "context.frames[0]");
        post("[]", 400, "body");
    }

    @Test
    void unknownFieldsAreRejectedByName() {
        post(valid("\"schedule\":{\"inputLevel\":[25,50,75,100]}"), 400, "schedule.inputLevel")
                .jsonPath("$.detail")
                .value(d -> assertThat((String) d)
                        .contains("unknown field 'inputLevel'")
                        .contains("inputLevels"));
        post(valid("\"frame\":3"), 400, "frame");
    }

    @Test
    void duplicateKeysTrailingTokensAndNonNumbersAreRejected() {
        post(valid("\"seed\":1,\"seed\":2"), 400, "seed");
        post(valid("") + "{}", 400, "body");
        post(valid("\"schedule\":{\"eta\":NaN}"), 400, "body");
        post(valid("\"schedule\":{\"eta\":1e999}"), 400, "schedule.eta");
    }

    @Test
    void aBlankModelIsRejectedAndLongValuesAreCut() {
        post(valid("").replace("\"tiny-frames\"", "\"  \""), 400, "model");
        String longId = "m".repeat(100_000);
        post(valid("").replace("tiny-frames", longId), 404, "model")
                .jsonPath("$.detail")
                .value(d -> assertThat((String) d).contains("(100000 characters)"));
    }

    @Test
    void theHttpStackAnswersProblemsToo() {
        noInternals(http.get()
                .uri("/nowhere")
                .exchange()
                .expectStatus()
                .isNotFound()
                .expectHeader()
                .contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody()
                .jsonPath("$.status")
                .isEqualTo(404));
        noInternals(http.get()
                .uri("/nowhere")
                .accept(MediaType.TEXT_HTML)
                .exchange()
                .expectStatus()
                .isNotFound()
                .expectHeader()
                .contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody()
                .jsonPath("$.status")
                .isEqualTo(404));
        noInternals(http.get()
                .uri("/v1/generations")
                .exchange()
                .expectStatus()
                .isEqualTo(405)
                .expectHeader()
                .contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody()
                .jsonPath("$.status")
                .isEqualTo(405));
        noInternals(http.post()
                .uri("/v1/generations")
                .contentType(MediaType.APPLICATION_JSON)
                .accept(MediaType.TEXT_HTML)
                .bodyValue(valid(""))
                .exchange()
                .expectStatus()
                .isEqualTo(406)
                .expectHeader()
                .contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody()
                .jsonPath("$.field")
                .isEqualTo("Accept"));
        noInternals(http.post()
                .uri("/v1/generations")
                .contentType(MediaType.TEXT_PLAIN)
                .bodyValue("hello")
                .exchange()
                .expectStatus()
                .isEqualTo(415)
                .expectHeader()
                .contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody()
                .jsonPath("$.field")
                .isEqualTo("Content-Type"));
        noInternals(http.get()
                .uri("/v1/models/nope")
                .accept(MediaType.TEXT_HTML)
                .exchange()
                .expectStatus()
                .isNotFound()
                .expectHeader()
                .contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody()
                .jsonPath("$.field")
                .isEqualTo("id"));
    }

    @Test
    void aChunkedBodyOverTheLimitNamesTheBody() {
        String big = "x".repeat(1_100_000);
        byte[] bytes = ("{\"context\":{\"frames\":[\"" + big + "\"]}}").getBytes();
        http.post()
                .uri("/v1/generations")
                .contentType(MediaType.APPLICATION_JSON)
                .accept(MediaType.TEXT_EVENT_STREAM)
                .body(
                        reactor.core.publisher.Flux.just(
                                org.springframework.core.io.buffer.DefaultDataBufferFactory.sharedInstance.wrap(bytes)),
                        org.springframework.core.io.buffer.DataBuffer.class)
                .exchange()
                .expectStatus()
                .isEqualTo(413)
                .expectHeader()
                .contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody()
                .jsonPath("$.field")
                .isEqualTo("body");
    }

    @Test
    void aStrictBodyStillAcceptsWhatTheApiDocuments() {
        http.post()
                .uri("/v1/generations")
                .contentType(MediaType.APPLICATION_JSON)
                .accept(MediaType.APPLICATION_JSON)
                .bodyValue(valid("\"seed\":3,\"schedule\":{\"eta\":0,\"arSteps\":1},\"output\":{\"format\":\"jpeg\","
                        + "\"quality\":80},\"previews\":false,\"memory\":{\"frames\":2}"))
                .exchange()
                .expectStatus()
                .isOk()
                .expectBody()
                .jsonPath("$.frames.length()")
                .isEqualTo(1);
    }
}
