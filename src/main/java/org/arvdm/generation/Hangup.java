package org.arvdm.generation;

import java.util.Optional;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.util.context.ContextView;

/**
 * What a request's connection does when it closes: the jobs streamed for that request, each
 * cancelled then. The HTTP edge puts one into the Reactor context of each request and disposes it
 * when the connection closes; {@link JobRunner#stream} registers each job it admits. This does not
 * depend on the cancel travelling down the reader's operator chain (the framework's write path,
 * the encoders' {@code publishOn}): a client that hangs up in the few milliseconds between sending
 * its request and its stream being wired up once left its job parked, holding its place, with
 * nothing left to read it.
 */
public final class Hangup {
    /** The Reactor context key of a request's {@code Hangup}. */
    public static final String KEY = Hangup.class.getName();

    private final Disposable.Composite jobs = Disposables.composite();

    /** Cancels every job registered so far, and any registered later, at once. Idempotent. */
    public void hangUp() {
        jobs.dispose();
    }

    /** Cancels registered and not yet taken off (their jobs still running). */
    int registered() {
        return jobs.size();
    }

    /**
     * Runs {@code cancel} when the connection closes (at once if it has closed already); the
     * returned handle takes it off again when the job ends first, so a kept-alive connection does
     * not collect the cancels of all its past requests.
     */
    Disposable register(Disposable cancel) {
        if (!jobs.add(cancel)) {
            cancel.dispose();
            return () -> {};
        }
        return () -> jobs.remove(cancel);
    }

    /** The request's {@code Hangup}, when the context came from the HTTP edge. */
    static Optional<Hangup> of(ContextView context) {
        return context.getOrEmpty(KEY).filter(Hangup.class::isInstance).map(Hangup.class::cast);
    }
}
