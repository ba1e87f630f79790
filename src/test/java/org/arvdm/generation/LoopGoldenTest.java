package org.arvdm.generation;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.arvdm.manifest.ModelManifest;
import org.arvdm.model.ModelRegistry;
import org.arvdm.model.TorchNetworks;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * One-shot generations give the bytes they gave before the loop became resumable: the digests
 * below were printed by the straight-line loop (main at 3ca8aad, with the init-stage memory
 * selection and the half-to-even level rounding) for the tiny bundles, with the
 * default schedule (η from the bundle) and with η = 1 (so the random stream's every Gaussian counts).
 * <p>
 * The bytes depend on the CPU: libtorch's math libraries take other code paths on other
 * processors, so the same code gives other (equally valid) last bits. Each case lists the digest
 * of every platform it was recorded on, separated by {@code |}: first the machine of the
 * straight-line loop, then an AMD EPYC with AVX2 and no AVX-512 (recorded at 3d0efeb, whose
 * engine is the resumable loop the first digests were checked against). A digest that matches
 * none fails: the loop changed, or the test runs on a new platform (then check the loop's
 * tests pass there and add that platform's digest).
 */
class LoopGoldenTest {

    @ParameterizedTest(name = "{0} eta={1}")
    @CsvSource({
        "tiny-frames, -1, a03bdbc4aeafc682|f25703ea99aed1e1",
        "tiny-frames, 1, 2237d9462bc9f26e|d505cb122543676b",
        "tiny-tokens, -1, 0bd337b72f28443a|e2c0ef5ac38f2b54",
        "tiny-tokens, 1, 8021a0f2cdaf28a5|a9b7f1986f36415d",
        "tiny-none, 1, bc67df0b1fcad2a9|42ac1d4679a6304c"
    })
    void oneShotFramesKeepTheirBytes(String bundle, double eta, String digests) throws Exception {
        assertThat(digest(bundle, eta)).isIn((Object[]) digests.split("\\|"));
    }

    static String digest(String bundle, double eta) throws Exception {
        Path dir = Path.of("src/test/resources/bundles", bundle);
        ModelManifest m = ModelRegistry.readManifest(dir);
        try (TorchNetworks nets = TorchNetworks.load(dir, m, Device.cpu())) {
            GenerationPlan p = BundlePlans.plan(m, 3, 9, 77, 0);
            if (eta >= 0) {
                ArSchedule s = p.schedule();
                p = new GenerationPlan(
                        p.frameSize(),
                        p.actionSize(),
                        p.alphasCumprod(),
                        p.prediction(),
                        new ArSchedule(
                                s.timesteps(),
                                s.window(),
                                s.stride(),
                                s.inputLevels(),
                                s.outputLevels(),
                                s.arSteps(),
                                s.initSteps(),
                                eta),
                        p.memory(),
                        p.contextFrames(),
                        p.contextActions(),
                        p.padding(),
                        p.frames(),
                        p.seed(),
                        p.previews(),
                        p.deadlineNanos());
            }
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            new ArGenerator()
                    .run(
                            p,
                            BundlePlans.actions(m),
                            CallGateway.direct(nets),
                            new GenerationListener() {
                                @Override
                                public void frame(int index, float[] frame, int arStep, long elapsedNanos) {
                                    ByteBuffer b = ByteBuffer.allocate(frame.length * 4);
                                    b.asFloatBuffer().put(frame);
                                    sha.update(b);
                                }
                            },
                            EngineObserver.NONE);
            return HexFormat.of().formatHex(sha.digest()).substring(0, 16);
        }
    }
}
