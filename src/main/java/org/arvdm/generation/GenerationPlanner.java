package org.arvdm.generation;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.arvdm.manifest.ModelManifest;
import org.arvdm.memory.MemoryModule;

/**
 * The one planner: a model's manifest plus a client's typed overrides become a validated
 * {@link GenerationPlan}, or a {@link PlanException} naming the field and the rule. Every
 * default lives here: the schedule (the manifest's default family: its window, stride, iteration
 * counts and η), the memory (the manifest's module at its full budget), the padding action, the
 * seed (random, at most 2^53 so JSON carries it exactly) and the deadline
 * ({@link Limits#maxGenerationSeconds()}). Generations, sessions, evaluations, the report command
 * and the benchmark all plan here. Runs before admission and before any network work.
 */
public final class GenerationPlanner {

    /** The bounds on what a client may ask for (arvdm.limits.*). */
    public record Limits(int maxFrames, int maxContextFrames, int maxSteps, int maxGenerationSeconds) {
        /** No bounds: for the offline report and the benchmark, which are not clients. */
        public static final Limits NONE =
                new Limits(Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE);
    }

    /** Overrides of the model's default schedule; null fields keep the model's value. */
    public record Schedule(
            Integer stride,
            List<Integer> inputLevels,
            List<Integer> outputLevels,
            Integer arSteps,
            Integer initSteps,
            Double eta) {
        /** The model's own schedule. */
        public static final Schedule DEFAULT = new Schedule(null, null, null, null, null, null);
    }

    /**
     * The context clip as the client gave it: {@code count} frames that {@link #frame} decodes one
     * at a time, in order, after the count is checked (so an oversized clip is refused undecoded).
     */
    public interface Context {
        int count();

        /** Frame {@code i} as C·H·W floats in [-1, 1]; may throw the caller's own refusal. */
        float[] frame(int i);

        /** Already decoded frames. */
        static Context of(List<float[]> frames) {
            return new Context() {
                @Override
                public int count() {
                    return frames.size();
                }

                @Override
                public float[] frame(int i) {
                    return frames.get(i);
                }
            };
        }
    }

    /**
     * What a client asks for; every field but the context may be null (the default).
     *
     * @param contextActions c−1 or c actions for the context (names or vectors), or null
     * @param actions        one action per frame to generate (names or vectors; null entries are padding)
     * @param frames         frames to generate when {@code actions} is null
     * @param memoryFrames   history frames the memory hands the network (w_m); at most the model's
     * @param seed           random when null
     */
    public record Request(
            Context context,
            List<Object> contextActions,
            List<Object> actions,
            Integer frames,
            Schedule schedule,
            Integer memoryFrames,
            Long seed,
            boolean previews) {}

    /** A checked request: the plan, its action source, and the actions as the client gave them (for echoes). */
    public record Planned(GenerationPlan plan, ActionSource actions, List<Object> actionEcho) {}

    private final Limits limits;

    public GenerationPlanner(Limits limits) {
        this.limits = limits;
    }

    public Limits limits() {
        return limits;
    }

    /** A one-shot generation: the context, then one frame per action (or {@code frames} padded ones). */
    public Planned plan(ModelManifest m, Request r) {
        return plan(m, r, false);
    }

    /**
     * A session's loop: the same checks as a generation but without an action list (actions come
     * while it runs), no frame count and no deadline.
     */
    public GenerationPlan planEndless(ModelManifest m, Request r) {
        return plan(m, r, true).plan();
    }

