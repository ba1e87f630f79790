package org.arvdm.bench;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import javax.imageio.ImageIO;
import org.arvdm.image.ImageCodec;
import org.arvdm.manifest.ModelManifest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * What one frame costs to encode for the client, per output encoding, at 32x32 (the bundled models)
 * and 256x256 (a real world model's frame), through the service's own {@link ImageCodec}:
 * <pre>
 *   mvn -q test -Pbenchmark -Dtest=EncodingBenchmarkTest -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 * Frames are the held-out accumulation set's first 64 frames, as the engine hands them over (C·H·W
 * floats in [-1, 1]); the 256x256 ones are those frames scaled up bilinearly, so they are smoother
 * than a natural 256x256 frame (PNG sizes there are a lower bound). Then, end to end: the service in
 * a fresh JVM ({@link ServiceProcess}, default model and settings) streams README's request once per
 * output format as warm-up and {@code -Darvdm.bench.rounds} (default 5) times measured; frames/s and
 * time to first frame by the client. Writes the "encoding" section of docs/performance.md
 * ({@code -Darvdm.bench.out}).
 */
@Tag("benchmark")
class EncodingBenchmarkTest {

    private static final int FRAMES = 64;

    @Test
    void costPerFrameByEncodingAndSize() throws Exception {
        BufferedImage strip = ImageIO.read(
                Path.of("models/eval/accumulation/accumulation-00.png").toFile());
        Map<Integer, List<float[]>> framesBySize = new LinkedHashMap<>();
        for (int size : new int[] {32, 256}) {
            List<float[]> frames = new ArrayList<>();
            for (int i = 0; i < FRAMES; i++) {
                BufferedImage f = strip.getSubimage(i * 32, 0, 32, 32);
                frames.add(ImageCodec.toFrame(size == 32 ? f : scale(f, size), 3));
            }
            framesBySize.put(size, frames);
        }
        Map<String, Function<ModelManifest.Frame, Function<float[], String>>> encodings = new LinkedHashMap<>();
        encodings.put("png (ImageIO default, zlib level 4: before)", shape -> f -> imageIoPng(f, shape));
        encodings.put("png (zlib level 1, `png`)", shape -> f -> ImageCodec.encode(f, shape, "png", 0, 1));
        encodings.put("jpeg q90", shape -> f -> ImageCodec.encode(f, shape, "jpeg", 90, 1));
        encodings.put("raw RGB bytes", shape -> f -> Base64.getEncoder().encodeToString(rgb(f, shape)));

        StringBuilder b = new StringBuilder("## Frame encoding cost\n\n");
        b.append("Written by `mvn -q test -Pbenchmark -Dtest=EncodingBenchmarkTest "
                        + "-Dsurefire.failIfNoSpecifiedTests=false` on ")
                .append(Instant.now().toString(), 0, 10)
                .append(", ")
                .append(Runtime.getRuntime().availableProcessors())
                .append(" CPUs, one thread. ")
                .append(FRAMES)
                .append(" held-out maze frames (256x256: the same frames scaled up bilinearly, "
                        + "smoother than natural frames); per frame: median of 5 passes after 3 warm-up passes, "
                        + "float frame to base64 string, as the service sends it.\n\n");
        b.append("| encoding | size | µs per frame | bytes per frame (base64) |\n| --- | --- | --- | --- |\n");
        for (var e : encodings.entrySet()) {
            for (var sized : framesBySize.entrySet()) {
                int size = sized.getKey();
                ModelManifest.Frame shape = new ModelManifest.Frame(3, size, size);
                Function<float[], String> enc = e.getValue().apply(shape);
                long bytes = 0;
                double[] passes = new double[5];
                for (int pass = -3; pass < 5; pass++) {
                    long t0 = System.nanoTime();
                    long n = 0;
                    for (float[] f : sized.getValue()) {
                        n += enc.apply(f).length();
                    }
                    long dt = System.nanoTime() - t0;
                    if (pass >= 0) {
                        passes[pass] = dt / 1e3 / FRAMES;
                        bytes = n / FRAMES;
                    }
                }
                java.util.Arrays.sort(passes);
                b.append(String.format(
                        Locale.ROOT, "| %s | %dx%d | %.0f | %d |%n", e.getKey(), size, size, passes[2], bytes));
            }
        }
        b.append(endToEnd());
        String report = b.toString();
        System.out.println(report);
        BenchDocs.writeSection(Path.of(ServiceBenchmarkTest.prop("out", "docs/performance.md")), "encoding", report);
    }

