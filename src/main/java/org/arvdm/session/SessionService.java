package org.arvdm.session;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.arvdm.generation.ArLoop;
import org.arvdm.generation.CallGateway;
import org.arvdm.generation.EngineFailure;
import org.arvdm.generation.EngineObserver;
import org.arvdm.generation.GenerationPlan;
import org.arvdm.generation.GenerationService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The open sessions: creates them (at most {@code maxSessions}), finds them by id, forks,
 * deletes and expires them, and ends them all on shutdown with an error event naming the
 * reason. Sessions run on the {@link GenerationService} runner with the generations; this
 * service adds only a clock (one daemon thread) for realtime pacing and idle expiry.
 * <p>
 * Ids are 128 random bits (URL-safe base64) from a {@link SecureRandom}: the id is the
 * capability to the session, so there is no listing, and logs show only its first characters.
 * Behind the ingress an id is prefixed with a route key (see {@link #ROUTE_KEY}), not secret.
 * Where API keys are on, a session belongs to the key that opened it (a fork to the key that
 * forked it): {@link #get} with any other key answers 404 as for an unknown id, so a key cannot
 * even learn that another key's session exists.
 */
public final class SessionService {
    private static final Logger log = LoggerFactory.getLogger(SessionService.class);

    /** The limits of arvdm.sessions.*, as plain values. */
    public record Config(
            int maxSessions,
            Duration idleTimeout,
            int maxQueuedActions,
            int replayFrames,
            int maxRecordingFrames,
            int defaultFps,
            int maxFps) {}

    /**
     * A route key: 32 lowercase hex digits, the form of ingress-nginx's request id ($req_id, passed
     * to the pod as X-Request-ID); k8s/base/ingress-sessions.yaml hashes session paths on it.
     */
    public static final java.util.regex.Pattern ROUTE_KEY = java.util.regex.Pattern.compile("[0-9a-f]{32}");

    static final int ROUTE_KEY_LENGTH = 32;

    private final Config config;
    private final GenerationService runner;
    private final EngineObserver.Factory engineObservers;
    private final SessionObserver observer;
    private final Map<String, Session> sessions = new ConcurrentHashMap<>();
    private final AtomicInteger places = new AtomicInteger();
    private final SecureRandom random = new SecureRandom();
    private final ScheduledExecutorService clock;
    private volatile boolean stopping;

    /**
     * @param engineObservers each session loop's observer (as for one-shot generations)
     * @param observer the sessions' own reports: opened, closed, action latency, late frames
     */
    public SessionService(
            Config config, GenerationService runner, EngineObserver.Factory engineObservers, SessionObserver observer) {
        this.config = config;
        this.runner = runner;
        this.engineObservers = engineObservers;
        this.observer = observer;
        this.clock = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "arvdm-session-clock");
            t.setDaemon(true);
            return t;
        });
        long sweep = Math.max(50, Math.min(1000, config.idleTimeout().toMillis() / 4));
        clock.scheduleWithFixedDelay(this::expireIdle, sweep, sweep, TimeUnit.MILLISECONDS);
        observer.watch(
                mode -> openSessions(Session.Mode.valueOf(mode.toUpperCase(java.util.Locale.ROOT))), this::bytesHeld);
    }

    public Config config() {
        return config;
    }

    GenerationService runner() {
        return runner;
    }

    SessionObserver observer() {
        return observer;
    }

    /**
     * Opens a session on {@code plan} owned by API key {@code owner} (null when keys are off); it
     * starts running at once (step: when actions arrive). Its id starts with {@code routeKey}
     * where that is a route key ({@link #ROUTE_KEY}: the ingress's request id, which
     * it hashed this request on), so that the ingress sends every later request about the session to
     * this pod; any other value (or null) is ignored.
     */
    public Session create(GenerationPlan plan, CallGateway gateway, Session.Spec spec, String owner, String routeKey) {
        reserve();
        try {
            Session s = new Session(
                    newId(routeKey),
                    owner,
                    new ArLoop(plan),
                    gateway,
                    engineObservers.forModel(spec.model()),
                    spec,
                    this,
                    null);
            open(s);
            return s;
        } catch (RuntimeException e) {
            places.decrementAndGet();
            throw e;
        }
    }

    private void reserve() {
        if (stopping || runner.stopping()) {
            throw SessionException.shuttingDown();
        }
        if (places.incrementAndGet() > config.maxSessions()) {
            places.decrementAndGet();
            throw SessionException.tooMany(
                    config.maxSessions(),
                    Duration.ofSeconds(Math.max(1, config.idleTimeout().toSeconds() / 10)));
        }
    }

    private void open(Session s) {
        sessions.put(s.id(), s);
        observer.sessionCreated(s.mode().label());
        log.info(
                "session {} opened on {} ({}, {} fps, lag {})",
                s.shortId(),
                s.spec().model(),
                s.mode().label(),
                s.fps(),
                s.lagFrames());
        runner.start(s);
    }

    /**
     * The session {@code id} as API key {@code owner} (null when keys are off) may see it.
     *
     * @throws SessionException 404 for an unknown, expired or deleted id, and for another key's session
     */
    public Session get(String id, String owner) {
        Session s = id == null ? null : sessions.get(id);
        if (s == null || s.isClosed() || !s.ownedBy(owner)) {
            throw SessionException.notFound();
        }
        return s;
    }

    public Optional<Session> find(String id) {
        return Optional.ofNullable(id == null ? null : sessions.get(id));
    }

    /**
     * A new session with the parent's whole state (window, levels, history, random stream) and
     * an empty action queue, owned by {@code owner} (the forking key; it must own the parent);
     * completes once the parent's current unit (if any) has finished.
     */
    public CompletableFuture<Session> fork(String id, String owner) {
        Session parent = get(id, owner);
        reserve();
        parent.hold();
        CompletableFuture<Session> result = new CompletableFuture<>();
        Runnable attempt = new Runnable() {
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);

            @Override
            public void run() {
                try {
                    if (parent.unitRunning()) {
                        if (System.nanoTime() > deadline) {
                            throw new IllegalStateException("the parent's unit did not end in 30 s");
                        }
                        clock.schedule(this, 1, TimeUnit.MILLISECONDS);
                        return;
                    }
                    Session child;
                    synchronized (parent) {
                        if (parent.isClosed()) {
                            throw SessionException.notFound();
                        }
                        child = new Session(
                                newId(routeOf(parent.id())),
                                owner,
                                parent.loop().fork(),
                                parent.gatewayOf(),
                                engineObservers.forModel(parent.spec().model()),
                                parent.spec(),
                                SessionService.this,
                                parent);
                    }
                    open(child);
                    result.complete(child);
                } catch (RuntimeException e) {
                    places.decrementAndGet();
                    result.completeExceptionally(e);
                } finally {
                    if (result.isDone()) {
                        parent.release();
                        runner.wake(parent);
                    }
                }
            }
        };
        clock.execute(attempt);
        return result;
    }

    /** Ends the session: a {@code closed} event with {@code reason}, then everything is freed. */
    public boolean close(String id, String reason) {
        Session s = sessions.get(id);
        return s != null && close(s, reason, null);
    }

    void closeWithError(Session s, EngineFailure problem) {
        close(s, "error", problem);
    }

    private boolean close(Session s, String reason, EngineFailure problem) {
        if (!s.close(reason, problem)) {
            return false;
        }
        if (sessions.remove(s.id(), s)) {
            places.decrementAndGet();
        }
        runner.cancel(s, GenerationService.SHUTDOWN.equals(reason) ? "session shut down" : "session " + reason);
        observer.sessionClosed(s.mode().label(), reason);
        log.info("session {} closed: {}", s.shortId(), reason);
        return true;
    }

    /** Runs {@code s}'s readiness check again in {@code nanos} (its pacing slot). */
    void wakeAt(Session s, long nanos) {
        clock.schedule(() -> runner.wake(s), Math.max(0, nanos), TimeUnit.NANOSECONDS);
    }

    private void expireIdle() {
        long idle = config.idleTimeout().toNanos();
        for (Session s : List.copyOf(sessions.values())) {
            if (s.idleFor(idle)) {
                close(s, "expired", null);
            }
        }
    }

    public int openSessions() {
        return sessions.size();
    }

    public int openSessions(Session.Mode mode) {
        return (int) sessions.values().stream().filter(s -> s.mode() == mode).count();
    }

    public long bytesHeld() {
        return sessions.values().stream().mapToLong(Session::bytesHeld).sum();
    }

    /**
     * A new id: 128 random bits (22 characters of URL-safe base64), after {@code routeKey} when that
     * is one. The route key only routes; the random part is the capability.
     */
    private String newId(String routeKey) {
        byte[] b = new byte[16];
        random.nextBytes(b);
        String secret = Base64.getUrlEncoder().withoutPadding().encodeToString(b);
        return routeKey != null && ROUTE_KEY.matcher(routeKey).matches() ? routeKey + secret : secret;
    }

    /** The route key an id starts with, or null (a fork keeps its parent's, and so its pod). */
    static String routeOf(String id) {
        return id.length() == ROUTE_KEY_LENGTH + 22 ? id.substring(0, ROUTE_KEY_LENGTH) : null;
    }

    /** Ends every session with an {@code error} event naming the shutdown, then {@code closed}. */
    public void shutdown() {
        stopping = true;
        EngineFailure p = new EngineFailure.Shutdown("the service is shutting down; the session ended");
        for (Session s : List.copyOf(sessions.values())) {
            close(s, GenerationService.SHUTDOWN, p);
        }
        clock.shutdownNow();
    }
}
