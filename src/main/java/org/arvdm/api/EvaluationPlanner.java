package org.arvdm.api;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import org.arvdm.config.ArvdmProperties;
import org.arvdm.diagnostics.Evaluation;
import org.arvdm.diagnostics.EvaluationSet;
import org.arvdm.diagnostics.EvaluationSets;
import org.arvdm.diagnostics.ImageMetrics;
import org.arvdm.generation.ArSchedule;
import org.arvdm.model.LoadedModel;
import org.arvdm.model.ModelManifest;
import org.springframework.http.HttpStatus;

/**
 * Turns an evaluation request into a validated {@link Evaluation} for one model, or a 4xx
 * naming the field. Schedule and memory overrides go through the generation planner's rules.
 */
final class EvaluationPlanner {
    private final ArvdmProperties props;
    private final EvaluationSets sets;

    EvaluationPlanner(ArvdmProperties props, EvaluationSets sets) {
        this.props = props;
        this.sets = sets;
    }

    Evaluation plan(EvaluationRequest r, LoadedModel model) {
        ModelManifest m = model.manifest();
        ModelManifest.Frame shape = m.frame();
        if (shape.height() < ImageMetrics.SSIM_WINDOW || shape.width() < ImageMetrics.SSIM_WINDOW) {
            throw ApiException.badRequest("model", "frames of " + shape.width() + "x" + shape.height()
                    + " are smaller than the " + ImageMetrics.SSIM_WINDOW + "x" + ImageMetrics.SSIM_WINDOW
                    + " SSIM window");
        }
        if (!m.actions().discrete()) {
            throw ApiException.badRequest("model", "evaluation trajectories name discrete actions; model " + m.id()
                    + " takes action vectors");
        }
        boolean uploaded = r.trajectories() != null;
        if (uploaded == (r.set() != null)) {
            throw ApiException.badRequest(uploaded ? "trajectories" : "set", uploaded
                    ? "give either a set or trajectories, not both"
                    : "give a bundled set (GET /v1/evaluation-sets) or uploaded trajectories");
        }
        String setName;
        List<EvaluationSet.Trajectory> trajectories;
        List<EvaluationSet.ControlState> states = List.of();
        int context;
        if (uploaded) {
            setName = Evaluation.UPLOADED;
            trajectories = uploaded(r.trajectories(), m, props.limits());
            if (r.contextFrames() == null) {
                throw ApiException.badRequest("contextFrames", "required with uploaded trajectories");
            }
            context = r.contextFrames();
        } else {
            EvaluationSet set = sets.get(r.set()).orElseThrow(() -> new ApiException(HttpStatus.NOT_FOUND, "set",
                    "set: unknown evaluation set '" + ApiErrors.echo(r.set()) + "'; see GET /v1/evaluation-sets"));
            checkCompatible(set, m);
            setName = set.name();
            trajectories = set.trajectories();
            states = set.states();
            context = r.contextFrames() != null ? r.contextFrames() : set.contextFrames();
        }
        if (r.maxTrajectories() != null) {
            if (r.maxTrajectories() < 1) {
                throw ApiException.badRequest("maxTrajectories", "must be at least 1, got " + r.maxTrajectories());
            }
            trajectories = trajectories.subList(0, Math.min(r.maxTrajectories(), trajectories.size()));
        }
        ArvdmProperties.Limits limits = props.limits();
        int shortest = trajectories.stream().mapToInt(EvaluationSet.Trajectory::length).min().orElse(0);
        if (context < 1 || context > limits.maxContextFrames() || context >= shortest) {
            throw ApiException.badRequest("contextFrames", "must be in 1.." + Math.min(limits.maxContextFrames(),
                    shortest - 1) + " (fewer than the shortest trajectory's " + shortest + " frames, at most"
                    + " arvdm.limits.max-context-frames), got " + context);
        }
        int frames = limits.maxFrames();
        if (r.frames() != null) {
            if (r.frames() < 1 || r.frames() > limits.maxFrames()) {
                throw ApiException.badRequest("frames", "must be in 1.." + limits.maxFrames()
                        + " (arvdm.limits.max-frames), got " + r.frames());
            }
            frames = r.frames();
        }
        double threshold = Evaluation.DEFAULT_RETRIEVAL_THRESHOLD;
        if (r.retrievalThreshold() != null) {
            threshold = r.retrievalThreshold();
            if (!(threshold >= -1 && threshold < 1)) {
                throw ApiException.badRequest("retrievalThreshold", "must be an SSIM in [-1, 1), got " + threshold);
            }
        }
        long seed = r.seed() != null ? r.seed() : ThreadLocalRandom.current().nextLong(1L << 53);
        long deadline = System.nanoTime() + props.evaluation().maxSeconds() * 1_000_000_000L;
        ArSchedule schedule = GenerationPlanner.schedule(r.schedule(), m, props.limits());
        GenerationPlanner.checkContext(context, schedule, "contextFrames");
        for (EvaluationSet.ControlState st : states) {
            GenerationPlanner.checkContext(st.history().size(), schedule, "set");
        }
        return new Evaluation(model.id(), m, model.gateway(), setName, trajectories, context, frames, schedule,
                GenerationPlanner.memory(r.memory(), m), seed, threshold, deadline, states);
    }

