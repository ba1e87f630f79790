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

/** The actuator shows health (status only) and Prometheus metrics, nothing else. */
@TinyBundleServiceTest
class ActuatorExposureTest {
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

    @Test
    void onlyHealthAndPrometheusAreExposed() {
        for (String path : new String[] {
            "/actuator/metrics",
            "/actuator/info",
            "/actuator/env",
            "/actuator/beans",
            "/actuator/configprops",
            "/actuator/loggers",
            "/actuator/heapdump",
            "/actuator/threaddump"
        }) {
            http.get()
                    .uri(path)
                    .exchange()
                    .expectStatus()
                    .isNotFound()
                    .expectHeader()
                    .contentType(MediaType.APPLICATION_PROBLEM_JSON);
        }
        http.get().uri("/actuator/prometheus").exchange().expectStatus().isOk();
    }

    @Test
    void healthHasNoDetails() {
        for (String path :
                new String[] {"/actuator/health", "/actuator/health/readiness", "/actuator/health/liveness"}) {
            String body = http.get()
                    .uri(path)
                    .exchange()
                    .expectStatus()
                    .isOk()
                    .expectBody(String.class)
                    .returnResult()
                    .getResponseBody();
            assertThat(body)
                    .as(path)
                    .contains("\"status\":\"UP\"")
                    .doesNotContain("details")
                    .doesNotContain("/")
                    .doesNotContain("diskSpace")
                    .doesNotContain("tiny-frames");
        }
    }
}
