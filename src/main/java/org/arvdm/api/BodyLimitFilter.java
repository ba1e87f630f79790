package org.arvdm.api;

import java.nio.charset.StandardCharsets;

import org.arvdm.config.ArvdmProperties;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Refuses a body whose declared Content-Length is over {@code arvdm.limits.max-body-bytes} with
 * 413 before reading it. Chunked bodies are capped by the codec limit (same number), which
 * {@link ApiErrors} maps to 413 too.
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
        var response = exchange.getResponse();
        response.setStatusCode(HttpStatus.PAYLOAD_TOO_LARGE);
        response.getHeaders().setContentType(MediaType.APPLICATION_PROBLEM_JSON);
        String body = "{\"type\":\"urn:arvdm:payload-too-large\",\"title\":\"Payload Too Large\",\"status\":413,"
                + "\"detail\":\"body: " + length + " bytes, the limit is " + limit
                + " (arvdm.limits.max-body-bytes)\",\"field\":\"body\"}";
        DataBuffer buf = response.bufferFactory().wrap(body.getBytes(StandardCharsets.UTF_8));
        return response.writeWith(Mono.just(buf));
    }
}
