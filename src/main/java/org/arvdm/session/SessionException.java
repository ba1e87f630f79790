package org.arvdm.session;

import java.time.Duration;

/** A session request the service refuses: a problem type, its HTTP status, and when to retry (429). */
public final class SessionException extends RuntimeException {
    private final String type;
    private final String title;
    private final int status;
    private final Duration retryAfter;

    private SessionException(String type, String title, int status, Duration retryAfter, String detail) {
        super(detail);
        this.type = type;
        this.title = title;
        this.status = status;
        this.retryAfter = retryAfter;
    }

    public static SessionException notFound() {
        return new SessionException(
                "urn:arvdm:session-not-found",
                "Session not found",
                404,
                null,
                "no such session: unknown, expired or deleted");
    }

    public static SessionException queueFull(int limit, Duration retryAfter) {
        return new SessionException(
                "urn:arvdm:session-queue-full",
                "Action queue full",
                429,
                retryAfter,
                "actions: the session already holds " + limit + " actions it has not used"
                        + " (arvdm.sessions.max-queued-actions); retry after " + retryAfter.toMillis() + " ms");
    }

    public static SessionException tooMany(int limit, Duration retryAfter) {
        return new SessionException(
                "urn:arvdm:too-many-sessions",
                "Too many sessions",
                429,
                retryAfter,
                "all " + limit + " session places are taken (arvdm.sessions.max-sessions)");
    }

    public static SessionException shuttingDown() {
        return new SessionException(
                "urn:arvdm:shutdown",
                "Service shutting down",
                503,
                Duration.ofSeconds(1),
                "the service is shutting down");
    }

    /** A {@code Last-Event-ID} older than the replay buffer: the stream resumes from its oldest frame. */
    public static SessionException replayGap(String detail) {
        return new SessionException("urn:arvdm:replay-gap", "Frames no longer held", 410, null, detail);
    }

    public static SessionException noFrames() {
        return new SessionException(
                "urn:arvdm:no-frames-yet", "No frame yet", 409, null, "the session has not emitted a frame yet");
    }

    public String type() {
        return type;
    }

    public String title() {
        return title;
    }

    public int status() {
        return status;
    }

    /** Null unless the status is 429 or 503. */
    public Duration retryAfter() {
        return retryAfter;
    }
}
