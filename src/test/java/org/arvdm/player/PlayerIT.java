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
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Level;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.arvdm.model.ModelRegistry;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.json.JsonMapper;

/**
 * The player page (src/main/resources/static) in a real browser: Debian's chromium, driven by
 * Selenium through Debian's chromedriver, against the whole service on a random port with two
 * of the bundled maze models and the bundled evaluation sets. Runs in {@code mvn verify}
 * (failsafe); skipped, with the reason, where chromium or chromedriver is not installed
 * ({@code .ci/run} installs both).
 *
 * <p>The screenshot taken mid-game goes to {@code target/player.png}, and to the path in
 * {@code -Darvdm.player.screenshot} (README's is made with {@code =docs/player.png}).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "arvdm.device=cpu",
        "arvdm.evaluation.set-dir=models/eval",
        "arvdm.default-model=maze-prepend-16-pose",
        "arvdm.keep-alive=1s",
        "arvdm.sessions.max-sessions=" + PlayerIT.MAX_SESSIONS})
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PlayerIT {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    /** Sessions the service admits at once: the page's session and its fork. */
    static final int MAX_SESSIONS = 2;
    static final List<String> MODELS = List.of("maze-prepend-16-pose", "maze-compressed-joint-16");
    static final Duration WAIT = Duration.ofSeconds(60);
    /** Frames on this loaded 2-core machine: the first ones (model warm-up) took over a minute. */
    static final Duration FRAME_WAIT = Duration.ofSeconds(240);
    static final JsonMapper JSON = JsonMapper.builder().build();
    /** The context clip the games start from. */
    static final String CLIP = "accumulation/accumulation-02";

    static Path modelDir;
    static Path downloads;
    static ChromeDriver driver;

    @LocalServerPort
    int port;
    @Autowired
    ModelRegistry registry;

    /** Two bundles rather than all of models/: startup stays short, and the page lists more than one. */
    @DynamicPropertySource
    static void models(DynamicPropertyRegistry registry) throws IOException {
        modelDir = Files.createTempDirectory("arvdm-player-models");
        for (String m : MODELS) {
            Files.createSymbolicLink(modelDir.resolve(m), Path.of("models", m).toAbsolutePath());
        }
        registry.add("arvdm.model-dir", () -> modelDir.toString());
    }

    @BeforeAll
    static void browser() throws IOException {
        Assumptions.assumeTrue(Files.isExecutable(CHROMIUM), "skipped: the browser test needs Debian's chromium ("
                + CHROMIUM + " is absent); apt-get install chromium chromium-driver, as .ci/run does");
        assertThat(CHROMEDRIVER).as("chromium is installed but its driver is not: apt-get install chromium-driver")
                .isExecutable();
        downloads = Files.createTempDirectory("arvdm-player-downloads");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                "--window-size=1440,900", "--user-data-dir=" + Files.createTempDirectory("arvdm-player-chromium"));
        options.setExperimentalOption("prefs", Map.of(
                "download.default_directory", downloads.toString(),
                "download.prompt_for_download", false));
        options.setCapability("goog:loggingPrefs", Map.of(LogType.BROWSER, "ALL"));
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        driver = new ChromeDriver(service, options);
    }

    @AfterAll
    static void close() {
        if (driver != null) {
            driver.quit();
        }
    }

    private String base() {
        return "http://localhost:" + port;
    }

    private WebElement el(String id) {
        return driver.findElement(By.id(id));
    }

    private void await(String what, java.util.function.BooleanSupplier condition) {
        await(what, WAIT, condition);
    }

    private void await(String what, Duration wait, java.util.function.BooleanSupplier condition) {
        new WebDriverWait(driver, wait).withMessage(() -> what + "; page message: "
                + el("message").getText()).until(d -> condition.getAsBoolean());
    }

    private int frames(String canvasId) {
        String v = el(canvasId).getDomAttribute("data-frames");
        return v == null ? 0 : Integer.parseInt(v);
    }

    /** The canvas's RGBA pixels, as the page drew them. */
    private List<Long> pixels(String canvasId) {
        @SuppressWarnings("unchecked")
        List<Long> p = (List<Long>) ((JavascriptExecutor) driver).executeScript(
                "const c = document.getElementById(arguments[0]);"
                        + "return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data);", canvasId);
        return p;
    }

    private static long differing(List<Long> a, List<Long> b) {
        long n = 0;
        for (int i = 0; i < a.size(); i += 4) {
            if (!a.get(i).equals(b.get(i)) || !a.get(i + 1).equals(b.get(i + 1)) || !a.get(i + 2).equals(b.get(i + 2))) {
                n++;
            }
        }
        return n;
    }

    private static long distinctColours(List<Long> p) {
        java.util.Set<Long> colours = new java.util.HashSet<>();
        for (int i = 0; i < p.size(); i += 4) {
            colours.add((p.get(i) << 16) | (p.get(i + 1) << 8) | p.get(i + 2));
        }
        return colours.size();
    }

    private List<LogEntry> consoleErrors() {
        return driver.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue()).toList();
    }

    /** The session's schedule lag as the HUD shows it ("3 frames"): step mode gives frame i once action i + lag is in. */
    private int lag() {
        await("the HUD shows the schedule lag", () -> el("hud-lag").getText().matches("\\d+ frames?.*"));
        return Integer.parseInt(el("hud-lag").getText().split(" ")[0]);
    }

    /**
     * Presses a key {@code times} times on the canvas (step mode: one action each) and waits for the
     * frames those actions complete: with {@code sent} actions sent before, frame i comes once action
     * i + lag is in, so the canvas holds {@code sent + times - lag} frames.
     */
    private int press(CharSequence key, int times, String canvasId, int sent, int lag) {
        WebElement canvas = el(canvasId);
        for (int i = 0; i < times; i++) {
            canvas.sendKeys(key);
        }
        int target = sent + times - lag;
        await(target + " frames on " + canvasId + " after " + (sent + times) + " key presses (lag " + lag + ")",
                FRAME_WAIT, () -> frames(canvasId) >= target);
        return sent + times;
    }

    /** Console errors other than the failed requests a test provoked on purpose (a 429, a 404, going offline). */
    private List<LogEntry> consoleErrorsExcept(String... expected) {
        return consoleErrors().stream().filter(e -> Stream.of(expected).noneMatch(x -> e.getMessage().contains(x)))
                .toList();
    }

    private Map<?, ?> context(String clip) throws Exception {
        String[] p = clip.split("/");
        return JSON.readValue(http("GET", "/v1/evaluation-sets/" + p[0] + "/trajectories/" + p[1] + "/context", null)
                .body(), Map.class);
    }

    /** Chooses the model, clip and step mode on the page and starts a session; returns its schedule lag. */
    private int startStepSession() {
        new Select(el("model")).selectByValue("maze-prepend-16-pose");
        new Select(el("clip")).selectByValue(CLIP);
        driver.findElement(By.cssSelector("input[name=mode][value=step]")).click();
        el("start").click();
        await("the session starts", () -> !el("main-id").getText().equals("–")
                && el("hud-status").getText().startsWith("playing"));
        return lag();
    }

    private String message() {
        WebElement m = el("message");
        return m.isDisplayed() ? m.getText() : "";
    }

    private void screenshot() throws IOException {
        byte[] png = ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES);
        Files.createDirectories(Path.of("target"));
        Files.write(Path.of("target", "player.png"), png);
        String to = System.getProperty("arvdm.player.screenshot");
        if (to != null && !to.isBlank()) {
            Path p = Path.of(to).toAbsolutePath();
            Files.createDirectories(p.getParent());
            Files.write(p, png);
        }
    }

    private HttpResponse<String> http(String method, String path, Object body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base() + path)).timeout(WAIT)
                .header("Accept", "application/json");
        if (body != null) {
            b.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private void load() throws Exception {
        assertThat(registry.awaitLoaded(WAIT)).as("models loaded").isTrue();
        driver.get(base() + "/");
        await("the page loads models and clips", () -> "true".equals(
                driver.findElement(By.tagName("body")).getDomAttribute("data-ready")));
    }

    @Test
    @Order(1)
    void pageLoadsWithoutConsoleErrorsAndListsModelsAndClips() throws Exception {
        load();
        assertThat(consoleErrors()).as("console errors after loading the page").isEmpty();
        Select model = new Select(el("model"));
        assertThat(model.getOptions().stream().map(o -> o.getDomAttribute("value")).toList())
                .containsExactlyInAnyOrderElementsOf(MODELS);
        assertThat(model.getFirstSelectedOption().getDomAttribute("value")).isEqualTo("maze-prepend-16-pose");
        assertThat(el("model-info").getText()).contains("prepend");
        Select clip = new Select(el("clip"));
        assertThat(clip.getOptions().stream().map(o -> o.getDomAttribute("value")).toList())
                .contains("accumulation/accumulation-00", "retrieval/" + firstTrajectory("retrieval"));
        clip.selectByValue("accumulation/accumulation-02");
        await("the clip's last frame on the preview canvas", () -> distinctColours(pixels("clip-preview")) > 3);
        model.selectByValue("maze-compressed-joint-16");
        assertThat(el("model-info").getText()).contains("compressed_joint");
        assertThat(consoleErrors()).as("console errors after choosing a model and a clip").isEmpty();
    }

    /** Actions the page's session has been sent, across the ordered tests that play it. */
    static int sent;
    static int lag;

    @Test
    @Order(2)
    void aSessionStartsAndKeyPressesProduceFramesAndATurnChangesTheCanvas() throws Exception {
        load();
        lag = startStepSession();
        assertThat(el("hud-mode").getText()).isEqualTo("step");
        assertThat(el("hud-schedule").getText()).contains("w=", "M_ar=");
        assertThat(el("hud-model").getText()).contains("maze-prepend-16-pose");
        assertThat(frames("screen")).isZero();
        sent = press("w", lag + 2, "screen", 0, lag); // W A S D ...
        sent = press(Keys.ARROW_UP, 1, "screen", sent, lag); // ... and the arrow keys
        await("the HUD names the newest frame", () -> el("hud-frame").getText().equals(String.valueOf(sent - lag - 1)));
        List<Long> before = pixels("screen");
        assertThat(distinctColours(before)).as("colours of a drawn frame").isGreaterThan(3);
        // Turn right, then pad with waits (Space) so the turn's frames come out of the window.
        sent = press(Keys.ARROW_RIGHT, 2, "screen", sent, lag);
        sent = press("d", 1, "screen", sent, lag);
        sent = press(Keys.SPACE, lag, "screen", sent, lag);
        List<Long> after = pixels("screen");
        assertThat(differing(before, after)).as("canvas pixels changed by the turn, of " + before.size() / 4)
                .isGreaterThan(before.size() / 4 / 10);
        assertThat(el("hud-latency").getText()).matches("\\d+ ms / \\d+ ms.*");
        assertThat(consoleErrors()).as("console errors while playing").isEmpty();
    }

    @Test
    @Order(3)
    void forkShowsASecondCanvasThatPlays() throws Exception {
        assertThat(el("view-fork").isDisplayed()).isFalse();
        el("fork").click();
        await("the fork's canvas is shown", () -> el("view-fork").isDisplayed()
                && !el("fork-id").getText().equals("–"));
        assertThat(el("fork-id").getText()).isNotEqualTo(el("main-id").getText());
        assertThat(driver.findElement(By.cssSelector("input[name=target][value=both]")).isSelected())
                .as("keys go to both after a fork").isTrue();
        int main = frames("screen");
        // Keys go to both: the fork continues the original's history, so its frame count follows.
        sent = press("w", 2, "screen", sent, lag);
        await("the fork plays: frames drawn on its canvas", () -> frames("screen-fork") >= sent - lag);
        assertThat(frames("screen")).isEqualTo(main + 2);
        assertThat(distinctColours(pixels("screen-fork"))).as("colours on the fork's canvas").isGreaterThan(3);
        // Only the fork: it turns, the original does not move.
        driver.findElement(By.cssSelector("input[name=target][value=fork]")).click();
        int forkSent = press(Keys.ARROW_LEFT, lag + 2, "screen-fork", sent, lag);
        assertThat(frames("screen")).as("the original got no action").isEqualTo(sent - lag);
        assertThat(differing(pixels("screen"), pixels("screen-fork"))).as("the fork's future differs")
                .isPositive();
        driver.findElement(By.cssSelector("input[name=target][value=both]")).click();
        forkSent = press("w", 1, "screen-fork", forkSent, lag);
        sent += 1;
        await("the original's frame", () -> frames("screen") >= sent - lag);
        assertThat(el("hud-frame").getText()).contains("fork");
        screenshot();
        assertThat(consoleErrors()).as("console errors while forking").isEmpty();
    }

    @Test
    @Order(4)
    void theDownloadIsAPlayableMp4() throws Exception {
        try {
            driver.executeCdpCommand("Browser.setDownloadBehavior",
                    Map.of("behavior", "allow", "downloadPath", downloads.toString()));
        } catch (RuntimeException e) {
            // the download.default_directory preference applies anyway
        }
        el("download").click();
        await("the page says the recording is saved", () -> message().contains("Recording of the session saved"));
        String id = el("main-id").getText();
        Path file = downloads.resolve("arvdm-" + id + ".mp4");
        await("the recording downloaded to " + file, () -> Files.isRegularFile(file) && size(file) > 0);
        byte[] mp4 = Files.readAllBytes(file);
        assertThat(new String(mp4, 4, 4, java.nio.charset.StandardCharsets.US_ASCII)).as("MP4 ftyp box")
                .isEqualTo("ftyp");
        assertThat((long) mp4.length).isEqualTo(Long.parseLong(el("download-link").getDomAttribute("data-bytes")));
        // Playable: jcodec demuxes and decodes its first frame, the frame size the service upscales to.
        java.awt.image.BufferedImage first = org.jcodec.api.awt.AWTFrameGrab.getFrame(file.toFile(), 0);
        assertThat(first.getWidth()).isBetween(96, 160);
        assertThat(consoleErrors()).as("console errors while downloading").isEmpty();
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return 0;
        }
    }

    private String createStepSessionViaApi() throws Exception {
        Map<String, Object> body = Map.of("model", "maze-prepend-16-pose", "mode", "step", "context", context(CLIP));
        HttpResponse<String> res = http("POST", "/v1/sessions", body);
        return res.statusCode() == 201 ? (String) JSON.readValue(res.body(), Map.class).get("id") : null;
    }

    @Test
    @Order(5)
    void aFullServiceShowsTheBusyMessageWithTheRetrySeconds() throws Exception {
        el("stop").click();
        await("the page ended its session and fork", () -> !el("stop").isEnabled()
                && el("hud-status").getText().startsWith("ended") && el("view-fork").getDomAttribute("hidden") != null);
        List<String> others = new ArrayList<>();
        try {
            // The page's DELETEs free the places; take them all through the API.
            new WebDriverWait(driver, WAIT).withMessage("the API takes every session place").until(d -> {
                try {
                    String id = createStepSessionViaApi();
                    if (id != null) {
                        others.add(id);
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                return others.size() == MAX_SESSIONS;
            });
            assertThat(http("POST", "/v1/sessions", Map.of("model", "maze-prepend-16-pose", "mode", "step",
                    "context", context(CLIP))).statusCode()).isEqualTo(429);
            el("start").click();
            await("the busy message", () -> el("message").getDomAttribute("class").equals("busy")
                    && message().startsWith("The service is busy"));
            assertThat(message()).matches("The service is busy: all 2 session places are taken.* Retry in \\d+ s\\.");
            assertThat(el("stop").isEnabled()).as("no session is playing").isFalse();
        } finally {
            for (String id : others) {
                http("DELETE", "/v1/sessions/" + id, null);
            }
        }
        assertThat(consoleErrorsExcept("status of 429")).as("console errors besides the 429").isEmpty();
    }

    @Test
    @Order(6)
    void aSessionEndedBehindThePagesBackIsShownNotAStall() throws Exception {
        load();
        lag = startStepSession();
        sent = press("w", lag + 1, "screen", 0, lag);
        String id = el("main-id").getText();
        assertThat(http("DELETE", "/v1/sessions/" + id, null).statusCode()).isEqualTo(204);
        await("the page says the session ended", () -> message().contains("Start a new session to play on"));
        assertThat(message()).containsAnyOf("ended on the service", "expired");
        assertThat(el("hud-status").getText()).startsWith("ended");
        assertThat(el("fork").isEnabled()).as("nothing left to fork").isFalse();
        assertThat(consoleErrorsExcept("status of 404")).as("console errors besides the 404").isEmpty();
    }

    @Test
    @Order(7)
    void aLostConnectionIsShownAndTheStreamResumesAfterTheLastFrame() throws Exception {
        try (Relay relay = new Relay(port)) {
            driver.get("http://127.0.0.1:" + relay.port() + "/");
            await("the page loads through the relay", () -> "true".equals(
                    driver.findElement(By.tagName("body")).getDomAttribute("data-ready")));
            lag = startStepSession();
            sent = press("w", lag + 2, "screen", 0, lag);
            int last = frames("screen") - 1;
            relay.cut();
            try {
                await("the page says the connection is lost", () -> message().contains("Lost the connection"));
                assertThat(el("hud-status").getText()).containsAnyOf("reconnecting", "disconnected");
            } finally {
                relay.restore();
            }
            await("the page reconnects", () -> message().contains("Reconnected")
                    || el("hud-status").getText().startsWith("playing"));
            sent = press("d", 2, "screen", sent, lag);
            assertThat(Integer.parseInt(el("screen").getDomAttribute("data-last-index")))
                    .as("resumed after frame " + last + " with no gap").isEqualTo(last + 2);
            assertThat(consoleErrorsExcept("net::")).as("console errors besides the cut connections").isEmpty();
            el("stop").click();
            await("the page ended its session", () -> el("hud-status").getText().startsWith("ended"));
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
            Thread t = new Thread(() -> {
                try (from; to) {
                    from.getInputStream().transferTo(to.getOutputStream());
                } catch (IOException e) {
                    // cut
                }
                open.remove(from);
                open.remove(to);
            }, "player-relay-pump");
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

    private String firstTrajectory(String set) throws Exception {
        Map<?, ?> list = JSON.readValue(http("GET", "/v1/evaluation-sets/" + set + "/trajectories", null).body(),
                Map.class);
        return (String) ((Map<?, ?>) ((List<?>) list.get("trajectories")).get(0)).get("id");
    }
}
