package org.arvdm.generation;

import java.util.ArrayDeque;
import reactor.core.publisher.FluxSink;
import reactor.core.publisher.Operators;

/**
 * The bounded hand-off between a streamed {@link Job}'s worker and its reader: the job offers
 * events, the reader's demand takes them, and a job whose outbox holds {@code capacity} events
 * the reader has not asked for is not {@link #hasRoom() ready}, so it parks (on no thread) until
 * the reader asks again. Nothing grows with a slow reader. Guarded by the job's monitor, the
 * runner's lock for the job, so readiness and delivery never disagree.
 */
public final class Outbox<E> {
    private final FluxSink<E> sink;
    private final int capacity;
    private final ArrayDeque<E> queue = new ArrayDeque<>();
    private Object lock = this;
    private Runnable onRoom = () -> {};
    private long demand;
    private boolean terminal;
    private boolean completed;

    Outbox(FluxSink<E> sink, int capacity) {
        this.sink = sink;
        this.capacity = capacity;
    }

    /** Takes the job's monitor as the lock; {@code onRoom} wakes the job when the reader frees room. */
    void bind(Object jobLock, Runnable onRoom) {
        this.lock = jobLock;
        this.onRoom = onRoom;
    }

    /** Under the job's monitor (its {@link Job#ready()}): may the job produce another event? */
    public boolean hasRoom() {
        synchronized (lock) {
            return queue.size() < capacity;
        }
    }

    /** Queues an event for the reader (delivered as it asks). */
    public void offer(E event) {
        synchronized (lock) {
            queue.add(event);
        }
        drain();
    }

    /** Queues the last event (null for none) and completes the stream once the reader has taken everything. */
    public void finish(E last) {
        synchronized (lock) {
            if (last != null) {
                queue.add(last);
            }
            terminal = true;
        }
        drain();
    }

    void request(long n) {
        synchronized (lock) {
            demand = Operators.addCap(demand, n);
        }
        drain();
        onRoom.run();
    }

    private void drain() {
        boolean complete;
        boolean freed = false;
        synchronized (lock) {
            while (demand > 0 && !queue.isEmpty()) {
                sink.next(queue.poll());
                demand--;
                freed = true;
            }
            complete = terminal && queue.isEmpty() && !completed;
            completed |= complete;
        }
        if (complete) {
            sink.complete();
        } else if (freed) {
            onRoom.run();
        }
    }
}
