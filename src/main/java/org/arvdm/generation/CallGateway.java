package org.arvdm.generation;

/**
 * What the AR loop asks to run one network call for one generation. The call may wait to be
 * batched with other generations' calls; it returns that generation's slice of the result.
 * Blocking; called from the generation's worker thread.
 */
public interface CallGateway extends AutoCloseable {

    float[] denoise(DenoiseCall call) throws InterruptedException;

    float[] encode(EncodeCall call) throws InterruptedException;

    /** Batch size of the caller's last completed call on this thread (1 when unbatched). */
    default int lastBatchSize() {
        return 1;
    }

    /**
     * Marks one generation as a user of this gateway until the returned registration closes;
     * the loop holds one for its whole run. A batching gateway uses the count of registered
     * generations to stop waiting once every one of them has a call queued.
     */
    default Registration open() {
        return () -> {};
    }

    @Override
    default void close() {}

    /** A generation's membership of a gateway; closing it twice is harmless. */
    interface Registration extends AutoCloseable {
        @Override
        void close();
    }

    /** Runs every call at once, alone. */
    static CallGateway direct(Networks networks) {
        return new CallGateway() {
            @Override
            public float[] denoise(DenoiseCall call) {
                return networks.denoise(java.util.List.of(call)).get(0);
            }

            @Override
            public float[] encode(EncodeCall call) {
                return networks.encodeMemory(java.util.List.of(call)).get(0);
            }
        };
    }
}
