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

import org.arvdm.diagnostics.FrameImages;
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

    public static float[] toFrame(BufferedImage img, int channels) {
        return FrameImages.toFrame(img, channels);
    }

    public static BufferedImage toImage(float[] frame, int channels, int height, int width) {
        return FrameImages.toImage(frame, channels, height, width);
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

    /**
     * The JDK PNG writer's compression quality for zlib level 1: ImageIO's default is level 4, which costs
     * a quarter more time per frame for about 10 % fewer bytes (docs/encoding.md). PNG is lossless, so
     * the pixels a client decodes are the same.
     */
    static final float PNG_FAST = 0.9f;

    public static byte[] bytes(BufferedImage img, String format, int quality) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        boolean jpeg = "jpeg".equals(format);
        Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName(jpeg ? "jpeg" : "png");
        ImageWriter writer = writers.next();
        try {
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionQuality(jpeg ? quality / 100f : PNG_FAST);
            try (MemoryCacheImageOutputStream ios = new MemoryCacheImageOutputStream(out)) {
                writer.setOutput(ios);
                writer.write(null, new IIOImage(img, null, null), param);
            } finally {
                writer.dispose();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
