package org.arvdm;

import org.springframework.test.web.reactive.server.WebTestClient;

/** Reads the service's /actuator/prometheus text in the tests. */
public final class Prometheus {
    private Prometheus() {}

    /**
     * The scrape, through {@code http} with room for it in memory: every meter of every model is
     * registered at start, which for the three tiny bundles is more than a client's default 256 KiB.
     */
    public static String scrape(WebTestClient http) {
        return http.mutate()
                .codecs(c -> c.defaultCodecs().maxInMemorySize(4 << 20))
                .build()
                .get()
                .uri("/actuator/prometheus")
                .exchange()
                .expectStatus()
                .isOk()
                .expectBody(String.class)
                .returnResult()
                .getResponseBody();
    }
}
