package org.arvdm;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * The tests' one way to wait for a condition (instead of sleeping): Awaitility, polling every few
 * milliseconds on the calling thread, and failing with a message that names what was awaited.
 */
public final class Await {
    private static final Duration POLL = Duration.ofMillis(5);

    private Await() {}

    /**
     * Returns once {@code condition} holds; fails (an {@link AssertionError}) naming {@code what}
     * when it does not within {@code timeout}. An exception or assertion error the condition throws
     * ends the wait at once.
     */
    public static void until(Duration timeout, BooleanSupplier condition, String what) {
        if (!within(timeout, condition, what)) {
            throw new AssertionError("timed out after " + timeout + " awaiting " + what);
        }
    }

    /** Whether {@code condition} came to hold within {@code timeout} (for waits that may end either way). */
    public static boolean within(Duration timeout, BooleanSupplier condition, String what) {
        return within(timeout, POLL, condition, what);
    }

    /**
     * As {@link #within(Duration, BooleanSupplier, String)}, trying every {@code poll}: for a
     * condition that costs something to check (an HTTP request to a starting process).
     */
    public static boolean within(Duration timeout, Duration poll, BooleanSupplier condition, String what) {
        try {
            Awaitility.await(what)
                    .atMost(timeout)
                    .pollInSameThread()
                    .pollDelay(Duration.ZERO)
                    .pollInterval(poll)
                    .until(condition::getAsBoolean);
            return true;
        } catch (ConditionTimeoutException e) {
            return false;
        }
    }
}
