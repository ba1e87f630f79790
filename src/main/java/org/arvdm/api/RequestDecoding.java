package org.arvdm.api;

import java.util.concurrent.Callable;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Decoding a request's images and planning it run on a small pool of their own ({@code
 * arvdm-decode-*}, one thread per core, a bounded queue), never on the event loop: however
 * many large context clips arrive, liveness and the streams already running are answered.
 */
@Component
class RequestDecoding implements DisposableBean {
    private final Scheduler scheduler =
            Schedulers.newBoundedElastic(Math.max(1, Runtime.getRuntime().availableProcessors()), 256, "arvdm-decode");

    /** {@code work} on the decoding pool; its exception (an {@link ApiException}) is the Mono's error. */
    <T> Mono<T> run(Callable<T> work) {
        return Mono.fromCallable(work).subscribeOn(scheduler);
    }

    @Override
    public void destroy() {
        scheduler.dispose();
    }
}
