package org.arvdm.generation;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Subscription;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

/**
 * The one runner's contract, on streamed jobs with one worker: the admission place is taken on
 * subscription and given back on every end (completion, error, cancel while queued, cancel
 * while running), no unit runs after a cancel is seen, and a reader that does not ask parks
 * the job on no thread.
 */
class JobRunnerTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    private final Admission admission = new Admission(1, 1, Duration.ofSeconds(1), m -> new AtomicInteger());
    private final JobRunner runner = new JobRunner("test-worker-", 1);

    @AfterEach
    void stop() {
        runner.shutdown(Duration.ofSeconds(1));
    }

    /** Emits one event per unit (its index), then "done"; a unit may wait on a gate or fail. */
    static final class TestJob extends Job {
        final Outbox<Object> outbox;
        final int units;
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch ended = new CountDownLatch(1);
        final AtomicInteger calls = new AtomicInteger();
        volatile CountDownLatch gate;
        volatile RuntimeException failure;
        volatile Throwable endedWith;
        volatile java.util.function.IntSupplier placesTaken = () -> -1;
        volatile int placesAtFree = -1;
        private int done;

        TestJob(Outbox<Object> outbox, int units) {
            super(null);
            this.outbox = outbox;
            this.units = units;
        }

        @Override
        protected boolean ready() {
            return outbox.hasRoom();
        }

        @Override
        protected void unit() throws InterruptedException {
            entered.countDown();
            CountDownLatch g = gate;
            if (g != null) {
                g.await();
            }
            if (cancelled()) { // as the loop checks before every network call
                throw new GenerationCancelledException(cancelReason());
            }
            calls.incrementAndGet(); // the "network call"
            if (failure != null) {
                throw failure;
            }
            outbox.offer(done++);
        }

        @Override
        protected boolean finished() {
            return done == units;
        }

        @Override
        protected void free() {
            placesAtFree = placesTaken.getAsInt();
        }

        @Override
        protected String work() {
            return "test";
        }

        @Override
        protected String label() {
            return "test job";
        }

        @Override
        protected void ended(EngineFailure failure) {
            endedWith = failure;
            ended.countDown();
            outbox.finish(failure == null ? "done" : failure);
        }
    }

    private final TestJob[] made = new TestJob[4];
    private final AtomicInteger count = new AtomicInteger();

    private Flux<Object> stream(int units, CountDownLatch gate, RuntimeException failure) {
        return runner.stream(admission, "m", 2, (outbox, ticket) -> {
            TestJob j = new TestJob(outbox, units);
            j.gate = gate;
            j.failure = failure;
            j.placesTaken = admission::inFlight;
            made[count.getAndIncrement()] = j;
            return j;
        });
    }

    private void assertIdle() throws InterruptedException {
        await("admission places given back", () -> admission.inFlight() == 0);
        await("no job left", () -> runner.liveJobs() == 0);
        await("no worker left busy", () -> runner.busyWorkers() == 0);
    }

    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        org.arvdm.Await.until(WAIT, condition, what);
    }

    @Test
    void completionDeliversEveryEventThenGivesThePlaceBack() throws Exception {
        StepVerifier.create(stream(3, null, null)).expectNext(0, 1, 2, "done").verifyComplete();
        assertThat(made[0].endedWith).isNull();
        assertThat(made[0].placesAtFree)
                .as("freed (meters stopped) before its place is given back")
                .isEqualTo(1);
        assertIdle();
    }

    @Test
    void noPlaceIsTakenBeforeSubscription() throws Exception {
        Flux<Object> cold = stream(1, null, null);
        assertThat(admission.inFlight()).isZero();
        StepVerifier.create(cold).expectNext(0, "done").verifyComplete();
        assertIdle();
    }

    @Test
    void anErrorIsTheLastEventTypedAsAnInferenceFailure() throws Exception {
        StepVerifier.create(stream(3, null, new IllegalStateException("boom")))
                .assertNext(e -> {
                    assertThat(e).isInstanceOf(EngineFailure.Inference.class);
                    assertThat(((EngineFailure) e).kind()).isEqualTo(EngineFailure.Kind.INFERENCE);
                    assertThat(((EngineFailure) e).getMessage()).isEqualTo("IllegalStateException: boom");
                })
                .verifyComplete();
        assertThat(made[0].calls).hasValue(1);
        assertIdle();
    }

    @Test
    void cancelWhileRunningStopsBeforeTheNextCall() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        StepVerifier.create(stream(5, gate, null))
                .then(() -> awaitLatch(made[0].entered))
                .then(() -> assertThat(admission.inFlight())
                        .as("place taken on subscription")
                        .isEqualTo(1))
                .thenCancel()
                .verify(WAIT);
        TestJob job = made[0];
        assertThat(admission.inFlight())
                .as("the running job keeps its place until its worker lets go")
                .isEqualTo(1);
        gate.countDown();
        assertThat(job.ended.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        assertThat(job.endedWith).isInstanceOf(GenerationCancelledException.class);
        assertThat(job.calls).as("no network call after the cancel").hasValue(0);
        assertIdle();
    }

    @Test
    void cancelWhileQueuedEndsAtOnceAndNeverRuns() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        Flux<Object> first = stream(1, gate, null);
        StepVerifier running = StepVerifier.create(first)
                .expectNext(0, "done")
                .expectComplete()
                .verifyLater();
        awaitLatch(made[0].entered);

        StepVerifier.create(stream(1, null, null))
                .then(() -> assertThat(admission.inFlight()).isEqualTo(2))
                .thenCancel()
                .verify(WAIT);
        TestJob queued = made[1];
        assertThat(queued.ended.await(WAIT.toSeconds(), TimeUnit.SECONDS))
                .as("ended at once")
                .isTrue();
        assertThat(queued.endedWith).isInstanceOf(GenerationCancelledException.class);
        assertThat(admission.inFlight())
                .as("the queued place is back while the first still runs")
                .isEqualTo(1);

        gate.countDown();
        running.verify(WAIT);
        assertThat(queued.entered.getCount())
                .as("the cancelled job never ran a unit")
                .isEqualTo(1);
        assertIdle();
    }

    @Test
    void aReaderThatDoesNotAskParksTheJobOnNoThread() throws Exception {
        StepVerifier.create(stream(10, null, null), 1)
                .expectNext(0)
                .then(() -> {
                    try {
                        await("outbox full", () -> !made[0].outbox.hasRoom());
                        await("the parked job holds no worker", () -> runner.busyWorkers() == 0);
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                    // one event taken by the reader, two waiting in the outbox: then the job parks
                    assertThat(made[0].calls)
                            .as("units stop at the outbox's capacity")
                            .hasValue(3);
                    assertThat(runner.liveJobs()).isEqualTo(1);
                })
                .thenRequest(Long.MAX_VALUE)
                .expectNext(1, 2, 3, 4, 5, 6, 7, 8, 9, "done")
                .verifyComplete();
        assertIdle();
    }

    @Test
    void aHangupEndsAParkedJobWhoseReaderNeverCancels() throws Exception {
        // the reader asks for one event and then neither asks nor cancels: what a response whose
        // connection closed looks like when the cancel is lost on the way down its operators
        Hangup hangup = new Hangup();
        java.util.List<Object> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        stream(10, null, null).contextWrite(c -> c.put(Hangup.KEY, hangup)).subscribe(new BaseSubscriber<>() {
            @Override
            protected void hookOnSubscribe(Subscription s) {
                s.request(1);
            }

            @Override
            protected void hookOnNext(Object value) {
                seen.add(value);
            }
        });
        await("outbox full", () -> made[0] != null && !made[0].outbox.hasRoom());
        assertThat(runner.liveJobs()).as("parked, with its place").isEqualTo(1);
        assertThat(admission.inFlight()).isEqualTo(1);
        hangup.hangUp();
        awaitLatch(made[0].ended);
        assertThat(((EngineFailure) made[0].endedWith).kind()).isEqualTo(EngineFailure.Kind.CANCELLED);
        assertThat(made[0].cancelReason()).isEqualTo("client gone");
        assertIdle();
    }

    @Test
    void aJobAdmittedAfterTheHangupIsCancelledAtOnce() throws Exception {
        Hangup hangup = new Hangup();
        hangup.hangUp();
        StepVerifier.create(stream(5, null, null).contextWrite(c -> c.put(Hangup.KEY, hangup)))
                .expectNextMatches(e -> e instanceof EngineFailure f && f.kind() == EngineFailure.Kind.CANCELLED)
                .verifyComplete();
        assertThat(made[0].calls).as("no unit ran").hasValue(0);
        assertIdle();
    }

    @Test
    void aJobThatEndsLeavesNothingInItsRequestsHangup() throws Exception {
        Hangup hangup = new Hangup();
        for (int i = 0; i < 3; i++) { // requests one after another on a kept-alive connection
            StepVerifier.create(stream(1, null, null).contextWrite(c -> c.put(Hangup.KEY, hangup)))
                    .expectNext(0, "done")
                    .verifyComplete();
        }
        assertThat(hangup.registered()).as("cancels left registered").isZero();
        assertIdle();
    }

    @Test
    void pastTheQueueTheStreamFailsWithCapacityAndTakesNoPlace() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        StepVerifier running = StepVerifier.create(stream(1, gate, null))
                .expectNext(0, "done")
                .expectComplete()
                .verifyLater();
        StepVerifier queued = StepVerifier.create(stream(1, null, null))
                .expectNext(0, "done")
                .expectComplete()
                .verifyLater();
        StepVerifier.create(stream(1, null, null))
                .expectErrorSatisfies(
                        e -> assertThat(((EngineFailure) e).kind()).isEqualTo(EngineFailure.Kind.CAPACITY))
                .verify(WAIT);
        assertThat(admission.inFlight()).isEqualTo(2);
        gate.countDown();
        running.verify(WAIT);
        queued.verify(WAIT);
        assertIdle();
    }

    private static void awaitLatch(CountDownLatch latch) {
        try {
            assertThat(latch.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }
}
