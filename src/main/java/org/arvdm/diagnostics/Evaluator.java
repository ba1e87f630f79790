package org.arvdm.diagnostics;

import java.util.ArrayList;
import java.util.List;
import org.arvdm.generation.ActionSource;
import org.arvdm.generation.ArGenerator;
import org.arvdm.generation.EngineObserver;
import org.arvdm.generation.GenerationCancelledException;
import org.arvdm.generation.GenerationListener;
import org.arvdm.generation.GenerationPlan;
import org.arvdm.generation.GenerationPlanner;
import org.arvdm.generation.GenerationStats;
import org.arvdm.image.FrameImages;
import org.arvdm.manifest.ModelManifest;

/**
 * Runs an {@link Evaluation}: for each trajectory, its context goes in, the same
 * {@link ArGenerator} that serves generations produces the future frames with the
 * trajectory's actions through the model's gateway, and every generated frame (as a client
 * receives it: clamped and rounded to 8 bits) is scored against the ground truth with
 * {@link ImageMetrics}, as is the last context frame (the baseline). Runs on the calling
 * thread; reproducible from the evaluation's seed.
 */
public final class Evaluator {

    /** Hears about each finished trajectory; says when the run should stop. Called on the evaluating thread. */
    public interface Listener {
        default void trajectoryDone(Progress progress) {}

        /** True once the run should stop: it ends before its next network call. */
        default boolean cancelled() {
            return false;
        }
    }

    /**
     * One trajectory done, with the running scores over every trajectory so far.
     *
     * @param generated the generated frames as scored (C·H·W in [-1, 1]); for pictures, not for the wire
     */
    public record Progress(
            int index,
            int total,
            EvaluationReport.TrajectoryResult result,
            List<float[]> generated,
            Scoring.Scores scores,
            Scoring.Scores baseline) {}

    private final ArGenerator generator = new ArGenerator();

    /**
     * Runs the whole evaluation on the calling thread (the report command, tests).
     *
     * @throws GenerationCancelledException when the listener asks to stop
     * @throws org.arvdm.generation.GenerationDeadlineException when the evaluation's deadline passes
     */
    public EvaluationReport run(Evaluation e, Listener listener) throws InterruptedException {
        Run run = start(e, listener);
        while (!run.done()) {
            run.step();
        }
        return run.report();
    }

    /** An evaluation to run a step at a time ({@link Run#step()}): how the service's runner drives it. */
    public Run start(Evaluation e, Listener listener) {
        return new Run(e, listener);
    }

    /**
     * One evaluation in progress. Each {@link #step()} generates and scores one trajectory, then
     * (controllability sets) probes one state with every action; {@link #report()} once done.
     */
    public final class Run {
        private final Evaluation e;
        private final Listener listener;
        private final long start = System.nanoTime();
        private final ModelManifest.Frame shape;
        private final List<Scoring.FrameScore> model = new ArrayList<>();
        private final List<Scoring.FrameScore> baseline = new ArrayList<>();
        private final List<EvaluationReport.TrajectoryResult> results = new ArrayList<>();
        private final Controllability.Tally tally;
        private int calls;
        private int trajectory;
        private int state;
        private EvaluationReport report;

        private Run(Evaluation e, Listener listener) {
            this.e = e;
            this.listener = listener;
            this.shape = e.manifest().frame();
            this.tally = e.states().isEmpty()
                    ? null
                    : new Controllability.Tally(e.manifest().actions().names());
        }

        public boolean done() {
            return trajectory == e.trajectories().size() && state == e.states().size();
        }

        /** The next trajectory, or the next controllability state once every trajectory is done. */
        public void step() throws InterruptedException {
            if (trajectory < e.trajectories().size()) {
                trajectory(trajectory++);
            } else if (state < e.states().size()) {
                state(state++);
            } else {
                throw new IllegalStateException("the evaluation is done");
            }
        }

        /** The report, once {@link #done()}. */
        public EvaluationReport report() {
            if (report == null) {
                Controllability controllability =
                        tally == null ? null : tally.result(shape.channels(), shape.height(), shape.width());
                report = new EvaluationReport(
                        e.model(),
                        e.set(),
                        e.seed(),
                        e.trajectories().size(),
                        e.contextFrames(),
                        e.frames(),
                        Scoring.DATA_RANGE,
                        e.retrievalThreshold(),
                        e.schedule(),
                        e.memoryUsed(),
                        Scoring.summarize(model, e.retrievalThreshold()),
                        Scoring.summarize(baseline, e.retrievalThreshold()),
                        results,
                        calls,
                        (System.nanoTime() - start) / 1e6,
                        controllability);
            }
            return report;
        }

