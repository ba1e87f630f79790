package org.arvdm.session;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.arvdm.generation.ActionSource;
import org.arvdm.generation.ArLoop;
import org.arvdm.generation.CallGateway;
import org.arvdm.generation.EngineFailure;
import org.arvdm.generation.EngineObserver;
import org.arvdm.generation.GenerationListener;
import org.arvdm.generation.GenerationService;
import org.arvdm.generation.LoopTask;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;
import reactor.core.publisher.Operators;

/**
 * One interactive session: an {@link ArLoop} without an end that the runner advances when the
 * actions its next unit reads are there (step mode) or when its pacing slot comes (realtime:
 * missing actions become the padding action, and nothing runs while no viewer is connected).
 * Between units it is plain heap state: no worker thread, no gateway registration, no native
 * memory.
 * <p>
 * Output: each frame is encoded on the runner's encoder scheduler, appended to a bounded log
 * (the replay buffer for {@code Last-Event-ID}) and to the recording, and handed to every
 * connected viewer as that viewer asks for it. The loop parks while the slowest connected viewer
 * (or, with none, the furthest any viewer read) is a replay buffer behind: a client that never
 * reads holds a bounded amount of memory.
 * <p>
 * Everything mutable is guarded by this object's monitor (the runner's too).
 */
public final class Session extends LoopTask {
    private static final Logger LOG = LoggerFactory.getLogger(Session.class);
    /** The pacing grid's origin, one for all sessions (see {@link #onGrid}). */
    private static final long PACING_EPOCH = System.nanoTime();

    private static final long LEAD_STEP_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

    public enum Mode {
        REALTIME,
        STEP;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** What the session was created with, besides its loop. */
    public record Spec(
            String model,
            Mode mode,
            int fps,
            float[] padding,
            GenerationService.FrameEncoder frames,
            GenerationService.FrameEncoder previews,
            Function<Session, Object> describe) {}

    /** One action as the client sent it: the vector the network sees and what the events echo. */
    public record Input(float[] vector, Object echo) {}

    /** An action given to a frame index: a received one (seq ≥ 0) or the padding (seq -1). */
    private record Resolved(float[] vector, Object echo, long seq, long arrivalNanos) {}

    private record RawFrame(int index, float[] frame, Resolved action, Double latencyMs, double elapsedMs) {}

    private record RawPreview(int arStep, int iteration, List<GenerationListener.PreviewFrame> frames) {}

    /** Encoded events waiting for encoders before the loop parks. */
    static final int ENCODE_BACKLOG = 4;

    private final String id;
    /** The id of the API key that opened (or forked) this session; null when API keys are off. */
    private final String owner;

    private final Spec spec;
    private final SessionService service;
    private final int lag;
    private final long intervalNanos;
    private final Instant createdAt = Instant.now();
    private final GenerationListener listener;

    private final ArrayDeque<Resolved> pending = new ArrayDeque<>();
    private final ArrayList<Resolved> resolved = new ArrayList<>();
    private int resolvedBase;
    private long nextSeq;
    private long actionsReceived;

    private final ArrayDeque<Object> toEncode = new ArrayDeque<>();
    private boolean encoding;
    private final ArrayList<SessionEvent> log = new ArrayList<>();
    private long logStart;
    private long logEnd;
    private int framesInLog;
    private long logBytes;
    private final ArrayDeque<String> recording = new ArrayDeque<>();
    private long recordingBytes;
    private final List<Viewer> viewers = new ArrayList<>();
    private int maxDelivered;

    private int emitted;
    private long lateFrames;
    private boolean paced;
    private long t0;
    private long unitEstimateNanos;
    private long timerAt = Long.MIN_VALUE;
    private long lastActivityNanos = System.nanoTime();
    private Instant lastActivityAt = createdAt;
    private int holds;
    private boolean closed;
    private String closeReason;

