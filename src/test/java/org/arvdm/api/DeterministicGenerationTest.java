package org.arvdm.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.arvdm.TinyBundleServiceTest;
import org.arvdm.generation.BatchingGateway;
import org.arvdm.model.ModelRegistry;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * {@code "deterministic": true} runs a generation's network calls unbatched: the same request
 * gives byte-identical frames alone and while other generations are batched around it, and its
 * calls never enter the model's batches.
 */
@TinyBundleServiceTest
class DeterministicGenerationTest {
    private static final String MODEL = "tiny-none";
    private static final ParameterizedTypeReference<Map<String, Object>> JSON = new ParameterizedTypeReference<>() {};

    @LocalServerPort
    int port;

    @Autowired
    ModelRegistry registry;

    WebClient client;

    @BeforeEach
    void setUp() throws InterruptedException {
        assertThat(registry.awaitLoaded(Duration.ofSeconds(60))).isTrue();
        assertThat(registry.get(MODEL).orElseThrow().gateway()).isInstanceOf(BatchingGateway.class);
        client = WebClient.builder()
                .baseUrl("http://localhost:" + port)
                .codecs(c -> c.defaultCodecs().maxInMemorySize(4 << 20))
                .build();
    }

    @Test
    void sameSeedGivesIdenticalFrameBytesAloneAndUnderLoad() {
        Map<String, Object> deterministic = request(77, 16, true);
        List<String> alone = frames(generate(deterministic).block(Duration.ofSeconds(120)));
        assertThat(alone).hasSize(16);

        double batchesBefore = batches();
        // the same request again while four default generations run beside it (and batch together)
        List<Map<String, Object>> answers = Flux.concat(
                        Flux.range(0, 4).map(i -> request(100 + i, 24, false)), Flux.just(deterministic))
                .flatMap(this::generate, 5)
                .collectList()
                .block(Duration.ofSeconds(180));
        assertThat(answers).hasSize(5);
        assertThat(batches())
                .as("the other generations were batched: the load was real")
                .isGreaterThan(batchesBefore);
        List<String> underLoad = answers.stream()
                .filter(a -> seed(a) == 77)
                .map(DeterministicGenerationTest::frames)
                .findFirst()
                .orElseThrow();
        assertThat(underLoad).as("frame images, byte for byte").isEqualTo(alone);
    }

    @Test
    void deterministicGenerationsNeverShareABatch() {
        double before = batches();
        List<Map<String, Object>> answers = Flux.range(0, 4)
                .flatMap(i -> generate(request(200 + i, 12, true)), 4)
                .collectList()
                .block(Duration.ofSeconds(180));
        assertThat(answers).hasSize(4).allSatisfy(a -> assertThat(frames(a)).hasSize(12));
        assertThat(batches()).as("batched denoiser calls of %s", MODEL).isEqualTo(before);
    }

    @Test
    @SuppressWarnings("unchecked")
    void deterministicSessionsRunUnbatchedToo() {
        double before = batches();
        Map<String, Object> body = SessionApiTest.body(MODEL, "step", 9);
        body.put("deterministic", true);
        List<String> ids = Flux.range(0, 2)
                .flatMap(i -> client.post()
                        .uri("/v1/sessions")
                        .contentType(MediaType.APPLICATION_JSON)
                        .bodyValue(body)
                        .retrieve()
                        .bodyToMono(JSON))
                .map(m -> (String) m.get("id"))
                .collectList()
                .block(Duration.ofSeconds(30));
        List<String> actions = List.of("forward", "left", "forward", "right", "back", "noop", "forward", "left");
        // viewers first: a session with a viewer never idles out (the shared context expires idle ones after 3 s)
        List<reactor.core.publisher.Mono<List<String>>> streams = ids.stream()
                .map(id -> client.get()
                        .uri("/v1/sessions/" + id + "/events")
                        .accept(MediaType.TEXT_EVENT_STREAM)
                        .retrieve()
                        .bodyToFlux(
                                new ParameterizedTypeReference<
                                        org.springframework.http.codec.ServerSentEvent<Map<String, Object>>>() {})
                        .filter(e -> "frame".equals(e.event()))
                        .take(3)
                        .map(e -> (String) e.data().get("image"))
                        .collectList()
                        .cache())
                .toList();
        streams.forEach(m -> m.subscribe(x -> {}, e -> {}));
        for (String id : ids) {
            client.post()
                    .uri("/v1/sessions/" + id + "/actions")
                    .contentType(MediaType.APPLICATION_JSON)
                    .bodyValue(Map.of("actions", actions))
                    .retrieve()
                    .toBodilessEntity()
                    .block(Duration.ofSeconds(30));
        }
        List<List<String>> frames = Flux.fromIterable(streams)
                .flatMapSequential(m -> m, 2)
                .collectList()
                .block(Duration.ofSeconds(120));
        assertThat(frames).hasSize(2);
        assertThat(frames.get(0)).hasSize(3).isEqualTo(frames.get(1));
        assertThat(batches()).as("batched denoiser calls of %s", MODEL).isEqualTo(before);
        for (String id : ids) {
            client.delete()
                    .uri("/v1/sessions/" + id)
                    .retrieve()
                    .toBodilessEntity()
                    .block(Duration.ofSeconds(30));
        }
    }

