package org.arvdm.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * SIGTERM to the packaged jar (started like the image's entrypoint) while a slow SSE generation,
 * a slow JSON generation and a session stream run: requests sent during the grace period get 503
 * problem+json {@code urn:arvdm:shutdown} with Retry-After (not a refused connection), and when the
 * grace ends (here 15 s phase timeout − 10 s = 5 s) every stream ends with an {@code error} event
 * naming the shutdown and the JSON generation answers that problem; then the process exits.
 */
class ShutdownIT {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** An SSE stream read line by line on its own thread. */
    private static final class Stream {
        final List<String> lines = new CopyOnWriteArrayList<>();
        final CountDownLatch started = new CountDownLatch(1);
        final CompletableFuture<Long> ended = new CompletableFuture<>();
        volatile int status;

        Stream(HttpClient http, HttpRequest request) {
            http.sendAsync(request, HttpResponse.BodyHandlers.ofLines())
                    .thenAccept(r -> {
                        status = r.statusCode();
                        Thread t = new Thread(() -> {
                            try {
                                r.body().forEach(l -> {
                                    lines.add(l);
                                    if (l.equals("event:started")) {
                                        started.countDown();
                                    }
                                });
                                ended.complete(System.nanoTime());
                            } catch (RuntimeException e) {
                                ended.completeExceptionally(e);
                            }
                        });
                        t.setDaemon(true);
                        t.start();
                    })
                    .exceptionally(e -> {
                        ended.completeExceptionally(e);
                        return null;
                    });
        }

        List<String> events() {
            return lines.stream().filter(l -> l.startsWith("event:")).toList();
        }

        /** The data line of the last event named {@code name}. */
        JsonNode data(String name) {
            int at = lines.lastIndexOf("event:" + name);
            assertThat(at).as("an %s event in %s", name, events()).isNotNegative();
            String data = lines.subList(at, lines.size()).stream()
                    .filter(l -> l.startsWith("data:"))
                    .findFirst()
                    .orElseThrow();
            return JSON.readTree(data.substring(5));
        }
    }

    @Test
    void sigtermAnswers503AndEndsEveryStreamWithAShutdownError() throws Exception {
        PackagedJar jar = PackagedJar.start(Map.of(
                "SPRING_LIFECYCLE_TIMEOUT_PER_SHUTDOWN_PHASE", "15s",
                "ARVDM_LIMITS_MAX_STEPS", "100000"));
        try {
            HttpClient http = HttpClient.newHttpClient();
            jar.awaitReady(http);
            String slow = JSON.writeValueAsString(Map.of(
                    "context",
                    Map.of("frames", List.of(PackagedJar.png())),
                    "frames",
                    256,
                    "seed",
                    3,
                    "schedule",
                    Map.of("arSteps", 20000)));
            Stream generation = new Stream(http, post(jar, "/v1/generations", slow, "text/event-stream"));
            CompletableFuture<HttpResponse<String>> once = http.sendAsync(
                    post(jar, "/v1/generations", slow, "application/json"), HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> created = http.send(
                    post(
                            jar,
                            "/v1/sessions",
                            JSON.writeValueAsString(Map.of(
                                    "context", Map.of("frames", List.of(PackagedJar.png())), "mode", "realtime")),
                            "application/json"),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
            String session = JSON.readTree(created.body()).get("id").asString();
            Stream events = new Stream(
                    http,
                    HttpRequest.newBuilder(URI.create(jar.base + "/v1/sessions/" + session + "/events"))
                            .header("Accept", "text/event-stream")
                            .build());
            assertThat(generation.started.await(60, TimeUnit.SECONDS))
                    .as("generation started")
                    .isTrue();
            assertThat(events.started.await(60, TimeUnit.SECONDS))
                    .as("session stream started")
                    .isTrue();

            jar.sigterm();
            long sigterm = System.nanoTime();

            // until the drain begins the service answers as usual; from then on 503, never a refused connection
            // probing every 20 ms; a refused connection (an IOException) fails the test at once
            java.util.concurrent.atomic.AtomicReference<HttpResponse<String>> refused =
                    new java.util.concurrent.atomic.AtomicReference<>();
            org.arvdm.Await.within(
                    Duration.ofSeconds(5),
                    Duration.ofMillis(20),
                    () -> {
                        try {
                            HttpResponse<String> r = http.send(
                                    HttpRequest.newBuilder(URI.create(jar.base + "/v1/models"))
                                            .timeout(Duration.ofSeconds(5))
                                            .build(),
                                    HttpResponse.BodyHandlers.ofString());
                            if (r.statusCode() != 200) {
                                refused.set(r);
                            }
                            return refused.get() != null;
                        } catch (java.io.IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            throw new AssertionError(e);
                        }
                    },
                    "the drain to begin: a request answered 503");
            assertThat(refused.get())
                    .as("a request during the grace period is answered, not refused")
                    .isNotNull();
            assertShutdownProblem(refused.get());
            HttpResponse<String> generate = http.send(
                    post(jar, "/v1/generations", slow, "text/event-stream"), HttpResponse.BodyHandlers.ofString());
            assertShutdownProblem(generate);
            long answered = System.nanoTime();
            assertThat(generation.ended)
                    .as("the running stream is still open while new requests get 503")
                    .isNotDone();

            long ended = generation.ended.get(60, TimeUnit.SECONDS);
            assertThat(ended).isGreaterThan(answered);
            List<String> names = generation.events();
            assertThat(names)
                    .as("the stream's events")
                    .doesNotContain("event:done")
                    .last()
                    .isEqualTo("event:error");
            JsonNode error = generation.data("error");
            assertThat(error.get("type").asString()).isEqualTo("urn:arvdm:shutdown");
            assertThat(error.get("status").asInt()).isEqualTo(503);

            HttpResponse<String> json = once.get(60, TimeUnit.SECONDS);
            assertThat(json.statusCode()).as(json.body()).isEqualTo(503);
            assertThat(json.headers().firstValue("Content-Type")).hasValue("application/problem+json");
            assertThat(JSON.readTree(json.body()).get("type").asString()).isEqualTo("urn:arvdm:shutdown");

            events.ended.get(60, TimeUnit.SECONDS);
            assertThat(events.events()).as("the session stream's events").endsWith("event:error", "event:closed");
            assertThat(events.data("error").get("type").asString()).isEqualTo("urn:arvdm:shutdown");
            assertThat(events.data("error").get("status").asInt()).isEqualTo(503);
            assertThat(events.data("closed").get("reason").asString()).isEqualTo("shutdown");
        } catch (AssertionError | Exception e) {
            throw new AssertionError(e + "\n--- service log ---\n" + jar.log(), e);
        } finally {
            jar.sigterm(); // again, harmless, in case a failure came before the first
            assertThat(jar.awaitExit(Duration.ofSeconds(60)))
                    .as("service exits after SIGTERM")
                    .isTrue();
        }
    }

    private static void assertShutdownProblem(HttpResponse<String> r) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(r.headers().firstValue("Retry-After")).isPresent();
        JsonNode p = JSON.readTree(r.body());
        assertThat(p.get("type").asString()).isEqualTo("urn:arvdm:shutdown");
        assertThat(p.get("status").asInt()).isEqualTo(503);
    }

    private static HttpRequest post(PackagedJar jar, String path, String body, String accept) {
        return HttpRequest.newBuilder(URI.create(jar.base + path))
                .header("Content-Type", "application/json")
                .header("Accept", accept)
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .timeout(Duration.ofSeconds(120))
                .build();
    }
}
