package org.arvdm.memory;

/**
 * The bundle's memory encoder for one sample: {@code frames} [m·C·H·W], {@code actions}
 * [m·A], {@code mask} [m] in, k·D token values out. Implementations may block (the call can
 * be batched with other generations') and may throw when the generation was cancelled.
 */
@FunctionalInterface
public interface MemoryEncoder {
    float[] encode(float[] frames, float[] actions, boolean[] mask, int slots);
}
