package org.arvdm.api;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import reactor.netty.NettyPipeline;
import reactor.netty.http.server.HttpServer;
import tools.jackson.databind.json.JsonMapper;

/**
 * Requests the HTTP stack refuses before any handler runs (a request line over Netty's limit:
 * 414; headers over it: 431; an unparsable request: 400) get the service's one problem+json
 * shape instead of Reactor Netty's empty body. A handler just past the HTTP codec notes each
 * request whose decoding failed and fills the bodiless answer Reactor Netty then writes for it.
 */
@Component
class NettyProblems implements NettyServerCustomizer {
    static final String HANDLER = "arvdm.problemOnDecodeFailure";
    private final JsonMapper json;

    NettyProblems(JsonMapper json) {
        this.json = json;
    }

    @Override
    public HttpServer apply(HttpServer server) {
        return server.doOnChannelInit((observer, channel, remote) -> {
            if (channel.pipeline().get(NettyPipeline.HttpCodec) != null
                    && channel.pipeline().get(HANDLER) == null) {
                channel.pipeline().addAfter(NettyPipeline.HttpCodec, HANDLER, new Handler(json));
            }
        });
    }

    /** The problem for a request Netty could not decode: what went wrong, by the status Reactor Netty chose. */
    static ApiErrors.Answer problem(int status) {
        if (status == HttpStatus.URI_TOO_LONG.value()) {
            return new ApiErrors.Answer(
                    ApiErrors.problem(
                            HttpStatus.URI_TOO_LONG,
                            "uri: the request line is longer than the server accepts",
                            "uri",
                            null),
                    null,
                    null);
        }
        if (status == HttpStatus.REQUEST_HEADER_FIELDS_TOO_LARGE.value()) {
            return new ApiErrors.Answer(
                    ApiErrors.problem(
                            HttpStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                            "headers: the request headers are larger than the server accepts",
                            "headers",
                            null),
                    null,
                    null);
        }
        return new ApiErrors.Answer(
                ApiErrors.problem(HttpStatus.BAD_REQUEST, "request: not a valid HTTP/1.1 request", "request", null),
                null,
                null);
    }

    static final class Handler extends ChannelDuplexHandler {
        private final JsonMapper json;
        private boolean failed;

        Handler(JsonMapper json) {
            this.json = json;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof HttpRequest r && r.decoderResult().isFailure()) {
                failed = true;
            }
            ctx.fireChannelRead(msg);
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            if (failed && msg instanceof FullHttpResponse r && !r.content().isReadable()) {
                failed = false;
                int status = r.status().code();
                byte[] body =
                        json.writeValueAsBytes(ApiErrors.body(problem(status).problem()));
                ByteBuf content = ctx.alloc().buffer(body.length).writeBytes(body);
                FullHttpResponse answer = new DefaultFullHttpResponse(
                        r.protocolVersion(),
                        r.status(),
                        content,
                        r.headers().copy(),
                        r.trailingHeaders().copy());
                answer.headers()
                        .set(HttpHeaderNames.CONTENT_TYPE, MediaType.APPLICATION_PROBLEM_JSON_VALUE)
                        .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length)
                        .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
                r.release();
                ctx.write(answer, promise);
                return;
            }
            ctx.write(msg, promise);
        }
    }
}
