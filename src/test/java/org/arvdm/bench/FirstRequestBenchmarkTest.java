package org.arvdm.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The first generation after readiness against the steady state, with the service's warm-up
 * ({@code arvdm.warmup}) on and off:
 * <pre>
 *   mvn -q test -Pbenchmark -Dtest=FirstRequestBenchmarkTest -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 * Each variant starts the service in a fresh JVM ({@link ServiceProcess}: the bundled models, the
 * default model and settings of application.yaml, as {@code mvn spring-boot:run} would), waits for
 * readiness, posts README's request (docs/examples/v2-context, 64 frames, SSE) once, then
 * {@code -Darvdm.bench.steady} (default 10) more times; time to first frame and total are measured
 * by the client, from sending the request to the first {@code frame} event and to {@code done}.
 * Writes the "first-request" section of docs/performance.md.
 */
@Tag("benchmark")
class FirstRequestBenchmarkTest {
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
        String body = ServiceProcess.JSON.writeValueAsString(ServiceProcess.readmeRequest(frames));
        List<Run> runs = new ArrayList<>();
        runs.add(run("warm-up on (default)", List.of(), body));
        runs.add(run("warm-up off (`arvdm.warmup.generations=0`)", List.of("--arvdm.warmup.generations=0"), body));
        StringBuilder b = new StringBuilder("## First request after readiness\n\n");
        b.append("Written by `mvn -q test -Pbenchmark -Dtest=FirstRequestBenchmarkTest "
                        + "-Dsurefire.failIfNoSpecifiedTests=false` on ")
                .append(Instant.now())
                .append("; load average at the end ")
                .append(ServiceBenchmarkTest.loadAverage())
                .append(
                        ". Each row: a fresh service JVM on the bundled models and application.yaml's settings, README's "
                                + "request (the world v2 clip of docs/examples/v2-context, 8 context frames, ")
                .append(frames)
                .append(" frames, SSE) once after readiness, then ")
                .append(steady)
                .append(" more; times by the client, to the first `frame` event (TTFF) and to `done`."
                        + " Target: the first generation within 1.2× of the steady state.\n\n");
        b.append("| variant | ready after s | first TTFF ms | steady TTFF ms (median) | first / steady TTFF "
                + "| first total ms | steady total ms (median) | first / steady total |\n");
        b.append("| --- | --- | --- | --- | --- | --- | --- | --- |\n");
        for (Run r : runs) {
            b.append(String.format(
                    Locale.ROOT,
                    "| %s | %.1f | %.0f | %.0f | %.2f× | %.0f | %.0f | %.2f× |%n",
                    r.variant(),
                    r.readySeconds(),
                    r.firstMs()[0],
                    median(r.steadyTtff()),
                    r.ratio(0),
                    r.firstMs()[1],
                    median(r.steadyTotal()),
                    r.ratio(1)));
        }
        Run on = runs.get(0);
        b.append(String.format(
                Locale.ROOT,
                "%nTarget (≤ 1.2×) with the warm-up: TTFF %.2f×, total %.2f×: %s.%n",
                on.ratio(0),
                on.ratio(1),
                on.ratio(0) <= 1.2 && on.ratio(1) <= 1.2 ? "met" : "not met"));
        b.append("\nWhat warms up: loading runs each network of each bundle at every batch size from 1 to "
                + "`arvdm.batching.max-batch-size`, with full and half-full memory masks, three times each "
                + "(PyTorch's profiling executor profiles a shape's first call and optimizes on the next); then "
                + "the service posts `arvdm.warmup.generations` SSE generations of the default model, one short "
                + "one of every other model and one JSON answer to itself over HTTP before readiness turns up, "
                + "so the JVM has loaded and compiled the request path (HTTP, JSON, PNG decoding, planning, the "
                + "loop, PNG encoding, SSE). \"ready after\" is from starting the JVM to readiness.\n");
        System.out.println(b);
        BenchDocs.writeSection(out, "first-request", b.toString());
        System.out.println("written to " + out.toAbsolutePath());
        assertThat(runs).allSatisfy(r -> assertThat(r.steadyTotal()).hasSize(steady));
    }

    Run run(String variant, List<String> args, String body) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        ServiceProcess.warmClient(http, body);
        System.out.printf("%s: starting the service%n", variant);
        try (ServiceProcess service = ServiceProcess.start(http, args)) {
            double[] first = ServiceProcess.generate(http, service.base, body);
            double[] total = new double[steady];
            double[] ttff = new double[steady];
            for (int i = 0; i < steady; i++) {
                double[] g = ServiceProcess.generate(http, service.base, body);
                ttff[i] = g[0];
                total[i] = g[1];
            }
            System.out.printf(
                    Locale.ROOT,
                    "%s: ready %.1f s, first (client ttff, total; service ttff, total) %s, "
                            + "steady ttff %s total %s%n",
                    variant,
                    service.readySeconds,
                    Arrays.toString(first),
                    Arrays.toString(ttff),
                    Arrays.toString(total));
            return new Run(variant, service.readySeconds, first, total, ttff);
        }
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
