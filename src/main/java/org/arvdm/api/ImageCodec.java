package org.arvdm.api;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Base64;
import java.util.Iterator;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;

import org.arvdm.model.ModelManifest;

/**
 * Base64 PNG/JPEG images to and from the engine's frames: C·H·W floats in [-1, 1], channels
 * first, RGB order (or one grey channel).
 */
public final class ImageCodec {
    private ImageCodec() {
    }

    /** Decodes one base64 image; the field name goes into every error message. */
    public static float[] decode(String base64, ModelManifest.Frame shape, String field) {
        if (base64 == null || base64.isBlank()) {
            throw ApiException.badRequest(field, "image is empty");
        }
        String data = base64;
        int comma = data.indexOf(',');
        if (data.startsWith("data:") && comma > 0) {
            data = data.substring(comma + 1);
        }
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(data.replaceAll("\\s", ""));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(field, "not valid base64 (" + e.getMessage() + ")");
        }
        BufferedImage img;
        try {
            img = ImageIO.read(new ByteArrayInputStream(bytes));
        } catch (IOException | RuntimeException e) {
            img = null;
        }
        if (img == null) {
            throw ApiException.badRequest(field, "not a decodable PNG or JPEG image");
        }
        if (img.getWidth() != shape.width() || img.getHeight() != shape.height()) {
            throw ApiException.badRequest(field, "image is " + img.getWidth() + "x" + img.getHeight()
                    + ", the model takes " + shape.width() + "x" + shape.height());
        }
        return toFrame(img, shape.channels());
    }

    static float[] toFrame(BufferedImage img, int channels) {
        int h = img.getHeight();
        int w = img.getWidth();
        float[] f = new float[channels * h * w];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int rgb = img.getRGB(x, y);
                int r = (rgb >> 16) & 0xff;
                int g = (rgb >> 8) & 0xff;
                int b = rgb & 0xff;
                int p = y * w + x;
                if (channels == 1) {
                    f[p] = toUnit(Math.round(0.299f * r + 0.587f * g + 0.114f * b));
                } else {
                    f[p] = toUnit(r);
                    f[h * w + p] = toUnit(g);
                    f[2 * h * w + p] = toUnit(b);
                }
            }
        }
        return f;
    }

    private static float toUnit(int v) {
        return v / 127.5f - 1f;
    }

    private static int toByte(float v) {
        return Math.max(0, Math.min(255, Math.round((v + 1f) * 127.5f)));
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

    /** Encodes a frame as base64 PNG ({@code quality} ignored) or JPEG ({@code quality} 1..100). */
    public static String encode(float[] frame, ModelManifest.Frame shape, String format, int quality, int downscale) {
        BufferedImage img = toImage(frame, shape.channels(), shape.height(), shape.width());
        if (downscale > 1) {
            img = shrink(img, downscale);
        }
        return Base64.getEncoder().encodeToString(bytes(img, format, quality));
    }

    private static BufferedImage shrink(BufferedImage src, int factor) {
        int w = Math.max(1, src.getWidth() / factor);
        int h = Math.max(1, src.getHeight() / factor);
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        java.awt.Graphics2D g = out.createGraphics();
        g.setRenderingHint(java.awt.RenderingHints.KEY_INTERPOLATION,
                java.awt.RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(src, 0, 0, w, h, null);
        g.dispose();
        return out;
    }

    public static byte[] bytes(BufferedImage img, String format, int quality) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            if ("jpeg".equals(format)) {
                Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName("jpeg");
                ImageWriter writer = writers.next();
                ImageWriteParam param = writer.getDefaultWriteParam();
                param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
                param.setCompressionQuality(quality / 100f);
                try (MemoryCacheImageOutputStream ios = new MemoryCacheImageOutputStream(out)) {
                    writer.setOutput(ios);
                    writer.write(null, new IIOImage(img, null, null), param);
                } finally {
                    writer.dispose();
                }
            } else {
                ImageIO.write(img, "png", out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