    /**
     * @param parent the session this one forks (its monitor held by the caller, no unit running), or null:
     *               the fork takes over the actions already in the window and the recording so far
     * @param owner  the API key id the session belongs to, or null when keys are off
     */
    Session(
            String id,
            String owner,
            ArLoop loop,
            CallGateway gateway,
            EngineObserver observer,
            Spec spec,
            SessionService service,
            Session parent) {
        super(loop, gateway, observer);
        this.id = id;
        this.owner = owner;
        this.spec = spec;
        this.service = service;
        this.lag = ArLoop.lag(loop.plan().schedule());
        this.intervalNanos = TimeUnit.SECONDS.toNanos(1) / spec.fps();
        this.emitted = loop.emitted();
        this.resolvedBase = loop.emitted();
        if (parent != null) {
            this.nextSeq = parent.nextSeq;
            this.resolvedBase = parent.resolvedBase;
            this.resolved.addAll(parent.resolved);
            this.recording.addAll(parent.recording);
            this.recordingBytes = parent.recordingBytes;
        }
        this.listener = new GenerationListener() {
            @Override
            public void frame(int index, float[] frame, int arStep, long elapsedNanos) {
                onFrame(index, frame, elapsedNanos);
            }

            @Override
            public void preview(int arStep, int iteration, List<PreviewFrame> frames) {
                synchronized (Session.this) {
                    toEncode.add(new RawPreview(arStep, iteration, frames));
                }
                scheduleEncode();
            }

            @Override
            public boolean cancelled() {
                return Session.this.cancelled();
            }
        };
    }

    public String id() {
        return id;
    }

    /** The id of the API key this session belongs to; null when API keys are off. */
    public String owner() {
        return owner;
    }

    /** Whether a request made with API key {@code key} (null: keys off) may see this session. */
    public boolean ownedBy(String key) {
        return java.util.Objects.equals(owner, key);
    }

    /** The id as logs show it: a prefix, never the whole capability. */
    public String shortId() {
        return id.substring(0, 6) + "…";
    }

    CallGateway gatewayOf() {
        return gateway;
    }

    public Spec spec() {
        return spec;
    }

    public Mode mode() {
        return spec.mode();
    }

    public int fps() {
        return spec.fps();
    }

    public int lagFrames() {
        return lag;
    }

    public Instant createdAt() {
        return createdAt;
    }

    // ---- the runner's hooks --------------------------------------------------------------

    @Override
    protected boolean ready() {
        if (closed || holds > 0 || toEncode.size() >= ENCODE_BACKLOG) {
            return false;
        }
        int window = loop.plan().schedule().window();
        if (undelivered() + window > service.config().replayFrames()) {
            return false;
        }
        int need = loop.actionsNeeded();
        if (spec.mode() == Mode.STEP) {
            return resolvedBase + resolved.size() + pending.size() >= need;
        }
        if (viewers.isEmpty()) {
            paced = false;
            return false;
        }
        long now = System.nanoTime();
        if (!paced) {
            paced = true;
            t0 = onGrid(now - emitted * intervalNanos);
        }
        long due = t0 + emitted * intervalNanos - lead();
        if (now - due >= 0) {
            return true;
        }
        if (timerAt != due) {
            timerAt = due;
            service.wakeAt(this, due - now);
        }
        return false;
    }

    /**
     * The first instant at or after {@code t} on the pacing grid: multiples of the frame interval
     * from one epoch shared by every session. Realtime sessions at the same fps then have their
     * slots at the same instants, so their units come due together and their network calls batch
     * in the gateway; slots anchored at each session's own start would spread the calls over the
     * interval and leave every batch at about one (measured: docs/performance.md, "Sessions").
     * Costs a session at most one frame interval before its first frame.
     */
    private long onGrid(long t) {
        return PACING_EPOCH + Math.floorDiv(t - PACING_EPOCH + intervalNanos - 1, intervalNanos) * intervalNanos;
    }

    /**
     * How long before its slot a unit starts: the measured unit time, rounded up to a multiple of
     * {@link #LEAD_STEP_NANOS} so that sessions whose estimates differ by a little start together.
     */
    private long lead() {
        return Math.min(intervalNanos, (unitEstimateNanos + LEAD_STEP_NANOS - 1) / LEAD_STEP_NANOS * LEAD_STEP_NANOS);
    }

    /** Frames emitted that the slowest connected viewer (or, with none, the furthest reader) has not had. */
    private int undelivered() {
        if (viewers.isEmpty()) {
            return emitted - maxDelivered;
        }
        int min = Integer.MAX_VALUE;
        for (Viewer v : viewers) {
            min = Math.min(min, v.framesDelivered);
        }
        return emitted - min;
    }

    @Override
    protected void beforeUnit() {
        synchronized (this) {
            int need = loop.actionsNeeded();
            while (resolvedBase + resolved.size() < need) {
                Resolved r = pending.poll();
                if (r == null) {
                    if (spec.mode() == Mode.STEP) {
                        throw new IllegalStateException("step session ran without its actions");
                    }
                    r = new Resolved(spec.padding(), null, -1, 0);
                }
                resolved.add(r);
            }
        }
    }

