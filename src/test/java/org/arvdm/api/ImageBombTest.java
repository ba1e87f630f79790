package org.arvdm.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import javax.imageio.ImageIO;
import org.arvdm.TinyBundleServiceTest;
import org.arvdm.model.ModelRegistry;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Context images are PNG or JPEG only and their declared size is checked from the header before
 * a pixel is decoded, so a 66-byte PNG declaring 26000x26000 costs nothing and liveness stays fast
 * while such bombs arrive.
 */
@TinyBundleServiceTest
class ImageBombTest {
    @LocalServerPort
    int port;

    @Autowired
    ModelRegistry registry;

    WebTestClient http;

    @BeforeEach
    void setUp() throws Exception {
        assertThat(registry.awaitLoaded(Duration.ofSeconds(60))).isTrue();
        http = WebTestClient.bindToServer()
                .baseUrl("http://localhost:" + port)
                .responseTimeout(Duration.ofSeconds(30))
                .build();
    }

    /** A PNG from raw chunks, each with the right CRC unless {@code badCrc}. */
    static byte[] png(int width, int height, int depth, int colorType, byte[] idat, boolean badCrc) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        ByteBuffer ihdr = ByteBuffer.allocate(13)
                .putInt(width)
                .putInt(height)
                .put((byte) depth)
                .put((byte) colorType)
                .put((byte) 0)
                .put((byte) 0)
                .put((byte) 0);
        chunk(out, "IHDR", ihdr.array(), badCrc);
        chunk(out, "IDAT", idat, false);
        chunk(out, "IEND", new byte[0], false);
        return out.toByteArray();
    }

    private static void chunk(ByteArrayOutputStream out, String type, byte[] data, boolean badCrc) {
        byte[] t = type.getBytes(StandardCharsets.ISO_8859_1);
        out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
        out.writeBytes(t);
        out.writeBytes(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        out.writeBytes(ByteBuffer.allocate(4)
                .putInt((int) crc.getValue() ^ (badCrc ? 1 : 0))
                .array());
    }

    static byte[] zlib(byte[] raw) {
        Deflater d = new Deflater();
        d.setInput(raw);
        d.finish();
        byte[] buf = new byte[raw.length + 64];
        int n = d.deflate(buf);
        d.end();
        return java.util.Arrays.copyOf(buf, n);
    }

    /** The 26000x26000 bomb: IHDR, a few bytes of IDAT, IEND. */
    static byte[] bomb() {
        return png(26000, 26000, 8, 2, zlib(new byte[8]), false);
    }

    private static Map<String, Object> requestWith(byte[] image) {
        Map<String, Object> r = new HashMap<>(GenerationApiTest.request("tiny-frames", 1, 1, 1));
        List<String> frames = new ArrayList<>(TestImages.clip(1, 16));
        frames.add(Base64.getEncoder().encodeToString(image));
        r.put("context", Map.of("frames", frames));
        return r;
    }

    private WebTestClient.BodyContentSpec refused(byte[] image, String detail) {
        return http.post()
                .uri("/v1/generations")
                .contentType(MediaType.APPLICATION_JSON)
                .accept(MediaType.APPLICATION_JSON)
                .bodyValue(requestWith(image))
                .exchange()
                .expectStatus()
                .isBadRequest()
                .expectHeader()
                .contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody()
                .jsonPath("$.field")
                .isEqualTo("context.frames[1]")
                .jsonPath("$.detail")
                .value(d -> assertThat((String) d).contains(detail));
    }

    private static byte[] encoded(BufferedImage img, String format) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(ImageIO.write(img, format, out)).isTrue();
        return out.toByteArray();
    }

    @Test
    void aBombIsRefusedFromItsHeader() {
        assertThat(bomb().length).isLessThan(80);
        refused(bomb(), "image is 26000x26000, the model takes 16x16");
    }

    @Test
    void onlyPngAndJpegAreAccepted() throws Exception {
        BufferedImage img = new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB);
        refused(encoded(img, "bmp"), "only PNG and JPEG");
        refused(encoded(img, "gif"), "only PNG and JPEG");
        byte[] raw16 = new byte[16 * (1 + 16 * 6)];
        refused(png(16, 16, 16, 2, zlib(raw16), false), "16 bits per sample");
        byte[] raw8 = new byte[16 * (1 + 16 * 3)];
        refused(png(16, 16, 8, 2, zlib(raw8), true), "bad CRC");
        byte[] good = png(16, 16, 8, 2, zlib(raw8), false);
        refused(java.util.Arrays.copyOf(good, good.length - 12), "truncated");
        BufferedImage big = new BufferedImage(40, 24, BufferedImage.TYPE_INT_RGB);
        refused(encoded(big, "jpeg"), "image is 40x24");
        byte[] jpeg = encoded(img, "jpeg");
        refused(java.util.Arrays.copyOf(jpeg, 4), "JPEG is truncated");
    }

    @Test
    void aValidPngAndJpegOfTheModelsSizeAreAccepted() throws Exception {
        BufferedImage img = new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB);
        for (String format : List.of("png", "jpeg")) {
            http.post()
                    .uri("/v1/generations")
                    .contentType(MediaType.APPLICATION_JSON)
                    .accept(MediaType.APPLICATION_JSON)
                    .bodyValue(requestWith(encoded(img, format)))
                    .exchange()
                    .expectStatus()
                    .isOk();
        }
        byte[] raw8 = new byte[16 * (1 + 16 * 3)];
        http.post()
                .uri("/v1/generations")
                .contentType(MediaType.APPLICATION_JSON)
                .accept(MediaType.APPLICATION_JSON)
                .bodyValue(requestWith(png(16, 16, 8, 2, zlib(raw8), false)))
                .exchange()
                .expectStatus()
                .isOk();
    }

    @Test
    void livenessAnswersWithinASecondWhileEightBombsArePosted() {
        WebClient client =
                WebClient.builder().baseUrl("http://localhost:" + port).build();
        Map<String, Object> body = new HashMap<>(GenerationApiTest.request("tiny-frames", 1, 1, 1));
        List<String> frames = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            frames.add(Base64.getEncoder().encodeToString(bomb()));
        }
        body.put("context", Map.of("frames", frames));
        Flux<Integer> bombs = Flux.range(0, 8)
                .flatMap(
                        i -> client.post()
                                .uri("/v1/generations")
                                .contentType(MediaType.APPLICATION_JSON)
                                .accept(MediaType.APPLICATION_JSON)
                                .bodyValue(body)
                                .exchangeToMono(r -> r.releaseBody()
                                        .thenReturn(r.statusCode().value())),
                        8);
        Mono<List<Long>> probes = Flux.range(0, 10)
                .delayElements(Duration.ofMillis(20))
                .concatMap(i -> {
                    long t0 = System.nanoTime();
                    return client.get()
                            .uri("/actuator/health/liveness")
                            .exchangeToMono(r -> r.releaseBody().thenReturn((System.nanoTime() - t0) / 1_000_000));
                })
                .collectList();
        var both = Mono.zip(bombs.collectList(), probes).block(Duration.ofSeconds(60));
        assertThat(both.getT1()).hasSize(8).containsOnly(400);
        assertThat(both.getT2()).allSatisfy(ms -> assertThat(ms).isLessThan(1000));
    }
}
