package org.arvdm.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.arvdm.ArvdmApplication;
import org.arvdm.manifest.ModelManifest;
import org.arvdm.model.LoadedModel;
import org.arvdm.model.ModelRegistry;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.web.reactive.function.client.WebClient;

/**
 * What {@code "deterministic": true} costs: aggregate frames/s of N concurrent SSE generations
 * with the flag (every network call unbatched) against the same generations without it
 * (batched), in the same service, rounds alternating which goes first. One command:
 * <pre>
 *   mvn -q test -Pbenchmark -Dtest=DeterminismBenchmarkTest
 * </pre>
 * Properties ({@code -Darvdm.bench.X=...}): {@code modelDir} (models, falling back to the tiny
 * test bundles), {@code model} (maze-prepend-16 when present), {@code clients} (1,4,8),
 * {@code rounds} (4 each way per level), {@code frames} (64), {@code context} (4), {@code batch}
 * (8), {@code delay} (2ms), {@code out} (target/determinism-benchmark.md). It prints the table
 * and writes it to {@code out}; docs/batching.md quotes it.
 */
@Tag("benchmark")
class DeterminismBenchmarkTest {
    @Test
    void determinismCost() throws Exception {
        ServiceBenchmarkTest bench = new ServiceBenchmarkTest();
        System.setProperty("ai.djl.pytorch.num_threads", ServiceBenchmarkTest.prop("torchThreads", "1"));
        Path modelDir = Path.of(ServiceBenchmarkTest.prop("modelDir", "models"));
        if (ServiceBenchmarkTest.bundles(modelDir).isEmpty()) {
            modelDir = Path.of("src/test/resources/bundles");
        }
        List<String> available = ServiceBenchmarkTest.bundles(modelDir);
        String model = ServiceBenchmarkTest.prop(
                "model", available.contains("maze-prepend-16") ? "maze-prepend-16" : available.get(0));
        int[] clients = Arrays.stream(
                        ServiceBenchmarkTest.prop("clients", "1,4,8").split(","))
                .mapToInt(s -> Integer.parseInt(s.trim()))
                .toArray();
        int rounds = Integer.parseInt(ServiceBenchmarkTest.prop("rounds", "4"));
        Path out = Path.of(ServiceBenchmarkTest.prop("out", "target/determinism-benchmark.md"));
        int workers = Math.max(bench.maxBatch, Arrays.stream(clients).max().orElse(1));

        StringBuilder table = new StringBuilder();
        String[] args = ServiceBenchmarkTest.serviceArgs(modelDir, model, workers, bench.maxBatch, bench.delay);
        try (ConfigurableApplicationContext ctx = new SpringApplicationBuilder(ArvdmApplication.class).run(args)) {
            ModelRegistry registry = ctx.getBean(ModelRegistry.class);
            assertThat(registry.awaitLoaded(Duration.ofMinutes(5))).isTrue();
            LoadedModel served = registry.get(model)
                    .orElseThrow(() -> new IllegalStateException(
                            model + " did not load: " + registry.failures().get(model)));
            ModelManifest m = served.manifest();
            int port = Integer.parseInt(ctx.getEnvironment().getProperty("local.server.port"));
            WebClient client = WebClient.builder()
                    .baseUrl("http://localhost:" + port)
                    .codecs(c -> c.defaultCodecs().maxInMemorySize(16 << 20))
                    .build();
            bench.httpRound(client, m, 1, 900, false); // warm-up, each way
            bench.httpRound(client, m, 1, 901, true);
            table.append(String.format(
                    Locale.ROOT,
                    "Model %s, %d frames per generation, %d context frames,"
                            + " %d rounds each way per level (alternating which goes first), batch ≤ %d, delay %s,"
                            + " %d cores, %s.%n%n",
                    model,
                    bench.frames,
                    bench.contextFrames,
                    rounds,
                    bench.maxBatch,
                    bench.delay,
                    Runtime.getRuntime().availableProcessors(),
                    Instant.now()));
            table.append("| clients | batched frames/s (aggregate) | deterministic frames/s (aggregate) |"
                    + " deterministic / batched |\n| --- | --- | --- | --- |\n");
            for (int c : clients) {
                double[] batched = new double[2];
                double[] deterministic = new double[2];
                for (int round = 0; round < rounds; round++) {
                    System.out.printf("%s: %d clients, round %d...%n", model, c, round + 1);
                    long seed = 1000L * c + 10L * round;
                    List<Boolean> order = round % 2 == 0 ? List.of(false, true) : List.of(true, false);
                    for (boolean flag : order) {
                        double[] r = bench.httpRound(client, m, c, seed, flag);
                        double[] sum = flag ? deterministic : batched;
                        sum[0] += r[0];
                        sum[1] += r[1];
                    }
                }
                double b = batched[0] / batched[1];
                double d = deterministic[0] / deterministic[1];
                table.append(String.format(Locale.ROOT, "| %d | %.1f | %.1f | %.2f× |%n", c, b, d, d / b));
            }
        }
        String report = table.toString();
        System.out.println(report);
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, report, StandardCharsets.UTF_8);
        System.out.println("written to " + out.toAbsolutePath());
    }
}