    private Planned plan(ModelManifest m, Request r, boolean endless) {
        ModelManifest.Actions space = m.actions();
        float[] padding = space.padding();
        Context ctx = r.context();
        int c = ctx == null ? 0 : ctx.count();
        if (c == 0) {
            throw PlanException.of("context.frames", "at least one context frame is required");
        }
        if (c > limits.maxContextFrames()) {
            throw PlanException.of(
                    "context.frames",
                    c + " frames given, the limit is " + limits.maxContextFrames()
                            + " (arvdm.limits.max-context-frames)");
        }
        List<float[]> frames = new ArrayList<>();
        for (int i = 0; i < c; i++) {
            frames.add(ctx.frame(i));
        }
        List<float[]> ctxActions = contextActions(c, r.contextActions(), space, padding);

        int n = endless ? Integer.MAX_VALUE : frameCount(r);
        List<float[]> vectors = new ArrayList<>();
        List<Object> echo = new ArrayList<>();
        if (!endless) {
            List<Object> given = r.actions();
            for (int i = 0; i < n; i++) {
                Object a = given == null ? null : given.get(i);
                vectors.add(a == null ? padding : action(a, space, "actions[" + i + "]"));
                echo.add(a);
            }
        }

        ArSchedule schedule = schedule(m, r.schedule());
        checkContext(frames.size(), schedule, "context.frames");
        MemoryModule memory = memory(m, r.memoryFrames());
        long deadline = deadline(endless ? NO_DEADLINE.toSeconds() : limits.maxGenerationSeconds());
        GenerationPlan plan = plan(m, schedule, memory, frames, ctxActions, n, seed(r.seed()), r.previews(), deadline);
        return new Planned(plan, ActionSource.fixed(vectors, padding), echo);
    }

    /**
     * The plan of a checked schedule and memory for the model: its frame and action sizes, noise
     * schedule, prediction and padding action (the evaluator plans each trajectory with this).
     */
    public static GenerationPlan plan(
            ModelManifest m,
            ArSchedule schedule,
            MemoryModule memory,
            List<float[]> contextFrames,
            List<float[]> contextActions,
            int frames,
            long seed,
            boolean previews,
            long deadlineNanos) {
        return new GenerationPlan(
                m.frame().size(),
                m.actions().vectorSize(),
                m.diffusion().alphasCumprod(),
                DdimSampler.Prediction.of(m.diffusion().prediction()),
                schedule,
                memory,
                contextFrames,
                contextActions,
                m.actions().padding(),
                frames,
                seed,
                previews,
                deadlineNanos);
    }

    /** How many frames a request asks for: one per action, or {@code frames}; within the limit. */
    private int frameCount(Request r) {
        List<Object> given = r.actions();
        int n;
        if (given != null) {
            if (given.isEmpty()) {
                throw PlanException.of("actions", "at least one action (one per frame to generate) is required");
            }
            n = given.size();
            if (r.frames() != null && r.frames() != n) {
                throw PlanException.of(
                        "frames",
                        r.frames() + " frames asked for but " + n
                                + " actions given; give one action per frame, or leave frames out");
            }
        } else if (r.frames() != null) {
            n = r.frames();
            if (n < 1) {
                throw PlanException.of("frames", "must be at least 1, got " + n);
            }
        } else {
            throw PlanException.of("actions", "give one action per frame to generate (or a frame count in frames)");
        }
        if (n > limits.maxFrames()) {
            throw PlanException.of(
                    given != null ? "actions" : "frames",
                    n + " frames asked for, the limit is " + limits.maxFrames() + " (arvdm.limits.max-frames)");
        }
        return n;
    }

    private static List<float[]> contextActions(
            int c, List<Object> given, ModelManifest.Actions space, float[] padding) {
        List<Object> list = given == null ? List.of() : given;
        if (!list.isEmpty() && list.size() != c - 1 && list.size() != c) {
            throw PlanException.of(
                    "context.actions",
                    "give " + (c - 1) + " actions (between the " + c + " frames) or " + c
                            + " (the first leading to frame 0), got " + list.size());
        }
        List<float[]> out = new ArrayList<>();
        int offset = c - list.size();
        for (int i = 0; i < c; i++) {
            int g = i - offset;
            out.add(g < 0 ? padding : action(list.get(g), space, "context.actions[" + g + "]"));
        }
        return out;
    }

    /**
     * The newest Δ context frames start the window (docs/engine.md), so a context needs at least Δ
     * (the schedule's stride) frames.
     */
    public static void checkContext(int contextFrames, ArSchedule schedule, String field) {
        if (contextFrames < schedule.stride()) {
            throw PlanException.of(
                    field,
                    contextFrames + " context frame(s) given, fewer than the stride"
                            + " (schedule.stride = " + schedule.stride() + "): the newest " + schedule.stride()
                            + " context frames start the window");
        }
    }

