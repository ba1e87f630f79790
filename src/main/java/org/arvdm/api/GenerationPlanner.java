package org.arvdm.api;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import org.arvdm.config.ArvdmProperties;
import org.arvdm.generation.ActionSource;
import org.arvdm.generation.ArSchedule;
import org.arvdm.generation.DdimSampler;
import org.arvdm.generation.GenerationPlan;
import org.arvdm.generation.ScheduleException;
import org.arvdm.memory.MemoryModule;
import org.arvdm.model.ModelManifest;
import org.springframework.http.HttpStatus;

/**
 * Turns a request into a validated {@link GenerationPlan} for one model, or a 4xx naming the
 * field and the rule. Runs before admission and before any network work.
 */
final class GenerationPlanner {

    /** A checked request: the plan, its action source, and what the client should see echoed. */
    record Planned(GenerationPlan plan, ActionSource actions, List<Object> actionEcho, String format, int quality,
                   boolean deterministic) {
    }

    private final ArvdmProperties.Limits limits;

    GenerationPlanner(ArvdmProperties.Limits limits) {
        this.limits = limits;
    }

    Planned plan(GenerationRequest r, ModelManifest m) {
        ModelManifest.Frame shape = m.frame();
        ModelManifest.Actions space = m.actions();
        float[] padding = space.padding();

        GenerationRequest.Context ctx = r.context();
        if (ctx == null || ctx.frames() == null || ctx.frames().isEmpty()) {
            throw ApiException.badRequest("context.frames", "at least one context frame is required");
        }
        if (ctx.frames().size() > limits.maxContextFrames()) {
            throw ApiException.badRequest("context.frames", ctx.frames().size() + " frames given, the limit is "
                    + limits.maxContextFrames() + " (arvdm.limits.max-context-frames)");
        }
        List<float[]> frames = new ArrayList<>();
        for (int i = 0; i < ctx.frames().size(); i++) {
            frames.add(ImageCodec.decode(ctx.frames().get(i), shape, "context.frames[" + i + "]"));
        }
        List<float[]> ctxActions = contextActions(ctx, space, padding);

        List<Object> given = r.actions();
        int n;
        if (given != null) {
            if (given.isEmpty()) {
                throw ApiException.badRequest("actions", "at least one action (one per frame to generate) is required");
            }
            n = given.size();
            if (r.frames() != null && r.frames() != n) {
                throw ApiException.badRequest("frames", r.frames() + " frames asked for but " + n
                        + " actions given; give one action per frame, or leave frames out");
            }
        } else if (r.frames() != null) {
            n = r.frames();
            if (n < 1) {
                throw ApiException.badRequest("frames", "must be at least 1, got " + n);
            }
        } else {
            throw ApiException.badRequest("actions", "give one action per frame to generate (or a frame count in"
                    + " frames)");
        }
        if (n > limits.maxFrames()) {
            throw ApiException.badRequest(given != null ? "actions" : "frames", n + " frames asked for, the limit is "
                    + limits.maxFrames() + " (arvdm.limits.max-frames)");
        }
        List<float[]> vectors = new ArrayList<>();
        List<Object> echo = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Object a = given == null ? null : given.get(i);
            vectors.add(a == null ? padding : action(a, space, "actions[" + i + "]"));
            echo.add(a);
        }

