package org.arvdm.generation;

/**
 * What the loop reports for metrics. Plain Java, so the engine needs no metrics library; the
 * service implements it over Micrometer. Calls come from worker threads.
 */
public interface EngineObserver {

    EngineObserver NONE = new EngineObserver() {};

    /** The phases {@link #iteration} reports: the initial window's denoising, then the autoregressive steps. */
    java.util.List<String> PHASES = java.util.List.of("init", "ar");

    /** The networks {@link #networkCall} reports. */
    java.util.List<String> NETWORKS = java.util.List.of("denoiser", "memory_encoder");

    /** One denoising iteration (one denoiser call) finished. {@code phase} is {@code init} or {@code ar}. */
    default void iteration(String phase, long nanos, int batchSize) {}

    /** A network ran for this generation; {@code network} is {@code denoiser} or {@code memory_encoder}. */
    default void networkCall(String network) {}

    default void frameEmitted() {}

    default void firstFrame(long nanos) {}

    /**
     * A one-shot generation began running (after admission). {@link #generationEnded()} comes when it
     * ends, also for one that never started and possibly more than once: only the first after a start counts.
     */
    default void generationStarted() {}

    default void generationEnded() {}

    /** Where the runner gets each generation's observer: the service's metrics, or {@link #NONE}'s. */
    @FunctionalInterface
    interface Factory {
        Factory NONE = model -> EngineObserver.NONE;

        /** A new observer for one generation (or session) of {@code model}. */
        EngineObserver forModel(String model);
    }

    /** This generation's memory now holds {@code used} slots in {@code bytes} (deltas are the observer's business). */
    default void memoryChanged(int usedDelta, long bytesDelta) {}
}
