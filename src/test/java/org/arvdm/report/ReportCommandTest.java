package org.arvdm.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bundle digest that decides whether {@code --reuse true} may keep an earlier report. */
class ReportCommandTest {

    @Test
    void theDigestFollowsTheBundlesFilesAndNothingElse(@TempDir Path tmp) throws Exception {
        Path a = Files.createDirectories(tmp.resolve("a"));
        Path b = Files.createDirectories(tmp.resolve("b"));
        for (Path d : new Path[] {a, b}) {
            Files.writeString(d.resolve("model.json"), "{\"id\":\"m\"}");
            Files.write(d.resolve("denoiser.pt"), new byte[] {1, 2, 3});
        }
        String digest = ReportCommand.bundleDigest(a);
        assertEquals(64, digest.length());
        assertEquals(digest, ReportCommand.bundleDigest(b), "same files in another folder: same digest");

        Files.write(b.resolve("denoiser.pt"), new byte[] {1, 2, 4});
        assertNotEquals(digest, ReportCommand.bundleDigest(b), "retrained weights must change the digest");

        Files.write(b.resolve("denoiser.pt"), new byte[] {1, 2, 3});
        Files.write(b.resolve("memory_encoder.pt"), new byte[0]);
        assertNotEquals(digest, ReportCommand.bundleDigest(b), "an added file must change the digest");
    }
}
