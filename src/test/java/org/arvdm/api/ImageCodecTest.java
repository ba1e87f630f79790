package org.arvdm.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.Base64;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.arvdm.image.ImageCodec;
import org.arvdm.manifest.ModelManifest;
import org.junit.jupiter.api.Test;

/** The frames a client gets: PNG (fast zlib level) is lossless, JPEG follows its quality. */
class ImageCodecTest {
    private static final ModelManifest.Frame SHAPE = new ModelManifest.Frame(3, 32, 32);

    private static float[] frame(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] f = new float[SHAPE.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return f;
    }

    private static BufferedImage decode(String b64) throws Exception {
        return ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(b64)));
    }

    @Test
    void pngDecodesToExactlyTheQuantisedFrame() throws Exception {
        float[] f = frame(1);
        BufferedImage expected = ImageCodec.toImage(f, 3, 32, 32);
        BufferedImage got = decode(ImageCodec.encode(f, SHAPE, "png", 0, 1));
        for (int y = 0; y < 32; y++) {
            for (int x = 0; x < 32; x++) {
                assertThat(got.getRGB(x, y)).as("pixel %d,%d", x, y).isEqualTo(expected.getRGB(x, y));
            }
        }
        // and the frame read back is the frame the engine would get from it
        assertThat(ImageCodec.decode(ImageCodec.encode(f, SHAPE, "png", 0, 1), SHAPE, "f"))
                .containsExactly(ImageCodec.toFrame(expected, 3));
    }

    @Test
    void jpegQualityTradesBytesForError() throws Exception {
        float[] f = frame(2);
        int low = Base64.getDecoder().decode(ImageCodec.encode(f, SHAPE, "jpeg", 20, 1)).length;
        int high = Base64.getDecoder().decode(ImageCodec.encode(f, SHAPE, "jpeg", 95, 1)).length;
        assertThat(low).isLessThan(high);
        assertThat(decode(ImageCodec.encode(f, SHAPE, "jpeg", 95, 1)).getWidth())
                .isEqualTo(32);
    }
}
