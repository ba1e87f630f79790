package org.arvdm.api;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.arvdm.image.ImageCodec;

/** Small base64 PNG clips for requests. */
final class TestImages {
    private TestImages() {}

    static String png(int width, int height, int seed) {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int r = (x * 16 + seed * 40) & 0xff;
                int g = (y * 16 + seed * 10) & 0xff;
                int b = ((x + y) * 8 + seed * 70) & 0xff;
                img.setRGB(x, y, (r << 16) | (g << 8) | b);
            }
        }
        return Base64.getEncoder().encodeToString(ImageCodec.bytes(img, "png", 0));
    }

    static List<String> clip(int frames, int size) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < frames; i++) {
            out.add(png(size, size, i));
        }
        return out;
    }

    static BufferedImage decode(String base64) throws Exception {
        return javax.imageio.ImageIO.read(
                new java.io.ByteArrayInputStream(Base64.getDecoder().decode(base64)));
    }
}
