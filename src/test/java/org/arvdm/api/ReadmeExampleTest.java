package org.arvdm.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.arvdm.config.ArvdmProperties;
import org.arvdm.model.ModelRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * README's first request, as a new user sends it: the body {@code docs/examples/request.py --frames 16}
 * prints (a held-out world v2 clip and the true actions after it, no model named), posted to the
 * service on the bundled default model, with its real TorchScript bundle. The frames must follow
 * the actions: over the 16 frames they are at least 3 dB nearer the true frames (PSNR) than
 * repeating the last context frame is, the bar for the default model. A model that ignores
 * its actions (the old default drew an almost unchanged wall) stays near the repeated frame and fails.
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"arvdm.device=cpu", "arvdm.warmup.generations=0", "arvdm.evaluation.set-dir=models/eval"})
class ReadmeExampleTest {
    static final int FRAMES = 16;

    /** The default bundle alone: startup stays short, and the request must reach it by default. */
    @DynamicPropertySource
    static void models(DynamicPropertyRegistry registry) throws IOException {
        Path dir = Files.createTempDirectory("arvdm-readme-models");
        Files.createSymbolicLink(
                dir.resolve(ArvdmProperties.DEFAULT_MODEL),
                Path.of("models", ArvdmProperties.DEFAULT_MODEL).toAbsolutePath());
        registry.add("arvdm.model-dir", dir::toString);
    }

    @LocalServerPort
    int port;

    @Autowired
    ModelRegistry registry;

    @Autowired
    JsonMapper json;

    static String python() {
        return Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
    }

    /** What {@code python3 docs/examples/request.py --frames 16} prints. */
    static String readmeBody() throws Exception {
        Process p = new ProcessBuilder(python(), "docs/examples/request.py", "--frames", String.valueOf(FRAMES))
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("request.py's exit status").isZero();
        return out;
    }

    static int[] rgb(BufferedImage img, int x0, int w) {
        int[] px = new int[w * img.getHeight() * 3];
        int k = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = x0; x < x0 + w; x++) {
                int c = img.getRGB(x, y);
                px[k++] = (c >> 16) & 255;
                px[k++] = (c >> 8) & 255;
                px[k++] = c & 255;
            }
        }
        return px;
    }

    static double mse(int[] a, int[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            double d = a[i] - b[i];
            s += d * d;
        }
        return s / a.length;
    }

    static double psnr(double mse) {
        return 10 * Math.log10(255.0 * 255.0 / mse);
    }

    @Test
    void readmeRequestOnTheDefaultModelFollowsItsActions() throws Exception {
        assertThat(registry.awaitLoaded(Duration.ofSeconds(120))).isTrue();
        String body = readmeBody();
        assertThat(json.readTree(body).has("model"))
                .as("README's request names no model")
                .isFalse();
        HttpResponse<String> r = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/v1/generations"))
                                .header("Content-Type", "application/json")
                                .header("Accept", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(body))
                                .timeout(Duration.ofSeconds(120))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode answer = json.readTree(r.body());
        assertThat(answer.get("started").get("model").asString()).isEqualTo(ArvdmProperties.DEFAULT_MODEL);

        JsonNode clip = json.readTree(Files.readString(Path.of("docs/examples/v2-context/clip.json")));
        Path set = Path.of("models/eval", clip.get("set").asString());
        JsonNode manifest = json.readTree(Files.readString(set.resolve("manifest.json")));
        String world = registry.get(ArvdmProperties.DEFAULT_MODEL)
                .orElseThrow()
                .manifest()
                .training()
                .get("world")
                .toString();
        assertThat(world)
                .as("the default model's world")
                .isEqualTo(manifest.get("world").asString());
        JsonNode trajectory = null;
        for (JsonNode t : manifest.get("trajectories")) {
            if (t.get("id").asString().equals(clip.get("trajectory").asString())) {
                trajectory = t;
            }
        }
        assertThat(trajectory).as("the clip's trajectory in its set").isNotNull();
        int c0 = clip.get("frames").asInt();
        BufferedImage strip =
                ImageIO.read(set.resolve(trajectory.get("frames").asString()).toFile());
        int w = strip.getHeight();
        int[] last = rgb(strip, (c0 - 1) * w, w);

        JsonNode frames = answer.get("frames");
        assertThat(frames.size()).isEqualTo(FRAMES);
        List<String> report = new ArrayList<>();
        double generated = 0;
        double repeated = 0;
        for (int i = 0; i < FRAMES; i++) {
            JsonNode f = frames.get(i);
            assertThat(f.get("action").asString())
                    .as("frame %d's action is the trajectory's", i)
                    .isEqualTo(trajectory.get("actions").get(c0 + i).asString());
            int[] truth = rgb(strip, (c0 + i) * w, w);
            BufferedImage img = ImageIO.read(new ByteArrayInputStream(
                    Base64.getDecoder().decode(f.get("image").asString())));
            double g = mse(rgb(img, 0, w), truth);
            double rep = mse(last, truth);
            generated += g;
            repeated += rep;
            report.add(String.format("%s %.1f/%.1f", f.get("action").asString(), psnr(g), psnr(rep)));
        }
        double gain = psnr(generated / FRAMES) - psnr(repeated / FRAMES);
        assertThat(gain)
                .as(
                        "PSNR of README's %d frames over repeating the last context frame, dB (per frame, generated/repeat: %s)",
                        FRAMES, report)
                .isGreaterThanOrEqualTo(3.0);
    }
}
