package org.arvdm.generation;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;

import ai.djl.Device;
import org.arvdm.model.ModelManifest;
import org.arvdm.model.ModelRegistry;
import org.arvdm.model.TorchNetworks;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * One-shot generations give the bytes they gave before the loop became resumable: the digests
 * below were printed by the straight-line loop (commit 26c49dc) for the tiny bundles, with the
 * default schedule (η from the bundle) and with η = 1 (so the random stream's every Gaussian counts).
 */
class LoopGoldenTest {

    @ParameterizedTest(name = "{0} eta={1}")
    @CsvSource({
            "tiny-frames, -1, 2d5fadc18f6f9e47",
            "tiny-frames, 1, 646e54c6dc3be008",
            "tiny-tokens, -1, afe7365e0dff47b3",
            "tiny-tokens, 1, 3064c7f0a200ffc6",
            "tiny-none, 1, e8deb66d46a3b59a"})
    void oneShotFramesKeepTheirBytes(String bundle, double eta, String digest) throws Exception {
        assertThat(digest(bundle, eta)).isEqualTo(digest);
    }

    static String digest(String bundle, double eta) throws Exception {
        Path dir = Path.of("src/test/resources/bundles", bundle);
        ModelManifest m = ModelRegistry.readManifest(dir);
        try (TorchNetworks nets = TorchNetworks.load(dir, m, Device.cpu())) {
            GenerationPlan p = BundlePlans.plan(m, 3, 9, 77, 0);
            if (eta >= 0) {
                ArSchedule s = p.schedule();
                p = new GenerationPlan(p.frameSize(), p.actionSize(), p.alphasCumprod(), p.prediction(),
                        new ArSchedule(s.timesteps(), s.window(), s.stride(), s.inputLevels(), s.outputLevels(),
                                s.arSteps(), s.initSteps(), eta), p.memory(), p.contextFrames(), p.contextActions(),
                        p.padding(), p.frames(), p.seed(), p.previews(), p.deadlineNanos());
            }
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            new ArGenerator().run(p, BundlePlans.actions(m), CallGateway.direct(nets), new GenerationListener() {
                @Override
                public void frame(int index, float[] frame, int arStep, long elapsedNanos) {
                    ByteBuffer b = ByteBuffer.allocate(frame.length * 4);
                    b.asFloatBuffer().put(frame);
                    sha.update(b);
                }
            }, EngineObserver.NONE);
            return HexFormat.of().formatHex(sha.digest()).substring(0, 16);
        }
    }
}
