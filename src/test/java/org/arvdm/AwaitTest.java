package org.arvdm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class AwaitTest {

    @Test
    void returnsOnceTheConditionHolds() {
        AtomicInteger polls = new AtomicInteger();
        Await.until(Duration.ofSeconds(5), () -> polls.incrementAndGet() >= 3, "the third poll");
        assertThat(polls).hasValue(3);
    }

    @Test
    void failsNamingWhatWasAwaited() {
        assertThatThrownBy(() -> Await.until(Duration.ofMillis(50), () -> false, "the impossible"))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("the impossible");
        assertThat(Await.within(Duration.ofMillis(50), () -> false, "the impossible"))
                .isFalse();
    }

    @Test
    void anAssertionInTheConditionEndsTheWaitAtOnce() {
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> Await.until(
                        Duration.ofSeconds(30),
                        () -> {
                            throw new AssertionError("the service died");
                        },
                        "readiness"))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("the service died");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
    }
}
