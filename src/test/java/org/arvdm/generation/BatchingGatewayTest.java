package org.arvdm.generation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The batcher's rules with a fake {@link Networks}: sharing, waiting, fairness, failure, join/leave, close. */
@Timeout(60)
class BatchingGatewayTest {
    static final float BLOCKER = 1000;

    /** Answers x + 1 per sample; records every batch as the ids (x[0]) it carried; can hold or fail a batch. */
    static final class FakeNetworks implements Networks {
        final List<List<Float>> batches = Collections.synchronizedList(new ArrayList<>());
        final List<String> networks = Collections.synchronizedList(new ArrayList<>());
        final CountDownLatch gate = new CountDownLatch(1);
        final CountDownLatch blockerRunning = new CountDownLatch(1);

        @Override
        public List<float[]> denoise(List<DenoiseCall> batch) {
            return answer("denoiser", batch.stream().map(DenoiseCall::x).toList());
        }

        @Override
        public List<float[]> encodeMemory(List<EncodeCall> batch) {
            return answer(
                    "memory_encoder", batch.stream().map(EncodeCall::frames).toList());
        }

        private List<float[]> answer(String network, List<float[]> inputs) {
            List<Float> ids = inputs.stream().map(x -> x[0]).toList();
            batches.add(ids);
            networks.add(network);
            if (ids.contains(BLOCKER)) {
                blockerRunning.countDown();
                try {
                    gate.await();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }
            if (ids.stream().anyMatch(id -> id < 0)) {
                throw new IllegalArgumentException("poisoned sample in batch " + ids);
            }
            List<float[]> out = new ArrayList<>();
            for (float[] x : inputs) {
                float[] o = x.clone();
                for (int i = 0; i < o.length; i++) {
                    o[i] += 1;
                }
                out.add(o);
            }
            return out;
        }
    }

    record Batch(String network, int size, long waitNanos) {}

    final FakeNetworks net = new FakeNetworks();
    final List<Batch> observed = Collections.synchronizedList(new ArrayList<>());
    final ExecutorService pool = Executors.newCachedThreadPool();
    BatchingGateway gateway;

    BatchingGateway gateway(int maxBatch, Duration maxDelay) {
        gateway = new BatchingGateway(
                "test", net, maxBatch, maxDelay, (network, size, wait) -> observed.add(new Batch(network, size, wait)));
        return gateway;
    }

    @AfterEach
    void tearDown() {
        net.gate.countDown();
        if (gateway != null) {
            gateway.close();
        }
        pool.shutdownNow();
    }

    /** A denoiser call whose sample id is {@code id}, with {@code slots} memory slots (its shape group). */
    static DenoiseCall call(float id, int slots) {
        return new DenoiseCall(
                new float[] {id, id * 10},
                new long[] {0, 0},
                new float[2],
                new float[slots * 2],
                slots,
                new float[0],
                new boolean[slots]);
    }

    static float[] expected(float id) {
        return new float[] {id + 1, id * 10 + 1};
    }

    /** Holds the dispatcher inside a batch so that later calls queue up in a known order. */
    Future<float[]> holdDispatcher() throws InterruptedException {
        Future<float[]> f = pool.submit(() -> gateway.denoise(call(BLOCKER, 9)));
        assertThat(net.blockerRunning.await(10, TimeUnit.SECONDS)).isTrue();
        return f;
    }

    /** Submits a call from a new thread and waits until it is queued behind the ones before it. */
    <T> Future<T> enqueue(Callable<T> c) throws InterruptedException {
        int before = gateway.waiting();
        Future<T> f = pool.submit(c);
        org.arvdm.Await.until(
                java.time.Duration.ofSeconds(10), () -> gateway.waiting() != before, "the call to be queued");
        assertThat(gateway.waiting()).isEqualTo(before + 1);
        return f;
    }

