package org.arvdm.api;

import java.util.Map;

import org.arvdm.model.ModelRegistry;
import org.arvdm.session.SessionService;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.reactive.HandlerMapping;
import org.springframework.web.reactive.handler.SimpleUrlHandlerMapping;

/** Maps {@code /v1/sessions/{id}/ws} to the sessions' WebSocket handler (WebFlux's own WebSocket support). */
@Configuration(proxyBeanMethods = false)
class SessionSocketConfig {

    @Bean
    HandlerMapping sessionSocketMapping(SessionService sessions, ModelRegistry registry) {
        return new SimpleUrlHandlerMapping(Map.of("/v1/sessions/*/ws", new SessionSocketHandler(sessions, registry)),
                -1);
    }
}