    @Override
    protected void afterUnit(long unitNanos) {
        synchronized (this) {
            unitEstimateNanos = unitEstimateNanos == 0 ? unitNanos : (unitEstimateNanos * 7 + unitNanos) / 8;
            unitEstimateNanos = Math.min(unitEstimateNanos, intervalNanos);
        }
    }

    @Override
    protected ActionSource actions() {
        return index -> {
            synchronized (this) {
                return resolved.get(index - resolvedBase).vector();
            }
        };
    }

    @Override
    protected GenerationListener listener() {
        return listener;
    }

    @Override
    protected String work() {
        return "session";
    }

    @Override
    protected String label() {
        return "session " + shortId() + " on " + spec.model();
    }

    @Override
    protected void ended(EngineFailure failure) {
        if (failure != null && failure.kind() != EngineFailure.Kind.CANCELLED) {
            service.closeWithError(this, failure);
        }
    }

    private void onFrame(int index, float[] frame, long elapsedNanos) {
        long now = System.nanoTime();
        Double latency;
        synchronized (this) {
            Resolved a = resolved.get(index - resolvedBase);
            emitted = index + 1;
            latency = a.seq() >= 0 ? (now - a.arrivalNanos()) / 1e6 : null;
            if (spec.mode() == Mode.REALTIME && paced) {
                long slotEnd = t0 + (index + 1) * intervalNanos;
                if (now - slotEnd > 0) {
                    lateFrames++;
                    service.observer().lateFrame();
                    // Behind by more than a frame: take the next frame's slot from now rather than rushing to catch up.
                    t0 = onGrid(now - (index + 1) * intervalNanos);
                }
            }
            toEncode.add(new RawFrame(index, frame, a, latency, elapsedNanos / 1e6));
            int drop = Math.min(resolved.size(), emitted - resolvedBase - 1);
            if (drop > 0) {
                resolved.subList(0, drop).clear();
                resolvedBase += drop;
            }
        }
        if (latency != null) {
            service.observer().actionToFrame(spec.mode().label(), latency);
        }
        scheduleEncode();
    }

    // ---- encoding and the log -------------------------------------------------------------

    private void scheduleEncode() {
        synchronized (this) {
            if (encoding || toEncode.isEmpty()) {
                return;
            }
            encoding = true;
        }
        service.runner().encoders().schedule(this::encodeAll);
    }

    private void encodeAll() {
        while (true) {
            Object raw;
            synchronized (this) {
                raw = toEncode.peek();
                if (raw == null) {
                    encoding = false;
                    break;
                }
            }
            SessionEvent.Frame frameData = null;
            SessionEvent.Preview previewData = null;
            try {
                if (raw instanceof RawFrame f) {
                    Resolved a = f.action();
                    frameData = new SessionEvent.Frame(
                            f.index(),
                            spec.frames().encode(f.frame()),
                            a.echo(),
                            a.seq() >= 0 ? a.seq() : null,
                            f.latencyMs() == null ? null : Math.round(f.latencyMs() * 100) / 100.0,
                            Math.round(f.elapsedMs() * 100) / 100.0);
                } else {
                    RawPreview p = (RawPreview) raw;
                    previewData = new SessionEvent.Preview(
                            p.arStep(),
                            p.iteration(),
                            p.frames().stream()
                                    .map(x -> new SessionEvent.PreviewImage(
                                            x.index(),
                                            x.level(),
                                            spec.previews().encode(x.x0())))
                                    .toList());
                }
            } catch (RuntimeException e) {
                LOG.error("session {}: encoding failed", shortId(), e);
            }
            synchronized (this) {
                toEncode.poll();
                if (frameData != null) {
                    append(
                            "frame",
                            frameData,
                            frameData.index(),
                            frameData.image().length());
                    recording.add(frameData.image());
                    recordingBytes += frameData.image().length();
                    while (recording.size() > service.config().maxRecordingFrames()) {
                        recordingBytes -= recording.poll().length();
                    }
                } else if (previewData != null) {
                    append(
                            "preview",
                            previewData,
                            -1,
                            previewData.frames().stream()
                                    .mapToLong(x -> x.image().length())
                                    .sum());
                }
            }
            drainViewers();
        }
        service.runner().wake(this);
    }

