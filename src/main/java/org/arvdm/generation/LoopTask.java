package org.arvdm.generation;

/**
 * A {@link Job} that advances one {@link ArLoop}: a one-shot generation or an interactive
 * session. One unit is one AR step (or the initialization stage).
 */
public abstract class LoopTask extends Job {
    protected final ArLoop loop;
    protected final CallGateway gateway;
    protected final EngineObserver observer;

    protected LoopTask(ArLoop loop, CallGateway gateway, EngineObserver observer) {
        super(gateway);
        this.loop = loop;
        this.gateway = gateway;
        this.observer = observer;
    }

    /** The actions {@link ArLoop#advance} reads; only indices below {@link ArLoop#actionsNeeded()}. */
    protected abstract ActionSource actions();

    protected abstract GenerationListener listener();

    @Override
    protected final void unit() throws InterruptedException {
        loop.advance(actions(), gateway, listener(), observer);
    }

    @Override
    protected final boolean finished() {
        return loop.finished();
    }

    @Override
    protected void free() {
        loop.release(observer);
    }

    public final ArLoop loop() {
        return loop;
    }
}
