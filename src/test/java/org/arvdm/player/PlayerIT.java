package org.arvdm.player;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

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
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "arvdm.device=cpu",
            "arvdm.evaluation.set-dir=models/eval",
            "arvdm.default-model=maze-prepend-16-pose",
            "arvdm.keep-alive=1s",
            "arvdm.sessions.max-sessions=" + PlayerIT.MAX_SESSIONS
        })
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PlayerIT extends PlayerPage {
    /** Sessions the service admits at once: the page's session and its fork. */
    static final int MAX_SESSIONS = 2;

    static final List<String> MODELS = List.of("maze-prepend-16-pose", "maze-compressed-joint-16", "maze2-unet-1");

    /**
     * Three bundles rather than all of models/: startup stays short, the page lists more than one,
     * and one of them (maze2-unet-1) is of another world than the others.
     */
    @DynamicPropertySource
    static void models(DynamicPropertyRegistry registry) throws IOException {
        Path dir = modelDir(MODELS);
        registry.add("arvdm.model-dir", dir::toString);
    }

    @Test
    @Order(1)
    void pageLoadsWithoutConsoleErrorsAndListsModelsAndClips() throws Exception {
        load();
        assertThat(consoleErrors()).as("console errors after loading the page").isEmpty();
        Select model = new Select(el("model"));
        assertThat(model.getOptions().stream()
                        .map(o -> o.getDomAttribute("value"))
                        .toList())
                .containsExactlyInAnyOrderElementsOf(MODELS);
        assertThat(model.getFirstSelectedOption().getDomAttribute("value")).isEqualTo("maze-prepend-16-pose");
        assertThat(el("model-info").getText()).contains("prepend");
        Select clip = new Select(el("clip"));
        assertThat(clip.getOptions().stream()
                        .map(o -> o.getDomAttribute("value"))
                        .toList())
                .contains("accumulation/accumulation-00", "retrieval/" + firstTrajectory("retrieval"))
                .noneMatch(v -> v.startsWith("v2-"));
        clip.selectByValue("accumulation/accumulation-02");
        await("the clip's last frame on the preview canvas", () -> distinctColours(pixels("clip-preview")) > 3);
        model.selectByValue("maze2-unet-1");
        assertThat(new Select(el("clip"))
                        .getOptions().stream()
                                .map(o -> o.getDomAttribute("value"))
                                .toList())
                .as("the clips offered for a world v2 bundle")
                .contains("v2-accumulation/v2-accumulation-00")
                .allMatch(v -> v.startsWith("v2-"));
        model.selectByValue("maze-compressed-joint-16");
        assertThat(el("model-info").getText()).contains("compressed_joint");
        assertThat(consoleErrors())
                .as("console errors after choosing a model and a clip")
                .isEmpty();
        assertThat(unlabelledControls()).as("controls without a label").isEmpty();
        assertThat(foreignRequests()).as("requests that leave the service").isEmpty();
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
        assertThat(differing(before, after))
                .as("canvas pixels changed by the turn, of " + before.size() / 4)
                .isGreaterThan(before.size() / 4 / 10);
        assertThat(el("hud-latency").getText()).matches("\\d+ ms / \\d+ ms.*");
        assertThat(consoleErrors()).as("console errors while playing").isEmpty();
    }

    @Test
    @Order(3)
    void forkShowsASecondCanvasThatPlays() throws Exception {
        assertThat(el("view-fork").isDisplayed()).isFalse();
        el("fork").click();
        await(
                "the fork's canvas is shown",
                () -> el("view-fork").isDisplayed() && !el("fork-id").getText().equals("–"));
        assertThat(el("fork-id").getText()).isNotEqualTo(el("main-id").getText());
        assertThat(driver.findElement(By.cssSelector("input[name=target][value=both]"))
                        .isSelected())
                .as("keys go to both after a fork")
                .isTrue();
        int main = frames("screen");
        // Keys go to both: the fork continues the original's history, so its frame count follows.
        sent = press("w", 2, "screen", sent, lag);
        await("the fork plays: frames drawn on its canvas", () -> frames("screen-fork") >= sent - lag);
        assertThat(frames("screen")).isEqualTo(main + 2);
        assertThat(distinctColours(pixels("screen-fork")))
                .as("colours on the fork's canvas")
                .isGreaterThan(3);
        // Only the fork: it turns, the original does not move.
        driver.findElement(By.cssSelector("input[name=target][value=fork]")).click();
        int forkSent = press(Keys.ARROW_LEFT, lag + 2, "screen-fork", sent, lag);
        assertThat(frames("screen")).as("the original got no action").isEqualTo(sent - lag);
        assertThat(differing(pixels("screen"), pixels("screen-fork")))
                .as("the fork's future differs")
                .isPositive();
        driver.findElement(By.cssSelector("input[name=target][value=both]")).click();
        forkSent = press("w", 1, "screen-fork", forkSent, lag);
        sent += 1;
        await("the original's frame", () -> frames("screen") >= sent - lag);
        assertThat(el("hud-frame").getText()).contains("fork");
        assertThat(foreignRequests())
                .as("requests that leave the service while playing")
                .isEmpty();
        screenshot();
        assertThat(consoleErrors()).as("console errors while forking").isEmpty();
    }

    @Test
    @Order(4)
    void theDownloadIsAPlayableMp4() throws Exception {
        try {
            driver.executeCdpCommand(
                    "Browser.setDownloadBehavior", Map.of("behavior", "allow", "downloadPath", downloads.toString()));
        } catch (RuntimeException e) {
            // the download.default_directory preference applies anyway
        }
        el("download").click();
        await("the page says the recording is saved", () -> message().contains("Recording of the session saved"));
        String id = el("main-id").getText();
        Path file = downloads.resolve("arvdm-" + id + ".mp4");
        await("the recording downloaded to " + file, () -> Files.isRegularFile(file) && size(file) > 0);
        byte[] mp4 = Files.readAllBytes(file);
        assertThat(new String(mp4, 4, 4, java.nio.charset.StandardCharsets.US_ASCII))
                .as("MP4 ftyp box")
                .isEqualTo("ftyp");
        assertThat((long) mp4.length)
                .isEqualTo(Long.parseLong(el("download-link").getDomAttribute("data-bytes")));
        // Playable: jcodec demuxes and decodes its first frame, the frame size the service upscales to.
        java.awt.image.BufferedImage first = org.jcodec.api.awt.AWTFrameGrab.getFrame(file.toFile(), 0);
        assertThat(first.getWidth()).isBetween(96, 160);
        assertThat(consoleErrors()).as("console errors while downloading").isEmpty();
    }

    private String createStepSessionViaApi() throws Exception {
        Map<String, Object> body = Map.of("model", "maze-prepend-16-pose", "mode", "step", "context", context(CLIP));
        HttpResponse<String> res = http("POST", "/v1/sessions", body);
        return res.statusCode() == 201
                ? (String) JSON.readValue(res.body(), Map.class).get("id")
                : null;
    }

    @Test
    @Order(5)
    void aFullServiceShowsTheBusyMessageWithTheRetrySeconds() throws Exception {
        el("stop").click();
        await(
                "the page ended its session and fork",
                () -> !el("stop").isEnabled()
                        && el("hud-status").getText().startsWith("ended")
                        && el("view-fork").getDomAttribute("hidden") != null);
        List<String> others = new ArrayList<>();
        try {
            // The page's DELETEs free the places; take them all through the API.
            new WebDriverWait(driver, WAIT)
                    .withMessage("the API takes every session place")
                    .until(d -> {
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
            assertThat(http(
                                    "POST",
                                    "/v1/sessions",
                                    Map.of("model", "maze-prepend-16-pose", "mode", "step", "context", context(CLIP)))
                            .statusCode())
                    .isEqualTo(429);
            el("start").click();
            await(
                    "the busy message",
                    () -> el("message").getDomAttribute("class").equals("busy")
                            && message().startsWith("The service is busy"));
            assertThat(message()).matches("The service is busy: all 2 session places are taken.* Retry in \\d+ s\\.");
            assertThat(el("stop").isEnabled()).as("no session is playing").isFalse();
        } finally {
            for (String id : others) {
                http("DELETE", "/v1/sessions/" + id, null);
            }
        }
        assertThat(consoleErrorsExcept("status of 429"))
                .as("console errors besides the 429")
                .isEmpty();
    }

    /**
     * With the keyboard alone (Tab, the arrow keys, Enter): step mode chosen, the session started,
     * keys and an on-screen button played; then the session is deleted through the API behind the
     * page's back, which the page shows as ended, not a stall.
     */
    @Test
    @Order(6)
    void theKeyboardAlonePlaysAndASessionEndedBehindThePagesBackIsShownNotAStall() throws Exception {
        load();
        assertThat(new Select(el("model")).getFirstSelectedOption().getDomAttribute("value"))
                .isEqualTo("maze-prepend-16-pose");
        tabTo("input[name=mode]:checked");
        type(Keys.ARROW_RIGHT, 1); // realtime -> step
        assertThat(driver.findElement(By.cssSelector("input[name=mode][value=step]"))
                        .isSelected())
                .isTrue();
        tabTo("#start");
        type(Keys.ENTER, 1);
        await(
                "the session starts",
                () -> !el("main-id").getText().equals("–")
                        && el("hud-status").getText().startsWith("playing"));
        lag = lag();
        assertThat(driver.switchTo().activeElement().getDomAttribute("id"))
                .as("the focus after Start")
                .isEqualTo("screen");
        type("w", lag);
        tabTo("#pad button[data-action=forward]");
        type(Keys.ENTER, 1); // the on-screen button, pressed from the keyboard
        sent = awaitFrames("screen", lag + 1, lag);
        assertThat(frames("screen")).isEqualTo(1);
        String id = el("main-id").getText();
        assertThat(http("DELETE", "/v1/sessions/" + id, null).statusCode()).isEqualTo(204);
        await("the page says the session ended", () -> message().contains("Start a new session to play on"));
        assertThat(message()).contains("ended on the service");
        assertThat(el("hud-status").getText()).startsWith("ended");
        assertThat(el("fork").isEnabled()).as("nothing left to fork").isFalse();
        assertThat(consoleErrorsExcept("status of 404"))
                .as("console errors besides the 404")
                .isEmpty();
    }

    @Test
    @Order(7)
    void aLostConnectionIsShownAndTheStreamResumesAfterTheLastFrame() throws Exception {
        try (Relay relay = new Relay(port)) {
            loadFrom("http://127.0.0.1:" + relay.port());
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
            await(
                    "the page reconnects",
                    () -> message().contains("Reconnected")
                            || el("hud-status").getText().startsWith("playing"));
            sent = press("d", 2, "screen", sent, lag);
            assertThat(Integer.parseInt(el("screen").getDomAttribute("data-last-index")))
                    .as("resumed after frame " + last + " with no gap")
                    .isEqualTo(last + 2);
            assertThat(consoleErrorsExcept("net::"))
                    .as("console errors besides the cut connections")
                    .isEmpty();
            el("stop").click();
            await("the page ended its session", () -> el("hud-status").getText().startsWith("ended"));
        }
    }

    private String firstTrajectory(String set) throws Exception {
        Map<?, ?> list = JSON.readValue(
                http("GET", "/v1/evaluation-sets/" + set + "/trajectories", null)
                        .body(),
                Map.class);
        return (String) ((Map<?, ?>) ((List<?>) list.get("trajectories")).get(0)).get("id");
    }
}
