package org.arvdm.generation;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Continuous batching of one model's network calls across concurrent generations.
 * <p>
 * Generation worker threads call {@link #denoise} and {@link #encode} and block. One
 * dispatcher thread per gateway repeatedly takes the <em>oldest</em> waiting call, gathers
 * the later waiting calls of the same network and the same shape (window, memory slots and
 * widths; {@link Networks} stacks only equal shapes) in arrival order up to
 * {@code maxBatchSize}, runs one batched network call and hands each caller its slice.
 * <p>
 * When to run: at once when the batch is full, or when every generation registered through
 * {@link #open()} already has a call waiting (no one else can arrive, so waiting is pure
 * loss); otherwise when the oldest call has waited {@code maxDelay}. Calls from threads that
 * never registered count as live only while they wait, so unregistered use never waits.
 * <p>
 * Fairness: every batch contains the oldest waiting call, so a call is served after at most
 * as many batches as there are calls ahead of it (first come, first served; a call of a rare
 * shape is never starved by a stream of calls of a common one).
 * <p>
 * Failure isolation: an exception from a batched call fails exactly that batch's callers
 * (each rethrows it); the dispatcher and every other generation carry on. A caller that is
 * interrupted while waiting leaves the queue (or abandons its slice if its batch is already
 * running). A generation joins or leaves between ticks simply by registering, calling, or
 * closing its registration; the others never see it.
 * <p>
 * A lone registered generation (nothing else queued or running) runs its call on its own thread:
 * there is nobody to batch with, and the hand-off to the dispatcher and back costs two
 * scheduler wake-ups per call.
 * <p>
 * {@link #close()} fails waiting calls, lets running batches finish and stops the dispatcher,
 * so the networks can be closed right after.
 */
public final class BatchingGateway implements CallGateway {
    private static final Logger log = LoggerFactory.getLogger(BatchingGateway.class);

    /** Receives every batched network call: network ({@code denoiser}, {@code memory_encoder}), size, wait. */
    @FunctionalInterface
    public interface BatchObserver {
        BatchObserver NONE = (network, size, waitNanos) -> {};

        /** {@code waitNanos}: how long the batch's oldest call waited in the queue before the network ran. */
        void batched(String network, int size, long waitNanos);
    }

    private final Networks networks;
    private final int maxBatchSize;
    private final long maxDelayNanos;
    private final BatchObserver observer;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    private final ThreadLocal<int[]> lastBatch = ThreadLocal.withInitial(() -> new int[] {1});
    private final Thread dispatcher;
    private int live;
    private int running;
    private boolean closed;

    /**
     * @param name         thread name suffix (the model id)
     * @param maxBatchSize most samples in one network call (at least 1)
     * @param maxDelay     longest the oldest waiting call is held back for others to join
     */
    public BatchingGateway(
            String name, Networks networks, int maxBatchSize, Duration maxDelay, BatchObserver observer) {
        if (maxBatchSize < 1) {
            throw new IllegalArgumentException("maxBatchSize must be at least 1, got " + maxBatchSize);
        }
        this.networks = networks;
        this.maxBatchSize = maxBatchSize;
        this.maxDelayNanos = Math.max(0, maxDelay.toNanos());
        this.observer = observer == null ? BatchObserver.NONE : observer;
        this.dispatcher = new Thread(this::dispatchLoop, "arvdm-batch-" + name);
        this.dispatcher.setDaemon(true);
        this.dispatcher.start();
    }

    /** One waiting call and, once its batch ran, its outcome. */
    private static final class Pending {
        final DenoiseCall denoise;
        final EncodeCall encode;
        final List<Object> key;
        final long enqueued = System.nanoTime();
        final CountDownLatch done = new CountDownLatch(1);
        volatile float[] result;
        volatile Throwable error;
        volatile int batchSize = 1;

        Pending(DenoiseCall denoise, EncodeCall encode) {
            this.denoise = denoise;
            this.encode = encode;
            this.key = denoise != null
                    ? List.of(
                            "denoiser",
                            denoise.levels().length,
                            denoise.x().length,
                            denoise.memorySlots(),
                            denoise.memory().length,
                            denoise.memoryActions().length,
                            denoise.actions().length)
                    : List.of("memory_encoder", encode.slots(), encode.frames().length, encode.actions().length);
        }

        String network() {
            return denoise != null ? "denoiser" : "memory_encoder";
        }
    }

    @Override
    public float[] denoise(DenoiseCall call) throws InterruptedException {
        return submit(new Pending(call, null));
    }

    @Override
    public float[] encode(EncodeCall call) throws InterruptedException {
        return submit(new Pending(null, call));
    }

    @Override
    public int lastBatchSize() {
        return lastBatch.get()[0];
    }

    /** Counts a generation as live until the registration closes (idempotent). */
    @Override
    public Registration open() {
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("batching gateway is closed");
            }
            live++;
        } finally {
            lock.unlock();
        }
        AtomicBoolean left = new AtomicBoolean();
        return () -> {
            if (left.compareAndSet(false, true)) {
                lock.lock();
                try {
                    live--;
                    changed.signalAll();
                } finally {
                    lock.unlock();
                }
            }
        };
    }

    /** Generations registered now. */
    public int liveGenerations() {
        lock.lock();
        try {
            return live;
        } finally {
            lock.unlock();
        }
    }

    /** Calls waiting for their batch now. */
    public int waiting() {
        lock.lock();
        try {
            return queue.size();
        } finally {
            lock.unlock();
        }
    }

    private float[] submit(Pending p) throws InterruptedException {
        if (Thread.interrupted()) {
            throw new InterruptedException("interrupted before its network call");
        }
        boolean inline;
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("batching gateway is closed");
            }
            // A lone generation with nothing queued or running has nobody to batch with: it runs its call on
            // its own thread and saves two thread hand-offs (each a scheduler wake-up on a busy machine).
            inline = live == 1 && queue.isEmpty() && running == 0;
            if (inline) {
                running++;
            } else {
                queue.addLast(p);
                changed.signalAll();
            }
        } finally {
            lock.unlock();
        }
        if (inline) {
            try {
                run(List.of(p));
            } finally {
                finished();
            }
        }
        try {
            p.done.await();
        } catch (InterruptedException e) {
            lock.lock();
            try {
                queue.remove(p);
                changed.signalAll();
            } finally {
                lock.unlock();
            }
            throw e;
        }
        lastBatch.get()[0] = p.batchSize;
        Throwable error = p.error;
        if (error instanceof RuntimeException) {
            throw (RuntimeException) error;
        }
        if (error instanceof Error) {
            throw (Error) error;
        }
        if (error != null) {
            throw new IllegalStateException(error);
        }
        return p.result;
    }

    private void dispatchLoop() {
        while (true) {
            List<Pending> batch;
            lock.lock();
            try {
                batch = nextBatch();
            } catch (InterruptedException e) {
                return;
            } finally {
                lock.unlock();
            }
            if (batch == null) {
                return;
            }
            try {
                run(batch);
            } finally {
                finished();
            }
        }
    }

    private void finished() {
        lock.lock();
        try {
            running--;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Under the lock: waits until a batch is due and removes it from the queue; null once closed. */
    private List<Pending> nextBatch() throws InterruptedException {
        while (!closed) {
            Pending head = queue.peekFirst();
            if (head == null) {
                changed.await();
                continue;
            }
            int compatible = 0;
            for (Pending p : queue) {
                if (p.key.equals(head.key) && ++compatible >= maxBatchSize) {
                    break;
                }
            }
            long left = head.enqueued + maxDelayNanos - System.nanoTime();
            if (compatible >= maxBatchSize || queue.size() >= live || left <= 0) {
                List<Pending> batch = new ArrayList<>(compatible);
                for (Iterator<Pending> it = queue.iterator(); it.hasNext() && batch.size() < compatible; ) {
                    Pending p = it.next();
                    if (p.key.equals(head.key)) {
                        batch.add(p);
                        it.remove();
                    }
                }
                running++;
                return batch;
            }
            changed.awaitNanos(left);
        }
        return null;
    }

    private void run(List<Pending> batch) {
        Pending head = batch.get(0);
        int n = batch.size();
        long wait = System.nanoTime() - head.enqueued;
        List<float[]> out = null;
        Throwable error = null;
        try {
            if (head.denoise != null) {
                List<DenoiseCall> calls = new ArrayList<>(n);
                batch.forEach(p -> calls.add(p.denoise));
                out = networks.denoise(calls);
            } else {
                List<EncodeCall> calls = new ArrayList<>(n);
                batch.forEach(p -> calls.add(p.encode));
                out = networks.encodeMemory(calls);
            }
            if (out == null || out.size() != n) {
                throw new IllegalStateException(head.network() + " returned "
                        + (out == null ? "nothing" : out.size() + " results") + " for a batch of " + n);
            }
        } catch (Throwable t) {
            error = t;
            log.warn("batched {} call of {} samples failed: {}", head.network(), n, t.toString());
        }
        try {
            observer.batched(head.network(), n, wait);
        } catch (RuntimeException e) {
            log.warn("batch observer failed", e);
        }
        for (int i = 0; i < n; i++) {
            Pending p = batch.get(i);
            p.batchSize = n;
            if (error != null) {
                p.error = error;
            } else {
                p.result = out.get(i);
            }
            p.done.countDown();
        }
    }

    /** Fails the waiting calls, waits for a running batch to end and stops the dispatcher. */
    @Override
    public void close() {
        List<Pending> dropped;
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            dropped = new ArrayList<>(queue);
            queue.clear();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        IllegalStateException gone = new IllegalStateException("batching gateway closed");
        for (Pending p : dropped) {
            p.error = gone;
            p.done.countDown();
        }
        if (Thread.currentThread() != dispatcher) {
            try {
                dispatcher.join(TimeUnit.SECONDS.toMillis(30));
                lock.lock();
                try {
                    long left = TimeUnit.SECONDS.toNanos(30);
                    while (running > 0 && left > 0) {
                        left = changed.awaitNanos(left);
                    }
                } finally {
                    lock.unlock();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public String toString() {
        return "BatchingGateway[maxBatchSize=" + maxBatchSize + ", maxDelay=" + Duration.ofNanos(maxDelayNanos)
                + ", live=" + liveGenerations() + ", waiting=" + waiting() + "]";
    }
}
