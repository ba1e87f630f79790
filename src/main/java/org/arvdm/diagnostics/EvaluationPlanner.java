package org.arvdm.diagnostics;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.arvdm.generation.ArSchedule;
import org.arvdm.generation.GenerationPlanner;
import org.arvdm.generation.PlanException;
import org.arvdm.manifest.ModelManifest;
import org.arvdm.model.LoadedModel;

/**
 * Turns an evaluation's typed overrides into a validated {@link Evaluation} for one model, or a
 * {@link PlanException} naming the field. The evaluation's own defaults live here (the set's
 * context length, every frame up to arvdm.limits.max-frames, the retrieval threshold); the
 * schedule, memory, seed and deadline come from the one {@link GenerationPlanner}, so an
 * evaluation generates exactly as a generation with the same overrides would.
 */
public final class EvaluationPlanner {

    /** The bounds of arvdm.limits.* and arvdm.evaluation.max-seconds that only evaluations have. */
    public record Limits(int maxTrajectories, int maxUploadedFrames, int maxSeconds) {
        /** No bounds: the offline report. */
        public static final Limits NONE = new Limits(Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE);
    }

    /**
     * An uploaded trajectory as the client gave it; any field may be null.
     *
     * @param frames its images, decoded when the planner asks
     */
    public record Upload(String id, GenerationPlanner.Context frames, List<String> actions, List<Integer> sinceSeen) {}

    /** What a client asks for; every field may be null (the default), but one of set and trajectories is needed. */
    public record Request(
            String set,
            List<Upload> trajectories,
            Integer contextFrames,
            Integer frames,
            Integer maxTrajectories,
            GenerationPlanner.Schedule schedule,
            Integer memoryFrames,
            Long seed,
            Double retrievalThreshold) {}

    private final GenerationPlanner generations;
    private final Function<String, Optional<EvaluationSet>> sets;
    private final Limits limits;

    public EvaluationPlanner(
            GenerationPlanner generations, Function<String, Optional<EvaluationSet>> sets, Limits limits) {
        this.generations = generations;
        this.sets = sets;
        this.limits = limits;
    }

    /**
     * The evaluation {@code POST /v1/evaluations} plans for a bundled set with no schedule or memory
     * override (the report command's).
     *
     * @param trajectories the first n trajectories of the set (0: all)
     */
    public static Evaluation ofSet(
            LoadedModel model, EvaluationSet set, int trajectories, int frames, long seed, double threshold) {
        EvaluationPlanner planner = new EvaluationPlanner(
                new GenerationPlanner(GenerationPlanner.Limits.NONE), name -> Optional.of(set), Limits.NONE);
        return planner.plan(
                new Request(
                        set.name(),
                        null,
                        null,
                        frames,
                        trajectories > 0 ? trajectories : null,
                        null,
                        null,
                        seed,
                        threshold),
                model);
    }

    public Evaluation plan(Request r, LoadedModel model) {
        ModelManifest m = model.manifest();
        ModelManifest.Frame shape = m.frame();
        if (shape.height() < ImageMetrics.SSIM_WINDOW || shape.width() < ImageMetrics.SSIM_WINDOW) {
            throw PlanException.of(
                    "model",
                    "frames of " + shape.width() + "x" + shape.height()
                            + " are smaller than the " + ImageMetrics.SSIM_WINDOW + "x" + ImageMetrics.SSIM_WINDOW
                            + " SSIM window");
        }
        if (!m.actions().discrete()) {
            throw PlanException.of(
                    "model",
                    "evaluation trajectories name discrete actions; model " + m.id() + " takes action vectors");
        }
        boolean uploaded = r.trajectories() != null;
        if (uploaded == (r.set() != null)) {
            throw PlanException.of(
                    uploaded ? "trajectories" : "set",
                    uploaded
                            ? "give either a set or trajectories, not both"
                            : "give a bundled set (GET /v1/evaluation-sets) or uploaded trajectories");
        }
        String setName;
        List<EvaluationSet.Trajectory> trajectories;
        List<EvaluationSet.ControlState> states = List.of();
        int context;
        if (uploaded) {
            setName = Evaluation.UPLOADED;
            trajectories = uploaded(r.trajectories(), m);
            if (r.contextFrames() == null) {
                throw PlanException.of("contextFrames", "required with uploaded trajectories");
            }
            context = r.contextFrames();
        } else {
            EvaluationSet set = sets.apply(r.set())
                    .orElseThrow(() -> PlanException.unknown(
                            "set",
                            "set: unknown evaluation set '" + PlanException.echo(r.set())
                                    + "'; see GET /v1/evaluation-sets"));
            checkCompatible(set, m);
            setName = set.name();
            trajectories = set.trajectories();
            states = set.states();
            context = r.contextFrames() != null ? r.contextFrames() : set.contextFrames();
        }
        if (r.maxTrajectories() != null) {
            if (r.maxTrajectories() < 1) {
                throw PlanException.of("maxTrajectories", "must be at least 1, got " + r.maxTrajectories());
            }
            trajectories = trajectories.subList(0, Math.min(r.maxTrajectories(), trajectories.size()));
        }
        GenerationPlanner.Limits bounds = generations.limits();
        int shortest = trajectories.stream()
                .mapToInt(EvaluationSet.Trajectory::length)
                .min()
                .orElse(0);
        if (context < 1 || context > bounds.maxContextFrames() || context >= shortest) {
            throw PlanException.of(
                    "contextFrames",
                    "must be in 1.." + Math.min(bounds.maxContextFrames(), shortest - 1)
                            + " (fewer than the shortest trajectory's " + shortest + " frames, at most"
                            + " arvdm.limits.max-context-frames), got " + context);
        }
        int frames = bounds.maxFrames();
        if (r.frames() != null) {
            if (r.frames() < 1 || r.frames() > bounds.maxFrames()) {
                throw PlanException.of(
                        "frames",
                        "must be in 1.." + bounds.maxFrames() + " (arvdm.limits.max-frames), got " + r.frames());
            }
            frames = r.frames();
        }
        double threshold = Evaluation.DEFAULT_RETRIEVAL_THRESHOLD;
        if (r.retrievalThreshold() != null) {
            threshold = r.retrievalThreshold();
            if (!(threshold >= -1 && threshold < 1)) {
                throw PlanException.of("retrievalThreshold", "must be an SSIM in [-1, 1), got " + threshold);
            }
        }
        long seed = GenerationPlanner.seed(r.seed());
        long deadline = GenerationPlanner.deadline(limits.maxSeconds());
        ArSchedule schedule = generations.schedule(m, r.schedule());
        GenerationPlanner.checkContext(context, schedule, "contextFrames");
        for (EvaluationSet.ControlState st : states) {
            GenerationPlanner.checkContext(st.history().size(), schedule, "set");
        }
        return new Evaluation(
                model.id(),
                m,
                model.gateway(),
                setName,
                trajectories,
                context,
                frames,
                schedule,
                GenerationPlanner.memory(m, r.memoryFrames()),
                seed,
                threshold,
                deadline,
                states);
    }

