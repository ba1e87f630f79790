package org.arvdm.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.arvdm.config.ArvdmProperties;
import org.arvdm.model.ModelRegistry;
import org.arvdm.session.SessionService;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.socket.client.ReactorNettyWebSocketClient;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/** With arvdm.security.api-keys set, /v1/ needs a bearer key; health and metrics do not. */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "arvdm.model-dir=src/test/resources/bundles",
            "arvdm.default-model=tiny-frames",
            "arvdm.device=cpu",
            "arvdm.security.api-keys=ops:0123456789abcdef0123,ci:fedcba9876543210fedc"
        })
@org.springframework.context.annotation.Import(org.arvdm.ResponseContract.Recorder.class)
@org.junit.jupiter.api.extension.ExtendWith(org.arvdm.ResponseContract.Check.class)
class ApiKeysTest {
    @LocalServerPort
    int port;

    @Autowired
    ModelRegistry registry;

    @Autowired
    ApiKeys keys;

    @Autowired
    SessionService sessions;

    static final String OPS = "Bearer 0123456789abcdef0123";
    static final String CI = "Bearer fedcba9876543210fedc";

    private WebTestClient http() throws Exception {
        assertThat(registry.awaitLoaded(Duration.ofSeconds(60))).isTrue();
        // a generous timeout: the tests share a busy machine (a 5 s default times out there)
        return WebTestClient.bindToServer()
                .baseUrl("http://localhost:" + port)
                .responseTimeout(Duration.ofSeconds(60))
                .build();
    }

    @Test
    void aRequestWithoutAValidKeyGets401ProblemWithAChallenge() throws Exception {
        WebTestClient http = http();
        for (String auth : new String[] {
            null, "Bearer wrong", "Basic b3BzOjAxMjM=", "Bearer 0123456789abcdef012", "Bearer 0123456789abcdef01234"
        }) {
            WebTestClient.RequestHeadersSpec<?> req = http.get().uri("/v1/models");
            if (auth != null) {
                req = req.header(HttpHeaders.AUTHORIZATION, auth);
            }
            req.exchange()
                    .expectStatus()
                    .isUnauthorized()
                    .expectHeader()
                    .valueEquals(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"arvdm\"")
                    .expectHeader()
                    .contentType(MediaType.APPLICATION_PROBLEM_JSON)
                    .expectBody()
                    .jsonPath("$.status")
                    .isEqualTo(401)
                    .jsonPath("$.field")
                    .isEqualTo("Authorization");
        }
        http.post()
                .uri("/v1/generations")
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{}")
                .exchange()
                .expectStatus()
                .isUnauthorized();
    }

    @Test
    void eitherKeyIsAcceptedAndHealthNeedsNone() throws Exception {
        WebTestClient http = http();
        for (String secret : List.of("0123456789abcdef0123", "fedcba9876543210fedc")) {
            http.get()
                    .uri("/v1/models")
                    .header(HttpHeaders.AUTHORIZATION, "Bearer " + secret)
                    .exchange()
                    .expectStatus()
                    .isOk();
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
                })
                .block();
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

