package org.arvdm.generation;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import org.arvdm.memory.History;
import org.arvdm.memory.MemoryView;

/**
 * The Meta-ARVDM loop (docs/meta-arvdm.md): an initialization stage that fills the window's
 * older frames, then AR steps of {@code M_ar} denoising iterations that slide the window by
 * {@code Δ}. Each frame is handed to the listener the moment it reaches level 0.
 * <p>
 * State lives on the JVM heap; native memory exists only inside one network call (owned by
 * {@link Networks}). One instance serves any number of generations; each {@link #run} call
 * is independent and reproducible from the plan's seed.
 */
public final class ArGenerator {

    /**
     * Runs one generation to its last frame on the calling thread.
     *
     * @throws GenerationCancelledException when the listener reports the client gone
     * @throws GenerationDeadlineException  when the plan's deadline passes
     */
    public GenerationStats run(GenerationPlan plan, ActionSource actions, CallGateway gateway,
                               GenerationListener listener, EngineObserver observer) throws InterruptedException {
        Run run = new Run(plan, actions, gateway, listener, observer);
        try (CallGateway.Registration joined = gateway.open()) {
            return run.execute();
        } finally {
            run.releaseMemory();
        }
    }

    private static final class Run {
        private final GenerationPlan plan;
        private final ActionSource source;
        private final CallGateway gateway;
        private final GenerationListener listener;
        private final EngineObserver observer;
        private final ArSchedule schedule;
        private final DdimSampler sampler;
        private final SplittableRandom rng;
        private final History history;
        private final int fs;
        private final int as;
        private final int w;
        private final int stride;

        private final float[] x;
        private final int[] level;
        private final float[] act;
        private final int[] index;
        private final float[] x0;

        private int emitted;
        private int nextIndex;
        private int arStep;
        private int calls;
        private int memUsed;
        private long memBytes;
        private final long start = System.nanoTime();
        private long firstFrameNanos = -1;
        private long stepNanos;

        Run(GenerationPlan plan, ActionSource source, CallGateway gateway, GenerationListener listener,
            EngineObserver observer) {
            this.plan = plan;
            this.source = source;
            this.gateway = gateway;
            this.listener = listener;
            this.observer = observer;
            this.schedule = plan.schedule();
            this.sampler = new DdimSampler(plan.alphasCumprod(), plan.prediction());
            this.rng = new SplittableRandom(plan.seed());
            this.fs = plan.frameSize();
            this.as = plan.actionSize();
            this.w = schedule.window();
            this.stride = schedule.stride();
            this.history = new History(fs, as);
            for (int i = 0; i < plan.contextFrames().size(); i++) {
                history.append(plan.contextFrames().get(i), plan.contextActions().get(i));
            }
            this.x = new float[w * fs];
            this.level = new int[w];
            this.act = new float[w * as];
            this.index = new int[w];
            this.x0 = new float[fs];
        }

        GenerationStats execute() throws InterruptedException {
            if (schedule.initFrames() > 0) {
                initialize();
            } else {
                for (int j = 0; j < w; j++) {
                    enterNoise(j);
                }
            }
            while (emitted < plan.frames()) {
                arStep++;
                long stepStart = System.nanoTime();
                MemoryView memory = prepareMemory();
                for (int m = 1; m <= schedule.arSteps() && emitted < plan.frames(); m++) {
                    int[] to = new int[w];
                    for (int j = 0; j < w; j++) {
                        to[j] = schedule.arLevel(j, m);
                    }
                    iterate("ar", m, to, memory);
                    emitReady();
                }
                stepNanos += System.nanoTime() - stepStart;
                if (emitted < plan.frames()) {
                    slide();
                }
            }
            double totalMs = (System.nanoTime() - start) / 1e6;
            return new GenerationStats(emitted, arStep, calls, totalMs, arStep == 0 ? 0 : stepNanos / 1e6 / arStep,
                    firstFrameNanos / 1e6);
        }

        /**
         * The initialization stage: the first Δ slots hold the newest Δ context frames at level
         * 0 (so the window starts from the context even without memory); the other w−Δ slots are
         * generated jointly from T to 0 in M_init iterations, then re-noised to t^I.
         */
        private void initialize() throws InterruptedException {
            int ctx = history.size();
            for (int j = 0; j < stride; j++) {
                int h = ctx - stride + j; // GenerationPlan guarantees ctx >= stride
                System.arraycopy(history.frame(h), 0, x, j * fs, fs);
                System.arraycopy(history.action(h), 0, act, j * as, as);
                level[j] = 0;
                index[j] = -1;
            }
            for (int j = stride; j < w; j++) {
                enterNoise(j);
            }
            MemoryView memory = prepareMemory();
            for (int m = 1; m <= schedule.initSteps(); m++) {
                int[] to = level.clone();
                for (int j = stride; j < w; j++) {
                    to[j] = schedule.initLevel(m);
                }
                iterate("init", m, to, memory);
            }
            // Shift the clean init frames to the front and noise each to its input level.
            int[] in = schedule.inputLevels();
            float[] clean = new float[fs];
            for (int j = 0; j < w - stride; j++) {
                int from = j + stride;
                System.arraycopy(x, from * fs, clean, 0, fs);
                sampler.noise(clean, x, j * fs, in[j], rng);
                System.arraycopy(act, from * as, act, j * as, as);
                level[j] = in[j];
                index[j] = index[from];
            }
            nextIndex = w - stride;
            for (int j = w - stride; j < w; j++) {
                enterNoise(j);
            }
            emitReady();
        }

