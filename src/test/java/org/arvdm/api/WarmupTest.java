package org.arvdm.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import org.arvdm.Await;
import org.arvdm.model.ModelRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.web.reactive.server.WebTestClient;

/**
 * The self warm-up ({@code arvdm.warmup}) posts its generations over HTTP, through the API key
 * filter, before readiness turns up: 3 SSE generations of the default model, one of each other
 * bundle, one JSON answer, all answered 200.
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "arvdm.model-dir=src/test/resources/bundles",
            "arvdm.default-model=tiny-frames",
            "arvdm.device=cpu",
            "arvdm.warmup.generations=3",
            "arvdm.warmup.frames=5",
            "arvdm.security.api-keys=ops:warm-s3cret"
        })
class WarmupTest {
    @LocalServerPort
    int port;

    @Autowired
    Warmup warmup;

    @Autowired
    ModelRegistry registry;

    @Autowired
    MeterRegistry meters;

    private long okCount() {
        Timer ok = meters.find("http.server.requests")
                .tag("uri", "/v1/generations")
                .tag("status", "200")
                .timer();
        return ok == null ? 0 : ok.count();
    }

    @Test
    void generationsRunAgainstTheServiceBeforeReadiness() throws Exception {
        WebTestClient client = WebTestClient.bindToServer()
                .baseUrl("http://localhost:" + port)
                .responseTimeout(Duration.ofSeconds(30))
                .build();
        assertThat(warmup.awaitDone(Duration.ofSeconds(120))).isTrue();
        int models = registry.models().size();
        assertThat(models).isEqualTo(3);
        long expected = 3 + (models - 1) + 1;
        // The server records a request's timer when its exchange ends on the server side, which can
        // come a moment after the warm-up's client has read the last byte: wait for the count, then
        // require it exactly (a seventh request or a missing sixth still fails).
        Await.until(Duration.ofSeconds(10), () -> okCount() >= expected, expected + " warm-up requests recorded");
        assertThat(okCount()).as("warm-up requests answered 200").isEqualTo(expected);
        assertThat(meters.find("http.server.requests")
                        .tag("uri", "/v1/generations")
                        .timers())
                .as("no warm-up request was refused")
                .allSatisfy(t -> assertThat(t.getId().getTag("status")).isEqualTo("200"));
        client.get()
                .uri("/actuator/health/readiness")
                .exchange()
                .expectStatus()
                .isOk()
                .expectBody()
                .jsonPath("$.components.warmup.status")
                .isEqualTo("UP");
    }
}
