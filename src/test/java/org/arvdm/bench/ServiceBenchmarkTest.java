package org.arvdm.bench;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.arvdm.ArvdmApplication;
import org.arvdm.generation.ArGenerator;
import org.arvdm.generation.BundlePlans;
import org.arvdm.generation.CallGateway;
import org.arvdm.generation.DenoiseCall;
import org.arvdm.generation.EncodeCall;
import org.arvdm.generation.EngineObserver;
import org.arvdm.generation.GenerationListener;
import org.arvdm.generation.GenerationPlan;
import org.arvdm.generation.GenerationStats;
import org.arvdm.generation.Networks;
import org.arvdm.image.ImageCodec;
import org.arvdm.manifest.ModelManifest;
import org.arvdm.model.LoadedModel;
import org.arvdm.model.ModelRegistry;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Flux;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The service benchmark (docs/performance.md). One command:
 * <pre>
 *   mvn -q test -Pbenchmark
 * </pre>
 * Properties ({@code -Darvdm.bench.X=...}): {@code modelDir} (default {@code models}, falling
 * back to the tiny test bundles when it holds none), {@code models} (comma list; the first is
 * the one driven over HTTP; default: the service's default model, maze-prepend-16 and
 * maze-compressed-joint-16 when present, else every bundle), {@code frames} (per generation, 64), {@code context} (context frames, 4),
 * {@code clients} (1,2,4,8), {@code rounds} (per concurrency level: 3, or more so that each level runs at
 * least 8 generations each way), {@code batch} (8),
 * {@code delay} (2ms), {@code out} (docs/performance.md), {@code python} (/usr/bin/python3),
 * {@code torchThreads} (PyTorch intra-op threads, 1; {@code default} leaves DJL's choice).
 * <p>
 * What it does: measures the machine's float32 matmul peak through DJL; per model, runs
 * single-stream generations directly on the engine (per-iteration and per-AR-step latency,
 * frames/s), times the denoiser alone at batch 1 and at the batch size, counts FLOPs per call
 * with {@code src/test/python/count_flops.py}; then starts the Spring Boot service in-process
 * on a random port and, for each concurrency level, alternates a round of N concurrent SSE
 * clients over real HTTP with a round of N threads running the same plans directly through
 * the same (batching) gateway, no HTTP.
 */
@Tag("benchmark")
class ServiceBenchmarkTest {
    static final JsonMapper JSON = JsonMapper.builder().build();
    /** The service's default model. */
    static final String DEFAULT_MODEL = org.arvdm.config.ArvdmProperties.DEFAULT_MODEL;

    static final ParameterizedTypeReference<ServerSentEvent<String>> SSE = new ParameterizedTypeReference<>() {};

    static String prop(String key, String def) {
        String v = System.getProperty("arvdm.bench." + key);
        return v == null || v.isBlank() ? def : v.trim();
    }

    final int frames = Integer.parseInt(prop("frames", "64"));
    final int contextFrames = Integer.parseInt(prop("context", "4"));
    final int rounds = Integer.parseInt(prop("rounds", "3"));
    final int[] clients = Arrays.stream(prop("clients", "1,2,4,8").split(","))
            .mapToInt(s -> Integer.parseInt(s.trim()))
            .toArray();
    final int maxBatch = Integer.parseInt(prop("batch", "8"));
    final String delay = prop("delay", "2ms");
    final Path out = Path.of(prop("out", "docs/performance.md"));
    final String python = prop("python", "/usr/bin/python3");
    double peakGflops = Double.NaN;

    /** Everything measured for one model directly on the engine. */
    static final class ModelResult {
        String id;
        ModelManifest manifest;
        double[] iterationMs;
        double[] stepMs;
        double framesPerSecond;
        double callMsB1;
        double callMsBatch;
        int batch;
        final Map<Integer, Double> callMsByBatch = new LinkedHashMap<>();
        JsonNode flops;
        long nativeIoBytes;
    }

    /** One concurrency level's rounds, HTTP and direct. */
    static final class Level {
        int clients;
        final List<Double> httpTtff = new ArrayList<>();
        final List<Double> directTtff = new ArrayList<>();
        double httpFrames;
        double httpSeconds;
        double directFrames;
        double directSeconds;
        double batchSamples;
        double batchCalls;
    }

    @Test
    void benchmark() throws Exception {
        // Before the PyTorch engine starts: its intra-op thread count (see "threads" in the notes).
        String threads = prop("torchThreads", "1");
        if (!threads.equals("default")) {
            System.setProperty("ai.djl.pytorch.num_threads", threads);
        }
        Path modelDir = Path.of(prop("modelDir", "models"));
        if (bundles(modelDir).isEmpty()) {
            modelDir = Path.of("src/test/resources/bundles");
        }
        List<String> available = bundles(modelDir);
        List<String> models;
        if (!prop("models", "").isEmpty()) {
            models = Arrays.stream(prop("models", "").split(","))
                    .map(String::trim)
                    .toList();
        } else if (available.contains(DEFAULT_MODEL)
                && available.contains("maze-prepend-16")
                && available.contains("maze-compressed-joint-16")) {
            // the service's default drives HTTP; prepend and compressed at equal memory length (16) for the
            // compression row
            models = List.of(DEFAULT_MODEL, "maze-prepend-16", "maze-compressed-joint-16");
        } else {
            models = available;
        }
        assertThat(available).as("bundles in " + modelDir).containsAll(models);
        int workers = Math.max(maxBatch, Arrays.stream(clients).max().orElse(1));
        System.out.printf("ARVDM benchmark: models %s from %s, %d frames per generation%n", models, modelDir, frames);

        double peak = matmulPeak();
        peakGflops = peak;
        List<ModelResult> results = new ArrayList<>();
        List<Level> levels = new ArrayList<>();
        String[] args = serviceArgs(modelDir, models.get(0), workers, maxBatch, delay);
        try (ConfigurableApplicationContext ctx = new SpringApplicationBuilder(ArvdmApplication.class).run(args)) {
            ModelRegistry registry = ctx.getBean(ModelRegistry.class);
            assertThat(registry.awaitLoaded(Duration.ofMinutes(5))).isTrue();
            for (String id : models) {
                LoadedModel model = registry.get(id)
                        .orElseThrow(() -> new IllegalStateException(
                                id + " did not load: " + registry.failures().get(id)));
                results.add(measureModel(model));
            }
            int port = Integer.parseInt(ctx.getEnvironment().getProperty("local.server.port"));
            LoadedModel served = registry.get(models.get(0)).orElseThrow();
            MeterRegistry meters = ctx.getBean(MeterRegistry.class);
            levels = sweep(served, port, meters);
        }
        // Sections other benchmarks own (SessionBenchmarkTest, FirstRequestBenchmarkTest, EncodingBenchmarkTest) stay
        // after this report.
        String report = BenchDocs.keepSections(out, report(modelDir, models, peak, workers, results, levels));
        System.out.println(report);
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, report, StandardCharsets.UTF_8);
        System.out.println("written to " + out.toAbsolutePath());
    }

    /**
     * The service's settings for a benchmark run on a random port, as command-line arguments (they
     * outrank application.yaml, default properties would not).
     */
    static String[] serviceArgs(Path modelDir, String model, int workers, int maxBatch, String delay) {
        Map<String, Object> props = new LinkedHashMap<>();
        props.put("server.port", "0");
        props.put("arvdm.model-dir", modelDir.toString());
        props.put("arvdm.default-model", model);
        props.put("arvdm.device", "cpu");
        props.put("arvdm.workers", Integer.toString(workers));
        props.put("arvdm.admission.max-queued", "64");
        props.put("arvdm.batching.max-batch-size", Integer.toString(maxBatch));
        props.put("arvdm.batching.max-delay", delay);
        props.put("arvdm.keep-alive", "30s");
        props.put("logging.level.root", "WARN");
        props.put("logging.level.org.arvdm", "WARN");
        props.put("spring.main.banner-mode", "off");
        return props.entrySet().stream()
                .map(e -> "--" + e.getKey() + "=" + e.getValue())
                .toArray(String[]::new);
    }

    /** How the bundle was made, from model.json's optional {@code training} object. */
    static String trainingNote(Path dir) {
        try {
            JsonNode t = JSON.readTree(dir.resolve("model.json").toFile()).get("training");
            if (t == null) {
                return "no training record";
            }
            List<String> parts = new ArrayList<>();
            for (String key : List.of("note", "steps", "final_loss", "wall_time_min", "date")) {
                if (t.has(key)) {
                    parts.add(key + " " + t.get(key).asString());
                }
            }
            return parts.isEmpty()
                    ? "training record without steps"
                    : String.join(", ", parts).replace("|", "/");
        } catch (RuntimeException e) {
            return "model.json unreadable: " + e.getMessage();
        }
    }

    static List<String> bundles(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> Files.isRegularFile(p.resolve("model.json")))
                    .map(p -> p.getFileName().toString())
                    .sorted()
                    .toList();
        }
    }

    /** Best-of and median time of a 1024×1024 float32 matmul through DJL's PyTorch: GFLOP/s at the best. */
    static double matmulPeak() {
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            NDArray a = m.randomUniform(-1, 1, new Shape(1024, 1024));
            NDArray b = m.randomUniform(-1, 1, new Shape(1024, 1024));
            double best = Double.MAX_VALUE;
            for (int i = 0; i < 23; i++) {
                long t0 = System.nanoTime();
                try (NDArray c = a.matMul(b)) {
                    c.getFloat(0, 0);
                }
                double s = (System.nanoTime() - t0) / 1e9;
                if (i >= 3) {
                    best = Math.min(best, s);
                }
            }
            return 2.0 * 1024 * 1024 * 1024 / best / 1e9;
        }
    }

    /** Remembers the last denoiser and encoder call so they can be replayed at any batch size. */
    static final class Capturing implements Networks {
        final Networks inner;
        volatile DenoiseCall lastDenoise;
        volatile EncodeCall lastEncode;
        final AtomicLong encodes = new AtomicLong();
        final AtomicLong denoises = new AtomicLong();

        Capturing(Networks inner) {
            this.inner = inner;
        }

        @Override
        public List<float[]> denoise(List<DenoiseCall> batch) {
            lastDenoise = batch.get(0);
            denoises.addAndGet(batch.size());
            return inner.denoise(batch);
        }

        @Override
        public List<float[]> encodeMemory(List<EncodeCall> batch) {
            lastEncode = batch.get(0);
            encodes.addAndGet(batch.size());
            return inner.encodeMemory(batch);
        }
    }

    ModelResult measureModel(LoadedModel model) throws Exception {
        ModelManifest m = model.manifest();
        ModelResult r = new ModelResult();
        r.id = model.id();
        r.manifest = m;
        System.out.printf("%s: single stream on the engine...%n", r.id);
        Capturing net = new Capturing(model.networks());
        List<Double> iterations = Collections.synchronizedList(new ArrayList<>());
        List<Double> steps = new ArrayList<>();
        double totalMs = 0;
        int totalFrames = 0;
        List<float[]> context = context(m);
        for (int run = -1; run < 2; run++) { // run -1 warms up
            int[] lastStep = {-1};
            List<Long> frameStepAt = new ArrayList<>();
            GenerationListener listener = new GenerationListener() {
                @Override
                public void frame(int index, float[] frame, int arStep, long elapsedNanos) {
                    if (arStep != lastStep[0]) {
                        frameStepAt.add(elapsedNanos);
                        lastStep[0] = arStep;
                    }
                }
            };
            boolean measure = run >= 0;
            GenerationStats stats = new ArGenerator()
                    .run(
                            plan(m, context, 100 + run),
                            BundlePlans.actions(m),
                            CallGateway.direct(net),
                            listener,
                            new EngineObserver() {
                                @Override
                                public void iteration(String phase, long nanos, int batchSize) {
                                    if (measure && "ar".equals(phase)) {
                                        iterations.add(nanos / 1e6);
                                    }
                                }
                            });
            if (measure) {
                for (int i = 1; i < frameStepAt.size(); i++) {
                    steps.add((frameStepAt.get(i) - frameStepAt.get(i - 1)) / 1e6);
                }
                totalMs += stats.totalMs();
                totalFrames += stats.frames();
            }
        }
        r.iterationMs =
                iterations.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        r.stepMs = steps.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        r.framesPerSecond = totalFrames / (totalMs / 1e3);

        DenoiseCall call = net.lastDenoise;
        r.batch = maxBatch;
        for (int b = 1; b <= maxBatch; b *= 2) {
            r.callMsByBatch.put(b, timeDenoise(model.networks(), call, b));
        }
        r.callMsByBatch.computeIfAbsent(maxBatch, b -> timeDenoise(model.networks(), call, b));
        r.callMsB1 = r.callMsByBatch.get(1);
        r.callMsBatch = r.callMsByBatch.get(maxBatch);
        r.nativeIoBytes = 4L * call.x().length
                + 8L * call.levels().length
                + 4L * call.actions().length
                + 4L * call.memory().length
                + 4L * call.memoryActions().length
                + call.memoryMask().length
                + 4L * call.x().length;
        r.flops = countFlops(model.dir());
        return r;
    }

    GenerationPlan plan(ModelManifest m, List<float[]> context, long seed) {
        List<float[]> actions = new ArrayList<>();
        for (int i = 0; i < context.size(); i++) {
            actions.add(BundlePlans.action(
                    m, i == 0 ? 0 : 1 + (i - 1) % Math.max(1, m.actions().vectorSize() - 1)));
        }
        return BundlePlans.plan(m, context, actions, frames, seed, null);
    }

    /** Median wall time of one denoiser call carrying {@code b} copies of {@code call}. */
    static double timeDenoise(Networks nets, DenoiseCall call, int b) {
        List<DenoiseCall> batch = Collections.nCopies(b, call);
        double[] t = new double[12];
        for (int i = -3; i < t.length; i++) {
            long t0 = System.nanoTime();
            nets.denoise(batch);
            if (i >= 0) {
                t[i] = (System.nanoTime() - t0) / 1e6;
            }
        }
        Arrays.sort(t);
        return t[t.length / 2];
    }

    JsonNode countFlops(Path dir) {
        try {
            Process p = new ProcessBuilder(python, "src/test/python/count_flops.py", dir.toString())
                    .redirectErrorStream(false)
                    .start();
            String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            String stderr = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                System.out.println("FLOP count failed for " + dir + ": " + stderr);
                return null;
            }
            return JSON.readTree(stdout.lines().reduce((a, b) -> b).orElse("{}"));
        } catch (IOException | InterruptedException | RuntimeException e) {
            System.out.println("FLOP count unavailable for " + dir + ": " + e);
            return null;
        }
    }

    /** The same context clip for HTTP (as PNG) and direct runs (decoded back from that PNG). */
    List<float[]> context(ModelManifest m) {
        List<float[]> out = new ArrayList<>();
        for (String png : contextPngs(m)) {
            out.add(ImageCodec.decode(png, m.frame(), "context"));
        }
        return out;
    }

    List<String> contextPngs(ModelManifest m) {
        ModelManifest.Frame f = m.frame();
        List<String> out = new ArrayList<>();
        for (int k = 0; k < contextFrames; k++) {
            BufferedImage img = new BufferedImage(f.width(), f.height(), BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < f.height(); y++) {
                for (int x = 0; x < f.width(); x++) {
                    boolean wall = ((x + k) / 4 + y / 4) % 3 == 0;
                    img.setRGB(x, y, wall ? 0x202020 : 0xd0d0d0 - (k * 0x080808));
                }
            }
            out.add(Base64.getEncoder().encodeToString(ImageCodec.bytes(img, "png", 0)));
        }
        return out;
    }

    Map<String, Object> body(ModelManifest m, long seed) {
        Map<String, Object> body = new HashMap<>();
        body.put("model", m.id());
        List<Object> ctxActions = new ArrayList<>();
        List<Object> actions = new ArrayList<>();
        int n = Math.max(1, m.actions().vectorSize() - 1);
        for (int i = 0; i < contextFrames; i++) {
            ctxActions.add(actionValue(m, i == 0 ? 0 : 1 + (i - 1) % n));
        }
        for (int i = 0; i < frames; i++) {
            actions.add(actionValue(m, 1 + i % n));
        }
        body.put("context", Map.of("frames", contextPngs(m), "actions", ctxActions));
        body.put("actions", actions);
        body.put("seed", seed);
        return body;
    }

    static Object actionValue(ModelManifest m, int i) {
        if (m.actions().discrete()) {
            return m.actions().names().get(i % m.actions().names().size());
        }
        List<Float> v = new ArrayList<>();
        for (float x : BundlePlans.action(m, i)) {
            v.add(x);
        }
        return v;
    }

    List<Level> sweep(LoadedModel model, int port, MeterRegistry meters) throws Exception {
        WebClient client = WebClient.builder()
                .baseUrl("http://localhost:" + port)
                .codecs(c -> c.defaultCodecs().maxInMemorySize(16 << 20))
                .build();
        ModelManifest m = model.manifest();
        List<float[]> context = context(m);
        // Warm-up: one generation each way.
        httpRound(client, m, 1, 900);
        directRound(model, m, context, 1, 900);
        List<Level> levels = new ArrayList<>();
        for (int c : clients) {
            Level level = new Level();
            level.clients = c;
            DistributionSummary batches = meters.find("arvdm.batch.size")
                    .tag("model", m.id())
                    .tag("network", "denoiser")
                    .summary();
            // Short levels get more rounds (at least 8 generations each way), for steadier medians.
            int levelRounds = Math.max(rounds, (8 + c - 1) / c);
            for (int round = 0; round < levelRounds; round++) {
                System.out.printf("%s: %d clients, round %d...%n", m.id(), c, round + 1);
                long seedBase = 1000L * c + 10L * round;
                // Alternate which goes first, so drift in the machine's load hits both alike.
                double[] d = round % 2 == 1 ? directRound(model, m, context, c, seedBase) : null;
                double samples0 = batches == null ? 0 : batches.totalAmount();
                long calls0 = batches == null ? 0 : batches.count();
                double[] h = httpRound(client, m, c, seedBase);
                if (d == null) {
                    d = directRound(model, m, context, c, seedBase);
                }
                level.directFrames += d[0];
                level.directSeconds += d[1];
                for (int i = 2; i < d.length; i++) {
                    level.directTtff.add(d[i]);
                }
                if (batches == null) {
                    batches = meters.find("arvdm.batch.size")
                            .tag("model", m.id())
                            .tag("network", "denoiser")
                            .summary();
                } else {
                    level.batchSamples += batches.totalAmount() - samples0;
                    level.batchCalls += batches.count() - calls0;
                }
                level.httpFrames += h[0];
                level.httpSeconds += h[1];
                for (int i = 2; i < h.length; i++) {
                    level.httpTtff.add(h[i]);
                }
            }
            levels.add(level);
        }
        return levels;
    }

    /** {frames, seconds, ttff ms per client...} for {@code c} concurrent SSE clients. */
    double[] httpRound(WebClient client, ModelManifest m, int c, long seedBase) {
        return httpRound(client, m, c, seedBase, false);
    }

    /** The same, each request with {@code "deterministic": true} when asked (DeterminismBenchmarkTest). */
    double[] httpRound(WebClient client, ModelManifest m, int c, long seedBase, boolean deterministic) {
        List<Map<String, Object>> bodies = new ArrayList<>();
        for (int i = 0; i < c; i++) {
            Map<String, Object> body = body(m, seedBase + i);
            if (deterministic) {
                body.put("deterministic", true);
            }
            bodies.add(body);
        }
        long t0 = System.nanoTime();
        List<double[]> perClient = Flux.range(0, c)
                .flatMap(
                        i -> {
                            long start = System.nanoTime();
                            double[] first = {-1};
                            int[] count = {0};
                            return client.post()
                                    .uri("/v1/generations")
                                    .contentType(MediaType.APPLICATION_JSON)
                                    .accept(MediaType.TEXT_EVENT_STREAM)
                                    .bodyValue(bodies.get(i))
                                    .retrieve()
                                    .bodyToFlux(SSE)
                                    .doOnNext(e -> {
                                        if ("frame".equals(e.event())) {
                                            if (first[0] < 0) {
                                                first[0] = (System.nanoTime() - start) / 1e6;
                                            }
                                            count[0]++;
                                        } else if ("error".equals(e.event())) {
                                            throw new IllegalStateException("generation failed: " + e.data());
                                        }
                                    })
                                    .then(reactor.core.publisher.Mono.fromCallable(
                                            () -> new double[] {count[0], first[0]}));
                        },
                        c)
                .collectList()
                .block(Duration.ofMinutes(30));
        double seconds = (System.nanoTime() - t0) / 1e9;
        double[] r = new double[2 + c];
        for (int i = 0; i < c; i++) {
            r[0] += perClient.get(i)[0];
            r[2 + i] = perClient.get(i)[1];
        }
        assertThat(r[0]).as("frames received").isEqualTo((double) c * frames);
        r[1] = seconds;
        return r;
    }

    /** The same generations on {@code c} threads straight through the model's (batching) gateway. */
    double[] directRound(LoadedModel model, ModelManifest m, List<float[]> context, int c, long seedBase)
            throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(c);
        try {
            long t0 = System.nanoTime();
            List<Future<double[]>> fs = new ArrayList<>();
            for (int i = 0; i < c; i++) {
                long seed = seedBase + i;
                fs.add(pool.submit(() -> {
                    long start = System.nanoTime();
                    double[] first = {-1};
                    GenerationStats s = new ArGenerator()
                            .run(
                                    plan(m, context, seed),
                                    BundlePlans.actions(m),
                                    model.gateway(),
                                    new GenerationListener() {
                                        @Override
                                        public void frame(int index, float[] frame, int arStep, long elapsedNanos) {
                                            if (first[0] < 0) {
                                                first[0] = (System.nanoTime() - start) / 1e6;
                                            }
                                        }
                                    },
                                    EngineObserver.NONE);
                    return new double[] {s.frames(), first[0]};
                }));
            }
            double[] r = new double[2 + c];
            for (int i = 0; i < c; i++) {
                double[] x = fs.get(i).get();
                r[0] += x[0];
                r[2 + i] = x[1];
            }
            r[1] = (System.nanoTime() - t0) / 1e9;
            return r;
        } finally {
            pool.shutdownNow();
        }
    }

    /** What the per-call profile says about the batching targets, computed from this run's numbers. */
    String batchingProfile(ModelResult r, Level one, Level four) {
        ModelManifest m = r.manifest;
        double callsPerFrame =
                (m.sampling().initSteps() + (double) frames * m.sampling().arSteps()) / frames;
        double bestPerSample = Double.MAX_VALUE;
        int bestB = 1;
        for (Map.Entry<Integer, Double> e : r.callMsByBatch.entrySet()) {
            if (e.getValue() / e.getKey() < bestPerSample) {
                bestPerSample = e.getValue() / e.getKey();
                bestB = e.getKey();
            }
        }
        double ceiling = 1000 / (callsPerFrame * bestPerSample);
        double http1 = http1(one);
        Double b4 = r.callMsByBatch.get(4);
        StringBuilder s = new StringBuilder("## What the profile says (" + r.id + ")\n\n");
        double direct1 = one.directFrames / one.directSeconds;
        double fixedMs = pct(one.httpTtff, 50) - pct(one.directTtff, 50);
        s.append(String.format(
                Locale.ROOT,
                "- Service overhead at 1 client: HTTP delivers %s× the direct frames/s. "
                        + "Its first frame comes %s ms later than the engine's (request decoding, context PNG "
                        + "decoding, planning, thread hand-offs, SSE), against %s ms for a whole %d-frame generation "
                        + "directly; the rest is per-frame work on the same cores as the network: PNG encoding and SSE "
                        + "writing on the generation's thread, and the in-process clients' decoding.%n",
                f(http1(one) / direct1),
                f(fixedMs),
                f(1000.0 * frames / direct1),
                frames));
        s.append(String.format(
                Locale.ROOT,
                "- One generation of %d frames makes %.1f denoiser calls per frame. The "
                        + "cheapest denoiser time per sample measured is %s ms (at B=%d), so the network alone caps "
                        + "aggregate throughput at %s frames/s on this machine, %s× the 1-client HTTP rate (%s "
                        + "frames/s). Batching can only reach the 1.5× target where that cap is above 1.5×.%n",
                frames,
                callsPerFrame,
                f(bestPerSample),
                bestB,
                f(ceiling),
                f(ceiling / http1),
                f(http1)));
        if (b4 != null) {
            s.append(String.format(
                    Locale.ROOT,
                    "- A batch of 4 takes %s× as long as one sample alone (%s ms vs %s "
                            + "ms). Four clients that start together need the same number of calls to their first "
                            + "frame, so their time to first frame grows by about that factor when they are batched "
                            + "(%s× measured); served one after another instead, the median would still be 2.5×.%n",
                    f(b4 / r.callMsB1),
                    f(b4),
                    f(r.callMsB1),
                    f(pct(four.httpTtff, 50) / pct(one.httpTtff, 50))));
        }
        double gflops = r.flops == null
                ? Double.NaN
                : r.flops.get("denoiser").get("flops").asDouble() / r.callMsB1 / 1e6;
        double ofPeak = 100 * gflops / peakGflops;
        s.append(String.format(
                Locale.ROOT,
                "- At batch 1 the denoiser runs at %s GFLOP/s, %s %% of the measured " + "matmul peak: %s%n%n",
                f(gflops),
                f(ofPeak),
                ofPeak >= 25
                        ? "little is left for batching to recover on this CPU. Batching pays where one sample leaves "
                                + "the device idle (a GPU, or small networks whose fixed per-call cost dominates)."
                        : "a batch-1 call leaves the device mostly idle (fixed per-call cost dominates), which is "
                                + "what batching recovers."));
        return s.toString();
    }

    static double http1(Level one) {
        return one.httpFrames / one.httpSeconds;
    }

    static double pct(double[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    static double pct(List<Double> values, double p) {
        return pct(values.stream().mapToDouble(Double::doubleValue).sorted().toArray(), p);
    }

    static String f(double v) {
        if (Double.isNaN(v)) {
            return "n/a";
        }
        if (Math.abs(v) >= 100) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        return Math.abs(v) >= 10 ? String.format(Locale.ROOT, "%.1f", v) : String.format(Locale.ROOT, "%.2f", v);
    }

    static String human(double v) {
        String[] units = {"", "k", "M", "G", "T"};
        int u = 0;
        while (Math.abs(v) >= 1000 && u < units.length - 1) {
            v /= 1000;
            u++;
        }
        return f(v) + " " + units[u];
    }

    static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                    .filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim())
                    .findFirst()
                    .orElse("unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "n/a";
        }
    }

    String report(
            Path modelDir,
            List<String> models,
            double peak,
            int workers,
            List<ModelResult> results,
            List<Level> levels) {
        StringBuilder s = new StringBuilder();
        s.append("# Performance\n\n");
        s.append("Written by `mvn -q test -Pbenchmark` (`src/test/java/org/arvdm/bench/ServiceBenchmarkTest.java`) on ")
                .append(Instant.now())
                .append(". Numbers are from one run; see the notes at the end for how each is ")
                .append("measured.\n\n");
        s.append("## Machine and settings\n\n| what | value |\n| --- | --- |\n");
        s.append("| CPU | ").append(cpuModel()).append(" |\n");
        s.append("| cores visible to the JVM | ")
                .append(Runtime.getRuntime().availableProcessors())
                .append(" |\n");
        s.append("| load average at the end (1, 5, 15 min) | ")
                .append(loadAverage())
                .append(" |\n");
        s.append("| JVM | ")
                .append(System.getProperty("java.vm.name"))
                .append(' ')
                .append(System.getProperty("java.version"))
                .append(", heap max ")
                .append(Runtime.getRuntime().maxMemory() >> 20)
                .append(" MiB |\n");
        Engine engine = Engine.getEngine("PyTorch");
        s.append("| engine | DJL ")
                .append(Engine.getDjlVersion())
                .append(", ")
                .append(engine.getEngineName())
                .append(' ')
                .append(engine.getVersion())
                .append(", device cpu |\n");
        s.append("| PyTorch intra-op threads | ")
                .append(ai.djl.pytorch.jni.JniUtils.getNumThreads())
                .append(" (-Darvdm.bench.torchThreads, default 1) |\n");
        s.append("| float32 matmul peak (1024², best of 20, DJL) | ")
                .append(f(peak))
                .append(" GFLOP/s |\n");
        s.append("| bundles | ")
                .append(modelDir)
                .append(": ")
                .append(String.join(", ", models))
                .append(" |\n");
        for (ModelResult r : results) {
            s.append("| ")
                    .append(r.id)
                    .append(" | ")
                    .append(trainingNote(modelDir.resolve(r.id)))
                    .append(" |\n");
        }
        s.append("| HTTP-driven model | ").append(models.get(0)).append(" |\n");
        s.append("| generation | ")
                .append(frames)
                .append(" frames after ")
                .append(contextFrames)
                .append(" context frames, the bundle's default schedule (w, Δ, M_ar, M_init, η from model.json) |\n");
        s.append("| batching | max-batch-size ")
                .append(maxBatch)
                .append(", max-delay ")
                .append(delay)
                .append(", workers ")
                .append(workers)
                .append(" |\n");
        s.append("| rounds per concurrency level | max(")
                .append(rounds)
                .append(", ⌈8 / clients⌉); HTTP and direct alternate which goes first |\n");
        s.append("| JVM arguments | ")
                .append(String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments())
                        .replace("|", "/"))
                .append(" |\n\n");

        s.append("## Per model, single stream, directly on the engine\n\n");
        s.append("| model | architecture | frame | w | memory | iteration p50 / p95 ms | AR step p50 / p95 ms | ")
                .append(
                        "frames/s | denoiser FLOPs/call | encoder FLOPs/call | denoiser B=1 ms | achieved GFLOP/s B=1 | ")
                .append("denoiser B=")
                .append(maxBatch)
                .append(" ms (per sample) | achieved GFLOP/s B=")
                .append(maxBatch)
                .append(" | of peak | native bytes per live generation |\n");
        s.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
        for (ModelResult r : results) {
            ModelManifest m = r.manifest;
            double denFlops = r.flops == null
                    ? Double.NaN
                    : r.flops.get("denoiser").get("flops").asDouble();
            double encFlops = r.flops == null || !r.flops.has("memory_encoder")
                    ? Double.NaN
                    : r.flops.get("memory_encoder").get("flops").asDouble();
            double created = r.flops == null
                    ? Double.NaN
                    : r.flops.get("denoiser").get("created_bytes").asDouble();
            double g1 = denFlops / (r.callMsB1 / 1e3) / 1e9;
            double gb = denFlops * r.batch / (r.callMsBatch / 1e3) / 1e9;
            String memory = m.memory().kind().equals("none")
                    ? "none"
                    : m.memory().kind() + " w_m=" + m.memory().frames()
                            + (m.memory().tokens() != null ? " k=" + m.memory().tokens() : "");
            s.append("| ")
                    .append(r.id)
                    .append(" | ")
                    .append(m.memory().architecture())
                    .append(" | ")
                    .append(m.frame().channels())
                    .append('×')
                    .append(m.frame().height())
                    .append('×')
                    .append(m.frame().width())
                    .append(" | ")
                    .append(m.window().frames())
                    .append(" | ")
                    .append(memory)
                    .append(" | ")
                    .append(f(pct(r.iterationMs, 50)))
                    .append(" / ")
                    .append(f(pct(r.iterationMs, 95)))
                    .append(" | ")
                    .append(f(pct(r.stepMs, 50)))
                    .append(" / ")
                    .append(f(pct(r.stepMs, 95)))
                    .append(" | ")
                    .append(f(r.framesPerSecond))
                    .append(" | ")
                    .append(human(denFlops))
                    .append(" | ")
                    .append(Double.isNaN(encFlops) ? "–" : human(encFlops))
                    .append(" | ")
                    .append(f(r.callMsB1))
                    .append(" | ")
                    .append(f(g1))
                    .append(" | ")
                    .append(f(r.callMsBatch))
                    .append(" (")
                    .append(f(r.callMsBatch / r.batch))
                    .append(")")
                    .append(" | ")
                    .append(f(gb))
                    .append(" | ")
                    .append(f(100 * gb / peak))
                    .append(" %")
                    .append(" | ")
                    .append(human(r.nativeIoBytes + (Double.isNaN(created) ? 0 : created)))
                    .append("B (")
                    .append(human(r.nativeIoBytes))
                    .append("B in/out + ")
                    .append(Double.isNaN(created) ? "n/a" : human(created) + "B")
                    .append(" intermediates) |\n");
        }
        s.append('\n');
        s.append("### Denoiser call time by batch size (median ms; per sample in brackets)\n\n| model |");
        for (int b : results.get(0).callMsByBatch.keySet()) {
            s.append(" B=").append(b).append(" |");
        }
        s.append("\n| --- |")
                .append(" --- |".repeat(results.get(0).callMsByBatch.size()))
                .append('\n');
        for (ModelResult r : results) {
            s.append("| ").append(r.id).append(" |");
            r.callMsByBatch.forEach((b, ms) ->
                    s.append(' ').append(f(ms)).append(" (").append(f(ms / b)).append(") |"));
            s.append('\n');
        }
        s.append('\n');

        if (!levels.isEmpty()) {
            s.append("## Concurrent clients: ")
                    .append(models.get(0))
                    .append(", SSE over HTTP vs the engine directly\n\n");
            s.append(
                            "| clients | HTTP frames/s (aggregate) | direct frames/s | HTTP / direct | HTTP TTFF p50 / p95 ms | ")
                    .append("direct TTFF p50 / p95 ms | mean denoiser batch (HTTP) | HTTP frames/s vs 1 client |\n");
            s.append("| --- | --- | --- | --- | --- | --- | --- | --- |\n");
            double base = levels.get(0).httpFrames / levels.get(0).httpSeconds;
            for (Level l : levels) {
                double http = l.httpFrames / l.httpSeconds;
                double direct = l.directFrames / l.directSeconds;
                s.append("| ")
                        .append(l.clients)
                        .append(" | ")
                        .append(f(http))
                        .append(" | ")
                        .append(f(direct))
                        .append(" | ")
                        .append(f(http / direct))
                        .append(" | ")
                        .append(f(pct(l.httpTtff, 50)))
                        .append(" / ")
                        .append(f(pct(l.httpTtff, 95)))
                        .append(" | ")
                        .append(f(pct(l.directTtff, 50)))
                        .append(" / ")
                        .append(f(pct(l.directTtff, 95)))
                        .append(" | ")
                        .append(l.batchCalls == 0 ? "n/a" : f(l.batchSamples / l.batchCalls))
                        .append(" | ")
                        .append(f(http / base))
                        .append("× |\n");
            }
            s.append('\n');
        }

        s.append("## Targets\n\n| target | measured | met |\n| --- | --- | --- |\n");
        Level one = levels.stream().filter(l -> l.clients == 1).findFirst().orElse(null);
        Level four = levels.stream().filter(l -> l.clients == 4).findFirst().orElse(null);
        if (one != null) {
            double ratio = (one.httpFrames / one.httpSeconds) / (one.directFrames / one.directSeconds);
            s.append("| HTTP ≥ 0.95× direct engine (1 client) | ")
                    .append(f(ratio))
                    .append("× | ")
                    .append(ratio >= 0.95 ? "yes" : "no")
                    .append(" |\n");
        }
        if (!levels.isEmpty()) {
            double http = levels.stream().mapToDouble(l -> l.httpFrames).sum()
                    / levels.stream().mapToDouble(l -> l.httpSeconds).sum();
            double direct = levels.stream().mapToDouble(l -> l.directFrames).sum()
                    / levels.stream().mapToDouble(l -> l.directSeconds).sum();
            s.append("| HTTP ≥ 0.97× direct, all concurrency levels pooled | ")
                    .append(f(http / direct))
                    .append("× | ")
                    .append(http / direct >= 0.97 ? "yes" : "no")
                    .append(" |\n");
        }
        if (four != null) {
            double ratio = (four.httpFrames / four.httpSeconds) / (one.httpFrames / one.httpSeconds);
            double ttff = pct(four.httpTtff, 50) / pct(one.httpTtff, 50);
            s.append("| 4 clients ≥ 1.5× aggregate frames/s of 1 client | ")
                    .append(f(ratio))
                    .append("× | ")
                    .append(ratio >= 1.5 ? "yes" : "no")
                    .append(" |\n");
            s.append("| TTFF p50 at 4 clients ≤ 2× 1 client | ")
                    .append(f(ttff))
                    .append("× | ")
                    .append(ttff <= 2 ? "yes" : "no")
                    .append(" |\n");
        }
        String compression = "";
        for (ModelResult c : results) {
            if (!c.manifest.memory().architecture().startsWith("compressed")) {
                continue;
            }
            for (ModelResult p : results) {
                if (p.manifest.memory().architecture().equals("prepend")
                        && p.manifest.memory().frames() == c.manifest.memory().frames()) {
                    double step = pct(p.stepMs, 50) / pct(c.stepMs, 50);
                    double it = pct(p.iterationMs, 50) / pct(c.iterationMs, 50);
                    s.append("| ")
                            .append(c.id)
                            .append(" per step ≥ 1.5× faster than ")
                            .append(p.id)
                            .append(" | ")
                            .append(f(step))
                            .append("× per AR step (")
                            .append(f(it))
                            .append("× per iteration) | ")
                            .append(step >= 1.5 ? "yes" : "no")
                            .append(" |\n");
                    compression = String.format(
                            Locale.ROOT,
                            "- Compression (%s against %s, both w_m = %d): a "
                                    + "denoiser iteration is %s× faster, because its memory input is %d tokens instead of "
                                    + "%d frames; but the memory encoder runs once per AR step over all %d memory frames, so "
                                    + "per AR step (M_ar iterations plus the encoder) it is only %s× faster. The encoder's "
                                    + "cost is paid again every step although the memory changes by one frame per step: "
                                    + "compression pays when that work is not redone, i.e. with an encoder that updates its "
                                    + "tokens incrementally from the frame that entered memory (recurrent or cached per-frame "
                                    + "tokens), with more denoising iterations per step (larger M_ar), or with a memory long "
                                    + "enough that the denoiser's cost over frames outgrows one encoder pass.%n",
                            c.id,
                            p.id,
                            c.manifest.memory().frames(),
                            f(it),
                            c.manifest.memory().tokens(),
                            p.manifest.memory().frames(),
                            c.manifest.memory().frames(),
                            f(step));
                }
            }
        }
        s.append('\n');
        if (one != null && four != null) {
            s.append(batchingProfile(results.get(0), one, four));
        }
        if (!compression.isEmpty()) {
            s.append(compression).append('\n');
        }
        s.append("""
                ## How each number is measured

                - **iteration**: wall time of one denoising iteration in the AR phase (one denoiser call and its DDIM
                  update), as the `arvdm.step.latency` metric records it; two generations on one thread through the
                  direct gateway, after a warm-up generation.
                - **AR step**: time between the first frames emitted by consecutive AR steps of the same runs (M_ar
                  iterations plus the memory encoder call of kind-tokens bundles and the window slide).
                - **frames/s (single stream)**: frames / total generation time, initialization stage included.
                - **FLOPs per call**: `src/test/python/count_flops.py` loads the TorchScript module with
                  `torch.jit.load` (Debian's PyTorch 1.13) and runs one batch-1 call with full memory under a
                  `TorchDispatchMode`: matmul-type ops (mm, addmm, bmm, baddbmm) and convolutions count 2·M·K·N;
                  every other op producing a float tensor counts one FLOP per output element.
                - **achieved GFLOP/s**: FLOPs per sample × batch / median wall time of the denoiser call (inputs
                  replayed from a real call; tensor creation and the copy back included), against the 1024² float32
                  matmul peak measured through DJL in the same JVM.
                - **native bytes per live generation**: a generation holds no native memory between calls (its
                  window, memory and history live on the JVM heap); during its call it owns the input and output
                  tensors TorchNetworks creates (sizes from the call's shapes: x, levels int64, actions, memory,
                  memory actions, mask bool, output) plus the intermediates the network creates, summed by the FLOP
                  counter over every op's outputs at batch 1 (an upper bound: PyTorch's allocator reuses buffers).
                - **HTTP**: the Spring Boot service started in-process on a random port with the settings above;
                  N clients post at once with `Accept: text/event-stream` (WebClient, PNG frames) and read every
                  event; TTFF is from the request to the first `frame` event; aggregate frames/s is all frames
                  over the wall time of the round. The clients run in the same JVM, on the same cores as the
                  service, so their decoding counts against the HTTP side.
                - **direct**: the same plans (same context clip, actions, seeds, schedule) on N threads calling
                  `ArGenerator` through the same model's gateway (the service's BatchingGateway), no HTTP, no PNG.
                - **mean denoiser batch**: from the `arvdm.batch.size` distribution over the HTTP rounds.
                - **threads**: the benchmark sets PyTorch's intra-op threads (default 1) before the engine
                  starts, for the direct runs and the in-process service alike. On a small machine shared with
                  other jobs, two intra-op threads stall at OpenMP barriers whenever the other thread is
                  descheduled (docs/batching.md has the measurement).
                """);
        return s.toString();
    }
}
