package org.arvdm.api;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import org.arvdm.config.ArvdmProperties;
import org.arvdm.model.ModelRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import org.springframework.test.web.reactive.server.WebTestClient;
import reactor.core.publisher.Mono;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** With arvdm.security.api-keys set, /v1/ needs a bearer key; health and metrics do not. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "arvdm.model-dir=src/test/resources/bundles",
        "arvdm.default-model=tiny-frames",
        "arvdm.device=cpu",
        "arvdm.security.api-keys=ops:0123456789abcdef0123,ci:fedcba9876543210fedc"})
class ApiKeysTest {
    @LocalServerPort
    int port;
    @Autowired
    ModelRegistry registry;
    @Autowired
    ApiKeys keys;

    private WebTestClient http() throws Exception {
        assertThat(registry.awaitLoaded(Duration.ofSeconds(60))).isTrue();
        return WebTestClient.bindToServer().baseUrl("http://localhost:" + port).build();
    }

    @Test
    void aRequestWithoutAValidKeyGets401ProblemWithAChallenge() throws Exception {
        WebTestClient http = http();
        for (String auth : new String[]{null, "Bearer wrong", "Basic b3BzOjAxMjM=", "Bearer 0123456789abcdef012",
                "Bearer 0123456789abcdef01234"}) {
            WebTestClient.RequestHeadersSpec<?> req = http.get().uri("/v1/models");
            if (auth != null) {
                req = req.header(HttpHeaders.AUTHORIZATION, auth);
            }
            req.exchange().expectStatus().isUnauthorized()
                    .expectHeader().valueEquals(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"arvdm\"")
                    .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
                    .expectBody().jsonPath("$.status").isEqualTo(401).jsonPath("$.field").isEqualTo("Authorization");
        }
        http.post().uri("/v1/generations").contentType(MediaType.APPLICATION_JSON).bodyValue("{}").exchange()
                .expectStatus().isUnauthorized();
    }

    @Test
    void eitherKeyIsAcceptedAndHealthNeedsNone() throws Exception {
        WebTestClient http = http();
        for (String secret : List.of("0123456789abcdef0123", "fedcba9876543210fedc")) {
            http.get().uri("/v1/models").header(HttpHeaders.AUTHORIZATION, "Bearer " + secret).exchange()
                    .expectStatus().isOk();
        }
        http.get().uri("/actuator/health/liveness").exchange().expectStatus().isOk();
        http.get().uri("/actuator/prometheus").exchange().expectStatus().isOk();
    }

    @Test
    void theKeysIdIsRecordedAsTheRequestsOwner() {
        AtomicReference<String> owner = new AtomicReference<>();
        MockServerWebExchange exchange = MockServerWebExchange.from(MockServerHttpRequest.get("/v1/sessions")
                .header(HttpHeaders.AUTHORIZATION, "bearer fedcba9876543210fedc"));
        keys.filter(exchange, e -> {
            owner.set(ApiKeys.owner(e).orElse(null));
            return Mono.empty();
        }).block();
        assertThat(owner.get()).isEqualTo("ci");
        assertThat(keys.match("0123456789abcdef0123")).isEqualTo("ops");
        assertThat(keys.match("0123456789abcdef012")).isNull();
    }

    @Test
    void malformedKeyConfigurationIsRefused() {
        assertThatThrownBy(() -> new ArvdmProperties.Security(List.of("no-secret")).keys())
                .hasMessageContaining("id:secret");
        assertThat(new ArvdmProperties.Security(List.of()).keys()).isEmpty();
    }
}