    @Test
    void callsFromConcurrentGenerationsShareNetworkCallsWithoutWaitingTheDelay() throws Exception {
        gateway(8, Duration.ofSeconds(10));
        int n = 4;
        int calls = 20;
        CyclicBarrier allRegistered = new CyclicBarrier(n);
        List<Future<List<Integer>>> results = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int g = 0; g < n; g++) {
            int gen = g;
            results.add(pool.submit(() -> {
                List<Integer> sizes = new ArrayList<>();
                try (CallGateway.Registration r = gateway.open()) {
                    allRegistered.await();
                    for (int i = 0; i < calls; i++) {
                        float id = gen * 100 + i;
                        assertThat(gateway.denoise(call(id, 2))).containsExactly(expected(id));
                        sizes.add(gateway.lastBatchSize());
                    }
                }
                return sizes;
            }));
        }
        for (Future<List<Integer>> f : results) {
            assertThat(f.get()).hasSize(calls).containsOnly(n);
        }
        // Every batch carried all four generations, and none waited for the 10 s delay.
        assertThat(net.batches).hasSize(calls).allSatisfy(b -> assertThat(b).hasSize(n));
        assertThat(System.nanoTime() - t0).isLessThan(5_000_000_000L);
        assertThat(observed).hasSize(calls).allSatisfy(b -> {
            assertThat(b.network()).isEqualTo("denoiser");
            assertThat(b.size()).isEqualTo(n);
            assertThat(b.waitNanos()).isGreaterThanOrEqualTo(0);
        });
        assertThat(gateway.liveGenerations()).isZero();
    }

    @Test
    void waitsAtMostMaxDelayForALiveGenerationThatIsBusyAndNotAtAllOnceItLeft() throws Exception {
        gateway(8, Duration.ofMillis(1500));
        CallGateway.Registration busy = gateway.open();
        try (CallGateway.Registration me = gateway.open()) {
            long t0 = System.nanoTime();
            assertThat(gateway.denoise(call(1, 0))).containsExactly(expected(1));
            long waited = System.nanoTime() - t0;
            assertThat(waited).isGreaterThanOrEqualTo(1_400_000_000L).isLessThan(10_000_000_000L);
            assertThat(gateway.lastBatchSize()).isEqualTo(1);

            busy.close();
            busy.close(); // twice is harmless
            t0 = System.nanoTime();
            gateway.denoise(call(2, 0));
            assertThat(System.nanoTime() - t0).as("alone, nobody to wait for").isLessThan(1_000_000_000L);
        }
        assertThat(gateway.liveGenerations()).isZero();
    }

    @Test
    void aLoneGenerationRunsItsCallsOnItsOwnThreadAndJoinsBatchesOnceOthersCome() throws Exception {
        gateway(8, Duration.ofSeconds(10));
        List<String> threads = Collections.synchronizedList(new ArrayList<>());
        Networks recording = new Networks() {
            @Override
            public List<float[]> denoise(List<DenoiseCall> batch) {
                threads.add(Thread.currentThread().getName());
                return net.denoise(batch);
            }

            @Override
            public List<float[]> encodeMemory(List<EncodeCall> batch) {
                return net.encodeMemory(batch);
            }
        };
        gateway.close();
        gateway = new BatchingGateway("test", recording, 8, Duration.ofSeconds(10), null);
        try (CallGateway.Registration me = gateway.open()) {
            gateway.denoise(call(1, 0));
            assertThat(threads).containsExactly(Thread.currentThread().getName());
            CyclicBarrier both = new CyclicBarrier(2);
            Future<float[]> other = pool.submit(() -> {
                try (CallGateway.Registration r = gateway.open()) {
                    both.await();
                    return gateway.denoise(call(2, 0));
                }
            });
            both.await();
            assertThat(gateway.denoise(call(3, 0))).containsExactly(expected(3));
            assertThat(other.get()).containsExactly(expected(2));
        }
        assertThat(threads).hasSize(2).last().isEqualTo("arvdm-batch-test");
        assertThat(net.batches.get(1)).containsExactlyInAnyOrder(2f, 3f);
    }

