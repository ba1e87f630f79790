package org.arvdm.api;

import org.arvdm.config.ArvdmProperties;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Refuses a body whose declared Content-Length is over {@code arvdm.limits.max-body-bytes} with
 * 413 before reading it. Chunked bodies are capped by the codec limit (same number), which
 * {@link ApiErrors} maps to 413 too; both name the field {@code body}.
 */
@Component
class BodyLimitFilter implements WebFilter {
    private final long limit;

    BodyLimitFilter(ArvdmProperties props) {
        this.limit = props.limits().maxBodyBytes();
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        long length = exchange.getRequest().getHeaders().getContentLength();
        if (length <= limit) {
            return chain.filter(exchange);
        }
        return Mono.error(new ApiException(
                HttpStatus.PAYLOAD_TOO_LARGE,
                "body",
                "body: " + length + " bytes, the limit is " + limit + " (arvdm.limits.max-body-bytes)"));
    }
}
