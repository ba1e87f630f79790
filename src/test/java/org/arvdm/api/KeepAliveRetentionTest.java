package org.arvdm.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.ref.WeakReference;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.arvdm.model.ModelRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.web.server.WebFilter;
import tools.jackson.databind.json.JsonMapper;

/**
 * Requests that share one keep-alive connection leave nothing behind on it: once each has been
 * answered, its exchange can be collected while the connection stays open. (A per-request watch
 * on the connection's close that is never removed keeps them all, the soak's heap growth.)
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "arvdm.model-dir=src/test/resources/bundles",
            "arvdm.default-model=tiny-frames",
            "arvdm.device=cpu"
        })
class KeepAliveRetentionTest {
    static final int REQUESTS = 40;

    /** A weak reference to every exchange the service handled. */
    static final List<WeakReference<Object>> EXCHANGES = new CopyOnWriteArrayList<>();

    @TestConfiguration
    static class Exchanges {
        @Bean
        WebFilter rememberExchanges() {
            return (exchange, chain) -> {
                if (exchange.getRequest().getPath().value().startsWith("/v1/")) {
                    EXCHANGES.add(new WeakReference<>(exchange));
                }
                return chain.filter(exchange);
            };
        }
    }

    @LocalServerPort
    int port;

    @Autowired
    ModelRegistry registry;

    @Autowired
    JsonMapper json;

    @Test
    void finishedRequestsOnAnOpenConnectionCanBeCollected() throws Exception {
        assertThat(registry.awaitLoaded(Duration.ofSeconds(60))).isTrue();
        HttpClient http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .build(); // one pooled keep-alive connection: the requests run one after another
        byte[] body = json.writeValueAsBytes(GenerationApiTest.request("tiny-frames", 2, 2, 3));
        for (int i = 0; i < REQUESTS; i++) {
            String accept = i % 2 == 0 ? "application/json" : "text/event-stream";
            HttpResponse<String> r = http.send(
                    HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/v1/generations"))
                            .header("Content-Type", "application/json")
                            .header("Accept", accept)
                            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        }
        assertThat(EXCHANGES).hasSize(REQUESTS);
        // the connection is still open (the client is alive and holds it); collect what can go
        long live = REQUESTS;
        for (int round = 0; round < 20 && live > 1; round++) {
            System.gc();
            Thread.sleep(50); // give the reference handler a turn; the loop ends as soon as they are gone
            live = EXCHANGES.stream().filter(w -> w.get() != null).count();
        }
        // the last exchange may still be referenced by the connection's current state
        assertThat(live)
                .as("exchanges of finished requests still reachable with their connection open")
                .isLessThanOrEqualTo(1);
        assertThat(http).isNotNull(); // keeps the client, and so its connection, alive until here
    }

    /**
     * Back-to-back requests on one keep-alive connection are all answered. With Reactor Netty 1.3.6 a
     * request that arrived while the previous one was still terminating could stay unread in the
     * socket (reactor/reactor-netty#4361): here one of about 50 health checks went unanswered, a
     * liveness probe that would have restarted the pod.
     */
    @Test
    void everyRequestOnAKeepAliveConnectionIsAnswered() throws Exception {
        assertThat(registry.awaitLoaded(Duration.ofSeconds(60))).isTrue();
        byte[] get = ("GET /actuator/health HTTP/1.1\r\nHost: localhost\r\n\r\n")
                .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        try (java.net.Socket socket = new java.net.Socket("localhost", port)) {
            socket.setSoTimeout(5_000);
            java.io.InputStream in = new java.io.BufferedInputStream(socket.getInputStream());
            for (int i = 0; i < 500; i++) {
                socket.getOutputStream().write(get);
                socket.getOutputStream().flush();
                String status = null;
                int length = -1;
                for (String line = readLine(in, i); !line.isEmpty(); line = readLine(in, i)) {
                    if (status == null) {
                        status = line;
                    } else if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                        length = Integer.parseInt(line.substring(15).trim());
                    }
                }
                assertThat(status).as("request %d", i).startsWith("HTTP/1.1 200");
                assertThat(length).as("request %d has a Content-Length", i).isPositive();
                assertThat(in.readNBytes(length)).hasSize(length);
            }
        }
    }

    private static String readLine(java.io.InputStream in, int request) throws java.io.IOException {
        StringBuilder b = new StringBuilder();
        try {
            for (int c = in.read(); c != '\n'; c = in.read()) {
                if (c < 0) {
                    throw new java.io.EOFException("connection closed during request " + request);
                }
                if (c != '\r') {
                    b.append((char) c);
                }
            }
        } catch (java.net.SocketTimeoutException e) {
            throw new AssertionError("request " + request + " on the keep-alive connection got no answer in 5 s", e);
        }
        return b.toString();
    }
}
