package org.arvdm.generation;

/**
 * One sample's denoiser inputs in the bundle contract's layout, without the batch axis:
 * {@code x} [w·C·H·W], {@code levels} [w], {@code actions} [w·A], {@code memory}
 * [slots·width], {@code memoryActions} [slots·A or 0], {@code memoryMask} [slots].
 * Calls with equal {@code memorySlots} can be stacked into one batched network call.
 */
public record DenoiseCall(
        float[] x,
        long[] levels,
        float[] actions,
        float[] memory,
        int memorySlots,
        float[] memoryActions,
        boolean[] memoryMask) {}