    /** Frames/s and TTFF of README's request (64 frames, SSE, default model) per {@code output.format}. */
    private static String endToEnd() throws Exception {
        int rounds = Integer.parseInt(ServiceBenchmarkTest.prop("rounds", "5"));
        Map<String, Map<String, Object>> outputs = new LinkedHashMap<>();
        outputs.put("png (default)", Map.of("format", "png"));
        outputs.put("jpeg q90", Map.of("format", "jpeg", "quality", 90));
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        StringBuilder b = new StringBuilder("\nEnd to end, the default model over HTTP (README's request, 64 frames, "
                + "SSE; a fresh service JVM with application.yaml's settings; one unmeasured generation per "
                + "format, then the median of " + rounds + "):\n\n| output | frames/s | TTFF ms | frame event bytes |\n"
                + "| --- | --- | --- | --- |\n");
        ServiceProcess.warmClient(http, "{}");
        try (ServiceProcess service = ServiceProcess.start(http, List.of())) {
            for (var o : outputs.entrySet()) {
                Map<String, Object> req = ServiceProcess.readmeRequest(64);
                req.put("output", o.getValue());
                String body = ServiceProcess.JSON.writeValueAsString(req);
                ServiceProcess.generate(http, service.base, body);
                double[] fps = new double[rounds];
                double[] ttff = new double[rounds];
                for (int i = 0; i < rounds; i++) {
                    double[] g = ServiceProcess.generate(http, service.base, body);
                    ttff[i] = g[0];
                    fps[i] = g[4] / (g[1] / 1e3);
                }
                req.put("actions", List.of("forward"));
                String one = http.send(
                                java.net.http.HttpRequest.newBuilder(
                                                java.net.URI.create(service.base + "/v1/generations"))
                                        .header("Content-Type", "application/json")
                                        .header("Accept", "text/event-stream")
                                        .POST(java.net.http.HttpRequest.BodyPublishers.ofString(
                                                ServiceProcess.JSON.writeValueAsString(req)))
                                        .build(),
                                java.net.http.HttpResponse.BodyHandlers.ofString())
                        .body();
                int frameBytes = 0;
                for (String event : one.split("\n\n")) {
                    if (event.contains("event:frame")) {
                        frameBytes = event.getBytes(StandardCharsets.UTF_8).length;
                    }
                }
                b.append(String.format(
                        Locale.ROOT,
                        "| %s | %.0f | %.0f | %d |%n",
                        o.getKey(),
                        FirstRequestBenchmarkTest.median(fps),
                        FirstRequestBenchmarkTest.median(ttff),
                        frameBytes));
            }
        }
        return b.toString();
    }

    private static String imageIoPng(float[] f, ModelManifest.Frame shape) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try {
            ImageIO.write(ImageCodec.toImage(f, shape.channels(), shape.height(), shape.width()), "png", out);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return Base64.getEncoder().encodeToString(out.toByteArray());
    }

    /** H·W·3 bytes, row-major, the same 8-bit quantisation as the PNG path. */
    private static byte[] rgb(float[] f, ModelManifest.Frame shape) {
        BufferedImage img = ImageCodec.toImage(f, shape.channels(), shape.height(), shape.width());
        int[] px = img.getRGB(0, 0, shape.width(), shape.height(), null, 0, shape.width());
        byte[] out = new byte[px.length * 3];
        for (int i = 0; i < px.length; i++) {
            out[3 * i] = (byte) (px[i] >> 16);
            out[3 * i + 1] = (byte) (px[i] >> 8);
            out[3 * i + 2] = (byte) px[i];
        }
        return out;
    }

    private static BufferedImage scale(BufferedImage src, int size) {
        BufferedImage out = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(src, 0, 0, size, size, null);
        g.dispose();
        return out;
    }
}
