package org.arvdm.generation;

import java.util.List;

/** What a generation stream carries, before the API layer turns it into SSE or JSON. */
public sealed interface GenerationEvent {

    /** First when the generation waits for a worker: its place in the queue (1 = next). */
    record Queued(int position) implements GenerationEvent {}

    record Started(String id, long seed) implements GenerationEvent {}

    /** {@code image} is already encoded (base64) on the worker thread. */
    record Frame(int index, String image, int arStep, double elapsedMs) implements GenerationEvent {}

    record Preview(int arStep, int iteration, List<PreviewImage> frames) implements GenerationEvent {}

    record PreviewImage(int index, int level, String image) {}

    record Done(GenerationStats stats) implements GenerationEvent {}

    /** Always the last event when it occurs: why the generation did not finish (never {@code CANCELLED}). */
    record Failed(EngineFailure failure) implements GenerationEvent {}
}
