package org.arvdm.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.arvdm.TinyBundleServiceTest;
import org.arvdm.generation.GenerationService;
import org.arvdm.model.LoadedModel;
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

/** The generation API over the real HTTP stack, with the tiny TorchScript bundles through DJL. */
@TinyBundleServiceTest
class GenerationApiTest {
    static final ParameterizedTypeReference<ServerSentEvent<Map<String, Object>>> SSE =
            new ParameterizedTypeReference<>() {};

    @LocalServerPort
    int port;

    @Autowired
    ModelRegistry registry;

    @Autowired
    GenerationService service;

    WebTestClient http;
    WebClient client;

    @BeforeEach
    void setUp() throws Exception {
        assertThat(registry.awaitLoaded(Duration.ofSeconds(60))).isTrue();
        assertThat(registry.ready()).as(registry.problem()).isTrue();
        http = WebTestClient.bindToServer()
                .baseUrl("http://localhost:" + port)
                .responseTimeout(Duration.ofSeconds(60))
                .build();
        client = WebClient.builder().baseUrl("http://localhost:" + port).build();
    }

    static Map<String, Object> request(String model, int context, int frames, long seed) {
        Map<String, Object> r = new HashMap<>();
        r.put("model", model);
        r.put("context", Map.of("frames", TestImages.clip(context, 16)));
        List<String> actions = new ArrayList<>();
        String[] names = {"forward", "left", "forward", "right", "back", "noop"};
        for (int i = 0; i < frames; i++) {
            actions.add(names[i % names.length]);
        }
        r.put("actions", actions);
        r.put("seed", seed);
        return r;
    }

    record Received(ServerSentEvent<Map<String, Object>> event, long atNanos) {}

    List<Received> stream(Map<String, Object> body) {
        return client.post()
                .uri("/v1/generations")
                .contentType(MediaType.APPLICATION_JSON)
                .accept(MediaType.TEXT_EVENT_STREAM)
                .bodyValue(body)
                .retrieve()
                .bodyToFlux(SSE)
                .filter(e -> e.event() != null)
                .map(e -> new Received(e, System.nanoTime()))
                .collectList()
                .block(Duration.ofSeconds(120));
    }

    @Test
    void streamsExactlyTheRequestedFramesInOrderAsTheyAreDenoised() throws Exception {
        Map<String, Object> body = request("tiny-frames", 4, 24, 11);
        body.put("schedule", Map.of("arSteps", 12));
        List<Received> events = stream(body);

        assertThat(events.get(0).event().event()).isEqualTo("started");
        assertThat(events.get(events.size() - 1).event().event()).isEqualTo("done");
        List<Received> frames =
                events.stream().filter(r -> "frame".equals(r.event().event())).toList();
        assertThat(frames).hasSize(24);
        for (int i = 0; i < 24; i++) {
            Map<String, Object> data = frames.get(i).event().data();
            assertThat(data.get("index")).isEqualTo(i);
            assertThat(frames.get(i).event().id()).isEqualTo(Integer.toString(i));
            BufferedImage img = TestImages.decode((String) data.get("image"));
            assertThat(img.getWidth()).isEqualTo(16);
            assertThat(img.getHeight()).isEqualTo(16);
        }
        assertThat(frames.get(1).event().data().get("action")).isEqualTo("left");
        Map<String, Object> done = events.get(events.size() - 1).event().data();
        assertThat(done.get("frames")).isEqualTo(24);
        assertThat(((Number) done.get("networkCalls")).intValue()).isGreaterThan(24);
        // Streaming, not buffering: the first frame reached the client well before the stream ended.
        double firstFrameMs = ((Number) frames.get(0).event().data().get("elapsedMs")).doubleValue();
        double totalMs = ((Number) done.get("totalMs")).doubleValue();
        double arrivalGapMs =
                (events.get(events.size() - 1).atNanos() - frames.get(0).atNanos()) / 1e6;
        assertThat(arrivalGapMs).isGreaterThan(0.5 * (totalMs - firstFrameMs));
        assertThat(firstFrameMs).isLessThan(totalMs / 2);
    }

    @Test
    void sameSeedGivesTheSameBytesAndAnotherSeedDifferentFrames() {
        List<String> a = images(stream(request("tiny-tokens", 2, 6, 5)));
        List<String> b = images(stream(request("tiny-tokens", 2, 6, 5)));
        List<String> c = images(stream(request("tiny-tokens", 2, 6, 6)));
        assertThat(a).hasSize(6).isEqualTo(b);
        assertThat(c).hasSize(6).isNotEqualTo(a);
    }