    /** Under the monitor: adds an event to the log, dropping the oldest past the replay bound. */
    private void append(String name, Object data, int frame, long bytes) {
        log.add(new SessionEvent(logEnd++, name, data, frame));
        logBytes += bytes + 64;
        if (frame >= 0) {
            framesInLog++;
        }
        int drop = 0;
        while (framesInLog > service.config().replayFrames()
                || log.size() - drop
                        > 4L * service.config().replayFrames()
                                + service.config().maxQueuedActions()) {
            SessionEvent e = log.get(drop++);
            logBytes -= bytesOf(e) + 64;
            if (e.frame() >= 0) {
                framesInLog--;
            }
        }
        if (drop > 0) {
            log.subList(0, drop).clear();
            logStart += drop;
        }
    }

    private static long bytesOf(SessionEvent e) {
        if (e.data() instanceof SessionEvent.Frame f) {
            return f.image().length();
        }
        if (e.data() instanceof SessionEvent.Preview p) {
            return p.frames().stream().mapToLong(x -> x.image().length()).sum();
        }
        return 0;
    }

    // ---- actions ------------------------------------------------------------------------

    /** Queues actions; returns their sequence numbers. @throws SessionException 404 when closed, 429 when full */
    public long[] addActions(List<Input> inputs) {
        long now = System.nanoTime();
        long[] seqs = new long[inputs.size()];
        synchronized (this) {
            if (closed) {
                throw SessionException.notFound();
            }
            int limit = service.config().maxQueuedActions();
            if (pending.size() + inputs.size() > limit) {
                throw SessionException.queueFull(
                        limit,
                        java.time.Duration.ofMillis(
                                Math.max(100, (pending.size() + inputs.size() - limit) * intervalNanos / 1_000_000)));
            }
            for (int i = 0; i < inputs.size(); i++) {
                Input in = inputs.get(i);
                long seq = nextSeq++;
                seqs[i] = seq;
                pending.add(new Resolved(in.vector(), in.echo(), seq, now));
                append("action", new SessionEvent.Action(seq, in.echo()), -1, 0);
            }
            actionsReceived += inputs.size();
            touch();
        }
        drainViewers();
        service.runner().wake(this);
        return seqs;
    }

    public synchronized int actionsPending() {
        return pending.size();
    }

    private void touch() {
        lastActivityNanos = System.nanoTime();
        lastActivityAt = Instant.now();
    }

    // ---- state --------------------------------------------------------------------------

    /** A consistent snapshot of the session's counters. */
    public record State(
            int framesEmitted,
            long actionsReceived,
            int actionsPending,
            long bytesHeld,
            int viewers,
            long lateFrames,
            Instant lastActivityAt,
            Instant expiresAt,
            int memoryUsed) {}

    public synchronized State state() {
        int wm = loop.plan().memory().historyFrames();
        int historyLen = loop.plan().contextFrames().size() + emitted;
        int used = "tokens".equals(loop.plan().memory().unit())
                ? loop.plan().memory().budget()
                : Math.min(wm, historyLen);
        return new State(
                emitted,
                actionsReceived,
                pending.size(),
                bytesHeld(),
                viewers.size(),
                lateFrames,
                lastActivityAt,
                expiresAt(),
                used);
    }

    /** Heap bytes the session holds: loop state, replay log, recording, queued actions. */
    public synchronized long bytesHeld() {
        int as = loop.plan().actionSize();
        return loop.heapBytes()
                + logBytes
                + recordingBytes
                + (long) (pending.size() + resolved.size()) * (4L * as + 48);
    }

    public synchronized Instant expiresAt() {
        Instant from = viewers.isEmpty() ? lastActivityAt : Instant.now();
        return from.plus(service.config().idleTimeout());
    }

    /** True when no viewer is connected and nothing happened for the idle timeout. */
    synchronized boolean idleFor(long nanos) {
        return viewers.isEmpty() && System.nanoTime() - lastActivityNanos > nanos;
    }

    synchronized boolean isClosed() {
        return closed;
    }

    /** The recording's frames (encoded images, oldest first). */
    public synchronized List<String> recording() {
        return new ArrayList<>(recording);
    }

    // ---- fork support -------------------------------------------------------------------

    /** Under no lock: stops the loop from starting a unit until {@link #release()}. */
    synchronized void hold() {
        holds++;
    }

    synchronized void release() {
        holds--;
    }