        /** Puts the next generated frame into slot j as pure noise at level T, with its action. */
        private void enterNoise(int j) throws InterruptedException {
            for (int i = 0; i < fs; i++) {
                x[j * fs + i] = (float) rng.nextGaussian();
            }
            level[j] = schedule.timesteps();
            int idx = nextIndex++;
            index[j] = idx;
            float[] a = idx < plan.frames() ? source.actionFor(idx) : plan.padding();
            System.arraycopy(a, 0, act, j * as, as);
        }

        /** One denoiser call at the current levels, then a DDIM update of every frame whose level changes. */
        private void iterate(String phase, int iteration, int[] to, MemoryView memory) throws InterruptedException {
            checkLive();
            long t0 = System.nanoTime();
            long[] levels = new long[w];
            for (int j = 0; j < w; j++) {
                levels[j] = level[j];
            }
            float[] out = gateway.denoise(new DenoiseCall(x, levels, act, memory.memory(), memory.slots(),
                    memory.actions(), memory.mask()));
            int batch = gateway.lastBatchSize();
            calls++;
            observer.networkCall("denoiser");
            List<GenerationListener.PreviewFrame> previews = plan.previews() ? new ArrayList<>() : null;
            for (int j = 0; j < w; j++) {
                if (to[j] == level[j]) {
                    continue;
                }
                sampler.predictX0(x, out, j * fs, fs, level[j], x0);
                sampler.step(x, j * fs, fs, x0, level[j], to[j], schedule.eta(), rng);
                level[j] = to[j];
                if (previews != null) {
                    previews.add(new GenerationListener.PreviewFrame(index[j], to[j], x0.clone()));
                }
            }
            observer.iteration(phase, System.nanoTime() - t0, batch);
            if (previews != null && !previews.isEmpty()) {
                listener.preview(arStep, iteration, previews);
            }
        }

        /** Emits, in order, every frame that has reached level 0 and is next in line. */
        private void emitReady() {
            for (int j = 0; j < w && emitted < plan.frames(); j++) {
                if (index[j] < emitted) {
                    continue;
                }
                if (index[j] != emitted || level[j] != 0) {
                    return;
                }
                float[] frame = Arrays.copyOfRange(x, j * fs, (j + 1) * fs);
                history.append(frame, Arrays.copyOfRange(act, j * as, (j + 1) * as));
                long elapsed = System.nanoTime() - start;
                if (firstFrameNanos < 0) {
                    firstFrameNanos = elapsed;
                    observer.firstFrame(elapsed);
                }
                listener.frame(emitted, frame, arStep, elapsed);
                observer.frameEmitted();
                emitted++;
            }
        }

        /** Δ finished frames leave the window; Δ new noise frames enter it. */
        private void slide() throws InterruptedException {
            for (int j = 0; j < stride; j++) {
                if (index[j] >= emitted || level[j] != 0) {
                    throw new IllegalStateException("frame " + index[j] + " left the window unfinished at level "
                            + level[j]);
                }
            }
            System.arraycopy(x, stride * fs, x, 0, (w - stride) * fs);
            System.arraycopy(act, stride * as, act, 0, (w - stride) * as);
            System.arraycopy(level, stride, level, 0, w - stride);
            System.arraycopy(index, stride, index, 0, w - stride);
            for (int j = w - stride; j < w; j++) {
                enterNoise(j);
            }
        }

        /**
         * The memory view for the coming step, from the history without the frames that sit clean
         * in the window (the newest Δ context frames during the initialization stage; emitted
         * frames a schedule keeps at level 0 in the window): as in training, the network never
         * sees a frame both in its window and in its memory.
         */
        private MemoryView prepareMemory() {
            checkLive();
            int inWindow = 0;
            for (int j = 0; j < w; j++) {
                if (index[j] < emitted) { // a context frame (-1) or an emitted frame still in the window
                    inWindow++;
                }
            }
            History visible = inWindow == 0 ? history : history.prefix(history.size() - inWindow);
            MemoryView view = plan.memory().prepare(visible, (frames, actions, mask, slots) -> {
                checkLive();
                try {
                    float[] tokens = gateway.encode(new EncodeCall(frames, actions, mask, slots));
                    calls++;
                    observer.networkCall("memory_encoder");
                    return tokens;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new GenerationCancelledException("interrupted while encoding memory");
                }
            });
            observer.memoryChanged(view.used() - memUsed, view.bytes() - memBytes);
            memUsed = view.used();
            memBytes = view.bytes();
            return view;
        }

        private void checkLive() {
            if (listener.cancelled() || Thread.currentThread().isInterrupted()) {
                throw new GenerationCancelledException("generation cancelled after " + emitted + " frames");
            }
            if (System.nanoTime() - plan.deadlineNanos() > 0) {
                throw new GenerationDeadlineException("generation exceeded its time limit after " + emitted
                        + " frames");
            }
        }

        void releaseMemory() {
            observer.memoryChanged(-memUsed, -memBytes);
            memUsed = 0;
            memBytes = 0;
        }
    }
}
