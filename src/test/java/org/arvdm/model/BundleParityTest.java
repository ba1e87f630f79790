package org.arvdm.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.arvdm.generation.DenoiseCall;
import org.arvdm.generation.EncodeCall;
import org.arvdm.manifest.ModelManifest;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every bundle the project ships (models/) and the test bundles load through DJL and
 * reproduce the outputs their export recorded in parity.npz. Tolerance: 1e-4 absolute plus
 * 1e-4 relative, float32 kernels of PyTorch 1.13 (export) against 2.7.1 (DJL).
 */
class BundleParityTest {
    static final double ATOL = 1e-4;
    static final double RTOL = 1e-4;

    static Stream<Path> bundles() throws Exception {
        List<Path> all = new ArrayList<>();
        for (Path root : List.of(Path.of("models"), Path.of("src/test/resources/bundles"))) {
            if (Files.isDirectory(root)) {
                try (Stream<Path> s = Files.list(root)) {
                    s.filter(p -> Files.isRegularFile(p.resolve("model.json")))
                            .sorted()
                            .forEach(all::add);
                }
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("bundles")
    void bundleReproducesItsRecordedParityOutputs(Path dir) throws Exception {
        ModelManifest m = ModelRegistry.readManifest(dir);
        try (TorchNetworks nets = TorchNetworks.load(dir, m, Device.cpu());
                NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            int baseline = nets.liveArrays();
            Map<String, NDArray> p = readParity(dir, manager);
            int b = (int) p.get("x").getShape().get(0);
            if (p.containsKey("enc_out")) {
                List<EncodeCall> enc = new ArrayList<>();
                int slots = (int) p.get("enc_mask").getShape().get(1);
                for (int i = 0; i < b; i++) {
                    enc.add(new EncodeCall(
                            floats(p.get("enc_frames").get(i)),
                            floats(p.get("enc_actions").get(i)),
                            p.get("enc_mask").get(i).toBooleanArray(),
                            slots));
                }
                assertClose(nets.encodeMemory(enc), p.get("enc_out"), "enc_out");
            }
            List<DenoiseCall> calls = new ArrayList<>();
            int slots = (int) p.get("memory_mask").getShape().get(1);
            for (int i = 0; i < b; i++) {
                calls.add(new DenoiseCall(
                        floats(p.get("x").get(i)),
                        p.get("levels").get(i).toType(DataType.INT64, false).toLongArray(),
                        floats(p.get("actions").get(i)),
                        floats(p.get("memory").get(i)),
                        slots,
                        floats(p.get("memory_actions").get(i)),
                        p.get("memory_mask").get(i).toBooleanArray()));
            }
            assertClose(nets.denoise(calls), p.get("out"), "out");
            assertThat(nets.liveArrays())
                    .as("native arrays left after the calls")
                    .isEqualTo(baseline);
        }
    }

    static Map<String, NDArray> readParity(Path dir, NDManager manager) throws Exception {
        Map<String, NDArray> arrays = new HashMap<>();
        try (InputStream in = Files.newInputStream(dir.resolve("parity.npz"))) {
            NDList list = NDList.decode(manager, in);
            for (NDArray a : list) {
                arrays.put(a.getName().replace(".npy", ""), a);
            }
        }
        for (String key : List.of("x", "levels", "actions", "memory", "memory_actions", "memory_mask", "out")) {
            assertThat(arrays).as("parity.npz of " + dir.getFileName()).containsKey(key);
        }
        return arrays;
    }

    private static float[] floats(NDArray a) {
        return a.toType(DataType.FLOAT32, false).toFloatArray();
    }

    private static void assertClose(List<float[]> actual, NDArray expected, String name) {
        float[] exp = floats(expected);
        int n = exp.length / actual.size();
        double worst = 0;
        for (int i = 0; i < actual.size(); i++) {
            assertThat(actual.get(i)).hasSize(n);
            for (int j = 0; j < n; j++) {
                double e = exp[i * n + j];
                double d = Math.abs(actual.get(i)[j] - e);
                worst = Math.max(worst, d);
                assertThat(d).as("%s[%d][%d]", name, i, j).isLessThanOrEqualTo(ATOL + RTOL * Math.abs(e));
            }
        }
        System.out.printf("parity %s: max |diff| = %.3g over %d values%n", name, worst, exp.length);
    }
}
