package org.arvdm.generation;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.arvdm.memory.History;
import org.arvdm.memory.MemoryView;

/**
 * The Meta-ARVDM loop (docs/engine.md) as a resumable state: an initialization stage that
 * fills the window's older frames, then AR steps of {@code M_ar} denoising iterations that slide
 * the window by {@code Δ}. {@link #advance} runs one unit (the initialization stage, or one AR
 * step) on the calling thread and returns; between units everything (window, levels, actions,
 * history, random stream, counters) sits in this object on the heap, so a loop that waits for
 * actions holds no thread and no native memory (that exists only inside one network call, owned
 * by {@link Networks}).
 * <p>
 * A unit consumes the actions of the frames that enter the window in it; {@link #actionsNeeded()}
 * says how many (frame indices {@code 0..n-1}) the next unit reads, so a caller can wait for
 * them before calling {@link #advance}. Each frame is handed to the listener the moment it
 * reaches level 0. {@link #fork()} copies the whole state: the copy and the original, given the
 * same actions, produce the same frames.
 * <p>
 * Not thread-safe: one thread at a time advances a loop (the runner guarantees it).
 */
public final class ArLoop {
    private final GenerationPlan plan;
    private final ArSchedule schedule;
    private final DdimSampler sampler;
    private final LoopRandom rng;
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

    private boolean initialized;
    private int emitted;
    private int nextIndex;
    private int arStep;
    private int calls;
    private int memUsed;
    private long memBytes;
    private long start = System.nanoTime();
    private long firstFrameNanos = -1;
    private long stepNanos;