    @Test
    void theFlagIsABooleanOnly() {
        WebTestClient web = WebTestClient.bindToServer()
                .baseUrl("http://localhost:" + port)
                .responseTimeout(Duration.ofSeconds(60))
                .build();
        for (String bad : List.of("\"true\"", "1", "null", "{}")) {
            String body = "{\"model\":\"" + MODEL + "\",\"context\":{\"frames\":[\""
                    + TestImages.clip(1, 16).get(0) + "\"]},\"frames\":1,\"deterministic\":" + bad + "}";
            if (bad.equals("null")) { // null is the field left out
                web.post()
                        .uri("/v1/generations")
                        .contentType(MediaType.APPLICATION_JSON)
                        .accept(MediaType.APPLICATION_JSON)
                        .bodyValue(body)
                        .exchange()
                        .expectStatus()
                        .isOk();
                continue;
            }
            web.post()
                    .uri("/v1/generations")
                    .contentType(MediaType.APPLICATION_JSON)
                    .accept(MediaType.APPLICATION_JSON)
                    .bodyValue(body)
                    .exchange()
                    .expectStatus()
                    .isBadRequest()
                    .expectHeader()
                    .contentType(MediaType.APPLICATION_PROBLEM_JSON)
                    .expectBody()
                    .jsonPath("$.field")
                    .isEqualTo("deterministic");
        }
    }

    private Mono<Map<String, Object>> generate(Map<String, Object> body) {
        return client.post()
                .uri("/v1/generations")
                .contentType(MediaType.APPLICATION_JSON)
                .accept(MediaType.APPLICATION_JSON)
                .bodyValue(body)
                .retrieve()
                .bodyToMono(JSON);
    }

    private static Map<String, Object> request(long seed, int frames, boolean deterministic) {
        Map<String, Object> r = GenerationApiTest.request(MODEL, 2, frames, seed);
        r.put("schedule", Map.of("arSteps", 6));
        r.put("deterministic", deterministic);
        return r;
    }

    @SuppressWarnings("unchecked")
    private static long seed(Map<String, Object> answer) {
        return ((Number) ((Map<String, Object>) answer.get("started")).get("seed")).longValue();
    }

    @SuppressWarnings("unchecked")
    private static List<String> frames(Map<String, Object> answer) {
        return ((List<Map<String, Object>>) answer.get("frames"))
                .stream().map(f -> (String) f.get("image")).toList();
    }

    /** Batched denoiser calls the model's gateway has run (a lone call on the caller's thread included). */
    private double batches() {
        String text = org.arvdm.Prometheus.scrape(WebTestClient.bindToServer()
                .baseUrl("http://localhost:" + port)
                .responseTimeout(Duration.ofSeconds(60))
                .build());
        return text.lines()
                .filter(l -> l.startsWith("arvdm_batch_size_count{")
                        && l.contains("model=\"" + MODEL + "\"")
                        && l.contains("network=\"denoiser\""))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .sum();
    }
}
