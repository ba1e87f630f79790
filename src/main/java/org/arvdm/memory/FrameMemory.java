package org.arvdm.memory;

/**
 * The last w_m history frames with their actions, oldest first, left-padded with zeros and
 * mask {@code false} while the history is shorter than w_m, so the newest frame always sits
 * in the last slot. Serves prepend, channel-concat and cross-attention networks alike.
 */
public final class FrameMemory implements MemoryModule {
    private final int frames;

    public FrameMemory(int frames) {
        if (frames < 1) {
            throw new IllegalArgumentException("frame memory needs at least 1 frame, got " + frames);
        }
        this.frames = frames;
    }

    @Override
    public MemoryView prepare(History history, MemoryEncoder encoder) {
        return lastFrames(history, frames);
    }

    static MemoryView lastFrames(History history, int slots) {
        int fs = history.frameSize();
        int as = history.actionSize();
        float[] mem = new float[slots * fs];
        float[] act = new float[slots * as];
        boolean[] mask = new boolean[slots];
        int used = Math.min(slots, history.size());
        for (int i = 0; i < used; i++) {
            int slot = slots - used + i;
            int h = history.size() - used + i;
            System.arraycopy(history.frame(h), 0, mem, slot * fs, fs);
            System.arraycopy(history.action(h), 0, act, slot * as, as);
            mask[slot] = true;
        }
        return new MemoryView(mem, slots, act, mask, used, MemoryView.bytesOf(mem, act, mask));
    }

    @Override
    public int budget() {
        return frames;
    }

    @Override
    public String unit() {
        return "frames";
    }

    @Override
    public int historyFrames() {
        return frames;
    }
}
