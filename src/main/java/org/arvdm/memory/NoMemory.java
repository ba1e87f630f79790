package org.arvdm.memory;

/** The window only: the network gets an empty memory. */
public final class NoMemory implements MemoryModule {

    @Override
    public MemoryView prepare(History history, MemoryEncoder encoder) {
        return MemoryView.EMPTY;
    }

    @Override
    public int budget() {
        return 0;
    }

    @Override
    public String unit() {
        return "none";
    }

    @Override
    public int historyFrames() {
        return 0;
    }
}
