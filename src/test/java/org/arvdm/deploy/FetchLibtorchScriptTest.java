package org.arvdm.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code deploy/docker/fetch-libtorch.sh}, the GPU image's build step, against a local stand-in for
 * DJL's CDN with DJL's layout (files.txt listing gzipped libraries per flavour, the JNI library under
 * jnilib/): it takes exactly the asked flavour, unpacks it, puts the JNI library where DJL's
 * LibUtils looks first (next to libtorch.so), and fails loudly when the flavour is missing.
 */
class FetchLibtorchScriptTest {

    private HttpServer server;
    private final Map<String, byte[]> files = new LinkedHashMap<>();
    private final List<String> requested = new CopyOnWriteArrayList<>();

    @TempDir
    Path dir;

    @BeforeEach
    void cdn() throws IOException {
        String listing = String.join(
                        "\n",
                        "cpu/linux-x86_64/native/lib/libtorch.so.gz",
                        "cpu/linux-x86_64/native/lib/libc10.so.gz",
                        "cu126/linux-x86_64/native/lib/libtorch.so.gz",
                        "cu128/linux-x86_64/native/lib/libtorch.so.gz",
                        "cu128/linux-x86_64/native/lib/libtorch_cuda.so.gz",
                        "cu128/linux-x86_64/native/lib/libc10_cuda.so.gz",
                        "cu128/linux-aarch64/native/lib/libtorch.so.gz")
                + "\n";
        files.put("/pytorch/2.7.1/files.txt", listing.getBytes(StandardCharsets.UTF_8));
        for (String line : listing.strip().split("\n")) {
            files.put("/pytorch/2.7.1/" + line, gzip("content of " + line));
        }
        files.put(
                "/pytorch/2.7.1/jnilib/0.36.0/linux-x86_64/cu128/libdjl_torch.so",
                "jni cu128".getBytes(StandardCharsets.UTF_8));
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            String path = exchange.getRequestURI().getPath();
            requested.add(path);
            byte[] body = files.get(path);
            exchange.sendResponseHeaders(body == null ? 404 : 200, body == null ? -1 : body.length);
            if (body != null) {
                exchange.getResponseBody().write(body);
            }
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    @Test
    void fetchesExactlyTheFlavourAndPutsTheJniNextToLibtorch() throws Exception {
        Path dest = dir.resolve("libtorch");
        Result r = run("2.7.1", "cu128", "0.36.0", dest);

        assertThat(r.exit).as(r.output).isZero();
        try (var listing = Files.list(dest)) {
            assertThat(listing.map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrder(
                            "libtorch.so", "libtorch_cuda.so", "libc10_cuda.so", "0.36.0-libdjl_torch.so", "FETCHED");
        }
        assertThat(Files.readString(dest.resolve("libtorch.so")))
                .isEqualTo("content of cu128/linux-x86_64/native/lib/libtorch.so.gz");
        assertThat(Files.readString(dest.resolve("0.36.0-libdjl_torch.so"))).isEqualTo("jni cu128");
        assertThat(Files.readString(dest.resolve("FETCHED"))).contains("flavor=cu128", "djl=0.36.0", "files=3");
        assertThat(requested).noneMatch(p -> p.contains("/cpu/") || p.contains("cu126") || p.contains("aarch64"));
    }

    @Test
    void aFlavourTheCdnDoesNotHaveFailsTheBuild() throws Exception {
        Result r = run("2.7.1", "cu999", "0.36.0", dir.resolve("none"));

        assertThat(r.exit).isNotZero();
        assertThat(r.output).contains("no cu999/linux-x86_64 libraries listed");
    }

    @Test
    void aMissingJniLibraryFailsTheBuild() throws Exception {
        files.remove("/pytorch/2.7.1/jnilib/0.36.0/linux-x86_64/cu128/libdjl_torch.so");
        Result r = run("2.7.1", "cu128", "0.36.0", dir.resolve("nojni"));

        assertThat(r.exit).isNotZero();
        assertThat(dir.resolve("nojni").resolve("FETCHED")).doesNotExist();
    }

    private record Result(int exit, String output) {}

    private Result run(String version, String flavor, String djl, Path dest) throws Exception {
        String base = "http://127.0.0.1:" + server.getAddress().getPort() + "/pytorch";
        Process p = new ProcessBuilder(
                        "sh",
                        RenderedManifests.repoRoot()
                                .resolve("deploy/docker/fetch-libtorch.sh")
                                .toString(),
                        version,
                        flavor,
                        djl,
                        dest.toString(),
                        base)
                .redirectErrorStream(true)
                .start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("script finished").isTrue();
        return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    private static byte[] gzip(String s) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(s.getBytes(StandardCharsets.UTF_8));
        }
        return out.toByteArray();
    }
}
