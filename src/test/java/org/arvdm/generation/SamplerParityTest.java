package org.arvdm.generation;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.arvdm.manifest.ModelManifest;
import org.arvdm.memory.MemoryModule;
import org.arvdm.model.ModelRegistry;
import org.arvdm.model.TorchNetworks;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The Java engine and the Python reference sampler (models/training/evaluate.py's
 * {@code generate}) make the same frames for the same plan: same bundle, context, actions,
 * schedule and noise (the Python side replays this engine's SplittableRandom stream in the
 * engine's order). Fixture: {@code src/test/python/make_parity_fixture.py}. Cases cover the
 * default family (whose levels need round-half-to-even: 12.5 → 12, 37.5 → 38), stride 2 with
 * η = 1, an explicit pyramid with η = 0.5, and input levels [0, 0, 0, T] with M_ar = 4 (three
 * clean frames kept in the window, which must not also be in memory), for frame, token and no
 * memory. Frames computed past the request's end carry the padding action on both sides.
 * <p>
 * Tolerance 1e-4 absolute: the bundles' own recorded network parity (float32 kernels of
 * PyTorch 1.13 against 2.7.1), and the Java window is float32 where Python keeps float64.
 */
class SamplerParityTest {
    static final Path DIR = Path.of("src/test/resources/parity");
    static final double ATOL = 1e-4;

    static Stream<String> cases() throws Exception {
        try (Stream<Path> s = Files.list(DIR)) {
            return s
                    .map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".json"))
                    .map(n -> n.substring(0, n.length() - 5))
                    .sorted()
                    .toList()
                    .stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void javaEngineMakesThePythonSamplersFrames(String name) throws Exception {
        JsonNode spec = JsonMapper.builder()
                .build()
                .readTree(DIR.resolve(name + ".json").toFile());
        Path bundle = Path.of("src/test/resources/bundles", spec.get("bundle").asString());
        ModelManifest m = ModelRegistry.readManifest(bundle);
        int fs = m.frame().size();
        List<float[]> ctxActions = actions(spec.get("contextActions"), m);
        List<float[]> actions = actions(spec.get("actions"), m);
        int c = ctxActions.size();
        int n = spec.get("frames").asInt();
        ByteBuffer data =
                ByteBuffer.wrap(Files.readAllBytes(DIR.resolve(name + ".bin"))).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(data.remaining()).isEqualTo((c + n) * fs * 4);
        List<float[]> context = new ArrayList<>();
        List<float[]> expected = new ArrayList<>();
        for (int i = 0; i < c + n; i++) {
            float[] f = new float[fs];
            data.asFloatBuffer().get(f);
            data.position(data.position() + fs * 4);
            (i < c ? context : expected).add(f);
        }
        int t = m.diffusion().timesteps();
        int w = m.window().frames();
        int stride = spec.get("stride").asInt();
        int arSteps = spec.get("arSteps").asInt();
        int initSteps = spec.get("initSteps").asInt();
        double eta = spec.get("eta").asDouble();
        ArSchedule schedule;
        if (spec.get("inputLevels").isNull()) {
            schedule = ArSchedule.defaultFamily(t, w, stride, arSteps, initSteps, eta);
        } else {
            int[] in = new int[w];
            for (int j = 0; j < w; j++) {
                in[j] = spec.get("inputLevels").get(j).asInt();
            }
            schedule = ArSchedule.explicit(t, w, stride, in, null, arSteps, initSteps, eta);
        }
        MemoryModule memory = MemoryModule.of(
                m.memory().kind(),
                m.memory().frames(),
                m.memory().tokens(),
                m.memory().tokenDim());
        GenerationPlan plan = new GenerationPlan(
                fs,
                m.actions().vectorSize(),
                m.diffusion().alphasCumprod(),
                DdimSampler.Prediction.of(m.diffusion().prediction()),
                schedule,
                memory,
                context,
                ctxActions,
                m.actions().padding(),
                n,
                spec.get("seed").asLong(),
                false,
                Long.MAX_VALUE);
        List<float[]> got = new ArrayList<>();
        try (TorchNetworks nets = TorchNetworks.load(bundle, m, Device.cpu())) {
            new ArGenerator()
                    .run(
                            plan,
                            ActionSource.fixed(actions, m.actions().padding()),
                            CallGateway.direct(nets),
                            new GenerationListener() {
                                @Override
                                public void frame(int index, float[] frame, int arStep, long elapsedNanos) {
                                    got.add(frame);
                                }
                            },
                            EngineObserver.NONE);
        }
        assertThat(got).hasSize(n);
        double worst = 0;
        for (int k = 0; k < n; k++) {
            for (int i = 0; i < fs; i++) {
                worst = Math.max(worst, Math.abs(got.get(k)[i] - expected.get(k)[i]));
            }
        }
        System.out.printf("%s: largest difference from the Python sampler %.2e%n", name, worst);
        assertThat(worst).as("largest |java - python| over %d frames", n).isLessThanOrEqualTo(ATOL);
    }

    private static List<float[]> actions(JsonNode names, ModelManifest m) {
        List<float[]> out = new ArrayList<>();
        for (JsonNode a : names) {
            float[] v = new float[m.actions().vectorSize()];
            v[m.actions().names().indexOf(a.asString())] = 1f;
            out.add(v);
        }
        return out;
    }
}
