package org.arvdm.generation;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Admission control before any network work: at most {@code workers} generations run and at
 * most {@code maxQueued} wait; past that a request is refused with a {@link CapacityException}.
 * First come, first served: the worker pool's queue is FIFO.
 */
public final class Admission {
    private final int capacity;
    private final int workers;
    private final Duration retryAfter;
    private final Function<String, AtomicInteger> queueGauge;
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile boolean shuttingDown;

    public Admission(int workers, int maxQueued, Duration retryAfter, Function<String, AtomicInteger> queueGauge) {
        this.capacity = workers + maxQueued;
        this.workers = workers;
        this.retryAfter = retryAfter;
        this.queueGauge = queueGauge;
    }

    /** Reserves a place for one generation of {@code model}; close the ticket when it ends. */
    public Ticket admit(String model) {
        if (shuttingDown) {
            throw new CapacityException("the service is shutting down", retryAfter, true);
        }
        int place = inFlight.incrementAndGet();
        if (place > capacity) {
            inFlight.decrementAndGet();
            throw new CapacityException(
                    "all " + capacity + " generation places (workers + queue) are taken; retry" + " after "
                            + retryAfter.toSeconds() + " s",
                    retryAfter,
                    false);
        }
        AtomicInteger queued = queueGauge.apply(model);
        queued.incrementAndGet();
        return new Ticket(queued, Math.max(0, place - workers));
    }

    /** Generations admitted and not yet finished. */
    public int inFlight() {
        return inFlight.get();
    }

    public void shutDown() {
        shuttingDown = true;
    }

    /** One admitted generation: waiting, then running, then closed (idempotent). */
    public final class Ticket implements AutoCloseable {
        private final AtomicInteger queued;
        private final AtomicBoolean waiting = new AtomicBoolean(true);
        private final AtomicBoolean closed = new AtomicBoolean();
        private final int position;

        private Ticket(AtomicInteger queued, int position) {
            this.queued = queued;
            this.position = position;
        }

        /** Place in the queue when admitted (1 = next to run); 0 when a worker was free. */
        public int position() {
            return position;
        }

        public void started() {
            if (waiting.compareAndSet(true, false)) {
                queued.decrementAndGet();
            }
        }

        @Override
        public void close() {
            if (closed.compareAndSet(false, true)) {
                started();
                inFlight.decrementAndGet();
            }
        }
    }
}
