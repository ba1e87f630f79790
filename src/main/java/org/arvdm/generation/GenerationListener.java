package org.arvdm.generation;

import java.util.List;

/**
 * Receives a generation's output as it happens. Called on the worker thread; implementations
 * must not block for long (they hand events to a reactive sink).
 */
public interface GenerationListener {

    /** Generated frame {@code index} reached level 0 and is final. {@code frame} is C·H·W in [-1, 1]. */
    void frame(int index, float[] frame, int arStep, long elapsedNanos);

    /** x̂_0 of the frames still being denoised, after one iteration (only when previews were asked for). */
    default void preview(int arStep, int iteration, List<PreviewFrame> frames) {}

    /** True once the client has gone: the loop stops before its next network call. */
    default boolean cancelled() {
        return false;
    }

    /** One window frame's current x̂_0 and level. */
    record PreviewFrame(int index, int level, float[] x0) {}
}
