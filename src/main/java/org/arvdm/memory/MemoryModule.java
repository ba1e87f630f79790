package org.arvdm.memory;

/**
 * Chooses what part of the history the network sees: the paper's memory module. Called once
 * per AR step (and once for the initialization stage); the view it returns is reused by every
 * denoising iteration of that step, so an expensive module (a memory encoder) runs once per
 * step, not once per iteration. Implementations are stateless and thread-safe.
 */
public interface MemoryModule {

    /** The view for the next AR step, given the history so far. */
    MemoryView prepare(History history, MemoryEncoder encoder);

    /** The configured budget: w_m frames or k tokens (0 for none). */
    int budget();

    /** Unit of {@link #budget()}: {@code frames}, {@code tokens} or {@code none}. */
    String unit();
}
