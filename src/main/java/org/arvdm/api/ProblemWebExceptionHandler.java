package org.arvdm.api;

import org.springframework.core.annotation.Order;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebExceptionHandler;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * Everything the HTTP stack answers outside a controller (unmatched paths, 405, 406, filters'
 * refusals, a body over the limit) in the same problem+json shape as the controllers, whatever
 * the client accepts ({@code Accept: text/html} included: no Whitelabel page). Runs before
 * Spring Boot's error handler.
 */
@Component
@Order(-2)
class ProblemWebExceptionHandler implements WebExceptionHandler {
    private final JsonMapper json;

    ProblemWebExceptionHandler(JsonMapper json) {
        this.json = json;
    }

    @Override
    public Mono<Void> handle(ServerWebExchange exchange, Throwable ex) {
        ServerHttpResponse response = exchange.getResponse();
        if (response.isCommitted()) {
            return Mono.error(ex);
        }
        ApiErrors.Answer answer = ApiErrors.answer(ex);
        return write(response, answer);
    }

    /** Writes a problem as the whole response (status, headers, body). */
    Mono<Void> write(ServerHttpResponse response, ApiErrors.Answer answer) {
        ProblemDetail p = answer.problem();
        response.setStatusCode(org.springframework.http.HttpStatusCode.valueOf(p.getStatus()));
        HttpHeaders h = response.getHeaders();
        h.setContentType(MediaType.APPLICATION_PROBLEM_JSON);
        if (answer.retryAfter() != null) {
            h.set(HttpHeaders.RETRY_AFTER, answer.retryAfter());
        }
        if (answer.wwwAuthenticate() != null) {
            h.set(HttpHeaders.WWW_AUTHENTICATE, answer.wwwAuthenticate());
        }
        DataBuffer buf = response.bufferFactory().wrap(json.writeValueAsBytes(ApiErrors.body(p)));
        return response.writeWith(Mono.just(buf));
    }
}
