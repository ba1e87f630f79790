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

    /** A fixed list; indices past its end (frames computed but never emitted) get {@code padding}. */
    static ActionSource fixed(List<float[]> actions, float[] padding) {
        return index -> index < actions.size() ? actions.get(index) : padding;
    }
}
