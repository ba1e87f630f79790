package org.arvdm.player;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.arvdm.session.SessionService;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.Select;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The page's messages for failures that need a service of their own (PlayerIT's would not keep
 * its sessions with a short idle timeout): a bundle that failed to load, named at page load, and
 * a session that expired by the idle timeout while the page had lost its connection, shown as
 * expired when the connection is back rather than as a stall.
 */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "arvdm.device=cpu",
            "arvdm.evaluation.set-dir=models/eval",
            "arvdm.default-model=maze-prepend-16-pose",
            "arvdm.keep-alive=1s",
            "arvdm.sessions.idle-timeout=" + PlayerFailuresIT.IDLE_TIMEOUT
        })
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PlayerFailuresIT extends PlayerPage {
    /** A session with no viewer and no action for this long expires. */
    static final String IDLE_TIMEOUT = "2s";
    /** A folder whose model.json is no bundle: it fails to load. */
    static final String BROKEN = "unloadable-bundle";

    @Autowired
    SessionService sessions;

    @DynamicPropertySource
    static void models(DynamicPropertyRegistry registry) throws IOException {
        Path dir = modelDir(List.of("maze-prepend-16-pose"));
        Files.createDirectories(dir.resolve(BROKEN));
        Files.writeString(dir.resolve(BROKEN).resolve("model.json"), "{\"id\": \"" + BROKEN + "\"}");
        registry.add("arvdm.model-dir", dir::toString);
    }

    @Test
    @Order(1)
    void aModelThatFailedToLoadIsNamedWithItsReason() throws Exception {
        load();
        assertThat(registry.failures()).containsKey(BROKEN);
        await("the page names the bundle that failed", () -> message().contains(BROKEN));
        assertThat(message())
                .startsWith("Not every model loaded: " + BROKEN + ": ")
                .contains(registry.failures().get(BROKEN));
        assertThat(el("message").getDomAttribute("class")).isEqualTo("error");
        WebElement option = new Select(el("model"))
                .getOptions().stream()
                        .filter(o -> BROKEN.equals(o.getDomAttribute("value")))
                        .findFirst()
                        .orElseThrow();
        assertThat(option.isEnabled()).as("the failed bundle cannot be chosen").isFalse();
        assertThat(option.getText()).contains("failed to load");
        assertThat(new Select(el("model")).getFirstSelectedOption().getDomAttribute("value"))
                .isEqualTo("maze-prepend-16-pose");
        assertThat(consoleErrors())
                .as("console errors on a page with a failed bundle")
                .isEmpty();
    }

    @Test
    @Order(2)
    void aSessionThatExpiredWhileTheConnectionWasLostIsShownAsExpired() throws Exception {
        try (Relay relay = new Relay(port)) {
            loadFrom("http://127.0.0.1:" + relay.port());
            int lag = startStepSession();
            press("w", lag + 1, "screen", 0, lag);
            String id = el("main-id").getText();
            relay.cut();
            try {
                await("the page says the connection is lost", () -> message().contains("Lost the connection"));
                // With its viewer gone, the session expires after the idle timeout.
                await("the service expires the session", () -> sessions.find(id).isEmpty());
            } finally {
                relay.restore();
            }
            await("the page says the session expired", () -> message().contains("expired"));
            assertThat(message())
                    .isEqualTo("The session expired: it was idle too long or its time ran out."
                            + " Start a new session to play on.");
            assertThat(el("message").getDomAttribute("class")).isEqualTo("expired");
            assertThat(el("hud-status").getText()).isEqualTo("ended (expired)");
            assertThat(el("fork").isEnabled()).as("nothing left to fork").isFalse();
            assertThat(el("start").isEnabled()).as("a new session can start").isTrue();
            assertThat(consoleErrorsExcept("net::", "status of 404"))
                    .as("console errors besides the cut" + " connections and the expired session's 404")
                    .isEmpty();
        }
    }
}