        ArSchedule schedule = schedule(r.schedule(), m, limits);
        checkContext(frames.size(), schedule, "context.frames");
        MemoryModule memory = memory(r.memory(), m);
        String format = "png";
        int quality = 90;
        if (r.output() != null) {
            if (r.output().format() != null) {
                format = r.output().format().toLowerCase(java.util.Locale.ROOT);
                if (format.equals("jpg")) {
                    format = "jpeg";
                }
                if (!format.equals("png") && !format.equals("jpeg")) {
                    throw ApiException.badRequest("output.format", "must be png or jpeg, got '" + ApiErrors.echo(r.output().format())
                            + "'");
                }
            }
            if (r.output().quality() != null) {
                quality = r.output().quality();
                if (quality < 1 || quality > 100) {
                    throw ApiException.badRequest("output.quality", "must be in 1..100, got " + quality);
                }
            }
        }
        long seed = r.seed() != null ? r.seed() : ThreadLocalRandom.current().nextLong(1L << 53);
        long deadline = System.nanoTime() + limits.maxGenerationSeconds() * 1_000_000_000L;
        GenerationPlan plan = new GenerationPlan(shape.size(), space.vectorSize(), m.diffusion().alphasCumprod(),
                DdimSampler.Prediction.of(m.diffusion().prediction()), schedule, memory, frames, ctxActions, padding,
                n, seed, Boolean.TRUE.equals(r.previews()), deadline);
        return new Planned(plan, ActionSource.fixed(vectors, null, padding), echo, format, quality,
                Boolean.TRUE.equals(r.deterministic()));
    }

    private static List<float[]> contextActions(GenerationRequest.Context ctx, ModelManifest.Actions space,
                                                float[] padding) {
        int c = ctx.frames().size();
        List<Object> given = ctx.actions() == null ? List.of() : ctx.actions();
        if (!given.isEmpty() && given.size() != c - 1 && given.size() != c) {
            throw ApiException.badRequest("context.actions", "give " + (c - 1) + " actions (between the " + c
                    + " frames) or " + c + " (the first leading to frame 0), got " + given.size());
        }
        List<float[]> out = new ArrayList<>();
        int offset = c - given.size();
        for (int i = 0; i < c; i++) {
            int g = i - offset;
            out.add(g < 0 ? padding : action(given.get(g), space, "context.actions[" + g + "]"));
        }
        return out;
    }

    /**
     * The newest Δ context frames start the window (docs/engine.md), so a context needs at least Δ
     * (the schedule's stride) frames.
     */
    static void checkContext(int contextFrames, ArSchedule schedule, String field) {
        if (contextFrames < schedule.stride()) {
            throw ApiException.badRequest(field, contextFrames + " context frame(s) given, fewer than the stride"
                    + " (schedule.stride = " + schedule.stride() + "): the newest " + schedule.stride()
                    + " context frames start the window");
        }
    }

    static float[] action(Object a, ModelManifest.Actions space, String field) {
        if (space.discrete()) {
            if (!(a instanceof String name)) {
                throw ApiException.badRequest(field, "must be an action name, one of " + space.names());
            }
            int idx = space.names().indexOf(name);
            if (idx < 0) {
                throw ApiException.badRequest(field, "unknown action '" + ApiErrors.echo(name) + "'; the model's actions are "
                        + space.names());
            }
            float[] v = new float[space.names().size()];
            v[idx] = 1f;
            return v;
        }
        if (!(a instanceof List<?> list) || list.size() != space.size()) {
            throw ApiException.badRequest(field, "must be an array of " + space.size() + " numbers");
        }
        float[] v = new float[list.size()];
        for (int i = 0; i < v.length; i++) {
            if (!(list.get(i) instanceof Number num) || !Double.isFinite(num.doubleValue())) {
                throw ApiException.badRequest(field + "[" + i + "]", "must be a finite number");
            }
            v[i] = num.floatValue();
        }
        return v;
    }

    static ArSchedule schedule(GenerationRequest.Schedule s, ModelManifest m, ArvdmProperties.Limits limits) {
        int t = m.diffusion().timesteps();
        int w = m.window().frames();
        int stride = m.window().stride();
        int arSteps = m.sampling().arSteps();
        int initSteps = m.sampling().initSteps();
        double eta = m.sampling().eta();
        List<Integer> in = null;
        List<Integer> out = null;
        if (s != null) {
            stride = s.stride() != null ? s.stride() : stride;
            arSteps = s.arSteps() != null ? steps(s.arSteps(), "schedule.arSteps", limits) : arSteps;
            initSteps = s.initSteps() != null ? steps(s.initSteps(), "schedule.initSteps", limits) : initSteps;
            eta = s.eta() != null ? s.eta() : eta;
            in = s.inputLevels();
            out = s.outputLevels();
        }
        try {
            if (in == null) {
                if (out != null) {
                    throw new ScheduleException("schedule.outputLevels", "range", "schedule.outputLevels: give"
                            + " schedule.inputLevels with it");
                }
                return ArSchedule.defaultFamily(t, w, stride, arSteps, initSteps, eta);
            }
            return ArSchedule.explicit(t, w, stride, ints(in, "schedule.inputLevels"),
                    out == null ? null : ints(out, "schedule.outputLevels"), arSteps, initSteps, eta);
        } catch (ScheduleException e) {
            throw new ApiException(HttpStatus.BAD_REQUEST, e.field(), e.rule(), e.getMessage());
        }
    }

    /** A client's iteration count: at least 1, at most arvdm.limits.max-steps. */
    private static int steps(int given, String field, ArvdmProperties.Limits limits) {
        if (given < 1 || given > limits.maxSteps()) {
            throw ApiException.badRequest(field, "must be in 1.." + limits.maxSteps() + " (arvdm.limits.max-steps),"
                    + " got " + given);
        }
        return given;
    }

    private static int[] ints(List<Integer> list, String field) {
        int[] a = new int[list.size()];
        for (int i = 0; i < a.length; i++) {
            if (list.get(i) == null) {
                throw ApiException.badRequest(field + "[" + i + "]", "must be an integer level");
            }
            a[i] = list.get(i);
        }
        return a;
    }

    static MemoryModule memory(GenerationRequest.Memory req, ModelManifest m) {
        ModelManifest.Memory mem = m.memory();
        int budget = mem.frames();
        if (req != null && req.frames() != null) {
            if ("none".equals(mem.kind())) {
                throw ApiException.badRequest("memory.frames", "model " + m.id() + " has no memory");
            }
            if (req.frames() < 1 || req.frames() > mem.frames()) {
                throw ApiException.badRequest("memory.frames", "must be in 1.." + mem.frames()
                        + " (the model's memory length; it can be lowered, never raised), got " + req.frames());
            }
            budget = req.frames();
        }
        return MemoryModule.of(mem.kind(), budget, mem.tokens(), mem.tokenDim());
    }
}
