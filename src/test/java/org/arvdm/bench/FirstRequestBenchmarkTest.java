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
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The first generation after readiness against the steady state, with the service's warm-up
 * ({@code arvdm.warmup}) on and off:
 * <pre>
 *   mvn -q test -Pbenchmark -Dtest=FirstRequestBenchmarkTest -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 * Each variant starts the service in a fresh JVM (the test class path, the bundled models, the
 * default model and settings of application.yaml, as {@code mvn spring-boot:run} would), waits for
 * readiness, posts README's request (docs/examples/context, 64 frames, SSE) once, then
 * {@code -Darvdm.bench.steady} (default 10) more times; time to first frame and total are measured by
 * the client, from sending the request to the first {@code frame} event and to {@code done}. Writes
 * the "first-request" section of docs/performance.md.
 */
@Tag("benchmark")
class FirstRequestBenchmarkTest {
    static final JsonMapper JSON = JsonMapper.builder().build();

    final int steady = Integer.parseInt(ServiceBenchmarkTest.prop("steady", "10"));
    final int frames = Integer.parseInt(ServiceBenchmarkTest.prop("frames", "64"));
    final Path out = Path.of(ServiceBenchmarkTest.prop("out", "docs/performance.md"));

    record Run(String variant, double readySeconds, double[] firstMs, double[] steadyTotal, double[] steadyTtff) {
        double ratio(int k) {
            return firstMs[k] / median(k == 0 ? steadyTtff : steadyTotal);
        }
    }

    @Test
    void firstGenerationAfterReadiness() throws Exception {
        String body = request();
        List<Run> runs = new ArrayList<>();
        runs.add(run("warm-up on (default)", List.of(), body));
        runs.add(run("warm-up off (`arvdm.warmup.generations=0`)", List.of("--arvdm.warmup.generations=0"), body));
        StringBuilder b = new StringBuilder("## First request after readiness\n\n");
        b.append("Written by `mvn -q test -Pbenchmark -Dtest=FirstRequestBenchmarkTest "
                + "-Dsurefire.failIfNoSpecifiedTests=false` on ").append(Instant.now()).append(
                "; load average at the end ").append(ServiceBenchmarkTest.loadAverage()).append(
                ". Each row: a fresh service JVM on the bundled models and application.yaml's settings, README's "
                + "request (4 context frames, ").append(frames).append(" frames, SSE) once after readiness, then ")
                .append(steady).append(" more; times by the client, to the first `frame` event (TTFF) and to `done`."
                + " Target: the first generation within 1.2× of the steady state.\n\n");
        b.append("| variant | ready after s | first TTFF ms | steady TTFF ms (median) | first / steady TTFF "
                + "| first total ms | steady total ms (median) | first / steady total |\n");
        b.append("| --- | --- | --- | --- | --- | --- | --- | --- |\n");
        for (Run r : runs) {
            b.append(String.format(Locale.ROOT, "| %s | %.1f | %.0f | %.0f | %.2f× | %.0f | %.0f | %.2f× |%n",
                    r.variant(), r.readySeconds(), r.firstMs()[0], median(r.steadyTtff()), r.ratio(0),
                    r.firstMs()[1], median(r.steadyTotal()), r.ratio(1)));
        }
        Run on = runs.get(0);
        b.append(String.format(Locale.ROOT, "%nTarget (≤ 1.2×) with the warm-up: TTFF %.2f×, total %.2f×: %s.%n",
                on.ratio(0), on.ratio(1), on.ratio(0) <= 1.2 && on.ratio(1) <= 1.2 ? "met" : "not met"));
        b.append("\nWhat warms up: loading runs each network of each bundle at every batch size from 1 to "
                + "`arvdm.batching.max-batch-size`, with full and half-full memory masks, three times each "
                + "(PyTorch's profiling executor profiles a shape's first call and optimizes on the next); then "
                + "the service posts `arvdm.warmup.generations` SSE generations of the default model, one short "
                + "one of every other model and one JSON answer to itself over HTTP before readiness turns up, "
                + "so the JVM has loaded and compiled the request path (HTTP, JSON, PNG decoding, planning, the "
                + "loop, PNG encoding, SSE). \"ready after\" is from starting the JVM to readiness.\n");
        System.out.println(b);
        ReportSections.write(out, "first-request", b.toString());
        System.out.println("written to " + out.toAbsolutePath());
        assertThat(runs).allSatisfy(r -> assertThat(r.steadyTotal()).hasSize(steady));
    }

