package org.arvdm.api;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.util.Base64;
import java.util.List;
import javax.imageio.ImageIO;
import org.jcodec.api.awt.AWTSequenceEncoder;

/** A session's frames, upscaled to about 128 px, (base64 PNG/JPEG) as an H.264 MP4 at the session's fps (jcodec, pure Java). */
final class Recording {
    private Recording() {}

    static byte[] mp4(List<String> frames, int fps) throws IOException {
        File tmp = Files.createTempFile("arvdm-recording-", ".mp4").toFile();
        try {
            AWTSequenceEncoder enc = AWTSequenceEncoder.createSequenceEncoder(tmp, fps);
            for (String f : frames) {
                // in memory, not ImageIO's default temporary-file cache (read closes the stream)
                BufferedImage img = ImageIO.read(new javax.imageio.stream.MemoryCacheImageInputStream(
                        new ByteArrayInputStream(Base64.getDecoder().decode(f))));
                // Nearest-neighbour upscaling to about 128 px: viewable, and jcodec's H.264 encoder
                // overflows its output buffer on very small, noisy frames (16x16 of an untrained model).
                int scale = Math.max(1, 128 / Math.max(img.getWidth(), img.getHeight()));
                int w = img.getWidth() * scale;
                int h = img.getHeight() * scale;
                BufferedImage bgr = new BufferedImage(w + w % 2, h + h % 2, BufferedImage.TYPE_3BYTE_BGR);
                bgr.getGraphics().drawImage(img, 0, 0, w, h, null);
                enc.encodeImage(bgr);
            }
            enc.finish();
            return Files.readAllBytes(tmp.toPath());
        } finally {
            Files.deleteIfExists(tmp.toPath());
        }
    }
}
