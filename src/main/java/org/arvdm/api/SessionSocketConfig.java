package org.arvdm.api;

import java.util.Map;
import org.arvdm.model.ModelRegistry;
import org.arvdm.session.SessionService;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.reactive.HandlerMapping;
import org.springframework.web.reactive.handler.SimpleUrlHandlerMapping;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * Maps {@code /v1/sessions/{id}/ws} to the sessions' WebSocket handler (WebFlux's own WebSocket support).
 * Each handshake gets a handler bound to the API key it was made with ({@link ApiKeys#owner}): the
 * socket's own attributes carry none of the exchange's (WebFlux copies only WebSession attributes).
 */
@Configuration(proxyBeanMethods = false)
class SessionSocketConfig {

    @Bean
    HandlerMapping sessionSocketMapping(SessionService sessions, ModelRegistry registry) {
        SessionSocketHandler handler = new SessionSocketHandler(sessions, registry);
        return new SimpleUrlHandlerMapping(Map.of("/v1/sessions/*/ws", handler), -1) {
            @Override
            public Mono<Object> getHandlerInternal(ServerWebExchange exchange) {
                return super.getHandlerInternal(exchange)
                        .map(h -> handler.forOwner(ApiKeys.owner(exchange).orElse(null)));
            }
        };
    }
}
