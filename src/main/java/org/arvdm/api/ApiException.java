package org.arvdm.api;

import org.springframework.http.HttpStatus;

/** A request the service refuses before any work: the status, the field at fault and why. */
public final class ApiException extends RuntimeException {
    private final HttpStatus status;
    private final String field;

    public ApiException(HttpStatus status, String field, String message) {
        super(message);
        this.status = status;
        this.field = field;
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
}