    @Test
    void unregisteredCallersNeverWait() throws Exception {
        gateway(8, Duration.ofSeconds(30));
        long t0 = System.nanoTime();
        for (int i = 0; i < 5; i++) {
            gateway.denoise(call(i, 1));
        }
        assertThat(System.nanoTime() - t0).isLessThan(5_000_000_000L);
    }

    @Test
    void oldestCallGoesFirstAndARareShapeIsNotStarved() throws Exception {
        gateway(2, Duration.ZERO);
        Future<float[]> blocker = holdDispatcher();
        // Queue: A(shape 1), B(shape 2), C(1), D(1), E(1).
        List<Future<float[]>> f = new ArrayList<>();
        float[][] calls = {{1, 1}, {2, 2}, {3, 1}, {4, 1}, {5, 1}};
        for (float[] c : calls) {
            f.add(enqueue(() -> gateway.denoise(call(c[0], (int) c[1]))));
        }
        net.gate.countDown();
        assertThat(blocker.get()).containsExactly(expected(BLOCKER));
        for (int i = 0; i < calls.length; i++) {
            assertThat(f.get(i).get()).containsExactly(expected(calls[i][0]));
        }
        // B is served right after the batch that took the oldest call, ahead of later calls of the common shape.
        assertThat(net.batches).containsExactly(List.of(BLOCKER), List.of(1f, 3f), List.of(2f), List.of(4f, 5f));
    }

