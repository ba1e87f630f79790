package org.arvdm.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.arvdm.TinyBundleServiceTest;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.web.reactive.server.WebTestClient;

/**
 * The checked-in openapi.yaml is exactly what the running service serves at /v3/api-docs.yaml.
 * On a mismatch the served spec is written to target/openapi.yaml: review it and copy it over.
 */
@TinyBundleServiceTest
class OpenApiContractTest {
    @LocalServerPort
    int port;

    @Test
    void checkedInSpecEqualsTheServedSpec() throws Exception {
        String served = WebTestClient.bindToServer()
                .baseUrl("http://localhost:" + port)
                .responseTimeout(java.time.Duration.ofSeconds(60))
                .build()
                .get()
                .uri("/v3/api-docs.yaml")
                .exchange()
                .expectStatus()
                .isOk()
                .expectBody(String.class)
                .returnResult()
                .getResponseBody();
        Files.createDirectories(Path.of("target"));
        Files.writeString(Path.of("target/openapi.yaml"), served);
        String checkedIn = Files.readString(Path.of("openapi.yaml"));
        assertThat(served.strip())
                .as("openapi.yaml differs from the served spec; see target/openapi.yaml")
                .isEqualTo(checkedIn.strip());
    }

    @Test
    void swaggerUiIsServed() {
        WebTestClient.bindToServer()
                .baseUrl("http://localhost:" + port)
                .build()
                .get()
                .uri("/swagger-ui.html")
                .exchange()
                .expectStatus()
                .is3xxRedirection();
    }
}