    @SuppressWarnings("unchecked")
    private static Map<String, Object> open(WebTestClient http, String auth) {
        return http.post()
                .uri("/v1/sessions")
                .header(HttpHeaders.AUTHORIZATION, auth)
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("context", Map.of("frames", TestImages.clip(2, 16)), "mode", "step", "seed", 5))
                .exchange()
                .expectStatus()
                .isCreated()
                .expectBody(Map.class)
                .returnResult()
                .getResponseBody();
    }

    /** The problem of a 404 less its {@code instance}, to compare another key's session with an unknown one. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> notFound(WebTestClient.RequestHeadersSpec<?> req) {
        Map<String, Object> p = new java.util.HashMap<>(req.exchange()
                .expectStatus()
                .isNotFound()
                .expectHeader()
                .contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody(Map.class)
                .returnResult()
                .getResponseBody());
        p.remove("instance");
        return p;
    }

    /** Every session endpoint answers another key as if the session did not exist. */
    private static void hiddenFrom(WebTestClient http, String auth, String id, Map<String, Object> unknown) {
        String base = "/v1/sessions/" + id;
        List<WebTestClient.RequestHeadersSpec<?>> requests = List.of(
                http.get().uri(base),
                http.post()
                        .uri(base + "/actions")
                        .contentType(MediaType.APPLICATION_JSON)
                        .bodyValue(Map.of("actions", List.of("forward"))),
                http.post().uri(base + "/fork"),
                http.get().uri(base + "/events").accept(MediaType.TEXT_EVENT_STREAM),
                http.get().uri(base + "/recording"),
                http.delete().uri(base));
        for (WebTestClient.RequestHeadersSpec<?> req : requests) {
            assertThat(notFound(req.header(HttpHeaders.AUTHORIZATION, auth))).isEqualTo(unknown);
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void aSessionBelongsToItsKeyAndAnotherKeyGets404Everywhere() throws Exception {
        WebTestClient http = http();
        String id = (String) open(http, OPS).get("id");
        Map<String, Object> unknown =
                notFound(http.get().uri("/v1/sessions/AAAAAAAAAAAAAAAAAAAAAA").header(HttpHeaders.AUTHORIZATION, CI));
        assertThat(unknown).containsEntry("type", "urn:arvdm:session-not-found").containsEntry("status", 404);

        hiddenFrom(http, CI, id, unknown);
        // ... and none of that touched it: the owner still sees it, with no action received.
        http.get()
                .uri("/v1/sessions/" + id)
                .header(HttpHeaders.AUTHORIZATION, OPS)
                .exchange()
                .expectStatus()
                .isOk()
                .expectBody()
                .jsonPath("$.actionsReceived")
                .isEqualTo(0);
        http.post()
                .uri("/v1/sessions/" + id + "/actions")
                .header(HttpHeaders.AUTHORIZATION, OPS)
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("actions", List.of("forward")))
                .exchange()
                .expectStatus()
                .isAccepted();

        // A fork belongs to the forking key (the owner; no one else can fork it).
        Map<String, Object> child = http.post()
                .uri("/v1/sessions/" + id + "/fork")
                .header(HttpHeaders.AUTHORIZATION, OPS)
                .exchange()
                .expectStatus()
                .isCreated()
                .expectBody(Map.class)
                .returnResult()
                .getResponseBody();
        String childId = (String) child.get("id");
        assertThat(child.get("forkedFrom")).isEqualTo(id);
        assertThat(sessions.get(childId, "ops").owner()).isEqualTo("ops");
        hiddenFrom(http, CI, childId, unknown);
        http.get()
                .uri("/v1/sessions/" + childId)
                .header(HttpHeaders.AUTHORIZATION, OPS)
                .exchange()
                .expectStatus()
                .isOk();

        // A session of the other key is just as hidden from the first.
        String theirs = (String) open(http, CI).get("id");
        hiddenFrom(http, OPS, theirs, unknown);

        for (String[] s : new String[][] {{id, OPS}, {childId, OPS}, {theirs, CI}}) {
            http.delete()
                    .uri("/v1/sessions/" + s[0])
                    .header(HttpHeaders.AUTHORIZATION, s[1])
                    .exchange()
                    .expectStatus()
                    .isNoContent();
        }
        assertThat(sessions.openSessions()).isZero();
    }

    @Test
    @SuppressWarnings("unchecked")
    void theWebSocketAnswersAnotherKeyAsForAnUnknownSession() throws Exception {
        WebTestClient http = http();
        String id = (String) open(http, OPS).get("id");
        JsonMapper json = JsonMapper.builder().build();
        ReactorNettyWebSocketClient ws = new ReactorNettyWebSocketClient();
        URI uri = URI.create("ws://localhost:" + port + "/v1/sessions/" + id + "/ws");
        java.util.function.Function<String, Map<String, Object>> first = auth -> {
            List<Map<String, Object>> got = Collections.synchronizedList(new ArrayList<>());
            HttpHeaders h = new HttpHeaders();
            h.set(HttpHeaders.AUTHORIZATION, auth);
            ws.execute(
                            uri,
                            h,
                            session -> session.receive()
                                    .take(1)
                                    .map(m -> (Map<String, Object>) json.readValue(m.getPayloadAsText(), Map.class))
                                    .doOnNext(got::add)
                                    .then())
                    .block(Duration.ofSeconds(30));
            assertThat(got).hasSize(1);
            return got.get(0);
        };
        Map<String, Object> theirs = first.apply(CI);
        assertThat(theirs.get("event")).isEqualTo("error");
        assertThat((Map<String, Object>) theirs.get("data"))
                .containsEntry("status", 404)
                .containsEntry("type", "urn:arvdm:session-not-found");
        Map<String, Object> mine = first.apply(OPS);
        assertThat(mine.get("event")).isEqualTo("started");
        assertThat((Map<String, Object>) mine.get("data")).containsEntry("id", id);
        http.delete()
                .uri("/v1/sessions/" + id)
                .header(HttpHeaders.AUTHORIZATION, OPS)
                .exchange()
                .expectStatus()
                .isNoContent();
    }

    /** Behind the ingress the session id starts with the request id it was hashed on; a fork keeps it. */
    @Test
    @SuppressWarnings("unchecked")
    void theIngressRequestIdBecomesTheRouteKeyOfTheSessionAndItsForks() throws Exception {
        WebTestClient http = http();
        String route = "0123456789abcdef0123456789abcdef";
        Map<String, Object> s = http.post()
                .uri("/v1/sessions")
                .header(HttpHeaders.AUTHORIZATION, OPS)
                .header("X-Request-ID", route)
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("context", Map.of("frames", TestImages.clip(2, 16)), "mode", "step"))
                .exchange()
                .expectStatus()
                .isCreated()
                .expectBody(Map.class)
                .returnResult()
                .getResponseBody();
        String id = (String) s.get("id");
        assertThat(id).startsWith(route).hasSize(32 + 22);
        String child = (String) http.post()
                .uri("/v1/sessions/" + id + "/fork")
                .header(HttpHeaders.AUTHORIZATION, OPS)
                .exchange()
                .expectStatus()
                .isCreated()
                .expectBody(Map.class)
                .returnResult()
                .getResponseBody()
                .get("id");
        assertThat(child).startsWith(route).hasSize(54).isNotEqualTo(id);
        // Anything not of the request id's form is no route key: a plain 22-character id.
        String plain = (String) http.post()
                .uri("/v1/sessions")
                .header(HttpHeaders.AUTHORIZATION, OPS)
                .header("X-Request-ID", "../../etc")
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("context", Map.of("frames", TestImages.clip(2, 16)), "mode", "step"))
                .exchange()
                .expectStatus()
                .isCreated()
                .expectBody(Map.class)
                .returnResult()
                .getResponseBody()
                .get("id");
        assertThat(plain).hasSize(22);
        for (String x : List.of(id, child, plain)) {
            http.delete()
                    .uri("/v1/sessions/" + x)
                    .header(HttpHeaders.AUTHORIZATION, OPS)
                    .exchange()
                    .expectStatus()
                    .isNoContent();
        }
    }
}
