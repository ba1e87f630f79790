package org.arvdm.api;

import java.net.URI;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import org.arvdm.generation.CapacityException;
import org.arvdm.generation.EngineFailure;
import org.arvdm.generation.PlanException;
import org.arvdm.session.SessionException;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.server.MethodNotAllowedException;
import org.springframework.web.server.NotAcceptableStatusException;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebInputException;
import org.springframework.web.server.UnsupportedMediaTypeStatusException;
import reactor.netty.channel.AbortedException;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.TokenStreamContext;
import tools.jackson.core.exc.InputCoercionException;
import tools.jackson.core.exc.StreamConstraintsException;
import tools.jackson.core.exc.StreamReadException;
import tools.jackson.databind.exc.MismatchedInputException;
import tools.jackson.databind.exc.PropertyBindingException;

/**
 * The one place failures become HTTP problems ({@code application/problem+json}): exceptions of
 * controllers (through this advice) and of the HTTP stack around them (through {@link ProblemWebExceptionHandler}),
 * the planner's {@link PlanException}, and the engine's typed {@link EngineFailure}s wherever they
 * reach a client ({@link #failure}: before the stream, in an {@code error} event, in a JSON answer).
 * Every problem has {@code type}, {@code title}, {@code status}, {@code detail}; {@code field}
 * names the part of the request at fault by its JSON path ({@code schedule.inputLevels[2]},
 * {@code body} for the body as a whole). Details never name Java classes, and values echoed from
 * a request are cut to {@link #MAX_ECHO} characters.
 */
