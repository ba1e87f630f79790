package org.arvdm.api;

import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServerRequest;

/**
 * Cancels a request's handling the moment its connection closes, whether or not a response byte
 * was written: a client that sends a generation and hangs up while it is planned, queued or
 * answered as one JSON document (nothing written until the end) stops its work then, instead of
 * at the next write.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
class ClientGone implements WebFilter {

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        Object nativeRequest = ServerHttpRequestDecorator.getNativeRequest(exchange.getRequest());
        if (!(nativeRequest instanceof HttpServerRequest request)) {
            return chain.filter(exchange);
        }
        Mono<Boolean> closed = Mono.create(sink -> request.withConnection(c -> c.onDispose(() -> sink.success(true))));
        return chain.filter(exchange).takeUntilOther(closed);
    }
}
