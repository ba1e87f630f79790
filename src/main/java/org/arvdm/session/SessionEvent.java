package org.arvdm.session;

/**
 * One event of a session's stream, as SSE and the WebSocket send it: {@code name} is the event
 * name, {@code data} its JSON payload (for {@code error} an {@link org.arvdm.generation.EngineFailure}
 * or a {@link SessionException}, which the API maps to its problem). {@code seq} orders the session's log; {@code frame} is
 * the frame index for {@code frame} events (the SSE id), else -1.
 */
public record SessionEvent(long seq, String name, Object data, int frame) {

    /** Payload of a {@code frame} event. {@code actionSeq} and {@code latencyMs} are null for padding. */
    public record Frame(int index, String image, Object action, Long actionSeq, Double latencyMs, double elapsedMs) {}

    /** Payload of an {@code action} event: the acknowledgement of one received action. */
    public record Action(long seq, Object action) {}

    public record PreviewImage(int index, int level, String image) {}

    public record Preview(int arStep, int iteration, java.util.List<PreviewImage> frames) {}

    /** Payload of the {@code closed} event: deleted, expired, shutdown or error. */
    public record Closed(String reason) {}
}
