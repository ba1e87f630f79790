package org.arvdm.memory;

/**
 * Compressed memory: the bundle's memory encoder turns the last w_m history frames and
 * actions (laid out as {@link FrameMemory} does) into k tokens of width D, once per AR step.
 * The denoiser then gets the tokens, no memory actions, and an all-true mask of k slots.
 */
public final class TokenMemory implements MemoryModule {
    private final int frames;
    private final int tokens;
    private final int tokenDim;

    public TokenMemory(int frames, int tokens, int tokenDim) {
        if (frames < 1 || tokens < 1 || tokenDim < 1) {
            throw new IllegalArgumentException("token memory needs positive frames, tokens and token width");
        }
        this.frames = frames;
        this.tokens = tokens;
        this.tokenDim = tokenDim;
    }

    @Override
    public MemoryView prepare(History history, MemoryEncoder encoder) {
        MemoryView input = FrameMemory.lastFrames(history, frames);
        float[] out = encoder.encode(input.memory(), input.actions(), input.mask(), frames);
        if (out.length != tokens * tokenDim) {
            throw new IllegalStateException(
                    "memory encoder returned " + out.length + " values, expected k·D = " + tokens + "·" + tokenDim);
        }
        boolean[] mask = new boolean[tokens];
        java.util.Arrays.fill(mask, true);
        float[] noActions = new float[0];
        return new MemoryView(out, tokens, noActions, mask, tokens, MemoryView.bytesOf(out, noActions, mask));
    }

    @Override
    public int budget() {
        return tokens;
    }

    @Override
    public String unit() {
        return "tokens";
    }

    /** History frames the encoder reads (w_m). */
    @Override
    public int historyFrames() {
        return frames;
    }
}
