package org.arvdm.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The service in a JVM of its own, as {@code mvn spring-boot:run} starts it: the test class path,
 * the bundled models and the service's own application.yaml (not the test class path's
 * config/application.yaml, which turns the warm-up off for the unit tests), on a free port, with
 * its output in a temporary log file. For benchmarks that need a fresh, cold service.
 */
final class ServiceProcess implements AutoCloseable {
    static final JsonMapper JSON = JsonMapper.builder().build();

    final String base;
    final Path log;
    final double readySeconds;
    private final Process process;

    private ServiceProcess(Process process, String base, Path log, double readySeconds) {
        this.process = process;
        this.base = base;
        this.log = log;
        this.readySeconds = readySeconds;
    }

    /** Starts the service with {@code args} (e.g. {@code --arvdm.warmup.generations=0}) and waits for readiness. */
    static ServiceProcess start(HttpClient http, List<String> args) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path log = Files.createTempFile("arvdm-service", ".log");
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dai.djl.offline=true",
                "-cp",
                System.getProperty("java.class.path"),
                "org.arvdm.ArvdmApplication",
                "--server.port=" + port,
                "--spring.main.banner-mode=off",
                "--spring.config.location=classpath:/application.yaml"));
        cmd.addAll(args);
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        String base = "http://localhost:" + port;
        try {
            boolean ready =
                    org.arvdm.Readiness.await(http, base, Duration.ofMinutes(10), Duration.ofMillis(100), () -> {
                        assertThat(p.isAlive())
                                .as("service alive (log %s)", log)
                                .isTrue();
                    });
            assertThat(ready).as("ready within 10 minutes (log %s)", log).isTrue();
        } catch (Exception | AssertionError e) {
            p.destroyForcibly();
            throw e;
        }
        return new ServiceProcess(p, base, log, (System.nanoTime() - t0) / 1e9);
    }

    /**
     * One SSE generation: {ms to the first frame event, ms to done} by the client, then the service's
     * own {@code timeToFirstFrameMs} and {@code totalMs}, then the frames received.
     */
    static double[] generate(HttpClient http, String base, String body) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(base + "/v1/generations"))
                .header("Content-Type", "application/json")
                .header("Accept", "text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
        long t0 = System.nanoTime();
        HttpResponse<java.util.stream.Stream<String>> r = http.send(req, HttpResponse.BodyHandlers.ofLines());
        assertThat(r.statusCode()).isEqualTo(200);
        double ttff = Double.NaN;
        int frames = 0;
        Iterator<String> lines = r.body().iterator();
        while (lines.hasNext()) {
            String line = lines.next();
            if (line.equals("event:frame")) {
                if (frames++ == 0) {
                    ttff = (System.nanoTime() - t0) / 1e6;
                }
            } else if (line.equals("event:done")) {
                double total = (System.nanoTime() - t0) / 1e6;
                JsonNode done = JSON.readTree(lines.next().substring("data:".length()));
                r.body().close();
                return new double[] {
                    ttff,
                    total,
                    done.get("timeToFirstFrameMs").asDouble(),
                    done.get("totalMs").asDouble(),
                    frames
                };
            } else if (line.equals("event:error")) {
                throw new AssertionError("generation failed: " + (lines.hasNext() ? lines.next() : ""));
            }
        }
        throw new AssertionError("stream ended without done");
    }

    /**
     * Makes the client's own first requests (class loading and compilation of java.net.http in this
     * JVM) against a stub server of the same shape, so a cold client is not counted as a cold service.
     */
    static void warmClient(HttpClient http, String body) throws Exception {
        com.sun.net.httpserver.HttpServer stub =
                com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("localhost", 0), 0);
        stub.createContext("/v1/generations", ex -> {
            ex.getRequestBody().readAllBytes();
            byte[] b = ("event:frame\ndata:{}\n\nevent:done\ndata:{\"timeToFirstFrameMs\":1,\"totalMs\":1}\n\n")
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "text/event-stream");
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        stub.start();
        try {
            for (int i = 0; i < 200; i++) {
                generate(http, "http://localhost:" + stub.getAddress().getPort(), body);
            }
        } finally {
            stub.stop(0);
        }
    }

    /**
     * README's request, as {@code docs/examples/request.py} builds it: the world v2 clip of
     * docs/examples/v2-context (its 8 frames and their actions), the true actions after it cycled to
     * {@code frames}, seed 7, no model (so the default).
     */
    static java.util.Map<String, Object> readmeRequest(int frames) throws Exception {
        Path ctx = Path.of("docs/examples/v2-context");
        JsonNode clip = JSON.readTree(Files.readString(ctx.resolve("clip.json")));
        List<String> images = new ArrayList<>();
        for (int i = 0; i < clip.get("frames").asInt(); i++) {
            images.add(java.util.Base64.getEncoder().encodeToString(Files.readAllBytes(ctx.resolve(i + ".png"))));
        }
        List<?> names = JSON.treeToValue(clip.get("future"), List.class);
        List<Object> actions = new ArrayList<>();
        for (int i = 0; i < frames; i++) {
            actions.add(names.get(i % names.size()));
        }
        java.util.Map<String, Object> body = new java.util.LinkedHashMap<>();
        body.put(
                "context",
                java.util.Map.of("frames", images, "actions", JSON.treeToValue(clip.get("actions"), List.class)));
        body.put("actions", actions);
        body.put("seed", 7);
        return body;
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
