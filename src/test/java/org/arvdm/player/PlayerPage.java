package org.arvdm.player;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Level;
import java.util.stream.Stream;
import org.arvdm.model.ModelRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.json.JsonMapper;

/**
 * What the browser tests of the player page share: Debian's chromium driven by Selenium through
 * Debian's chromedriver (skipped, with the reason, where chromium is not installed; {@code .ci/run}
 * installs both), helpers to read the page, and a TCP relay that cuts the connection. Each
 * subclass is a {@code @SpringBootTest} on a random port with the service settings it needs.
 */
abstract class PlayerPage {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    static final Duration WAIT = Duration.ofSeconds(60);
    /** Frames on this loaded 2-core machine: the first ones (model warm-up) took over a minute. */
    static final Duration FRAME_WAIT = Duration.ofSeconds(240);

    static final JsonMapper JSON = JsonMapper.builder().build();
    /** The context clip the games start from. */
    static final String CLIP = "accumulation/accumulation-02";

    static Path downloads;
    static ChromeDriver driver;

    @LocalServerPort
    int port;

    @Autowired
    ModelRegistry registry;

    /** A model folder holding links to the named bundles of models/ (startup stays short). */
    static Path modelDir(List<String> models) throws IOException {
        Path dir = Files.createTempDirectory("arvdm-player-models");
        for (String m : models) {
            Files.createSymbolicLink(dir.resolve(m), Path.of("models", m).toAbsolutePath());
        }
        return dir;
    }

    @BeforeAll
    static void browser() throws IOException {
        Assumptions.assumeTrue(
                Files.isExecutable(CHROMIUM),
                "skipped: the browser test needs Debian's chromium (" + CHROMIUM
                        + " is absent); apt-get install chromium chromium-driver, as .ci/run does");
        assertThat(CHROMEDRIVER)
                .as("chromium is installed but its driver is not: apt-get install chromium-driver")
                .isExecutable();
        downloads = Files.createTempDirectory("arvdm-player-downloads");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments(
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-dev-shm-usage",
                "--window-size=1440,900",
                "--user-data-dir=" + Files.createTempDirectory("arvdm-player-chromium"));
        options.setExperimentalOption(
                "prefs",
                Map.of("download.default_directory", downloads.toString(), "download.prompt_for_download", false));
        options.setCapability("goog:loggingPrefs", Map.of(LogType.BROWSER, "ALL"));
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort()
                .build();
        driver = new ChromeDriver(service, options);
    }

    @AfterAll
    static void close() {
        if (driver != null) {
            driver.quit();
            driver = null;
        }
    }

    String base() {
        return "http://localhost:" + port;
    }

    WebElement el(String id) {
        return driver.findElement(By.id(id));
    }

    void await(String what, java.util.function.BooleanSupplier condition) {
        await(what, WAIT, condition);
    }

    void await(String what, Duration wait, java.util.function.BooleanSupplier condition) {
        new WebDriverWait(driver, wait)
                .withMessage(() -> what + "; page message: " + el("message").getText())
                .until(d -> condition.getAsBoolean());
    }

    int frames(String canvasId) {
        String v = el(canvasId).getDomAttribute("data-frames");
        return v == null ? 0 : Integer.parseInt(v);
    }

    /** The canvas's RGBA pixels, as the page drew them. */
    List<Long> pixels(String canvasId) {
        @SuppressWarnings("unchecked")
        List<Long> p = (List<Long>) ((JavascriptExecutor) driver)
                .executeScript(
                        "const c = document.getElementById(arguments[0]);"
                                + "return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data);",
                        canvasId);
        return p;
    }

    static long differing(List<Long> a, List<Long> b) {
        long n = 0;
        for (int i = 0; i < a.size(); i += 4) {
            if (!a.get(i).equals(b.get(i))
                    || !a.get(i + 1).equals(b.get(i + 1))
                    || !a.get(i + 2).equals(b.get(i + 2))) {
                n++;
            }
        }
        return n;
    }

    static long distinctColours(List<Long> p) {
        java.util.Set<Long> colours = new java.util.HashSet<>();
        for (int i = 0; i < p.size(); i += 4) {
            colours.add((p.get(i) << 16) | (p.get(i + 1) << 8) | p.get(i + 2));
        }
        return colours.size();
    }