    private static void checkCompatible(EvaluationSet set, ModelManifest m) {
        if (!set.world().equals(EvaluationSet.worldOf(m))) {
            throw PlanException.of(
                    "set",
                    "set " + set.name() + " shows world " + set.world() + ", model "
                            + m.id() + " was trained in world " + EvaluationSet.worldOf(m)
                            + "; pick a set of its world (GET"
                            + " /v1/evaluation-sets lists each set's world)");
        }
        if (!set.frame().equals(m.frame())) {
            ModelManifest.Frame f = set.frame();
            throw PlanException.of(
                    "set",
                    "set " + set.name() + " has " + f.channels() + "x" + f.height() + "x"
                            + f.width() + " frames, model " + m.id() + " takes "
                            + m.frame().channels() + "x"
                            + m.frame().height() + "x" + m.frame().width());
        }
        for (String a : set.actionNames()) {
            if (!m.actions().names().contains(a)) {
                throw PlanException.of(
                        "set",
                        "set " + set.name() + " uses action '" + a + "', which model " + m.id() + " does not know ("
                                + m.actions().names() + ")");
            }
        }
    }

    private List<EvaluationSet.Trajectory> uploaded(List<Upload> given, ModelManifest m) {
        if (given.isEmpty()) {
            throw PlanException.of("trajectories", "at least one trajectory is required");
        }
        if (given.size() > limits.maxTrajectories()) {
            throw PlanException.of(
                    "trajectories",
                    given.size() + " trajectories given, the limit is " + limits.maxTrajectories()
                            + " (arvdm.limits.max-trajectories)");
        }
        int total = 0;
        for (int i = 0; i < given.size(); i++) {
            Upload t = given.get(i);
            total += t == null || t.frames() == null ? 0 : t.frames().count();
            if (total > limits.maxUploadedFrames()) {
                throw PlanException.of(
                        "trajectories[" + i + "].frames",
                        "the trajectories hold more than " + limits.maxUploadedFrames()
                                + " frames together (arvdm.limits.max-uploaded-frames)");
            }
        }
        List<EvaluationSet.Trajectory> out = new ArrayList<>();
        for (int i = 0; i < given.size(); i++) {
            Upload t = given.get(i);
            String field = "trajectories[" + i + "]";
            if (t == null || t.frames() == null || t.frames().count() == 0) {
                throw PlanException.of(field + ".frames", "at least two frames are required");
            }
            int n = t.frames().count();
            if (t.actions() == null || t.actions().size() != n) {
                throw PlanException.of(
                        field + ".actions",
                        "give one action per frame (" + n + "), got "
                                + (t.actions() == null ? 0 : t.actions().size()));
            }
            if (t.sinceSeen() != null && t.sinceSeen().size() != n) {
                throw PlanException.of(
                        field + ".sinceSeen",
                        "give one value per frame (" + n + "), got "
                                + t.sinceSeen().size());
            }
            List<float[]> frames = new ArrayList<>();
            for (int j = 0; j < n; j++) {
                frames.add(t.frames().frame(j));
            }
            int[] since = new int[n];
            for (int j = 0; j < n; j++) {
                String a = t.actions().get(j);
                if (a == null || !m.actions().names().contains(a)) {
                    throw PlanException.of(
                            field + ".actions[" + j + "]",
                            "unknown action '" + PlanException.echo(a) + "'; the model's actions are "
                                    + m.actions().names());
                }
                Integer s = t.sinceSeen() == null
                        ? Integer.valueOf(-1)
                        : t.sinceSeen().get(j);
                if (s == null || s < -1) {
                    throw PlanException.of(
                            field + ".sinceSeen[" + j + "]",
                            "must be -1 (not a revisit) or" + " the frames since the view was last seen, got " + s);
                }
                since[j] = s;
            }
            out.add(new EvaluationSet.Trajectory(
                    t.id() != null ? t.id() : "trajectory-" + i, frames, t.actions(), since));
        }
        return out;
    }
}
