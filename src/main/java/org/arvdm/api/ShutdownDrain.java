package org.arvdm.api;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.arvdm.config.ArvdmProperties;
import org.arvdm.diagnostics.EvaluationService;
import org.arvdm.generation.CapacityException;
import org.arvdm.generation.GenerationService;
import org.arvdm.session.SessionService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.SmartLifecycle;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Graceful shutdown that a client can see. On SIGTERM (context close) this lifecycle stops first,
 * while the server still accepts connections:
 * <ol>
 * <li>every new request but {@code /actuator/**} gets 503 problem+json {@code urn:arvdm:shutdown}
 * with {@code Retry-After} (instead of a refused connection);</li>
 * <li>sessions end at once with an {@code error} event naming the shutdown, then {@code closed};</li>
 * <li>running generations get {@link #grace()} to finish, then end with an {@code error} event
 * {@code urn:arvdm:shutdown} (status 503; a JSON generation answers that problem); evaluations
 * get 5 s;</li>
 * <li>it waits (up to {@link #FLUSH}) until the answers in flight have been written, so no stream
 * is cut without its last event.</li>
 * </ol>
 * Only then do Spring's graceful shutdown (nothing left to wait for) and the server stop.
 * The grace is {@code arvdm.limits.max-generation-seconds}, capped so that the whole drain fits in
 * {@code spring.lifecycle.timeout-per-shutdown-phase} ({@link #MARGIN} is kept for ending and
 * flushing).
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 5)
class ShutdownDrain implements WebFilter, SmartLifecycle {
    private static final Logger log = LoggerFactory.getLogger(ShutdownDrain.class);
    /** Longest wait for the last events of ended streams to be written. */
    static final Duration FLUSH = Duration.ofSeconds(3);
    /** Kept from the phase timeout for ending the remaining work and flushing its answers. */
    static final Duration MARGIN = Duration.ofSeconds(10);

    static final Duration RETRY_AFTER = Duration.ofSeconds(1);

    private final GenerationService generations;
    private final SessionService sessions;
    private final EvaluationService evaluations;
    private final Duration grace;
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile boolean draining;
    private volatile boolean running;

    ShutdownDrain(
            GenerationService generations,
            SessionService sessions,
            EvaluationService evaluations,
            ArvdmProperties props,
            @Value("${spring.lifecycle.timeout-per-shutdown-phase:30s}") Duration phaseTimeout) {
        this.generations = generations;
        this.sessions = sessions;
        this.evaluations = evaluations;
        this.grace = grace(Duration.ofSeconds(props.limits().maxGenerationSeconds()), phaseTimeout);
    }

    /** The generation limit, cut to what the phase timeout leaves after {@link #MARGIN}; never negative. */
    static Duration grace(Duration maxGeneration, Duration phaseTimeout) {
        Duration room = phaseTimeout.minus(MARGIN);
        if (room.isNegative()) {
            room = Duration.ZERO;
        }
        return maxGeneration.compareTo(room) < 0 ? maxGeneration : room;
    }

    Duration grace() {
        return grace;
    }

    boolean draining() {
        return draining;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        if (exchange.getRequest().getPath().pathWithinApplication().value().startsWith("/actuator")) {
            return chain.filter(exchange);
        }
        if (draining) {
            return Mono.error(new CapacityException(
                    "the service is shutting down; retry on another instance", RETRY_AFTER, true));
        }
        inFlight.incrementAndGet();
        return chain.filter(exchange).doFinally(signal -> inFlight.decrementAndGet());
    }

    @Override
    public void start() {
        running = true;
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /**
     * Not stopped when the context is only paused (the test framework pauses cached contexts it is
     * not using and restarts them later): the drain ends the services for good.
     */
    @Override
    public boolean isPauseable() {
        return false;
    }

    /** First to stop: before Spring's graceful shutdown (stops accepting) and the server. */
    @Override
    public int getPhase() {
        return SmartLifecycle.DEFAULT_PHASE;
    }

    @Override
    public void stop() {
        drain();
    }

    @Override
    public void stop(Runnable callback) {
        Thread t = new Thread(
                () -> {
                    try {
                        drain();
                    } finally {
                        callback.run();
                    }
                },
                "arvdm-shutdown-drain");
        t.setDaemon(true);
        t.start();
    }

    private void drain() {
        draining = true;
        log.info(
                "shutting down: new requests get 503; {} answers in flight, up to {} s for generations",
                inFlight.get(),
                grace.toSeconds());
        try {
            sessions.shutdown();
            CompletableFuture<Void> evals =
                    CompletableFuture.runAsync(() -> evaluations.shutdown(Duration.ofSeconds(5)));
            generations.drain(grace);
            evals.join();
            long deadline = System.nanoTime() + FLUSH.toNanos();
            while (inFlight.get() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            if (inFlight.get() > 0) {
                log.warn("shutting down: {} answers still in flight after {} s", inFlight.get(), FLUSH.toSeconds());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.warn("shutdown drain failed", e);
        } finally {
            running = false;
        }
    }
}
