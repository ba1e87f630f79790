package org.arvdm.generation;

/**
 * Runs one {@link ArLoop} to its last frame on the calling thread: what the evaluator, the
 * report command and the benchmark's direct-engine rows use. The service's generations and
 * sessions advance the same loop one unit at a time on {@link GenerationService}'s workers.
 */
public final class ArGenerator {

    /**
     * Runs one generation to its last frame on the calling thread.
     *
     * @throws GenerationCancelledException when the listener reports the client gone
     * @throws GenerationDeadlineException  when the plan's deadline passes
     */
    public GenerationStats run(
            GenerationPlan plan,
            ActionSource actions,
            CallGateway gateway,
            GenerationListener listener,
            EngineObserver observer)
            throws InterruptedException {
        ArLoop loop = new ArLoop(plan);
        try (CallGateway.Registration joined = gateway.open()) {
            while (!loop.finished()) {
                loop.advance(actions, gateway, listener, observer);
            }
            return loop.stats();
        } finally {
            loop.release(observer);
        }
    }
}
