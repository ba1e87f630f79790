package org.arvdm.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/**
 * The packaged jar, started exactly as the Dockerfile's entrypoint starts it (same command,
 * same environment, with the model and cache folders pointed at local paths), becomes ready
 * and serves a streamed generation; SIGTERM then stops it. Runs in {@code mvn verify}
 * (failsafe), after the jar is built.
 */
class PackagedJarIT {

    @Test
    void jarStartedLikeTheEntrypointServesAGeneration() throws Exception {
        Path jar = Path.of("target/arvdm-serving-0.1.0-SNAPSHOT.jar");
        assertThat(jar).exists();
        DockerImageSpec spec = DockerImageSpec.load();
        Path tmp = Files.createTempDirectory("arvdm-jar");
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Map<String, String> env = new HashMap<>(spec.environment());
        env.put("ARVDM_MODEL_DIR", Path.of("src/test/resources/bundles").toAbsolutePath().toString());
        env.put("ARVDM_DEFAULT_MODEL", "tiny-frames");
        env.put("DJL_CACHE_DIR", tmp.resolve("djl").toString());
        env.put("ENGINE_CACHE_DIR", tmp.resolve("djl").toString());
        env.put("SERVER_PORT", Integer.toString(port));
        env.put("JAVA_OPTS", env.getOrDefault("JAVA_OPTS", "").replace("-Djava.io.tmpdir=/tmp",
                "-Djava.io.tmpdir=" + tmp));
        List<String> command = DockerImageSpec.replaceJar(spec.javaCommand(env), jar);
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(tmp.resolve("service.log").toFile());
        pb.environment().putAll(env);
        Process process = pb.start();
        try {
            HttpClient http = HttpClient.newHttpClient();
            String base = "http://localhost:" + port;
            awaitReady(http, base, process, tmp);
            Map<String, Object> body = Map.of(
                    "context", Map.of("frames", List.of(png())),
                    "actions", List.of("forward", "left", "forward", "right", "forward"),
                    "seed", 1);
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/generations"))
                    .header("Content-Type", "application/json").header("Accept", "text/event-stream")
                    .POST(HttpRequest.BodyPublishers.ofString(JsonMapper.builder().build().writeValueAsString(body)))
                    .timeout(Duration.ofSeconds(120)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body().lines().filter(l -> l.equals("event:frame")).count()).isEqualTo(5);
            assertThat(r.body()).contains("event:started").contains("event:done");
        } finally {
            process.destroy();
            boolean exited = process.waitFor(60, TimeUnit.SECONDS);
            if (!exited) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            assertThat(exited).as("service exits on SIGTERM").isTrue();
        }
    }

    private static void awaitReady(HttpClient http, String base, Process process, Path tmp) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("service exited early:\n" + Files.readString(tmp.resolve("service.log")));
            }
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base
                        + "/actuator/health/readiness")).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (java.io.IOException notYet) {
                // not listening yet
            }
            Thread.sleep(250);
        }
        throw new AssertionError("not ready in 180 s:\n" + Files.readString(tmp.resolve("service.log")));
    }

    private static String png() throws Exception {
        java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(16, 16,
                java.awt.image.BufferedImage.TYPE_INT_RGB);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        javax.imageio.ImageIO.write(img, "png", out);
        return java.util.Base64.getEncoder().encodeToString(out.toByteArray());
    }
}
