package org.arvdm.generation;

/** One sample's memory-encoder inputs: frames [m·C·H·W], actions [m·A], mask [m]. */
public record EncodeCall(float[] frames, float[] actions, boolean[] mask, int slots) {}
