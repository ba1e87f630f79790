package org.arvdm.memory;

/**
 * What the denoiser is shown besides the window for one AR step, in the bundle contract's
 * layout for one sample: {@code memory} holds {@code slots × width} floats (width = C·H·W for
 * frames, D for tokens), {@code actions} {@code slots × A} floats (empty unless frames),
 * {@code mask} one flag per slot (true = real, false = padding).
 *
 * @param used  slots holding real history (for the memory-used gauge)
 * @param bytes heap bytes this view holds (for the memory-bytes gauge)
 */
public record MemoryView(float[] memory, int slots, float[] actions, boolean[] mask, int used, long bytes) {

    public static final MemoryView EMPTY = new MemoryView(new float[0], 0, new float[0], new boolean[0], 0, 0);

    public static long bytesOf(float[] memory, float[] actions, boolean[] mask) {
        return 4L * memory.length + 4L * actions.length + mask.length;
    }
}
