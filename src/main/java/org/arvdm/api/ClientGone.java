package org.arvdm.api;

import io.netty.channel.ChannelFuture;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GenericFutureListener;
import org.arvdm.generation.Hangup;
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
 * <p>
 * The watch is a listener on the channel's close future that is removed again when the request
 * ends. A keep-alive connection carries many requests; a listener left behind by each (as
 * {@code Connection.onDispose} leaves one) would keep every finished request's chain reachable
 * until the connection closes, which is how a 10-minute soak grew the heap by 2 GB.
 * <p>
 * The close, and the end of the exchange however it ends, also cancel every job streamed for the
 * request through its {@link Hangup} in the Reactor context, whether or not a cancel makes it down
 * the response's operators. A client that hung up a few milliseconds after sending could make the
 * first SSE write fail ({@code AbortedException}: closed before send) on an encoder thread before
 * the event loop had run the close listener; the error ended the exchange (and so removed the
 * listener) while the framework's write path left the body's subscription open, so about one
 * generation in a hundred such requests stayed parked with its place taken and no reader.
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
        Hangup hangup = new Hangup();
        Mono<Boolean> closed = Mono.create(sink -> request.withConnection(c -> {
            ChannelFuture close = c.channel().closeFuture();
            GenericFutureListener<Future<? super Void>> listener = f -> {
                hangup.hangUp();
                sink.success(true);
            };
            close.addListener(listener); // runs at once if the channel is already closed
            sink.onDispose(() -> close.removeListener(listener));
        }));
        // a job never outlives its request: when the exchange ends, however it ends, what it streamed is cancelled
        return chain.filter(exchange)
                .takeUntilOther(closed)
                .doFinally(signal -> hangup.hangUp())
                .contextWrite(ctx -> ctx.put(Hangup.KEY, hangup));
    }
}