    private static List<String> images(List<Received> events) {
        return events.stream()
                .filter(r -> "frame".equals(r.event().event()))
                .map(r -> (String) r.event().data().get("image"))
                .toList();
    }

    @Test
    void jsonAnswersOnceWithAllFrames() {
        Map<String, Object> body = request("tiny-none", 1, 5, 3);
        body.put("output", Map.of("format", "jpeg", "quality", 80));
        http.post()
                .uri("/v1/generations")
                .contentType(MediaType.APPLICATION_JSON)
                .accept(MediaType.APPLICATION_JSON)
                .bodyValue(body)
                .exchange()
                .expectStatus()
                .isOk()
                .expectBody()
                .jsonPath("$.frames.length()")
                .isEqualTo(5)
                .jsonPath("$.frames[4].index")
                .isEqualTo(4)
                .jsonPath("$.started.model")
                .isEqualTo("tiny-none")
                .jsonPath("$.started.seed")
                .isEqualTo(3)
                .jsonPath("$.started.schedule.inputLevels.length()")
                .isEqualTo(4)
                .jsonPath("$.done.frames")
                .isEqualTo(5);
    }

    @Test
    void previewsStreamWhenAskedFor() {
        Map<String, Object> body = request("tiny-frames", 2, 2, 1);
        body.put("previews", true);
        List<Received> events = stream(body);
        List<Received> previews =
                events.stream().filter(r -> "preview".equals(r.event().event())).toList();
        assertThat(previews).isNotEmpty();
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> frames =
                (List<Map<String, Object>>) previews.get(0).event().data().get("frames");
        assertThat(frames).isNotEmpty();
        assertThat(frames.get(0)).containsKeys("index", "level", "image");
    }

    @Test
    void clientThatDisconnectsCancelsItsGenerationAndFreesWorkerAndNativeMemory() throws Exception {
        LoadedModel model = registry.get("tiny-frames").orElseThrow();
        int baseline = model.networks().liveArrays();
        Map<String, Object> body = request("tiny-frames", 2, 60, 9);
        body.put("schedule", Map.of("arSteps", 200));
        List<ServerSentEvent<Map<String, Object>>> got = Collections.synchronizedList(new ArrayList<>());
        client.post()
                .uri("/v1/generations")
                .contentType(MediaType.APPLICATION_JSON)
                .accept(MediaType.TEXT_EVENT_STREAM)
                .bodyValue(body)
                .retrieve()
                .bodyToFlux(SSE)
                .filter(e -> "frame".equals(e.event()))
                .doOnNext(got::add)
                .take(2)
                .blockLast(Duration.ofSeconds(60));
        assertThat(got).hasSize(2);
        org.arvdm.Await.until(
                Duration.ofSeconds(30),
                () -> service.admission().inFlight() == 0,
                "the cancelled generation's place to be given back");
        assertThat(model.networks().liveArrays()).as("live NDArrays").isEqualTo(baseline);
        double calls = callsOf("tiny-frames");
        Thread.sleep(300); // a window in which nothing may happen: no condition to await
        assertThat(callsOf("tiny-frames")).as("network calls after cancel").isEqualTo(calls);
    }

    private double callsOf(String model) {
        String text = org.arvdm.Prometheus.scrape(http);
        return text.lines()
                .filter(l -> l.startsWith("arvdm_network_calls_total{")
                        && l.contains("model=\"" + model + "\"")
                        && l.contains("network=\"denoiser\""))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .sum();
    }

    /**
     * Spring Boot binds the metrics at start and each model's meters come with its bundle: series no
     * request has touched are there, at zero (a shutdown close never happens while the tests run).
     */
    @Test
    void everyMeterIsPublishedBeforeItIsFirstUsed() {
        String text = org.arvdm.Prometheus.scrape(http);
        assertThat(text)
                .containsPattern(
                        series("arvdm_sessions_closed_total", "mode", "realtime", "reason", "shutdown") + " 0\\.0");
        assertThat(text).containsPattern("arvdm_sessions_late_frames_total\\{");
        for (var m : registry.models()) {
            for (String phase : List.of("init", "ar")) {
                for (String batch : List.of("1", "2", "3-4", "5-8")) {
                    assertThat(text)
                            .containsPattern(series(
                                    "arvdm_step_latency_seconds_count",
                                    "batch",
                                    batch,
                                    "model",
                                    m.id(),
                                    "phase",
                                    phase));
                }
            }
            // past max-batch-size (8) a call cannot go
            assertThat(text)
                    .doesNotContainPattern(
                            series("arvdm_step_latency_seconds_count", "batch", "9+", "model", m.id(), "phase", "ar"));
            assertThat(text)
                    .containsPattern(series("arvdm_batch_size_count", "model", m.id(), "network", "memory_encoder"));
            assertThat(text).containsPattern(series("arvdm_evaluation_queue", "model", m.id()));
            assertThat(text).containsPattern(series("arvdm_native_arrays", "model", m.id()));
        }
    }

