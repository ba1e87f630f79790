package org.arvdm.player;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
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
    static final JsonMapper JSON = JsonMapper.builder().build();

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
        new WebDriverWait(driver, WAIT).withMessage(() -> what + "; page message: "
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

    private void press(CharSequence key, int times, String canvasId, int framesBefore) {
        WebElement canvas = el(canvasId);
        for (int i = 0; i < times; i++) {
            int target = framesBefore + i + 1;
            canvas.sendKeys(key);
            await("frame " + target + " on " + canvasId + " after key press " + (i + 1), () -> frames(canvasId) >= target);
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

    private String firstTrajectory(String set) throws Exception {
        Map<?, ?> list = JSON.readValue(http("GET", "/v1/evaluation-sets/" + set + "/trajectories", null).body(),
                Map.class);
        return (String) ((Map<?, ?>) ((List<?>) list.get("trajectories")).get(0)).get("id");
    }
}
