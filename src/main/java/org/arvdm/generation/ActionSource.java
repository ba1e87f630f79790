package org.arvdm.generation;

import java.util.List;

/**
 * Where the loop gets the action leading to each generated frame. A fixed list for a one-shot
 * generation; an interactive session would implement this with a source that waits for the
 * player's next action.
 */
public interface ActionSource {

    /** The action vector leading to generated frame {@code index} (0-based). May block. */
    float[] actionFor(int index) throws InterruptedException;

    /** The client's name for that action, for the frame event (null for vector actions). */
    default String nameFor(int index) {
        return null;
    }

    /** A fixed list; indices past its end (frames computed but never emitted) get {@code padding}. */
    static ActionSource fixed(List<float[]> actions, List<String> names, float[] padding) {
        return new ActionSource() {
            @Override
            public float[] actionFor(int index) {
                return index < actions.size() ? actions.get(index) : padding;
            }

            @Override
            public String nameFor(int index) {
                return names != null && index < names.size() ? names.get(index) : null;
            }
        };
    }
}