        private void trajectory(int i) throws InterruptedException {
            if (listener.cancelled() || Thread.currentThread().isInterrupted()) {
                throw new GenerationCancelledException("evaluation cancelled after " + i + " trajectories");
            }
            long t0 = System.nanoTime();
            EvaluationSet.Trajectory t = e.trajectories().get(i);
            List<float[]> generated = new ArrayList<>();
            GenerationStats stats = generate(e, i, generated, listener);
            float[] last = t.frames().get(e.contextFrames() - 1);
            List<Scoring.FrameScore> mine = new ArrayList<>();
            List<Scoring.FrameScore> base = new ArrayList<>();
            for (int k = 0; k < generated.size(); k++) {
                int g = e.contextFrames() + k;
                float[] truth = t.frames().get(g);
                int since = t.sinceSeen()[g];
                mine.add(Scoring.score(
                        i, k, since, generated.get(k), truth, shape.channels(), shape.height(), shape.width()));
                base.add(Scoring.score(i, k, since, last, truth, shape.channels(), shape.height(), shape.width()));
            }
            model.addAll(mine);
            baseline.addAll(base);
            if (tally != null) {
                int[] idx = new int[generated.size()];
                for (int k = 0; k < idx.length; k++) {
                    idx[k] = e.manifest().actions().names().indexOf(t.actions().get(e.contextFrames() + k));
                }
                tally.trajectory(
                        last,
                        generated,
                        t.frames().subList(e.contextFrames(), e.contextFrames() + generated.size()),
                        idx);
            }
            calls += stats.networkCalls();
            EvaluationReport.TrajectoryResult result =
                    result(e, i, mine, base, stats.networkCalls(), (System.nanoTime() - t0) / 1e6);
            results.add(result);
            listener.trajectoryDone(new Progress(
                    i,
                    e.trajectories().size(),
                    result,
                    generated,
                    Scoring.summarize(model, e.retrievalThreshold()),
                    Scoring.summarize(baseline, e.retrievalThreshold())));
        }

        private void state(int s) throws InterruptedException {
            List<String> names = e.manifest().actions().names();
            EvaluationSet.ControlState st = e.states().get(s);
            List<float[]> made = new ArrayList<>();
            for (int a = 0; a < names.size(); a++) {
                if (listener.cancelled() || Thread.currentThread().isInterrupted()) {
                    throw new GenerationCancelledException("evaluation cancelled at controllability state " + s);
                }
                List<float[]> out = new ArrayList<>(1);
                calls += generate(
                                e,
                                st.history(),
                                st.historyActions(),
                                List.of(names.get(a)),
                                e.seed() + CONTROL_SEED_OFFSET + s,
                                out,
                                listener)
                        .networkCalls();
                made.add(out.get(0));
            }
            tally.state(made, st);
        }
    }

    /**
     * Controllability state s is generated with seed {@code seed + CONTROL_SEED_OFFSET + s} for
     * every action (the same noise), apart from the trajectories' seeds.
     */
    public static final long CONTROL_SEED_OFFSET = 1_000_000L;

    private GenerationStats generate(Evaluation e, int i, List<float[]> out, Listener listener)
            throws InterruptedException {
        EvaluationSet.Trajectory t = e.trajectories().get(i);
        int c = e.contextFrames();
        int n = e.framesFor(t);
        return generate(
                e,
                t.frames().subList(0, c),
                t.actions().subList(0, c),
                t.actions().subList(c, c + n),
                e.seedFor(i),
                out,
                listener);
    }

    /** Generates one frame per name in {@code future} after the given context, into {@code out}. */
    private GenerationStats generate(
            Evaluation e,
            List<float[]> context,
            List<String> contextActions,
            List<String> future,
            long seed,
            List<float[]> out,
            Listener listener)
            throws InterruptedException {
        ModelManifest m = e.manifest();
        float[] padding = m.actions().padding();
        List<float[]> ctxActions = new ArrayList<>();
        for (String a : contextActions) {
            ctxActions.add(oneHot(a, m.actions()));
        }
        List<float[]> actions = new ArrayList<>();
        for (String a : future) {
            actions.add(oneHot(a, m.actions()));
        }
        int n = future.size();
        GenerationPlan plan = GenerationPlanner.plan(
                m, e.schedule(), e.memory(), context, ctxActions, n, seed, false, e.deadlineNanos());
        return generator.run(
                plan,
                ActionSource.fixed(actions, padding),
                e.gateway(),
                new GenerationListener() {
                    @Override
                    public void frame(int index, float[] frame, int arStep, long elapsedNanos) {
                        out.add(FrameImages.quantize(frame));
                    }

                    @Override
                    public boolean cancelled() {
                        return listener.cancelled();
                    }
                },
                EngineObserver.NONE);
    }

    private static EvaluationReport.TrajectoryResult result(
            Evaluation e, int i, List<Scoring.FrameScore> mine, List<Scoring.FrameScore> base, int calls, double ms) {
        int revisits = 0;
        int retrieved = 0;
        for (Scoring.FrameScore f : mine) {
            if (Scoring.bucketOf(f.sinceSeen()) >= 0) {
                revisits++;
                if (f.ssim() > e.retrievalThreshold()) {
                    retrieved++;
                }
            }
        }
        EvaluationSet.Trajectory t = e.trajectories().get(i);
        return new EvaluationReport.TrajectoryResult(
                t.id(),
                e.seedFor(i),
                mine.size(),
                psnr(mine),
                meanSsim(mine),
                revisits,
                retrieved,
                psnr(base),
                meanSsim(base),
                calls,
                ms);
    }

    private static double psnr(List<Scoring.FrameScore> frames) {
        return Scoring.psnrOfMse(
                frames.stream().mapToDouble(Scoring.FrameScore::mse).average().orElse(0));
    }

    private static double meanSsim(List<Scoring.FrameScore> frames) {
        return frames.stream().mapToDouble(Scoring.FrameScore::ssim).average().orElse(Double.NaN);
    }

    /** The one-hot vector of a discrete action name in the model's space. */
    static float[] oneHot(String name, ModelManifest.Actions space) {
        int idx = space.discrete() ? space.names().indexOf(name) : -1;
        if (idx < 0) {
            throw new IllegalArgumentException("action '" + name + "' is not in the model's action space");
        }
        float[] v = new float[space.names().size()];
        v[idx] = 1f;
        return v;
    }
}
