package org.arvdm.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
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
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.Disposable;

/** Past the workers and the queue, a request gets 429 with Retry-After before any work. */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "arvdm.model-dir=src/test/resources/bundles",
            "arvdm.default-model=tiny-frames",
            "arvdm.device=cpu",
            "arvdm.workers=1",
            "arvdm.admission.max-queued=1",
            "arvdm.admission.retry-after=3s",
            // Keep-alive writes let the server notice a client that left while its generation waits for a worker.
            "arvdm.keep-alive=200ms"
        })
@org.springframework.context.annotation.Import(org.arvdm.ResponseContract.Recorder.class)
@org.junit.jupiter.api.extension.ExtendWith(org.arvdm.ResponseContract.Check.class)
class AdmissionApiTest {
    @LocalServerPort
    int port;

    @Autowired
    ModelRegistry registry;

    @Autowired
    GenerationService service;

    @Test
    void requestsPastWorkersAndQueueGet429WithRetryAfter() throws Exception {
        assertThat(registry.awaitLoaded(Duration.ofSeconds(60))).isTrue();
        WebClient client =
                WebClient.builder().baseUrl("http://localhost:" + port).build();
        Map<String, Object> slow = GenerationApiTest.request("tiny-frames", 1, 60, 1);
        slow.put("schedule", Map.of("arSteps", 500));
        Disposable running = open(client, slow);
        Disposable queued = open(client, slow);
        try {
            org.arvdm.Await.until(
                    Duration.ofSeconds(30),
                    () -> service.admission().inFlight() >= 2,
                    "both slow generations to hold a place");
            assertThat(service.admission().inFlight()).isEqualTo(2);
            WebTestClient.bindToServer()
                    .baseUrl("http://localhost:" + port)
                    .build()
                    .post()
                    .uri("/v1/generations")
                    .contentType(MediaType.APPLICATION_JSON)
                    .accept(MediaType.TEXT_EVENT_STREAM)
                    .bodyValue(slow)
                    .exchange()
                    .expectStatus()
                    .isEqualTo(429)
                    .expectHeader()
                    .valueEquals("Retry-After", "3")
                    .expectHeader()
                    .contentType(MediaType.APPLICATION_PROBLEM_JSON);
        } finally {
            running.dispose();
            queued.dispose();
        }
        org.arvdm.Await.until(
                Duration.ofSeconds(30),
                () -> service.admission().inFlight() == 0,
                "places freed after the clients left");
    }

    private static Disposable open(WebClient client, Map<String, Object> body) {
        return client.post()
                .uri("/v1/generations")
                .contentType(MediaType.APPLICATION_JSON)
                .accept(MediaType.TEXT_EVENT_STREAM)
                .bodyValue(body)
                .retrieve()
                .bodyToFlux(new ParameterizedTypeReference<ServerSentEvent<String>>() {})
                .subscribe();
    }
}
