package org.arvdm.generation;

import java.util.List;

/**
 * A model's networks, called with a batch of samples. Each sample may sit at its own levels
 * and memory mask; samples of one call share their memory slot count. Implementations own
 * whatever native memory a call needs and free it before returning: nothing native crosses
 * this interface. Thread-safe.
 */
public interface Networks {

    /** The denoiser's output per sample, [w·C·H·W] each, in call order. */
    List<float[]> denoise(List<DenoiseCall> batch);

    /** The memory encoder's tokens per sample, [k·D] each (kind tokens only). */
    List<float[]> encodeMemory(List<EncodeCall> batch);
}
