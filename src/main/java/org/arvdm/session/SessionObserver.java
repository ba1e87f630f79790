package org.arvdm.session;

import java.util.List;
import java.util.function.LongSupplier;
import java.util.function.ToIntFunction;

/**
 * What sessions report for metrics, beside their loops' {@link org.arvdm.generation.EngineObserver}:
 * opened and closed sessions, action-to-frame latency, late realtime frames. Plain Java, so this
 * package needs no metrics library; the service implements it over Micrometer. Modes are
 * {@link Session.Mode#label()}s and reasons one of {@link #CLOSE_REASONS}, so tags stay bounded.
 */
public interface SessionObserver {

    SessionObserver NONE = new SessionObserver() {};

    /** Every reason a session closes with: deleted by its client, expired idle, service shutdown, error. */
    List<String> CLOSE_REASONS = List.of("deleted", "expired", "shutdown", "error");

    /**
     * The sessions' live numbers, read when an observer wants them (a gauge is scraped): open
     * sessions by mode label, heap bytes they hold. Called once, when the session service starts.
     */
    default void watch(ToIntFunction<String> openByMode, LongSupplier bytesHeld) {}

    default void sessionCreated(String mode) {}

    default void sessionClosed(String mode, String reason) {}

    /** An action's frame was emitted {@code ms} after the action arrived. */
    default void actionToFrame(String mode, double ms) {}

    /** A realtime frame was emitted after the end of its pacing slot. */
    default void lateFrame() {}
}
