package org.arvdm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.http.MediaType;

/**
 * The answer checker of the API tests finds what a validating proxy finds: the faults the service's
 * answers had before they were fixed (null for integers, an undocumented 404, an {@code instance}
 * that is no URI), on a small spec of the same shape.
 */
class ResponseContractTest {
    static final String SPEC = """
            openapi: 3.1.0
            info: {title: t, version: v1}
            paths:
              /v1/models/{id}:
                get:
                  responses:
                    "200":
                      description: ok
                      content:
                        '*/*':
                          schema: {$ref: "#/components/schemas/Model"}
              /v1/generations:
                post:
                  responses:
                    "400":
                      description: bad
                      content:
                        application/problem+json:
                          schema: {$ref: "#/components/schemas/Problem"}
                    "200":
                      description: stream
                      content:
                        text/event-stream:
                          schema:
                            x-events:
                              done: {$ref: "#/components/schemas/Done"}
            components:
              schemas:
                Model:
                  type: object
                  properties:
                    id: {type: string}
                    memory:
                      type: object
                      properties:
                        tokens: {type: integer, format: int32}
                Done:
                  type: object
                  required: [frames]
                  properties:
                    frames: {type: integer}
                Problem:
                  type: object
                  properties:
                    instance: {type: string, format: uri}
                    field: {type: string}
            """;

    @TempDir
    static Path dir;

    static ResponseContract contract;

    @BeforeAll
    static void load() throws Exception {
        Path file = dir.resolve("openapi.yaml");
        Files.writeString(file, SPEC);
        contract = new ResponseContract(file);
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aConformingAnswerHasNoViolation() {
        assertThat(contract.check(
                        "GET",
                        "/v1/models/m",
                        200,
                        MediaType.APPLICATION_JSON,
                        utf8("{\"id\":\"m\",\"memory\":{\"tokens\":4}}")))
                .isEmpty();
        assertThat(contract.check(
                        "GET", "/v1/models/m", 200, MediaType.APPLICATION_JSON, utf8("{\"id\":\"m\",\"memory\":{}}")))
                .isEmpty();
    }

    @Test
    void nullForAnIntegerIsAViolation() {
        assertThat(contract.check(
                        "GET",
                        "/v1/models/m",
                        200,
                        MediaType.APPLICATION_JSON,
                        utf8("{\"id\":\"m\",\"memory\":{\"tokens\":null}}")))
                .singleElement()
                .asString()
                .contains("/memory/tokens", "integer");
    }

    @Test
    void anUndeclaredStatusIsAViolation() {
        assertThat(contract.check(
                        "GET", "/v1/models/nope", 404, MediaType.APPLICATION_PROBLEM_JSON, utf8("{\"status\":404}")))
                .singleElement()
                .asString()
                .contains("status 404 is not declared");
    }

    @Test
    void aRelativeInstanceIsNoUri() {
        assertThat(contract.check(
                        "POST",
                        "/v1/generations",
                        400,
                        MediaType.APPLICATION_PROBLEM_JSON,
                        utf8("{\"instance\":\"/v1/generations\",\"field\":\"body\"}")))
                .singleElement()
                .asString()
                .contains("/instance");
        assertThat(contract.check(
                        "POST",
                        "/v1/generations",
                        400,
                        MediaType.APPLICATION_PROBLEM_JSON,
                        utf8("{\"instance\":\"https://h/v1/generations\",\"field\":\"body\"}")))
                .isEmpty();
    }

    @Test
    void anUndeclaredContentTypeIsAViolation() {
        assertThat(contract.check("POST", "/v1/generations", 400, MediaType.TEXT_HTML, utf8("<html>")))
                .singleElement()
                .asString()
                .contains("text/html is not declared");
    }

    @Test
    void eachEventIsCheckedAgainstItsSchema() {
        String ok = "event:done\ndata:{\"frames\":3}\n\n";
        String bad = "event:done\ndata:{\"frames\":\"3\"}\n\nevent:mystery\ndata:{}\n\n";
        assertThat(contract.check("POST", "/v1/generations", 200, MediaType.TEXT_EVENT_STREAM, utf8(ok)))
                .isEmpty();
        assertThat(contract.check("POST", "/v1/generations", 200, MediaType.TEXT_EVENT_STREAM, utf8(bad)))
                .hasSize(2)
                .anySatisfy(v -> assertThat(v).contains("event done", "/frames"))
                .anySatisfy(v -> assertThat(v).contains("'mystery' is not declared"));
    }

    @Test
    void pathsOutsideTheSpecAreNotChecked() {
        assertThat(contract.check("GET", "/actuator/prometheus", 200, MediaType.TEXT_PLAIN, utf8("x 1")))
                .isEmpty();
    }

    @Test
    void stackRefusalsMustBeProblemsWhereverTheyAreAnswered() {
        assertThat(contract.check("GET", "/v1/models/m", 405, MediaType.TEXT_HTML, utf8("<html>")))
                .singleElement()
                .asString()
                .contains("application/problem+json");
    }
}