    /** README's request: the 4-frame context clip of docs/examples/context and its cycled actions. */
    String request() throws Exception {
        Path ctx = Path.of("docs/examples/context");
        JsonNode clip = JSON.readTree(Files.readString(ctx.resolve("clip.json")));
        List<String> images = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            images.add(Base64.getEncoder().encodeToString(Files.readAllBytes(ctx.resolve(i + ".png"))));
        }
        List<String> names = List.of("forward", "forward", "left", "forward", "right", "forward");
        List<String> actions = new ArrayList<>();
        for (int i = 0; i < frames; i++) {
            actions.add(names.get(i % names.size()));
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("context", Map.of("frames", images, "actions", JSON.treeToValue(clip.get("actions"), List.class)));
        body.put("actions", actions);
        body.put("seed", 7);
        return JSON.writeValueAsString(body);
    }

    /**
     * Makes the client's own first requests (class loading and compilation of java.net.http in this
     * JVM) against a stub server of the same shape, so a cold client is not counted as a cold service.
     */
    static void warmClient(HttpClient http, String body) throws Exception {
        com.sun.net.httpserver.HttpServer stub = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress("localhost", 0), 0);
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

    Run run(String variant, List<String> extraArgs, String body) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path log = Files.createTempFile("arvdm-first-request", ".log");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"), "org.arvdm.ArvdmApplication",
                "--server.port=" + port, "--spring.main.banner-mode=off",
                // the service's own configuration only (the test class path's config/application.yaml turns the
                // warm-up off for the unit tests)
                "--spring.config.location=classpath:/application.yaml"));
        cmd.addAll(extraArgs);
        System.out.printf("%s: starting the service (log %s)%n", variant, log);
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            HttpClient http = HttpClient.newHttpClient();
            warmClient(http, body);
            String base = "http://localhost:" + port;
            awaitReady(http, base, p, log);
            double ready = (System.nanoTime() - t0) / 1e9;
            double[] first = generate(http, base, body);
            double[] total = new double[steady];
            double[] ttff = new double[steady];
            for (int i = 0; i < steady; i++) {
                double[] g = generate(http, base, body);
                ttff[i] = g[0];
                total[i] = g[1];
            }
            System.out.printf(Locale.ROOT, "%s: ready %.1f s, first (client ttff, total; service ttff, total) %s, steady ttff %s total %s%n", variant, ready,
                    Arrays.toString(first), Arrays.toString(ttff), Arrays.toString(total));
            return new Run(variant, ready, first, total, ttff);
        } finally {
            p.destroy();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }

    static void awaitReady(HttpClient http, String base, Process p, Path log) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
        while (System.nanoTime() < deadline) {
            assertThat(p.isAlive()).as("service alive (log %s)", log).isTrue();
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/actuator/health/readiness"))
                        .build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (java.io.IOException notYet) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new AssertionError("service not ready in 10 minutes; log " + log);
    }

    /** {ms to the first frame event, ms to done} by the client, then the same two as the service reports them. */
    static double[] generate(HttpClient http, String base, String body) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(base + "/v1/generations"))
                .header("Content-Type", "application/json").header("Accept", "text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        long t0 = System.nanoTime();
        HttpResponse<java.util.stream.Stream<String>> r = http.send(req, HttpResponse.BodyHandlers.ofLines());
        assertThat(r.statusCode()).isEqualTo(200);
        double ttff = Double.NaN;
        Iterator<String> lines = r.body().iterator();
        while (lines.hasNext()) {
            String line = lines.next();
            if (Double.isNaN(ttff) && line.equals("event:frame")) {
                ttff = (System.nanoTime() - t0) / 1e6;
            } else if (line.equals("event:done")) {
                double total = (System.nanoTime() - t0) / 1e6;
                JsonNode done = JSON.readTree(lines.next().substring("data:".length()));
                r.body().close();
                return new double[] {ttff, total, done.get("timeToFirstFrameMs").asDouble(),
                        done.get("totalMs").asDouble()};
            } else if (line.equals("event:error")) {
                throw new AssertionError("generation failed: " + (lines.hasNext() ? lines.next() : ""));
            }
        }
        throw new AssertionError("stream ended without done");
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
