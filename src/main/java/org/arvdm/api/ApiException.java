package org.arvdm.api;

import org.springframework.http.HttpStatus;

/** A request the service refuses before any work: the status, the field at fault and why. */
public final class ApiException extends RuntimeException {
    private final HttpStatus status;
    private final String field;
    private final String rule;

    public ApiException(HttpStatus status, String field, String message) {
        this(status, field, null, message);
    }

    public ApiException(HttpStatus status, String field, String rule, String message) {
        super(message);
        this.status = status;
        this.field = field;
        this.rule = rule;
    }

    public static ApiException badRequest(String field, String message) {
        return new ApiException(HttpStatus.BAD_REQUEST, field, field + ": " + message);
    }

    public HttpStatus status() {
        return status;
    }

    public String field() {
        return field;
    }

    public String rule() {
        return rule;
    }
}