    private static void checkCompatible(EvaluationSet set, ModelManifest m) {
        if (!set.world().equals(EvaluationSet.worldOf(m))) {
            throw ApiException.badRequest("set", "set " + set.name() + " shows world " + set.world() + ", model "
                    + m.id() + " was trained in world " + EvaluationSet.worldOf(m) + "; pick a set of its world (GET"
                    + " /v1/evaluation-sets lists each set's world)");
        }
        if (!set.frame().equals(m.frame())) {
            ModelManifest.Frame f = set.frame();
            throw ApiException.badRequest("set", "set " + set.name() + " has " + f.channels() + "x" + f.height() + "x"
                    + f.width() + " frames, model " + m.id() + " takes " + m.frame().channels() + "x"
                    + m.frame().height() + "x" + m.frame().width());
        }
        for (String a : set.actionNames()) {
            if (!m.actions().names().contains(a)) {
                throw ApiException.badRequest("set", "set " + set.name() + " uses action '" + a + "', which model "
                        + m.id() + " does not know (" + m.actions().names() + ")");
            }
        }
    }

    private static List<EvaluationSet.Trajectory> uploaded(List<EvaluationRequest.Trajectory> given,
                                                           ModelManifest m, ArvdmProperties.Limits limits) {
        if (given.isEmpty()) {
            throw ApiException.badRequest("trajectories", "at least one trajectory is required");
        }
        if (given.size() > limits.maxTrajectories()) {
            throw ApiException.badRequest("trajectories", given.size() + " trajectories given, the limit is "
                    + limits.maxTrajectories() + " (arvdm.limits.max-trajectories)");
        }
        int total = 0;
        for (int i = 0; i < given.size(); i++) {
            EvaluationRequest.Trajectory t = given.get(i);
            total += t == null || t.frames() == null ? 0 : t.frames().size();
            if (total > limits.maxUploadedFrames()) {
                throw ApiException.badRequest("trajectories[" + i + "].frames", "the trajectories hold more than "
                        + limits.maxUploadedFrames() + " frames together (arvdm.limits.max-uploaded-frames)");
            }
        }
        List<EvaluationSet.Trajectory> out = new ArrayList<>();
        for (int i = 0; i < given.size(); i++) {
            EvaluationRequest.Trajectory t = given.get(i);
            String field = "trajectories[" + i + "]";
            if (t == null || t.frames() == null || t.frames().isEmpty()) {
                throw ApiException.badRequest(field + ".frames", "at least two frames are required");
            }
            int n = t.frames().size();
            if (t.actions() == null || t.actions().size() != n) {
                throw ApiException.badRequest(field + ".actions", "give one action per frame (" + n + "), got "
                        + (t.actions() == null ? 0 : t.actions().size()));
            }
            if (t.sinceSeen() != null && t.sinceSeen().size() != n) {
                throw ApiException.badRequest(field + ".sinceSeen", "give one value per frame (" + n + "), got "
                        + t.sinceSeen().size());
            }
            List<float[]> frames = new ArrayList<>();
            for (int j = 0; j < n; j++) {
                frames.add(ImageCodec.decode(t.frames().get(j), m.frame(), field + ".frames[" + j + "]"));
            }
            int[] since = new int[n];
            for (int j = 0; j < n; j++) {
                String a = t.actions().get(j);
                if (a == null || !m.actions().names().contains(a)) {
                    throw ApiException.badRequest(field + ".actions[" + j + "]", "unknown action '" + ApiErrors.echo(a)
                            + "'; the model's actions are " + m.actions().names());
                }
                Integer s = t.sinceSeen() == null ? Integer.valueOf(-1) : t.sinceSeen().get(j);
                if (s == null || s < -1) {
                    throw ApiException.badRequest(field + ".sinceSeen[" + j + "]", "must be -1 (not a revisit) or"
                            + " the frames since the view was last seen, got " + s);
                }
                since[j] = s;
            }
            out.add(new EvaluationSet.Trajectory(t.id() != null ? t.id() : "trajectory-" + i, frames, t.actions(),
                    since));
        }
        return out;
    }
}
