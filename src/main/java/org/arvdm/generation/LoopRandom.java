package org.arvdm.generation;

import java.util.random.RandomGenerator;

/**
 * The loop's random stream: SplitMix64 exactly as {@link java.util.SplittableRandom} computes
 * it (same seed, same {@code nextLong}, and so the same {@code nextGaussian}, which both take
 * from {@link RandomGenerator}'s default over {@code nextLong}), but with a state that can be
 * copied: a forked session continues the very same stream. Not thread-safe (one loop owns it).
 */
public final class LoopRandom implements RandomGenerator {
    private static final long GOLDEN_GAMMA = 0x9e3779b97f4a7c15L;
    private long seed;

    public LoopRandom(long seed) {
        this.seed = seed;
    }

    private LoopRandom(LoopRandom other) {
        this.seed = other.seed;
    }

    @Override
    public long nextLong() {
        long z = (seed += GOLDEN_GAMMA);
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    @Override
    public int nextInt() {
        long z = (seed += GOLDEN_GAMMA);
        z = (z ^ (z >>> 33)) * 0x62a9d9ed799705f5L;
        return (int) (((z ^ (z >>> 28)) * 0xcb24d0a5c88c35b3L) >>> 32);
    }

    /** An independent stream in the same state: both give the same numbers from here on. */
    public LoopRandom copy() {
        return new LoopRandom(this);
    }
}
