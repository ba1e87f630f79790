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

    /** History frames the module reads each AR step (w_m; 0 for none). */
    int historyFrames();

    /**
     * The module a bundle's {@code memory.kind} calls for, reading {@code frames} history frames
     * (the bundle's w_m or a request's lower one); {@code tokens} and {@code tokenDim} are k and D
     * for kind {@code tokens}.
     */
    static MemoryModule of(String kind, int frames, Integer tokens, Integer tokenDim) {
        return switch (kind) {
            case "frames" -> new FrameMemory(frames);
            case "tokens" -> new TokenMemory(frames, tokens, tokenDim);
            default -> new NoMemory();
        };
    }
}
