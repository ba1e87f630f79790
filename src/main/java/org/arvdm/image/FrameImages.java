package org.arvdm.image;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.arvdm.manifest.ModelManifest;

/**
 * Pixels to and from the engine's frames: C·H·W floats in [-1, 1], channels first, RGB order
 * (or one grey channel). 8-bit value v maps to v / 127.5 − 1, so the data range of a frame
 * is 2.0.
 */
public final class FrameImages {
    private FrameImages() {}

    /** The frame of an RGB image, with {@code channels} 3 (RGB) or 1 (luma, rounded to 8 bits). */
    public static float[] toFrame(BufferedImage img, int channels) {
        return toFrame(img, 0, img.getWidth(), img.getHeight(), channels);
    }

    /** The frame of the {@code width}×{@code height} tile of {@code img} whose left edge is at {@code x0}. */
    static float[] toFrame(BufferedImage img, int x0, int width, int height, int channels) {
        float[] f = new float[channels * height * width];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int rgb = img.getRGB(x0 + x, y);
                int r = (rgb >> 16) & 0xff;
                int g = (rgb >> 8) & 0xff;
                int b = rgb & 0xff;
                int p = y * width + x;
                if (channels == 1) {
                    f[p] = toUnit(Math.round(0.299f * r + 0.587f * g + 0.114f * b));
                } else {
                    f[p] = toUnit(r);
                    f[height * width + p] = toUnit(g);
                    f[2 * height * width + p] = toUnit(b);
                }
            }
        }
        return f;
    }

    public static BufferedImage toImage(float[] frame, int channels, int height, int width) {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        int hw = height * width;
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int p = y * width + x;
                int r = toByte(frame[p]);
                int g = channels == 1 ? r : toByte(frame[hw + p]);
                int b = channels == 1 ? r : toByte(frame[2 * hw + p]);
                img.setRGB(x, y, (r << 16) | (g << 8) | b);
            }
        }
        return img;
    }

    /**
     * The frame as a client receives it in a PNG: clamped to [-1, 1] and rounded to 8 bits.
     * Evaluations score this, so their numbers can be re-computed from the images that
     * {@code POST /v1/generations} returns for the same seed.
     */
    public static float[] quantize(float[] frame) {
        float[] q = new float[frame.length];
        for (int i = 0; i < q.length; i++) {
            q[i] = toUnit(toByte(frame[i]));
        }
        return q;
    }

    /** Reads {@code count} frames tiled left to right in one image of height H and width count·W. */
    public static List<float[]> readTiles(Path png, int count, ModelManifest.Frame shape) throws IOException {
        BufferedImage img = ImageIO.read(png.toFile());
        if (img == null) {
            throw new IOException(png + " is not a readable image");
        }
        if (img.getHeight() != shape.height() || img.getWidth() != count * shape.width()) {
            throw new IOException(png.getFileName() + " is " + img.getWidth() + "x" + img.getHeight() + ", expected "
                    + count + " frames of " + shape.width() + "x" + shape.height() + " side by side ("
                    + count * shape.width() + "x" + shape.height() + ")");
        }
        List<float[]> frames = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            frames.add(toFrame(img, i * shape.width(), shape.width(), shape.height(), shape.channels()));
        }
        return frames;
    }

    static float toUnit(int v) {
        return v / 127.5f - 1f;
    }

    static int toByte(float v) {
        return Math.max(0, Math.min(255, Math.round((v + 1f) * 127.5f)));
    }
}
