package org.arvdm.generation;

import java.time.Duration;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fixed number of daemon threads named {@code <prefix><n>} with a FIFO queue (admission
 * bounds what waits in it). Owns its threads: {@link #shutdown(Duration)}.
 */
public final class WorkerPool {
    private final ThreadPoolExecutor executor;

    public WorkerPool(String threadPrefix, int threads) {
        AtomicInteger n = new AtomicInteger();
        this.executor =
                new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, threadPrefix + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
    }

    public Future<?> submit(Runnable task) {
        return executor.submit(task);
    }

    /** True while some submitted task waits for a thread. */
    public boolean hasWaiting() {
        return !executor.getQueue().isEmpty();
    }

    /** Threads running a task now. */
    public int busy() {
        return executor.getActiveCount();
    }

    /** Lets running tasks finish within {@code grace}, then interrupts them; queued tasks still run first. */
    public void shutdown(Duration grace) {
        executor.shutdown();
        try {
            if (!executor.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                executor.shutdownNow();
            }
        } catch (InterruptedException e) {
            executor.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
