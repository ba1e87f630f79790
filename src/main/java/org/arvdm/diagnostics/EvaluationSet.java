package org.arvdm.diagnostics;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.arvdm.image.FrameImages;
import org.arvdm.manifest.ModelManifest;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * Ground-truth trajectories to score a model on: the folder format written by
 * {@code models/training/make_eval.py} ({@code manifest.json} plus one PNG per trajectory
 * with its frames tiled left to right), read into memory.
 *
 * @param kind          {@code accumulation}, {@code retrieval} or {@code controllability}: what the set was
 *                      chosen to measure
 * @param world         the world its frames come from ({@code maze-v1} when the manifest names none); a
 *                      model is only scored on a set of the world it was trained in
 * @param actionNames   the discrete action space the trajectories use
 * @param contextFrames how many leading frames of each trajectory are given as context by default
 * @param states        controllability sets only: held-out states with the true next frame for every action
 */
public record EvaluationSet(
        String name,
        String kind,
        String world,
        String description,
        ModelManifest.Frame frame,
        List<String> actionNames,
        int contextFrames,
        List<Trajectory> trajectories,
        List<ControlState> states) {

    /** The world of sets and bundles that name none: the first maze world. */
    public static final String DEFAULT_WORLD = "maze-v1";

    public static final String CONTROLLABILITY = "controllability";

    private static final JsonMapper JSON = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .build();

    public EvaluationSet {
        trajectories = List.copyOf(trajectories);
        actionNames = List.copyOf(actionNames);
        states = List.copyOf(states);
        world = world == null ? DEFAULT_WORLD : world;
    }

    /** The world a bundle was trained in: its {@code training.world}, else {@link #DEFAULT_WORLD}. */
    public static String worldOf(ModelManifest m) {
        Object w = m.training() == null ? null : m.training().get("world");
        return w instanceof String s && !s.isBlank() ? s : DEFAULT_WORLD;
    }

    /** A set without controllability states, of the default world. */
    public EvaluationSet(
            String name,
            String kind,
            String description,
            ModelManifest.Frame frame,
            List<String> actionNames,
            int contextFrames,
            List<Trajectory> trajectories) {
        this(name, kind, DEFAULT_WORLD, description, frame, actionNames, contextFrames, trajectories, List.of());
    }

    /**
     * One controllability state: a true history and the true next frame for every action.
     *
     * @param history        the true frames before the state, oldest first (C·H·W in [-1, 1])
     * @param historyActions one action per history frame (the action that led to it)
     * @param next           per action of the set's space, in its order: the true next frame
     * @param newView        per action: the next view is not among the recent frames (a view the model must draw)
     */
    public record ControlState(
            String id, List<float[]> history, List<String> historyActions, List<float[]> next, boolean[] newView) {
        public ControlState {
            if (history.isEmpty() || historyActions.size() != history.size()) {
                throw new IllegalArgumentException("state " + id + ": " + history.size() + " history frames and "
                        + historyActions.size() + " history actions; at least one, and as many of each");
            }
            if (newView.length != next.size()) {
                throw new IllegalArgumentException("state " + id + ": " + next.size() + " next frames and "
                        + newView.length + " newView values; give one per action");
            }
            history = List.copyOf(history);
            historyActions = List.copyOf(historyActions);
            next = List.copyOf(next);
            newView = newView.clone();
        }
    }

    /**
     * One recorded trajectory.
     *
     * @param frames    N frames, C·H·W in [-1, 1]
     * @param actions   N action names; {@code actions[i]} leads to frame i ({@code actions[0]} to frame 0)
     * @param sinceSeen N values: −1 where frame i is not a revisit, else the frames since its view
     *                  was last seen
     */
    public record Trajectory(String id, List<float[]> frames, List<String> actions, int[] sinceSeen) {
        public Trajectory {
            if (frames.isEmpty()) {
                throw new IllegalArgumentException("trajectory " + id + " has no frames");
            }
            if (actions.size() != frames.size() || sinceSeen.length != frames.size()) {
                throw new IllegalArgumentException("trajectory " + id + ": " + frames.size() + " frames, "
                        + actions.size() + " actions and " + sinceSeen.length + " sinceSeen values; all must be equal");
            }
            frames = List.copyOf(frames);
            actions = List.copyOf(actions);
            sinceSeen = sinceSeen.clone();
        }

        public int length() {
            return frames.size();
        }
    }

    /** Reads {@code dir/manifest.json} and the PNGs it names. */
    public static EvaluationSet read(Path dir) throws IOException {
        Manifest m;
        try {
            m = JSON.readValue(dir.resolve("manifest.json").toFile(), Manifest.class);
        } catch (JacksonException e) {
            throw new IOException("manifest.json is not valid: " + e.getOriginalMessage());
        }
        String name = m.name() == null ? dir.getFileName().toString() : m.name();
        if (m.frame() == null || m.frame().size() <= 0) {
            throw new IOException("manifest.json: frame must give positive channels, height and width");
        }
        if (m.actions() == null || !m.actions().discrete() || m.actions().names() == null) {
            throw new IOException("manifest.json: actions must be a discrete space with names");
        }
        if (m.trajectories() == null || m.trajectories().isEmpty()) {
            throw new IOException("manifest.json: no trajectories");
        }
        List<Trajectory> trajectories = new ArrayList<>();
        for (Manifest.Entry e : m.trajectories()) {
            Path png = inside(dir, e.frames(), "trajectory " + e.id() + ": frames file");
            if (e.actions() == null || e.sinceSeen() == null) {
                throw new IOException("trajectory " + e.id() + ": actions and sinceSeen are required");
            }
            for (String a : e.actions()) {
                if (!m.actions().names().contains(a)) {
                    throw new IOException("trajectory " + e.id() + ": unknown action '" + a + "'");
                }
            }
            try {
                trajectories.add(new Trajectory(
                        e.id(), FrameImages.readTiles(png, e.length(), m.frame()), e.actions(), e.sinceSeen()));
            } catch (IllegalArgumentException ex) {
                throw new IOException(ex.getMessage());
            }
        }
        List<ControlState> states = new ArrayList<>();
        if (CONTROLLABILITY.equals(m.kind())) {
            if (m.states() == null || m.states().isEmpty()) {
                throw new IOException("manifest.json: a controllability set needs states");
            }
            int actions = m.actions().names().size();
            for (Manifest.State st : m.states()) {
                if (st.historyActions() == null || st.newView() == null || st.history() == null || st.next() == null) {
                    throw new IOException(
                            "state " + st.id() + ": history, historyActions, next and newView are required");
                }
                for (String a : st.historyActions()) {
                    if (!m.actions().names().contains(a)) {
                        throw new IOException("state " + st.id() + ": unknown action '" + a + "'");
                    }
                }
                String what = "state " + st.id() + ": file";
                try {
                    List<float[]> history = FrameImages.readTiles(
                            inside(dir, st.history(), what), st.historyActions().size(), m.frame());
                    List<float[]> next = FrameImages.readTiles(inside(dir, st.next(), what), actions, m.frame());
                    states.add(new ControlState(st.id(), history, st.historyActions(), next, st.newView()));
                } catch (IllegalArgumentException ex) {
                    throw new IOException(ex.getMessage());
                }
            }
        }
        return new EvaluationSet(
                name,
                m.kind(),
                m.world(),
                m.description(),
                m.frame(),
                m.actions().names(),
                m.contextFrames(),
                trajectories,
                states);
    }

    /** {@code dir/file}, which must be a regular file inside {@code dir}; else an IOException starting with {@code what}. */
    private static Path inside(Path dir, String file, String what) throws IOException {
        Path p = dir.resolve(file).normalize();
        if (!p.startsWith(dir.normalize()) || !Files.isRegularFile(p)) {
            throw new IOException(what + " '" + file + "' not found in " + dir);
        }
        return p;
    }

    /** The revisit frames of this set per bucket of {@link Scoring#BUCKETS}, counted after the context. */
    public int[] revisitsPerBucket() {
        int[] counts = new int[Scoring.BUCKETS.size()];
        for (Trajectory t : trajectories) {
            for (int i = contextFrames; i < t.length(); i++) {
                int b = Scoring.bucketOf(t.sinceSeen()[i]);
                if (b >= 0) {
                    counts[b]++;
                }
            }
        }
        return counts;
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    record Manifest(
            String name,
            String kind,
            String world,
            String description,
            ModelManifest.Frame frame,
            ModelManifest.Actions actions,
            int contextFrames,
            List<Entry> trajectories,
            List<State> states) {

        @JsonIgnoreProperties(ignoreUnknown = true)
        record State(String id, String history, List<String> historyActions, String next, boolean[] newView) {}

        @JsonIgnoreProperties(ignoreUnknown = true)
        record Entry(String id, String frames, int length, List<String> actions, int[] sinceSeen) {}
    }
}
