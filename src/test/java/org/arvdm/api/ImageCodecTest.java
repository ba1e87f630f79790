package org.arvdm.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.arvdm.image.ImageCodec;
import org.arvdm.manifest.ModelManifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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

    /**
     * ImageIO's stream for an {@code InputStream} caches it in a temporary file by default: one file
     * created and deleted per context image decoded (twice the time of a memory cache, and writes to a
     * container's disk per request). Decoding must touch no file.
     */
    @Test
    void decodingWritesNoTemporaryFile(@TempDir Path cache) throws Exception {
        String png = ImageCodec.encode(frame(3), SHAPE, "png", 0, 1);
        String jpeg = ImageCodec.encode(frame(4), SHAPE, "jpeg", 90, 1);
        java.io.File before = ImageIO.getCacheDirectory();
        ImageIO.setCacheDirectory(cache.toFile());
        List<String> created = new ArrayList<>();
        try (WatchService watch = FileSystems.getDefault().newWatchService()) {
            cache.register(watch, StandardWatchEventKinds.ENTRY_CREATE);
            // the watch sees this file: so it would see ImageIO's
            Files.delete(Files.createTempFile(cache, "probe", ".tmp"));
            for (int i = 0; i < 3; i++) {
                ImageCodec.decode(png, SHAPE, "context[0]");
                ImageCodec.decode(jpeg, SHAPE, "context[1]");
            }
            WatchKey key = watch.poll(2, java.util.concurrent.TimeUnit.SECONDS);
            while (key != null) {
                key.pollEvents().forEach(e -> created.add(e.context().toString()));
                key.reset();
                key = watch.poll(200, java.util.concurrent.TimeUnit.MILLISECONDS);
            }
        } finally {
            ImageIO.setCacheDirectory(before);
        }
        assertThat(created).as("files created while decoding").hasSize(1).allMatch(n -> n.startsWith("probe"));
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