    /** A Prometheus series named {@code name} with these tags (name, value, ...; in Prometheus' order), any others before them. */
    private static String series(String name, String... tags) {
        StringBuilder b = new StringBuilder(java.util.regex.Pattern.quote(name)).append("\\{[^}]*");
        for (int i = 0; i < tags.length; i += 2) {
            b.append(i == 0 ? "" : ",").append(java.util.regex.Pattern.quote(tags[i] + "=\"" + tags[i + 1] + "\""));
        }
        return b.append("\\}").toString();
    }

    @Test
    void prometheusShowsStepLatencyAndMemoryGaugesWithTheModelTag() {
        stream(request("tiny-frames", 2, 3, 1));
        String text = org.arvdm.Prometheus.scrape(http);
        assertThat(text).containsPattern("arvdm_step_latency_seconds_bucket\\{.*model=\"tiny-frames\".*phase=\"ar\"");
        assertThat(text).containsPattern("arvdm_step_latency_seconds_count\\{.*model=\"tiny-frames\".*phase=\"init\"");
        assertThat(text).containsPattern("arvdm_memory_budget\\{.*model=\"tiny-frames\".*unit=\"frames\".*\\} 4\\.0");
        assertThat(text).containsPattern("arvdm_memory_budget\\{.*model=\"tiny-tokens\".*unit=\"tokens\".*\\} 4\\.0");
        assertThat(text).containsPattern("arvdm_memory_used\\{.*model=\"tiny-frames\"");
        assertThat(text).containsPattern("arvdm_memory_bytes\\{.*model=\"tiny-frames\"");
        assertThat(text).containsPattern("arvdm_frames_generated_total\\{.*model=\"tiny-frames\"");
        assertThat(text).containsPattern("arvdm_generation_first_frame_seconds_count\\{.*model=\"tiny-frames\"");
        assertThat(text).containsPattern("arvdm_generation_queue\\{.*model=\"tiny-frames\"");
        assertThat(text).containsPattern("arvdm_generation_active_seconds_count\\{.*model=\"tiny-frames\"");
    }

    @Test
    void healthGroupsReportLivenessAndReadinessWithModels() {
        http.get()
                .uri("/actuator/health/liveness")
                .exchange()
                .expectStatus()
                .isOk()
                .expectBody()
                .jsonPath("$.status")
                .isEqualTo("UP");
        http.get()
                .uri("/actuator/health/readiness")
                .exchange()
                .expectStatus()
                .isOk()
                .expectBody()
                .jsonPath("$.status")
                .isEqualTo("UP")
                .jsonPath("$.components.models.status")
                .isEqualTo("UP");
    }

    @Test
    void modelsAreListedWithTheirManifest() {
        http.get()
                .uri("/v1/models")
                .exchange()
                .expectStatus()
                .isOk()
                .expectBody()
                .jsonPath("$.defaultModel")
                .isEqualTo("tiny-frames")
                .jsonPath("$.models.length()")
                .isEqualTo(3)
                .jsonPath("$.models[?(@.id=='tiny-tokens')].memory.tokens")
                .isEqualTo(4);
        http.get()
                .uri("/v1/models/tiny-frames")
                .exchange()
                .expectStatus()
                .isOk()
                .expectBody()
                .jsonPath("$.window")
                .isEqualTo(4)
                .jsonPath("$.frame.width")
                .isEqualTo(16)
                .jsonPath("$.memory.architecture")
                .isEqualTo("prepend")
                .jsonPath("$.actions.names[1]")
                .isEqualTo("forward");
        http.get()
                .uri("/v1/models/nope")
                .exchange()
                .expectStatus()
                .isNotFound()
                .expectHeader()
                .contentType(MediaType.APPLICATION_PROBLEM_JSON);
    }
}