    /**
     * An action as the network sees it: a name of a discrete space becomes its one-hot vector, a
     * vector of a continuous space is taken as given (finite numbers, the space's size).
     */
    public static float[] action(Object a, ModelManifest.Actions space, String field) {
        if (space.discrete()) {
            if (!(a instanceof String name)) {
                throw PlanException.of(field, "must be an action name, one of " + space.names());
            }
            int idx = space.names().indexOf(name);
            if (idx < 0) {
                throw PlanException.of(
                        field,
                        "unknown action '" + PlanException.echo(name) + "'; the model's actions are " + space.names());
            }
            float[] v = new float[space.names().size()];
            v[idx] = 1f;
            return v;
        }
        if (!(a instanceof List<?> list) || list.size() != space.size()) {
            throw PlanException.of(field, "must be an array of " + space.size() + " numbers");
        }
        float[] v = new float[list.size()];
        for (int i = 0; i < v.length; i++) {
            if (!(list.get(i) instanceof Number num) || !Double.isFinite(num.doubleValue())) {
                throw PlanException.of(field + "[" + i + "]", "must be a finite number");
            }
            v[i] = num.floatValue();
        }
        return v;
    }

    /** The model's schedule with the client's overrides, checked rule by rule. */
    public ArSchedule schedule(ModelManifest m, Schedule s) {
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
            arSteps = s.arSteps() != null ? steps(s.arSteps(), "schedule.arSteps") : arSteps;
            initSteps = s.initSteps() != null ? steps(s.initSteps(), "schedule.initSteps") : initSteps;
            eta = s.eta() != null ? s.eta() : eta;
            in = s.inputLevels();
            out = s.outputLevels();
        }
        if (in == null) {
            if (out != null) {
                throw new ScheduleException(
                        "schedule.outputLevels",
                        "range",
                        "schedule.outputLevels: give" + " schedule.inputLevels with it");
            }
            return ArSchedule.defaultFamily(t, w, stride, arSteps, initSteps, eta);
        }
        return ArSchedule.explicit(
                t,
                w,
                stride,
                ints(in, "schedule.inputLevels"),
                out == null ? null : ints(out, "schedule.outputLevels"),
                arSteps,
                initSteps,
                eta);
    }

    /** A client's iteration count: at least 1, at most arvdm.limits.max-steps. */
    private int steps(int given, String field) {
        if (given < 1 || given > limits.maxSteps()) {
            throw PlanException.of(
                    field, "must be in 1.." + limits.maxSteps() + " (arvdm.limits.max-steps)," + " got " + given);
        }
        return given;
    }

    private static int[] ints(List<Integer> list, String field) {
        int[] a = new int[list.size()];
        for (int i = 0; i < a.length; i++) {
            if (list.get(i) == null) {
                throw PlanException.of(field + "[" + i + "]", "must be an integer level");
            }
            a[i] = list.get(i);
        }
        return a;
    }

    /** The model's memory module, reading {@code frames} history frames (null: the model's w_m; never more). */
    public static MemoryModule memory(ModelManifest m, Integer frames) {
        ModelManifest.Memory mem = m.memory();
        int budget = mem.frames();
        if (frames != null) {
            if ("none".equals(mem.kind())) {
                throw PlanException.of("memory.frames", "model " + m.id() + " has no memory");
            }
            if (frames < 1 || frames > mem.frames()) {
                throw PlanException.of(
                        "memory.frames",
                        "must be in 1.." + mem.frames()
                                + " (the model's memory length; it can be lowered, never raised), got " + frames);
            }
            budget = frames;
        }
        return MemoryModule.of(mem.kind(), budget, mem.tokens(), mem.tokenDim());
    }

    /** The seed given, or a random one below 2^53 (exact in JSON). */
    public static long seed(Long given) {
        return given != null ? given : ThreadLocalRandom.current().nextLong(1L << 53);
    }

    /**
     * The deadline ({@link System#nanoTime()}, compared by difference) of work that starts now and
     * may take {@code seconds}; at most {@link #NO_DEADLINE} ahead.
     */
    public static long deadline(long seconds) {
        return System.nanoTime() + Math.min(seconds, NO_DEADLINE.toSeconds()) * 1_000_000_000L;
    }

    /** How far ahead "no deadline" is (a session's loop): far, yet safe to compare by difference. */
    public static final java.time.Duration NO_DEADLINE = java.time.Duration.ofDays(3650);
}