    List<LogEntry> consoleErrors() {
        return driver.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue())
                .toList();
    }

    /** The session's schedule lag as the HUD shows it ("3 frames"): step mode gives frame i once action i + lag is in. */
    int lag() {
        await("the HUD shows the schedule lag", () -> el("hud-lag").getText().matches("\\d+ frames?.*"));
        return Integer.parseInt(el("hud-lag").getText().split(" ")[0]);
    }

    /**
     * Presses a key {@code times} times on the canvas (step mode: one action each) and waits for the
     * frames those actions complete: with {@code sent} actions sent before, frame i comes once action
     * i + lag is in, so the canvas holds {@code sent + times - lag} frames; returns the actions sent.
     */
    int press(CharSequence key, int times, String canvasId, int sent, int lag) {
        WebElement canvas = el(canvasId);
        for (int i = 0; i < times; i++) {
            canvas.sendKeys(key);
        }
        return awaitFrames(canvasId, sent + times, lag);
    }

    /** Waits for the frames {@code sent} actions complete (frame i once action i + lag is in); returns sent. */
    int awaitFrames(String canvasId, int sent, int lag) {
        int target = sent - lag;
        await(
                target + " frames on " + canvasId + " after " + sent + " actions (lag " + lag + ")",
                FRAME_WAIT,
                () -> frames(canvasId) >= target);
        return sent;
    }

    /** Presses a key {@code times} times on whatever has the focus, as a person at the keyboard does. */
    void type(CharSequence key, int times) {
        for (int i = 0; i < times; i++) {
            new Actions(driver).sendKeys(key).perform();
        }
    }

    /** Presses Tab until the element matching the CSS {@code selector} has the focus. */
    void tabTo(String selector) {
        for (int i = 0; i < 60; i++) {
            if (Boolean.TRUE.equals(driver.executeScript(
                    "return document.activeElement !== null && document.activeElement.matches(arguments[0]);",
                    selector))) {
                return;
            }
            type(Keys.TAB, 1);
        }
        throw new AssertionError("Tab never reached " + selector + "; the focus is on "
                + driver.executeScript("return document.activeElement.outerHTML.slice(0, 120);"));
    }

    /**
     * Controls a screen reader could not name: inputs, selects, buttons and focusable canvases
     * without a label, an aria-label or (buttons) text.
     */
    List<String> unlabelledControls() {
        return strings("return Array.from(document.querySelectorAll('input, select, textarea, button, [tabindex]'))"
                + ".filter(e => !((e.labels && e.labels.length > 0)"
                + " || (e.getAttribute('aria-label') || '').trim() || e.getAttribute('aria-labelledby')"
                + " || (e.tagName === 'BUTTON' && e.textContent.trim())))"
                + ".map(e => e.outerHTML.slice(0, 120));");
    }

    /** The list of strings a script returns. */
    @SuppressWarnings("unchecked")
    private static List<String> strings(String script) {
        return (List<String>) driver.executeScript(script);
    }

    /**
     * Every URL the page fetched since the last call (resource timing: scripts, styles, images,
     * fetch, EventSource) or names in a src/href, that is not of the page's own origin (data: and
     * blob: URLs are the page's own). Empty when the page works offline.
     */
    List<String> foreignRequests() {
        return strings("const urls = performance.getEntriesByType('resource').map(e => e.name)"
                + ".concat(Array.from(document.querySelectorAll('[src], [href]')).map(e => e.src || e.href));"
                + "performance.clearResourceTimings(); performance.setResourceTimingBufferSize(10000);"
                + "return urls.filter(u => u && !u.startsWith(location.origin + '/')"
                + " && !u.startsWith('data:') && !u.startsWith('blob:'));");
    }

    /** Console errors other than the failed requests a test provoked on purpose (a 429, a 404, going offline). */
    List<LogEntry> consoleErrorsExcept(String... expected) {
        return consoleErrors().stream()
                .filter(e -> Stream.of(expected).noneMatch(x -> e.getMessage().contains(x)))
                .toList();
    }

    Map<?, ?> context(String clip) throws Exception {
        String[] p = clip.split("/");
        return JSON.readValue(
                http("GET", "/v1/evaluation-sets/" + p[0] + "/trajectories/" + p[1] + "/context", null)
                        .body(),
                Map.class);
    }

    /** Chooses the model, clip and step mode on the page and starts a session; returns its schedule lag. */
    int startStepSession() {
        new Select(el("model")).selectByValue("maze-prepend-16-pose");
        new Select(el("clip")).selectByValue(CLIP);
        driver.findElement(By.cssSelector("input[name=mode][value=step]")).click();
        el("start").click();
        await(
                "the session starts",
                () -> !el("main-id").getText().equals("–")
                        && el("hud-status").getText().startsWith("playing"));
        return lag();
    }

    String message() {
        WebElement m = el("message");
        return m.isDisplayed() ? m.getText() : "";
    }

    /**
     * A screenshot of the whole page from its top (the window grown to the page's height, then put
     * back), written to target/player.png and to {@code -Darvdm.player.screenshot}.
     */
    void screenshot() throws IOException {
        org.openqa.selenium.Dimension before = driver.manage().window().getSize();
        JavascriptExecutor js = driver;
        js.executeScript("window.scrollTo(0, 0); document.activeElement.blur();");
        long page = (Long) js.executeScript("return Math.ceil(document.documentElement.scrollHeight);");
        long chrome = (Long) js.executeScript("return Math.max(0, window.outerHeight - window.innerHeight);");
        byte[] png;
        try {
            driver.manage().window().setSize(new org.openqa.selenium.Dimension(before.getWidth(), (int)
                    (page + chrome)));
            js.executeScript("window.scrollTo(0, 0);");
            png = ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES);
        } finally {
            driver.manage().window().setSize(before);
        }
        Files.createDirectories(Path.of("target"));
        Files.write(Path.of("target", "player.png"), png);
        String to = System.getProperty("arvdm.player.screenshot");
        if (to != null && !to.isBlank()) {
            Path p = Path.of(to).toAbsolutePath();
            Files.createDirectories(p.getParent());
            Files.write(p, png);
        }
    }

    HttpResponse<String> http(String method, String path, Object body) throws Exception {
        HttpRequest.Builder b =
                HttpRequest.newBuilder(URI.create(base() + path)).timeout(WAIT).header("Accept", "application/json");
        if (body != null) {
            b.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    void load() throws Exception {
        assertThat(registry.awaitLoaded(WAIT)).as("models loaded").isTrue();
        loadFrom(base());
    }

    /** Loads the page from {@code origin} (the service, or a relay in front of it). */
    void loadFrom(String origin) {
        driver.get(origin + "/");
        await(
                "the page loads models and clips",
                () -> "true".equals(driver.findElement(By.tagName("body")).getDomAttribute("data-ready")));
    }

    static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return 0;
        }
    }

    /** A TCP relay between the browser and the service that the test cuts: a real lost connection. */
    static final class Relay implements AutoCloseable {
        private final ServerSocket server;
        private final int target;
        private final List<Socket> open = new CopyOnWriteArrayList<>();
        private volatile boolean refusing;

        Relay(int target) throws IOException {
            this.target = target;
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread t = new Thread(this::accept, "player-relay");
            t.setDaemon(true);
            t.start();
        }

        int port() {
            return server.getLocalPort();
        }

        private void accept() {
            while (!server.isClosed()) {
                try {
                    Socket in = server.accept();
                    if (refusing) {
                        in.close();
                        continue;
                    }
                    Socket out = new Socket(InetAddress.getLoopbackAddress(), target);
                    open.add(in);
                    open.add(out);
                    pump(in, out);
                    pump(out, in);
                } catch (IOException e) {
                    // the relay closed, or the service refused: the browser sees a failed request
                }
            }
        }

        private void pump(Socket from, Socket to) {
            Thread t = new Thread(
                    () -> {
                        try (from;
                                to) {
                            from.getInputStream().transferTo(to.getOutputStream());
                        } catch (IOException e) {
                            // cut
                        }
                        open.remove(from);
                        open.remove(to);
                    },
                    "player-relay-pump");
            t.setDaemon(true);
            t.start();
        }

        /** Drops every connection and refuses new ones until {@link #restore()}. */
        void cut() {
            refusing = true;
            for (Socket s : open) {
                try {
                    s.close();
                } catch (IOException e) {
                    // already closed
                }
            }
        }

        void restore() {
            refusing = false;
        }

        @Override
        public void close() throws IOException {
            cut();
            server.close();
        }
    }
}