    public ArLoop(GenerationPlan plan) {
        this.plan = plan;
        this.schedule = plan.schedule();
        this.sampler = new DdimSampler(plan.alphasCumprod(), plan.prediction());
        this.rng = new LoopRandom(plan.seed());
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

    private ArLoop(ArLoop o) {
        this.plan = o.plan;
        this.schedule = o.schedule;
        this.sampler = o.sampler;
        this.rng = o.rng.copy();
        this.fs = o.fs;
        this.as = o.as;
        this.w = o.w;
        this.stride = o.stride;
        this.history = o.history.copy();
        this.x = o.x.clone();
        this.level = o.level.clone();
        this.act = o.act.clone();
        this.index = o.index.clone();
        this.x0 = new float[fs];
        this.initialized = o.initialized;
        this.emitted = o.emitted;
        this.nextIndex = o.nextIndex;
        this.arStep = o.arStep;
        this.calls = 0;
        this.start = System.nanoTime();
    }

    /** A copy of the whole state (window, levels, history, random stream); counters and timing start afresh. */
    public ArLoop fork() {
        return new ArLoop(this);
    }

    public GenerationPlan plan() {
        return plan;
    }

    /** True once every frame of the plan has been emitted. */
    public boolean finished() {
        return emitted >= plan.frames();
    }

    public int emitted() {
        return emitted;
    }

    /** Heap bytes of the state (window, history), for the sessions' bytes-held accounting. */
    public long heapBytes() {
        return 4L * (x.length + act.length + x0.length) + 8L * w + (long) history.size() * 4L * (fs + as);
    }

    /**
     * Frame indices {@code 0..n-1} whose actions the next {@link #advance} reads (capped at the
     * plan's frame count: frames past it get the padding action).
     */
    public int actionsNeeded() {
        int last;
        if (!initialized) {
            last = schedule.initFrames() > 0 ? w - stride : w;
        } else {
            last = nextIndex + stride;
        }
        return Math.min(last, plan.frames());
    }

    /**
     * The schedule's action lag in frames: in steady state, frame {@code i} is emitted by the AR
     * step that first reads the action of frame {@code i + lag}. The window's newest frame enters
     * at slot {@code w-1}; the oldest frame still being denoised sits at slot {@code j0}, the count
     * of leading clean input levels. The first {@code w−Δ} frames come out of the initialization
     * stage, which reads their actions all at once.
     */
    public static int lag(ArSchedule s) {
        int[] in = s.inputLevels();
        int j0 = 0;
        while (j0 < in.length && in[j0] == 0) {
            j0++;
        }
        return s.window() - 1 - j0;
    }

    /** Network calls per emitted frame in steady state: M_ar denoiser calls per AR step of Δ frames. */
    public static double callsPerFrame(ArSchedule s, boolean encoder) {
        return (s.arSteps() + (encoder ? 1 : 0)) / (double) s.stride();
    }

    /**
     * Runs the next unit: the initialization stage, or one AR step (sliding the window first).
     *
     * @throws GenerationCancelledException when the listener reports the client gone
     * @throws GenerationDeadlineException  when the plan's deadline passes
     */
    public void advance(ActionSource source, CallGateway gateway, GenerationListener listener, EngineObserver observer)
            throws InterruptedException {
        if (finished()) {
            throw new IllegalStateException("the loop has emitted all " + plan.frames() + " frames");
        }
        Unit u = new Unit(source, gateway, listener, observer);
        if (!initialized) {
            initialized = true;
            if (schedule.initFrames() > 0) {
                u.initialize();
                return;
            }
            for (int j = 0; j < w; j++) {
                u.enterNoise(j);
            }
        } else if (arStep > 0) {
            u.slide();
        } else {
            for (int j = w - stride; j < w; j++) {
                u.enterNoise(j);
            }
        }
        arStep++;
        long stepStart = System.nanoTime();
        MemoryView memory = u.prepareMemory();
        for (int m = 1; m <= schedule.arSteps() && emitted < plan.frames(); m++) {
            int[] to = new int[w];
            for (int j = 0; j < w; j++) {
                to[j] = schedule.arLevel(j, m);
            }
            u.iterate("ar", m, to, memory);
            u.emitReady();
        }
        stepNanos += System.nanoTime() - stepStart;
    }

    public GenerationStats stats() {
        double totalMs = (System.nanoTime() - start) / 1e6;
        return new GenerationStats(
                emitted, arStep, calls, totalMs, arStep == 0 ? 0 : stepNanos / 1e6 / arStep, firstFrameNanos / 1e6);
    }

    /** Takes this loop's memory out of the observer's gauges (call once when the loop ends; idempotent). */
    public void release(EngineObserver observer) {
        observer.memoryChanged(-memUsed, -memBytes);
        memUsed = 0;
        memBytes = 0;
    }

    /** One {@link #advance} call's collaborators. */
    private final class Unit {
        private final ActionSource source;
        private final CallGateway gateway;
        private final GenerationListener listener;
        private final EngineObserver observer;

        Unit(ActionSource source, CallGateway gateway, GenerationListener listener, EngineObserver observer) {
            this.source = source;
            this.gateway = gateway;
            this.listener = listener;
            this.observer = observer;
        }

        /**
         * The initialization stage: the first Δ slots hold the newest Δ context frames at level
         * 0 (so the window starts from the context even without memory); the other w−Δ slots are
         * generated jointly from T to 0 in M_init iterations, then re-noised to t^I. The Δ new
         * noise frames enter with the first AR step.
         */
        void initialize() throws InterruptedException {
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
            emitReady();
        }

        /** Puts the next generated frame into slot j as pure noise at level T, with its action. */
        void enterNoise(int j) throws InterruptedException {
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
        void iterate(String phase, int iteration, int[] to, MemoryView memory) throws InterruptedException {
            checkLive();
            long t0 = System.nanoTime();
            long[] levels = new long[w];
            for (int j = 0; j < w; j++) {
                levels[j] = level[j];
            }
            float[] out = gateway.denoise(
                    new DenoiseCall(x, levels, act, memory.memory(), memory.slots(), memory.actions(), memory.mask()));
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
        void emitReady() {
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
        void slide() throws InterruptedException {
            for (int j = 0; j < stride; j++) {
                if (index[j] >= emitted || level[j] != 0) {
                    throw new IllegalStateException(
                            "frame " + index[j] + " left the window unfinished at level " + level[j]);
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
        MemoryView prepareMemory() {
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

        void checkLive() {
            if (listener.cancelled() || Thread.currentThread().isInterrupted()) {
                throw new GenerationCancelledException("generation cancelled after " + emitted + " frames");
            }
            if (System.nanoTime() - plan.deadlineNanos() > 0) {
                throw new GenerationDeadlineException(
                        "generation exceeded its time limit after " + emitted + " frames");
            }
        }
    }
}
