package org.arvdm.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/**
 * The packaged jar, started exactly as the Dockerfile's entrypoint starts it (same command,
 * same environment, with the model and cache folders pointed at local paths), becomes ready
 * and serves a streamed generation; SIGTERM then stops it. Runs in {@code mvn verify}
 * (failsafe), after the jar is built. {@link ShutdownIT} checks what SIGTERM does to running work.
 */
class PackagedJarIT {

    @Test
    void jarStartedLikeTheEntrypointServesAGeneration() throws Exception {
        PackagedJar jar = PackagedJar.start(Map.of());
        try {
            HttpClient http = HttpClient.newHttpClient();
            jar.awaitReady(http);
            Map<String, Object> body = Map.of(
                    "context", Map.of("frames", List.of(PackagedJar.png())),
                    "actions", List.of("forward", "left", "forward", "right", "forward"),
                    "seed", 1);
            HttpResponse<String> r = http.send(
                    HttpRequest.newBuilder(URI.create(jar.base + "/v1/generations"))
                            .header("Content-Type", "application/json")
                            .header("Accept", "text/event-stream")
                            .POST(HttpRequest.BodyPublishers.ofString(
                                    JsonMapper.builder().build().writeValueAsString(body)))
                            .timeout(Duration.ofSeconds(120))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body().lines().filter(l -> l.equals("event:frame")).count())
                    .isEqualTo(5);
            assertThat(r.body()).contains("event:started").contains("event:done");
        } finally {
            jar.sigterm();
            assertThat(jar.awaitExit(Duration.ofSeconds(60)))
                    .as("service exits on SIGTERM")
                    .isTrue();
        }
    }
}
