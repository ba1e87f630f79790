package org.arvdm.memory;

import java.util.ArrayList;
import java.util.List;

/**
 * All clean frames of one generation so far, oldest first: the client's context clip, then
 * every emitted frame, each with the action vector that led to it. Heap memory only; owned
 * by one generation and touched by its worker thread alone.
 */
public final class History {
    private final List<float[]> frames = new ArrayList<>();
    private final List<float[]> actions = new ArrayList<>();
    private final int frameSize;
    private final int actionSize;

    public History(int frameSize, int actionSize) {
        this.frameSize = frameSize;
        this.actionSize = actionSize;
    }

    public void append(float[] frame, float[] action) {
        if (frame.length != frameSize || action.length != actionSize) {
            throw new IllegalArgumentException("history entry has " + frame.length + " values and an action of "
                    + action.length + ", expected " + frameSize + " and " + actionSize);
        }
        frames.add(frame);
        actions.add(action);
    }

    /** A new history with the same entries (the frames themselves are never changed, so they are shared). */
    public History copy() {
        return prefix(frames.size());
    }

    /** A copy holding the oldest {@code n} entries (the frames and actions themselves are shared, not copied). */
    public History prefix(int n) {
        if (n < 0 || n > frames.size()) {
            throw new IllegalArgumentException("prefix of " + n + " entries out of " + frames.size());
        }
        History h = new History(frameSize, actionSize);
        h.frames.addAll(frames.subList(0, n));
        h.actions.addAll(actions.subList(0, n));
        return h;
    }

    public int size() {
        return frames.size();
    }

    public float[] frame(int i) {
        return frames.get(i);
    }

    public float[] action(int i) {
        return actions.get(i);
    }

    public int frameSize() {
        return frameSize;
    }

    public int actionSize() {
        return actionSize;
    }
}