    synchronized boolean unitRunning() {
        return isRunning();
    }

    // ---- closing ------------------------------------------------------------------------

    /** Appends {@code error} (when given) and {@code closed}; true for the call that closed it. */
    boolean close(String reason, EngineFailure problem) {
        synchronized (this) {
            if (closed) {
                return false;
            }
            closed = true;
            closeReason = reason;
            pending.clear();
            if (problem != null) {
                append("error", problem, -1, 0);
            }
            append("closed", new SessionEvent.Closed(reason), -1, 0);
            recording.clear();
            recordingBytes = 0;
        }
        drainViewers();
        return true;
    }

    public synchronized String closeReason() {
        return closeReason;
    }

    // ---- viewers ------------------------------------------------------------------------

    /**
     * The session's events for one viewer: {@code started}, then the log from frame
     * {@code lastEventId + 1} (or from the oldest event held when null), then live events, until
     * {@code closed}. Bounded: events are taken from the log as the viewer asks for them.
     */
    public Flux<SessionEvent> events(Integer lastEventId) {
        return Flux.create(
                sink -> {
                    Viewer v = new Viewer(sink);
                    boolean ok;
                    synchronized (this) {
                        ok = !closed;
                        if (ok) {
                            v.cursor = cursorAfter(lastEventId, v);
                            v.framesDelivered =
                                    lastEventId == null ? firstFrameInLog() : Math.min(emitted, lastEventId + 1);
                            viewers.add(v);
                            touch();
                        }
                    }
                    if (!ok) {
                        sink.error(SessionException.notFound());
                        return;
                    }
                    sink.onRequest(n -> {
                        synchronized (this) {
                            v.demand = Operators.addCap(v.demand, n);
                        }
                        drainViewers();
                    });
                    sink.onDispose(() -> {
                        synchronized (this) {
                            viewers.remove(v);
                            touch();
                        }
                        service.runner().wake(this);
                    });
                    service.runner().wake(this);
                },
                FluxSink.OverflowStrategy.ERROR);
    }

    /** Under the monitor: the log position after frame {@code n} (a gap error is queued when it was dropped). */
    private long cursorAfter(Integer n, Viewer v) {
        if (n == null) {
            return logStart;
        }
        for (SessionEvent e : log) {
            if (e.frame() == n) {
                return e.seq() + 1;
            }
        }
        if (n >= emitted - 1) {
            return logEnd;
        }
        int oldest = firstFrameInLog();
        v.gap = new SessionEvent(
                -1,
                "error",
                SessionException.replayGap("Last-Event-ID: frame " + (n + 1)
                        + " is no longer in the replay buffer (it holds frames " + oldest + ".." + (emitted - 1)
                        + "); resuming from frame " + oldest),
                -1);
        return logStart;
    }

    private int firstFrameInLog() {
        for (SessionEvent e : log) {
            if (e.frame() >= 0) {
                return e.frame();
            }
        }
        return emitted;
    }

    private void drainViewers() {
        List<Runnable> completions = new ArrayList<>();
        synchronized (this) {
            for (Viewer v : List.copyOf(viewers)) {
                v.drain(completions);
            }
        }
        completions.forEach(Runnable::run);
    }

    /** One connected reader of the stream. Guarded by the session's monitor. */
    private final class Viewer {
        final FluxSink<SessionEvent> sink;
        long cursor;
        long demand;
        int framesDelivered;
        boolean startedSent;
        boolean done;
        SessionEvent gap;

        Viewer(FluxSink<SessionEvent> sink) {
            this.sink = sink;
        }

        void drain(List<Runnable> completions) {
            while (demand > 0 && !done) {
                SessionEvent next;
                if (!startedSent) {
                    startedSent = true;
                    next = new SessionEvent(-1, "started", spec.describe().apply(Session.this), -1);
                } else if (gap != null) {
                    next = gap;
                    gap = null;
                } else if (cursor < logEnd) {
                    if (cursor < logStart) {
                        cursor = logStart;
                    }
                    next = log.get((int) (cursor - logStart));
                    cursor++;
                } else {
                    return;
                }
                demand--;
                if (next.frame() >= 0) {
                    framesDelivered = next.frame() + 1;
                    maxDelivered = Math.max(maxDelivered, framesDelivered);
                }
                sink.next(next);
                if ("closed".equals(next.name())) {
                    done = true;
                    completions.add(sink::complete);
                }
            }
        }
    }
}