    @Test
    void strictFifoWithBatchSizeOne() throws Exception {
        gateway(1, Duration.ofMillis(5));
        Future<float[]> blocker = holdDispatcher();
        List<Future<float[]>> f = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            float id = i;
            int slots = i % 2;
            f.add(enqueue(() -> gateway.denoise(call(id, slots))));
        }
        net.gate.countDown();
        blocker.get();
        for (Future<float[]> x : f) {
            x.get();
        }
        assertThat(net.batches)
                .containsExactly(
                        List.of(BLOCKER), List.of(0f), List.of(1f), List.of(2f), List.of(3f), List.of(4f), List.of(5f));
    }

    @Test
    void denoiserAndEncoderCallsAreBatchedSeparately() throws Exception {
        gateway(8, Duration.ZERO);
        Future<float[]> blocker = holdDispatcher();
        Future<float[]> d1 = enqueue(() -> gateway.denoise(call(1, 0)));
        Future<float[]> e1 =
                enqueue(() -> gateway.encode(new EncodeCall(new float[] {2}, new float[0], new boolean[1], 1)));
        Future<float[]> d2 = enqueue(() -> gateway.denoise(call(3, 0)));
        Future<float[]> e2 =
                enqueue(() -> gateway.encode(new EncodeCall(new float[] {4}, new float[0], new boolean[1], 1)));
        net.gate.countDown();
        blocker.get();
        assertThat(d1.get()).containsExactly(expected(1));
        assertThat(d2.get()).containsExactly(expected(3));
        assertThat(e1.get()).containsExactly(3f);
        assertThat(e2.get()).containsExactly(5f);
        assertThat(net.batches.subList(1, 3)).containsExactly(List.of(1f, 3f), List.of(2f, 4f));
        assertThat(net.networks.subList(1, 3)).containsExactly("denoiser", "memory_encoder");
        assertThat(observed.subList(1, 3))
                .extracting(Batch::network, Batch::size)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("denoiser", 2),
                        org.assertj.core.groups.Tuple.tuple("memory_encoder", 2));
    }

    @Test
    void anExceptionFailsOnlyTheCallersOfItsBatch() throws Exception {
        gateway(8, Duration.ZERO);
        Future<float[]> blocker = holdDispatcher();
        Future<float[]> poison = enqueue(() -> gateway.denoise(call(-1, 1)));
        Future<float[]> sameBatch = enqueue(() -> gateway.denoise(call(7, 1)));
        Future<float[]> otherBatch = enqueue(() -> gateway.denoise(call(8, 2)));
        net.gate.countDown();
        blocker.get();
        for (Future<float[]> f : List.of(poison, sameBatch)) {
            assertThatThrownBy(f::get)
                    .isInstanceOf(ExecutionException.class)
                    .hasCauseInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("poisoned sample");
        }
        assertThat(otherBatch.get()).containsExactly(expected(8));
        // The dispatcher carries on.
        assertThat(gateway.denoise(call(9, 1))).containsExactly(expected(9));
        assertThat(observed).extracting(Batch::size).containsExactly(1, 2, 1, 1);
    }

    @Test
    void generationsJoinAndLeaveMidFlightWithoutDisturbingTheOthers() throws Exception {
        gateway(4, Duration.ofMillis(20));
        CountDownLatch longRunnerStarted = new CountDownLatch(1);
        Future<Integer> longRunner = pool.submit(() -> {
            try (CallGateway.Registration r = gateway.open()) {
                for (int i = 0; i < 300; i++) {
                    assertThat(gateway.denoise(call(i, 1))).containsExactly(expected(i));
                    longRunnerStarted.countDown();
                }
            }
            return 300;
        });
        assertThat(longRunnerStarted.await(10, TimeUnit.SECONDS)).isTrue();
        List<Future<Integer>> visitors = new ArrayList<>();
        for (int g = 1; g <= 6; g++) {
            int gen = g;
            visitors.add(pool.submit(() -> {
                Thread.sleep(gen * 3L); // staggered arrivals are the point: visitors join at different times
                try (CallGateway.Registration r = gateway.open()) {
                    for (int i = 0; i < gen * 5; i++) {
                        float id = 10_000 * gen + i;
                        // Visitors use another memory length now and then: a different shape group.
                        assertThat(gateway.denoise(call(id, i % 3 == 0 ? 2 : 1)))
                                .containsExactly(expected(id));
                    }
                }
                return gen * 5;
            }));
        }
        // One generation joins and leaves without a single call (e.g. cancelled right away).
        gateway.open().close();
        // One is cancelled while waiting: its thread is interrupted.
        Future<float[]> cancelled = pool.submit(() -> {
            try (CallGateway.Registration r = gateway.open()) {
                Thread.currentThread().interrupt();
                return gateway.denoise(call(-5, 1));
            }
        });
        assertThatThrownBy(cancelled::get).hasCauseInstanceOf(InterruptedException.class);
        for (Future<Integer> v : visitors) {
            assertThat(v.get()).isPositive();
        }
        assertThat(longRunner.get()).isEqualTo(300);
        assertThat(gateway.liveGenerations()).isZero();
        assertThat(gateway.waiting()).isZero();
        assertThat(net.batches.stream().flatMap(List::stream)).doesNotContain(-5f);
        assertThat(net.batches.stream().mapToInt(List::size).max().orElse(0)).isGreaterThan(1);
    }

    @Test
    void closeFailsWaitingCallsLetsTheRunningBatchFinishAndStopsTheDispatcher() throws Exception {
        gateway(8, Duration.ZERO);
        Future<float[]> blocker = holdDispatcher();
        Future<float[]> waiting = enqueue(() -> gateway.denoise(call(3, 0)));
        Future<?> closing = pool.submit(() -> gateway.close());
        assertThatThrownBy(waiting::get)
                .hasCauseInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
        assertThat(closing.isDone()).as("close waits for the running batch").isFalse();
        net.gate.countDown();
        closing.get(10, TimeUnit.SECONDS);
        assertThat(blocker.get()).containsExactly(expected(BLOCKER));
        assertThat(Thread.getAllStackTraces().keySet())
                .noneMatch(t -> t.getName().equals("arvdm-batch-test"));
        assertThatThrownBy(() -> gateway.denoise(call(4, 0))).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> gateway.open()).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void rejectsABatchSizeBelowOne() {
        assertThatThrownBy(() -> new BatchingGateway("x", net, 0, Duration.ZERO, null))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
