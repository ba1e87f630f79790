package org.arvdm.api;

import java.net.URI;

import org.arvdm.generation.CapacityException;
import org.springframework.core.codec.DecodingException;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.server.ServerWebInputException;
import org.springframework.web.server.UnsupportedMediaTypeStatusException;

/** The one place exceptions become HTTP problems ({@code application/problem+json}). */
@RestControllerAdvice
class ApiErrors {

    @ExceptionHandler(ApiException.class)
    ResponseEntity<ProblemDetail> api(ApiException e) {
        ProblemDetail p = problem(e.status(), e.getMessage());
        if (e.field() != null) {
            p.setProperty("field", e.field());
        }
        if (e.rule() != null) {
            p.setProperty("rule", e.rule());
        }
        return respond(p, null);
    }

    @ExceptionHandler(CapacityException.class)
    ResponseEntity<ProblemDetail> capacity(CapacityException e) {
        HttpStatus status = e.shuttingDown() ? HttpStatus.SERVICE_UNAVAILABLE : HttpStatus.TOO_MANY_REQUESTS;
        return respond(problem(status, e.getMessage()), Long.toString(Math.max(1, e.retryAfter().toSeconds())));
    }

    @ExceptionHandler(ServerWebInputException.class)
    ResponseEntity<ProblemDetail> input(ServerWebInputException e) {
        Throwable cause = e.getMostSpecificCause();
        if (cause instanceof DataBufferLimitException) {
            return respond(problem(HttpStatus.PAYLOAD_TOO_LARGE, "body: larger than arvdm.limits.max-body-bytes"),
                    null);
        }
        String detail = e.getCause() instanceof DecodingException d ? d.getMostSpecificCause().getMessage()
                : e.getReason();
        ProblemDetail p = problem(HttpStatus.BAD_REQUEST, "body: not a valid request: " + detail);
        p.setProperty("field", "body");
        return respond(p, null);
    }

    @ExceptionHandler(UnsupportedMediaTypeStatusException.class)
    ResponseEntity<ProblemDetail> mediaType(UnsupportedMediaTypeStatusException e) {
        return respond(problem(HttpStatus.UNSUPPORTED_MEDIA_TYPE, "Content-Type must be application/json"), null);
    }

    static ProblemDetail problem(HttpStatus status, String detail) {
        ProblemDetail p = ProblemDetail.forStatusAndDetail(status, detail);
        p.setType(URI.create("urn:arvdm:" + status.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-')));
        return p;
    }

    private static ResponseEntity<ProblemDetail> respond(ProblemDetail p, String retryAfter) {
        ResponseEntity.BodyBuilder b = ResponseEntity.status(p.getStatus())
                .contentType(MediaType.APPLICATION_PROBLEM_JSON);
        if (retryAfter != null) {
            b.header(HttpHeaders.RETRY_AFTER, retryAfter);
        }
        return b.body(p);
    }
}