@RestControllerAdvice
class ApiErrors {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ApiErrors.class);
    /** Longest piece of a client's value echoed back in a detail. */
    static final int MAX_ECHO = PlanException.MAX_ECHO;

    /** A problem ready to send: the detail and the headers it needs. */
    record Answer(ProblemDetail problem, String retryAfter, String wwwAuthenticate) {
        ResponseEntity<ProblemDetail> entity() {
            return headers().body(problem);
        }

        /** The same answer where a controller answers either a result or a problem. */
        ResponseEntity<Object> response() {
            return headers().body(problem);
        }

        private ResponseEntity.BodyBuilder headers() {
            ResponseEntity.BodyBuilder b =
                    ResponseEntity.status(problem.getStatus()).contentType(MediaType.APPLICATION_PROBLEM_JSON);
            if (retryAfter != null) {
                b.header(HttpHeaders.RETRY_AFTER, retryAfter);
            }
            if (wwwAuthenticate != null) {
                b.header(HttpHeaders.WWW_AUTHENTICATE, wwwAuthenticate);
            }
            return b;
        }
    }

    /** The work an engine failure ended, for the problem's type and title. */
    enum Work {
        GENERATION("generation", "Generation", "Inference failed"),
        EVALUATION("evaluation", "Evaluation", "Evaluation failed"),
        SESSION("session", "Session", "Inference failed");

        private final String noun;
        private final String name;
        private final String failedTitle;

        Work(String noun, String name, String failedTitle) {
            this.noun = noun;
            this.name = name;
            this.failedTitle = failedTitle;
        }
    }

    /**
     * The one mapping of the engine's typed failures to problems, for every way they reach a client:
     * the problem+json before the stream (capacity, shutdown), the SSE and WebSocket {@code error}
     * event, and the JSON answer of a generation or evaluation that failed after it was admitted.
     */
    static Answer failure(EngineFailure f, Work work) {
        String detail = f.getMessage();
        return switch (f.kind()) {
            case CAPACITY -> new Answer(problem(HttpStatus.TOO_MANY_REQUESTS, detail, null, null), retryAfter(f), null);
            case SHUTDOWN -> new Answer(shuttingDown(detail), retryAfter(f), null);
            case DEADLINE ->
                new Answer(
                        failure("urn:arvdm:" + work.noun + "-timeout", work.name + " time limit exceeded", 504, detail),
                        null,
                        null);
            case INFERENCE ->
                new Answer(failure("urn:arvdm:inference-error", work.failedTitle, 500, detail), null, null);
            case CANCELLED ->
                new Answer(failure("urn:arvdm:cancelled", work.name + " cancelled", 499, detail), null, null);
        };
    }

    /** A session event's payload as sent: an {@code error} event's failure or refusal becomes its problem. */
    static Object sessionData(Object data) {
        if (data instanceof EngineFailure f) {
            return body(failure(f, Work.SESSION).problem());
        }
        if (data instanceof SessionException e) {
            return body(session(e));
        }
        return data;
    }

    /** Whole seconds, at least 1: the failure's own wait when it has one (a full queue), else 1. */
    private static String retryAfter(EngineFailure f) {
        long seconds = f instanceof CapacityException c ? c.retryAfter().toSeconds() : 1;
        return Long.toString(Math.max(1, seconds));
    }

    @ExceptionHandler(Throwable.class)
    ResponseEntity<ProblemDetail> handle(Throwable e) {
        return answer(e).entity();
    }

    /** Maps any failure before the first response byte to its problem. */
    static Answer answer(Throwable e) {
        if (e instanceof ApiException a) {
            return new Answer(
                    problem(a.status(), a.getMessage(), a.field(), null),
                    null,
                    a.status() == HttpStatus.UNAUTHORIZED ? ApiKeys.CHALLENGE : null);
        }
        if (e instanceof PlanException p) {
            return new Answer(
                    problem(
                            p.unknown() ? HttpStatus.NOT_FOUND : HttpStatus.BAD_REQUEST,
                            p.getMessage(),
                            p.field(),
                            p.rule()),
                    null,
                    null);
        }
        if (e instanceof SessionException s) {
            return new Answer(
                    session(s),
                    s.retryAfter() == null
                            ? null
                            : Long.toString(Math.max(1, (s.retryAfter().toMillis() + 999) / 1000)),
                    null);
        }
        if (e instanceof EngineFailure f) {
            return failure(f, Work.GENERATION);
        }
        if (e instanceof java.util.concurrent.RejectedExecutionException) {
            return new Answer(
                    problem(
                            HttpStatus.TOO_MANY_REQUESTS,
                            "too many requests are being decoded; retry" + " shortly",
                            null,
                            null),
                    "1",
                    null);
        }
        if (e instanceof ServerWebInputException in) {
            return new Answer(input(in), null, null);
        }
        if (e instanceof DataBufferLimitException) {
            return new Answer(tooLarge(), null, null);
        }
        if (e instanceof UnsupportedMediaTypeStatusException) {
            return new Answer(
                    problem(
                            HttpStatus.UNSUPPORTED_MEDIA_TYPE,
                            "Content-Type must be application/json",
                            "Content-Type",
                            null),
                    null,
                    null);
        }
        if (e instanceof NotAcceptableStatusException n) {
            return new Answer(
                    problem(
                            HttpStatus.NOT_ACCEPTABLE,
                            "Accept: this resource answers " + n.getSupportedMediaTypes(),
                            "Accept",
                            null),
                    null,
                    null);
        }
        if (e instanceof MethodNotAllowedException m) {
            return new Answer(
                    problem(
                            HttpStatus.METHOD_NOT_ALLOWED,
                            "method " + m.getHttpMethod() + " is not allowed here; allowed: " + m.getSupportedMethods(),
                            null,
                            null),
                    null,
                    null);
        }
        if (e instanceof ResponseStatusException r) {
            HttpStatusCode code = r.getStatusCode();
            if (code.value() == HttpStatus.PAYLOAD_TOO_LARGE.value()) {
                return new Answer(tooLarge(), null, null);
            }
            String detail = code.value() == 404
                    ? "no such resource; the API is under /v1 (see /v3/api-docs)"
                    : echo(
                            r.getReason() == null
                                    ? HttpStatus.valueOf(code.value()).getReasonPhrase()
                                    : r.getReason());
            return new Answer(problem(HttpStatus.valueOf(code.value()), detail, null, null), null, null);
        }
        if (e instanceof AbortedException) {
            // the client hung up before anything was sent: nobody reads this answer, nothing failed
            log.debug("connection closed before the response: {}", e.getMessage());
        } else {
            log.error("unexpected failure before the response", e);
        }
        return new Answer(
                problem(
                        HttpStatus.INTERNAL_SERVER_ERROR,
                        "internal error; the service log has the" + " details",
                        null,
                        null),
                null,
                null);
    }

    /** A problem of its own type and title (engine failures, session refusals). */
    private static ProblemDetail failure(String type, String title, int status, String detail) {
        ProblemDetail p = ProblemDetail.forStatusAndDetail(HttpStatusCode.valueOf(status), detail);
        p.setType(URI.create(type));
        p.setTitle(title);
        return p;
    }

    /** The problem of a request refused or ended because the service is shutting down (same type as the error event). */
    static ProblemDetail shuttingDown(String detail) {
        return failure("urn:arvdm:shutdown", "Service shutting down", 503, detail);
    }

    /** A session refused (unknown, queue full, too many, shutting down, no frame yet): its own type and title. */
    static ProblemDetail session(SessionException e) {
        return failure(e.type(), e.title(), e.status(), e.getMessage());
    }

    /** A problem of the service's one shape; {@code field} and {@code rule} are left out when null. */
    static ProblemDetail problem(HttpStatus status, String detail, String field, String rule) {
        ProblemDetail p = ProblemDetail.forStatusAndDetail(status, detail);
        p.setType(
                URI.create("urn:arvdm:" + status.name().toLowerCase(Locale.ROOT).replace('_', '-')));
        if (field != null) {
            p.setProperty("field", field);
        }
        if (rule != null) {
            p.setProperty("rule", rule);
        }
        return p;
    }

    /** A problem's JSON members as every writer sends them: the standard ones, then its properties. */
    static java.util.Map<String, Object> body(ProblemDetail p) {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("type", p.getType().toString());
        m.put("title", p.getTitle());
        m.put("status", p.getStatus());
        m.put("detail", p.getDetail());
        if (p.getProperties() != null) {
            m.putAll(p.getProperties());
        }
        return m;
    }

    static ProblemDetail tooLarge() {
        return problem(HttpStatus.PAYLOAD_TOO_LARGE, "body: larger than arvdm.limits.max-body-bytes", "body", null);
    }

    /** A client's value as echoed in a detail: at most {@link #MAX_ECHO} characters. */
    static String echo(Object value) {
        return PlanException.echo(value);
    }

    /** A body that could not be read as the request type: the JSON path of the first fault and why. */
    private static ProblemDetail input(ServerWebInputException e) {
        Throwable cause = e;
        while (cause != null && !(cause instanceof JacksonException) && !(cause instanceof DataBufferLimitException)) {
            cause = cause.getCause();
        }
        if (cause instanceof DataBufferLimitException) {
            return tooLarge();
        }
        if (cause == null) {
            boolean missing = e.getCause() == null
                    && e.getReason() != null
                    && e.getReason().contains("body");
            return problem(
                    HttpStatus.BAD_REQUEST,
                    "body: " + (missing ? "a JSON request body is required" : "not a valid request"),
                    "body",
                    null);
        }
        JacksonException j = (JacksonException) cause;
        String field = path(j.getPath());
        if (j instanceof PropertyBindingException u) {
            String known = known(u.getKnownPropertyIds());
            return problem(
                    HttpStatus.BAD_REQUEST,
                    field + ": unknown field '" + echo(u.getPropertyName()) + "'"
                            + (known.isEmpty() ? "" : "; the fields here are " + known),
                    field,
                    null);
        }
        if (j instanceof MismatchedInputException m && !(j instanceof StreamReadException)) {
            String expected = expected(m.getTargetType());
            String got = given(m.getCurrentToken());
            return problem(
                    HttpStatus.BAD_REQUEST,
                    field + ": must be " + expected + (got == null ? "" : ", got " + got),
                    field,
                    null);
        }
        if (j instanceof InputCoercionException c) {
            return problem(
                    HttpStatus.BAD_REQUEST,
                    field + ": must be " + expected(c.getTargetType()) + " within its range",
                    field,
                    null);
        }
        if (j instanceof StreamConstraintsException) {
            return problem(HttpStatus.BAD_REQUEST, "body: " + echo(j.getOriginalMessage()), "body", null);
        }
        // not JSON at all: the body is at fault, except for a repeated key, which has a place
        field = String.valueOf(j.getOriginalMessage()).startsWith("Duplicate") ? parserPath(j) : "body";
        String where = j.getLocation() == null
                ? ""
                : " at line " + j.getLocation().getLineNr() + ", column "
                        + j.getLocation().getColumnNr();
        String why = j.getOriginalMessage() == null
                ? ""
                : ": " + echo(j.getOriginalMessage().split("\n")[0]);
        return problem(HttpStatus.BAD_REQUEST, field + ": not valid JSON" + where + why, field, null);
    }

    /** {@code a.b[2].c} from Jackson's reference chain; {@code body} for the root. */
    static String path(List<JacksonException.Reference> refs) {
        StringBuilder sb = new StringBuilder();
        for (JacksonException.Reference r : refs) {
            if (r.getPropertyName() != null) {
                if (!sb.isEmpty()) {
                    sb.append('.');
                }
                sb.append(echo(r.getPropertyName()));
            } else if (r.getIndex() >= 0) {
                sb.append('[').append(r.getIndex()).append(']');
            }
        }
        return sb.isEmpty() ? "body" : sb.toString();
    }

    /** Where the parser stood when it failed (a duplicate key): its JSON path, or {@code body}. */
    private static String parserPath(JacksonException j) {
        if (!(j.processor() instanceof JsonParser parser)) {
            return "body";
        }
        java.util.ArrayDeque<String> parts = new java.util.ArrayDeque<>();
        for (TokenStreamContext c = parser.streamReadContext(); c != null && !c.inRoot(); c = c.getParent()) {
            if (c.inArray()) {
                parts.push("[" + Math.max(0, c.getCurrentIndex()) + "]");
            } else if (c.currentName() != null) {
                parts.push("." + echo(c.currentName()));
            }
        }
        String path = String.join("", parts);
        path = path.startsWith(".") ? path.substring(1) : path;
        return path.isEmpty() ? "body" : path;
    }

    private static String known(Collection<Object> ids) {
        if (ids == null || ids.isEmpty()) {
            return "";
        }
        return ids.stream().map(String::valueOf).sorted().toList().toString();
    }

    /** What a field of this Java type is in JSON words. */
    private static String expected(Class<?> t) {
        if (t == null) {
            return "of another JSON type";
        }
        if (t == Integer.class || t == int.class || t == Long.class || t == long.class || t == Short.class) {
            return "an integer";
        }
        if (Number.class.isAssignableFrom(t) || t == double.class || t == float.class) {
            return "a number";
        }
        if (t == String.class) {
            return "a string";
        }
        if (t == Boolean.class || t == boolean.class) {
            return "true or false";
        }
        if (Collection.class.isAssignableFrom(t) || t.isArray()) {
            return "an array";
        }
        return "an object";
    }

    private static String given(JsonToken token) {
        if (token == null) {
            return null;
        }
        return switch (token) {
            case VALUE_STRING -> "a string";
            case VALUE_NUMBER_INT -> "an integer";
            case VALUE_NUMBER_FLOAT -> "a fractional number";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case VALUE_NULL -> "null";
            case START_ARRAY -> "an array";
            case START_OBJECT -> "an object";
            default -> null;
        };
    }
}
