package org.arvdm.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.utility.DockerImageName;
import org.yaml.snakeyaml.Yaml;

/**
 * Builds the image from the repository's Dockerfile (CPU flavour, the tiny test bundles baked in)
 * and runs a generation in it, the container shaped as in Kubernetes: read-only root, tmpfs at
 * /tmp and at the DJL cache, the image's own user, entrypoint and environment.
 *
 * <p>Skipped, with the reason in the test report, where no Docker engine is reachable (as on the
 * project's build machines). The image is built with the docker CLI, because the Dockerfile uses
 * BuildKit features (cache mounts, stages skipped by FLAVOR) that the Docker API's legacy builder
 * used by Testcontainers' ImageFromDockerfile does not have; Testcontainers then runs it.
 */
@Testcontainers(disabledWithoutDocker = true)
class ContainerImageTest {

    private static final String IMAGE = "arvdm-serving:testcontainers";
    private static final String MODEL = "tiny-frames";
    private static final int SIZE = 16;

    @BeforeAll
    static void buildImage() throws Exception {
        Path root = RenderedManifests.repoRoot();
        Path log = Files.createTempFile("docker-build", ".log");
        ProcessBuilder pb = new ProcessBuilder(
                        "docker", "build", "--build-arg", "FLAVOR=cpu", "--build-arg", "MODELS=test", "-t", IMAGE, ".")
                .directory(root.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().put("DOCKER_BUILDKIT", "1");
        Process p = pb.start();
        boolean done = p.waitFor(40, TimeUnit.MINUTES);
        if (!done) {
            p.destroyForcibly();
        }
        assertThat(done && p.exitValue() == 0)
                .as("docker build (log: " + log + ")\n" + tail(log))
                .isTrue();
    }

    @Test
    void imageServesAStreamedAndAJsonGeneration() throws Exception {
        DockerImageSpec spec = DockerImageSpec.load();
        String djlCache = spec.environment().get("DJL_CACHE_DIR");
        String readiness = RenderedManifests.of("cpu").probe("readiness").path();

        try (GenericContainer<?> app = new GenericContainer<>(DockerImageName.parse(IMAGE))
                .withExposedPorts(8080)
                .withEnv("ARVDM_DEVICE", "cpu")
                .withTmpFs(Map.of("/tmp", "rw,size=512m", djlCache, "rw,exec,size=2g"))
                .withCreateContainerCmdModifier(cmd -> cmd.getHostConfig().withReadonlyRootfs(true))
                .waitingFor(Wait.forHttp(readiness)
                        .forPort(8080)
                        .forStatusCode(200)
                        .withStartupTimeout(Duration.ofMinutes(5)))) {
            app.start();
            String base = "http://" + app.getHost() + ":" + app.getMappedPort(8080);
            HttpClient http = HttpClient.newBuilder()
                    .connectTimeout(Duration.ofSeconds(10))
                    .build();

            HttpResponse<String> models = http.send(
                    HttpRequest.newBuilder(URI.create(base + "/v1/models"))
                            .GET()
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(models.statusCode()).isEqualTo(200);
            assertThat(models.body()).contains(MODEL);

            int frames = 3;
            String body = request(frames);

            HttpResponse<String> sse = http.send(
                    HttpRequest.newBuilder(URI.create(base + "/v1/generations"))
                            .header("Content-Type", "application/json")
                            .header("Accept", "text/event-stream")
                            .timeout(Duration.ofMinutes(2))
                            .POST(HttpRequest.BodyPublishers.ofString(body))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(sse.statusCode()).as(sse.body()).isEqualTo(200);
            List<String> events = new ArrayList<>();
            Matcher m = Pattern.compile("(?m)^event:\\s*(\\S+)\\s*$").matcher(sse.body());
            while (m.find()) {
                events.add(m.group(1));
            }
            assertThat(events).first().isEqualTo("started");
            assertThat(events).last().isEqualTo("done");
            assertThat(events.stream().filter("frame"::equals).count()).isEqualTo(frames);

            HttpResponse<String> json = http.send(
                    HttpRequest.newBuilder(URI.create(base + "/v1/generations"))
                            .header("Content-Type", "application/json")
                            .header("Accept", "application/json")
                            .timeout(Duration.ofMinutes(2))
                            .POST(HttpRequest.BodyPublishers.ofString(body))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(json.statusCode()).as(json.body()).isEqualTo(200);
            assertThat(countImages(new Yaml().load(json.body()))).isEqualTo(frames);

            HttpResponse<String> metrics = http.send(
                    HttpRequest.newBuilder(URI.create(base + "/actuator/prometheus"))
                            .GET()
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(metrics.body()).contains("arvdm_frames_generated_total", "arvdm_step_latency_seconds");
        }
    }

    /** A generation request for the tiny-frames bundle: 4 context frames of 16x16 RGB, {@code frames} actions. */
    private static String request(int frames) throws IOException {
        List<String> context = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            BufferedImage img = new BufferedImage(SIZE, SIZE, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < SIZE; y++) {
                for (int x = 0; x < SIZE; x++) {
                    img.setRGB(x, y, ((x * 16 + i * 8) & 0xff) << 16 | ((y * 16) & 0xff) << 8 | 0x40);
                }
            }
            ByteArrayOutputStream png = new ByteArrayOutputStream();
            ImageIO.write(img, "png", png);
            context.add("\"" + Base64.getEncoder().encodeToString(png.toByteArray()) + "\"");
        }
        List<String> actions = new ArrayList<>();
        for (int i = 0; i < frames; i++) {
            actions.add("\"forward\"");
        }
        return "{\"model\":\"" + MODEL + "\",\"context\":{\"frames\":[" + String.join(",", context)
                + "],\"actions\":[\"noop\",\"noop\",\"noop\",\"noop\"]},\"actions\":[" + String.join(",", actions)
                + "],\"seed\":7,\"output\":{\"format\":\"png\"}}";
    }

    /** Counts objects carrying an "image" field anywhere in a JSON response. */
    private static int countImages(Object o) {
        if (o instanceof Map<?, ?> map) {
            int n = map.containsKey("image") ? 1 : 0;
            for (Object v : map.values()) {
                n += countImages(v);
            }
            return n;
        }
        if (o instanceof List<?> list) {
            return list.stream().mapToInt(ContainerImageTest::countImages).sum();
        }
        return 0;
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }
}
