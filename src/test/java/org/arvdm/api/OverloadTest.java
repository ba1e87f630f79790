package org.arvdm.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.arvdm.generation.GenerationService;
import org.arvdm.model.ModelRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Flux;

/**
 * Four times as many simultaneous streams as there are places (workers + queue): every answer is
 * 200 or 429 (with Retry-After), every admitted stream ends with all its frames and done, and the
 * places are all free afterwards.
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "arvdm.model-dir=src/test/resources/bundles",
            "arvdm.default-model=tiny-frames",
            "arvdm.device=cpu",
            "arvdm.workers=2",
            "arvdm.admission.max-queued=2",
            "arvdm.limits.max-frames=64"
        })
@org.springframework.context.annotation.Import(org.arvdm.ResponseContract.Recorder.class)
@org.junit.jupiter.api.extension.ExtendWith(org.arvdm.ResponseContract.Check.class)
class OverloadTest {
    static final int PLACES = 4;
    static final int FRAMES = 16;

    @LocalServerPort
    int port;

    @Autowired
    ModelRegistry registry;

    @Autowired
    GenerationService service;

    record Outcome(int status, String retryAfter, int frames, boolean done) {}

    @Test
    void fourTimesCapacityGetsOnly200And429AndAdmittedStreamsComplete() throws Exception {
        assertThat(registry.awaitLoaded(Duration.ofSeconds(60))).isTrue();
        WebClient client =
                WebClient.builder().baseUrl("http://localhost:" + port).build();
        Map<String, Object> body = GenerationApiTest.request("tiny-frames", 2, FRAMES, 5);
        body.put("schedule", Map.of("arSteps", 20));
        List<Outcome> outcomes = Flux.range(0, 4 * PLACES)
                .flatMap(
                        i -> client.post()
                                .uri("/v1/generations")
                                .contentType(MediaType.APPLICATION_JSON)
                                .accept(MediaType.TEXT_EVENT_STREAM)
                                .bodyValue(body)
                                .exchangeToMono(r -> {
                                    int status = r.statusCode().value();
                                    if (status != 200) {
                                        return r.releaseBody()
                                                .thenReturn(new Outcome(
                                                        status,
                                                        r.headers()
                                                                .asHttpHeaders()
                                                                .getFirst("Retry-After"),
                                                        0,
                                                        false));
                                    }
                                    return r.bodyToFlux(new ParameterizedTypeReference<ServerSentEvent<String>>() {})
                                            .filter(e -> e.event() != null)
                                            .map(ServerSentEvent::event)
                                            .collectList()
                                            .map(events -> new Outcome(
                                                    status,
                                                    null,
                                                    (int) events.stream()
                                                            .filter("frame"::equals)
                                                            .count(),
                                                    events.contains("done")));
                                }),
                        4 * PLACES)
                .collectList()
                .block(Duration.ofMinutes(5));
        assertThat(outcomes).hasSize(4 * PLACES);
        assertThat(outcomes).extracting(Outcome::status).containsOnly(200, 429);
        List<Outcome> admitted =
                outcomes.stream().filter(o -> o.status() == 200).toList();
        assertThat(admitted).hasSizeBetween(PLACES, 4 * PLACES);
        assertThat(admitted).allSatisfy(o -> {
            assertThat(o.frames()).isEqualTo(FRAMES);
            assertThat(o.done()).isTrue();
        });
        assertThat(outcomes)
                .filteredOn(o -> o.status() == 429)
                .allSatisfy(o -> assertThat(o.retryAfter()).isNotBlank());
        org.arvdm.Await.until(
                java.time.Duration.ofSeconds(5),
                () -> service.admission().inFlight() == 0,
                "every admission place given back");
    }
}
