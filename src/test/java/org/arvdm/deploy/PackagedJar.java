package org.arvdm.deploy;

import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The packaged jar started exactly as the Dockerfile's entrypoint starts it (same command, same
 * environment, with the model and cache folders pointed at local paths and the tiny test bundles),
 * on a free port, with its output in {@code service.log} of a temporary folder.
 */
final class PackagedJar implements AutoCloseable {
    /** The CPU overlay's memory limit (k8s/overlays/cpu/deployment-patch.yaml), as {@code -XX:MaxRAM}. */
    static final String POD_MEMORY_LIMIT = "6g";

    final Process process;
    final String base;
    final Path tmp;

    private PackagedJar(Process process, String base, Path tmp) {
        this.process = process;
        this.base = base;
        this.tmp = tmp;
    }

    /** Starts the jar with {@code extraEnv} on top of the image's environment. */
    static PackagedJar start(Map<String, String> extraEnv) throws Exception {
        Path jar = Path.of("target/arvdm-serving-0.1.0-SNAPSHOT.jar");
        if (!Files.exists(jar)) {
            throw new AssertionError(jar + " is missing: run mvn verify (the jar is built in package)");
        }
        DockerImageSpec spec = DockerImageSpec.load();
        Path tmp = Files.createTempDirectory("arvdm-jar");
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Map<String, String> env = new HashMap<>(spec.environment());
        env.put(
                "ARVDM_MODEL_DIR",
                Path.of("src/test/resources/bundles").toAbsolutePath().toString());
        env.put("ARVDM_DEFAULT_MODEL", "tiny-frames");
        env.put("DJL_CACHE_DIR", tmp.resolve("djl").toString());
        env.put("ENGINE_CACHE_DIR", tmp.resolve("djl").toString());
        env.put("SERVER_PORT", Integer.toString(port));
        // the container's memory limit as the JVM would see it in the CPU pod (k8s/overlays/cpu: 6Gi):
        // the image's heap is a share of it, fixed and touched at start
        env.put(
                "JAVA_OPTS",
                env.getOrDefault("JAVA_OPTS", "").replace("-Djava.io.tmpdir=/tmp", "-Djava.io.tmpdir=" + tmp)
                        + " -XX:MaxRAM=" + POD_MEMORY_LIMIT);
        env.putAll(extraEnv);
        List<String> command = DockerImageSpec.replaceJar(spec.javaCommand(env), jar);
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(tmp.resolve("service.log").toFile());
        pb.environment().putAll(env);
        return new PackagedJar(pb.start(), "http://localhost:" + port, tmp);
    }

    String log() {
        try {
            return Files.readString(tmp.resolve("service.log"));
        } catch (java.io.IOException e) {
            return "(no log: " + e + ")";
        }
    }

    void awaitReady(HttpClient http) throws Exception {
        boolean ready = org.arvdm.Readiness.await(http, base, Duration.ofSeconds(180), Duration.ofMillis(250), () -> {
            if (!process.isAlive()) {
                throw new AssertionError("service exited early:\n" + log());
            }
        });
        if (!ready) {
            throw new AssertionError("not ready in 180 s:\n" + log());
        }
    }

    /** Sends SIGTERM (what docker stop and the kubelet send). */
    void sigterm() {
        process.destroy();
    }

    /** Waits for the exit after SIGTERM; true when it exited in time (else it is killed). */
    boolean awaitExit(Duration timeout) throws InterruptedException {
        boolean exited = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (!exited) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        return exited;
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            awaitExit(Duration.ofSeconds(60));
        }
    }

    /** A base64 16×16 PNG, the tiny bundles' frame size. */
    static String png() throws Exception {
        java.awt.image.BufferedImage img =
                new java.awt.image.BufferedImage(16, 16, java.awt.image.BufferedImage.TYPE_INT_RGB);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        javax.imageio.ImageIO.write(img, "png", out);
        return java.util.Base64.getEncoder().encodeToString(out.toByteArray());
    }
}
