package org.arvdm.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Stream;
import org.arvdm.generation.CallGateway;
import org.arvdm.generation.DenoiseCall;
import org.arvdm.generation.EncodeCall;
import org.arvdm.manifest.ModelManifest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * Every bundle under the model directory: a sub-folder holding {@code model.json} is a
 * bundle. Each is parsed, validated, loaded through DJL on the configured device and warmed
 * up ({@link #warmUp}); a broken bundle is recorded with its reason and the others still load.
 * Loading runs on its own thread ({@link #startLoading()}); {@link #ready()} turns true once
 * every bundle has been tried and the default model is among those that loaded.
 * <p>
 * Owns the loaded models' native memory; {@link #close()} frees it.
 */
public final class ModelRegistry implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ModelRegistry.class);
    private static final JsonMapper JSON = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .build();

    private final Path modelDir;
    private final String deviceSpec;
    private final String configuredDefault;
    private final Function<TorchNetworks, CallGateway> gatewayFactory;
    private final Consumer<LoadedModel> onLoaded;
    private final int warmupBatch;
    private final Map<String, LoadedModel> models = Collections.synchronizedMap(new LinkedHashMap<>());
    private final Map<String, String> failures = Collections.synchronizedMap(new LinkedHashMap<>());
    private final CountDownLatch done = new CountDownLatch(1);
    private volatile String fatal;
    private volatile boolean closed;

    public ModelRegistry(
            Path modelDir,
            String deviceSpec,
            String defaultModel,
            Function<TorchNetworks, CallGateway> gatewayFactory,
            Consumer<LoadedModel> onLoaded) {
        this(modelDir, deviceSpec, defaultModel, gatewayFactory, onLoaded, 1);
    }

    /** {@code warmupBatch}: the largest batch the gateway forms, so warm-up runs every batch size up to it. */
    public ModelRegistry(
            Path modelDir,
            String deviceSpec,
            String defaultModel,
            Function<TorchNetworks, CallGateway> gatewayFactory,
            Consumer<LoadedModel> onLoaded,
            int warmupBatch) {
        this.warmupBatch = Math.max(1, warmupBatch);
        this.modelDir = modelDir;
        this.deviceSpec = deviceSpec;
        this.configuredDefault = defaultModel == null ? "" : defaultModel;
        this.gatewayFactory = gatewayFactory;
        this.onLoaded = onLoaded;
    }

    /** Loads every bundle on a background thread named {@code model-loader}. */
    public void startLoading() {
        Thread t = new Thread(this::loadAll, "model-loader");
        t.setDaemon(true);
        t.start();
    }

    /** Loads every bundle on the calling thread. */
    public void loadAll() {
        try {
            Engine engine = Engine.getEngine("PyTorch");
            Device device = DeviceSpec.resolve(deviceSpec, engine);
            log.info(
                    "Loading bundles from {} on {} ({} {})",
                    modelDir.toAbsolutePath(),
                    device,
                    engine.getEngineName(),
                    engine.getVersion());
            for (Path dir : bundleFolders()) {
                if (closed) {
                    return;
                }
                load(dir, device);
            }
            if (models.isEmpty()) {
                fatal = "no bundle loaded from " + modelDir.toAbsolutePath()
                        + (failures.isEmpty() ? " (no sub-folder holds a model.json)" : "; failures: " + failures);
            } else if (defaultModel().isEmpty()) {
                fatal = "default model '" + configuredDefault + "' did not load"
                        + (failures.containsKey(configuredDefault) ? ": " + failures.get(configuredDefault) : "");
            }
            if (fatal != null) {
                log.error("Model registry not ready: {}", fatal);
            }
        } catch (RuntimeException | IOException e) {
            fatal = e.getMessage();
            log.error("Model loading failed", e);
        } finally {
            done.countDown();
        }
    }

    private List<Path> bundleFolders() throws IOException {
        if (!Files.isDirectory(modelDir)) {
            throw new IOException("model directory " + modelDir.toAbsolutePath() + " does not exist");
        }
        try (Stream<Path> s = Files.list(modelDir)) {
            return s.filter(p -> Files.isRegularFile(p.resolve("model.json")))
                    .sorted()
                    .toList();
        }
    }

    private void load(Path dir, Device device) {
        String name = dir.getFileName().toString();
        long t0 = System.nanoTime();
        try {
            ModelManifest manifest = readManifest(dir);
            TorchNetworks networks = TorchNetworks.load(dir, manifest, device);
            try {
                long t1 = System.nanoTime();
                warmUp(networks, manifest, warmupBatch);
                long t2 = System.nanoTime();
                LoadedModel model = new LoadedModel(
                        manifest,
                        dir,
                        networks,
                        gatewayFactory.apply(networks),
                        device.toString(),
                        (t1 - t0) / 1e6,
                        (t2 - t1) / 1e6);
                models.put(name, model);
                onLoaded.accept(model);
                log.info(
                        "Loaded {} ({}, memory {}) in {} ms, warm-up {} ms",
                        name,
                        manifest.memory().architecture(),
                        manifest.memory().kind(),
                        Math.round(model.loadMs()),
                        Math.round(model.warmupMs()));
            } catch (RuntimeException e) {
                networks.close();
                throw e;
            }
        } catch (InvalidBundleException e) {
            failures.put(name, e.getMessage());
            log.error("Bundle {} rejected: {}", name, e.getMessage());
        } catch (Exception e) {
            failures.put(name, e.getClass().getSimpleName() + ": " + e.getMessage());
            log.error("Bundle {} failed to load", name, e);
        }
    }

    /** Parses and validates {@code dir/model.json}. */
    public static ModelManifest readManifest(Path dir) throws IOException, InvalidBundleException {
        String name = dir.getFileName().toString();
        ModelManifest manifest;
        try {
            manifest = JSON.readValue(dir.resolve("model.json").toFile(), ModelManifest.class);
        } catch (tools.jackson.core.JacksonException e) {
            throw new InvalidBundleException("model.json is not valid: " + e.getOriginalMessage());
        }
        List<String> problems = ManifestValidator.problems(manifest, name);
        if (!problems.isEmpty()) {
            throw new InvalidBundleException("model.json: " + String.join("; ", problems));
        }
        return manifest;
    }

    /** Calls per batch size and mask in warm-up: PyTorch's profiling executor profiles the first call of
     * an input shape and optimizes (on CPU: compiles fused kernels) on the next, so the third is the
     * steady-state one. */
    static final int WARMUP_ROUNDS = 3;

    /**
     * Runs each network of the bundle with real-shaped inputs at every batch size from 1 to
     * {@code maxBatch}, with full and with partial memory masks (a generation's memory fills up over its
     * first frames), {@link #WARMUP_ROUNDS} times each, so the first requests do not pay for PyTorch's
     * profiling and kernel compilation: the first generation after readiness runs at the steady
     * state's speed (docs/performance.md, "First request").
     */
    static void warmUp(TorchNetworks networks, ModelManifest m, int maxBatch) {
        int w = m.window().frames();
        int fs = m.frame().size();
        int as = m.actions().vectorSize();
        String kind = m.memory().kind();
        int wm = m.memory().frames();
        for (int b = 1; b <= maxBatch; b++) {
            for (int round = 0; round < WARMUP_ROUNDS; round++) {
                // alternate full and half-full masks (odd rounds half), so both occur at every batch size
                boolean partial = round % 2 == 1;
                float[] memory = new float[0];
                float[] memActions = new float[0];
                int slots = 0;
                if ("frames".equals(kind)) {
                    slots = wm;
                    memory = new float[slots * fs];
                    memActions = new float[slots * as];
                } else if ("tokens".equals(kind)) {
                    List<EncodeCall> enc = new java.util.ArrayList<>();
                    for (int i = 0; i < b; i++) {
                        enc.add(new EncodeCall(new float[wm * fs], new float[wm * as], mask(wm, partial), wm));
                    }
                    List<float[]> encoded = networks.encodeMemory(enc);
                    memory = encoded.get(0);
                    slots = m.memory().tokens();
                }
                long[] levels = new long[w];
                java.util.Arrays.fill(levels, m.diffusion().timesteps());
                List<DenoiseCall> calls = new java.util.ArrayList<>();
                for (int i = 0; i < b; i++) {
                    calls.add(new DenoiseCall(
                            new float[w * fs],
                            levels,
                            new float[w * as],
                            memory,
                            slots,
                            memActions,
                            mask(slots, partial)));
                }
                for (float[] out : networks.denoise(calls)) {
                    for (float v : out) {
                        if (!Float.isFinite(v)) {
                            throw new IllegalStateException("warm-up call returned a non-finite value");
                        }
                    }
                }
            }
        }
    }

    /** All slots used, or (partial) the first half. */
    private static boolean[] mask(int slots, boolean partial) {
        boolean[] mask = new boolean[slots];
        java.util.Arrays.fill(mask, 0, partial ? (slots + 1) / 2 : slots, true);
        return mask;
    }

    public boolean awaitLoaded(Duration timeout) throws InterruptedException {
        return done.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    public boolean loaded() {
        return done.getCount() == 0;
    }

    public boolean ready() {
        return loaded() && fatal == null;
    }

    /** Why the registry is not ready, or null. */
    public String problem() {
        if (!loaded()) {
            return "loading bundles from " + modelDir;
        }
        return fatal;
    }

    public Optional<LoadedModel> get(String id) {
        return Optional.ofNullable(models.get(id));
    }

    /** The configured default model, or the first loaded one when none is configured. */
    public Optional<LoadedModel> defaultModel() {
        if (!configuredDefault.isBlank()) {
            return get(configuredDefault);
        }
        synchronized (models) {
            return models.values().stream().findFirst();
        }
    }

    public List<LoadedModel> models() {
        synchronized (models) {
            return new ArrayList<>(models.values());
        }
    }

    public Map<String, String> failures() {
        synchronized (failures) {
            return new LinkedHashMap<>(failures);
        }
    }

    @Override
    public void close() {
        closed = true;
        synchronized (models) {
            models.values().forEach(LoadedModel::close);
            models.clear();
        }
    }
}
