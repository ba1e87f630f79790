package org.arvdm.generation;

import java.util.List;

/** What a generation stream carries, before the API layer turns it into SSE or JSON. */
public sealed interface GenerationEvent {

    record Started(String id, long seed) implements GenerationEvent {
    }

    /** {@code image} is already encoded (base64) on the worker thread. */
    record Frame(int index, String image, int arStep, double elapsedMs) implements GenerationEvent {
    }

    record Preview(int arStep, int iteration, List<PreviewImage> frames) implements GenerationEvent {
    }

    record PreviewImage(int index, int level, String image) {
    }

    record Done(GenerationStats stats) implements GenerationEvent {
    }

    /** Always the last event when it occurs. {@code status} is the HTTP status the problem maps to. */
    record Failed(String type, String title, int status, String detail) implements GenerationEvent {
    }
}
