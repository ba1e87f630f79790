package org.arvdm.image;

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
import org.arvdm.generation.PlanException;
import org.arvdm.manifest.ModelManifest;

/**
 * Base64 PNG/JPEG images to and from the engine's frames: C·H·W floats in [-1, 1], channels
 * first, RGB order (or one grey channel).
 */
public final class ImageCodec {
    private ImageCodec() {}

    /** Decodes one base64 image; the field name goes into every error message. */
    public static float[] decode(String base64, ModelManifest.Frame shape, String field) {
        if (base64 == null || base64.isBlank()) {
            throw PlanException.of(field, "image is empty");
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
            throw PlanException.of(field, "not valid base64 (" + e.getMessage() + ")");
        }
        Header header = header(bytes, field);
        if (header.width() != shape.width() || header.height() != shape.height()) {
            throw PlanException.of(
                    field,
                    "image is " + header.width() + "x" + header.height() + ", the model takes " + shape.width() + "x"
                            + shape.height());
        }
        BufferedImage img = read(bytes, header.format());
        if (img == null) {
            throw PlanException.of(field, "not a decodable PNG or JPEG image");
        }
        if (img.getWidth() != shape.width() || img.getHeight() != shape.height()) {
            throw PlanException.of(
                    field,
                    "image is " + img.getWidth() + "x" + img.getHeight() + ", the model takes " + shape.width() + "x"
                            + shape.height());
        }
        return toFrame(img, shape.channels());
    }

    /** What an image's header declares, read before any pixel is decoded. */
    record Header(String format, int width, int height) {}

    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    /**
     * The format and dimensions an image declares, checked without decoding it: PNG (every chunk's
     * CRC, 8 bits per sample or fewer, no 16-bit) or baseline/progressive JPEG (8-bit precision);
     * anything else (BMP, GIF, WebP, ...) is refused.
     */
    static Header header(byte[] b, String field) {
        if (b.length >= 8 && java.util.Arrays.equals(b, 0, 8, PNG_SIGNATURE, 0, 8)) {
            return pngHeader(b, field);
        }
        if (b.length >= 3 && (b[0] & 0xff) == 0xff && (b[1] & 0xff) == 0xd8 && (b[2] & 0xff) == 0xff) {
            return jpegHeader(b, field);
        }
        throw PlanException.of(field, "not a decodable PNG or JPEG image (only PNG and JPEG are accepted)");
    }

    private static Header pngHeader(byte[] b, String field) {
        int pos = 8;
        int width = -1;
        int height = -1;
        boolean end = false;
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        while (!end) {
            if (pos + 12 > b.length) {
                throw PlanException.of(field, "PNG is truncated (no IEND chunk)");
            }
            long length = readInt(b, pos) & 0xffffffffL;
            if (length > b.length - pos - 12) {
                throw PlanException.of(field, "PNG is truncated (a chunk runs past the end)");
            }
            int n = (int) length;
            String type = new String(b, pos + 4, 4, java.nio.charset.StandardCharsets.ISO_8859_1);
            crc.reset();
            crc.update(b, pos + 4, 4 + n);
            if ((int) crc.getValue() != readInt(b, pos + 8 + n)) {
                throw PlanException.of(field, "PNG chunk " + PlanException.echo(type) + " has a bad CRC");
            }
            if (width < 0) {
                if (!type.equals("IHDR") || n != 13) {
                    throw PlanException.of(field, "PNG does not start with an IHDR chunk");
                }
                width = readInt(b, pos + 8);
                height = readInt(b, pos + 12);
                int depth = b[pos + 16] & 0xff;
                if (depth > 8) {
                    throw PlanException.of(field, "PNG has " + depth + " bits per sample; 8 at most");
                }
                if (width <= 0 || height <= 0) {
                    throw PlanException.of(field, "PNG declares " + width + "x" + height + " pixels");
                }
            }
            end = type.equals("IEND");
            pos += 12 + n;
        }
        return new Header("png", width, height);
    }

    private static Header jpegHeader(byte[] b, String field) {
        int pos = 2;
        while (pos + 4 <= b.length) {
            if ((b[pos] & 0xff) != 0xff) {
                throw PlanException.of(field, "JPEG is malformed (no marker where one is due)");
            }
            int marker = b[pos + 1] & 0xff;
            if (marker == 0xff) {
                pos++;
                continue;
            }
            if (marker == 0xd9 || marker == 0xda) {
                break;
            }
            if (marker == 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
                pos += 2;
                continue;
            }
            int length = ((b[pos + 2] & 0xff) << 8) | (b[pos + 3] & 0xff);
            boolean frame = marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc;
            if (frame) {
                if (pos + 9 >= b.length || length < 8) {
                    throw PlanException.of(field, "JPEG is truncated (short frame header)");
                }
                int precision = b[pos + 4] & 0xff;
                int height = ((b[pos + 5] & 0xff) << 8) | (b[pos + 6] & 0xff);
                int width = ((b[pos + 7] & 0xff) << 8) | (b[pos + 8] & 0xff);
                if (precision != 8) {
                    throw PlanException.of(field, "JPEG has " + precision + "-bit samples; 8 only");
                }
                if (width <= 0 || height <= 0) {
                    throw PlanException.of(field, "JPEG declares " + width + "x" + height + " pixels");
                }
                return new Header("jpeg", width, height);
            }
            pos += 2 + length;
        }
        throw PlanException.of(field, "JPEG is truncated (no frame header)");
    }

    private static int readInt(byte[] b, int pos) {
        return ((b[pos] & 0xff) << 24) | ((b[pos + 1] & 0xff) << 16) | ((b[pos + 2] & 0xff) << 8) | (b[pos + 3] & 0xff);
    }

    /** Decodes with the one reader of the header's format (never another format ImageIO might know). */
    private static BufferedImage read(byte[] bytes, String format) {
        Iterator<javax.imageio.ImageReader> readers = ImageIO.getImageReadersByFormatName(format);
        if (!readers.hasNext()) {
            return null;
        }
        javax.imageio.ImageReader reader = readers.next();
        // in memory: ImageIO.createImageInputStream would cache the bytes in a temporary file (its
        // default), one file written and deleted per image, at twice the time
        try (javax.imageio.stream.ImageInputStream in =
                new javax.imageio.stream.MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
            reader.setInput(in, true, true);
            return reader.read(0);
        } catch (IOException | RuntimeException e) {
            return null;
        } finally {
            reader.dispose();
        }
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
        g.setRenderingHint(
                java.awt.RenderingHints.KEY_INTERPOLATION, java.awt.RenderingHints.VALUE_INTERPOLATION_BILINEAR);
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
