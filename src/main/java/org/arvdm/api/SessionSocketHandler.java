package org.arvdm.api;

import java.util.List;
import java.util.Map;
import org.arvdm.generation.PlanException;
import org.arvdm.manifest.ModelManifest;
import org.arvdm.model.ModelRegistry;
import org.arvdm.session.Session;
import org.arvdm.session.SessionException;
import org.arvdm.session.SessionService;
import org.springframework.web.reactive.socket.CloseStatus;
import org.springframework.web.reactive.socket.WebSocketHandler;
import org.springframework.web.reactive.socket.WebSocketMessage;
import org.springframework.web.reactive.socket.WebSocketSession;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.util.concurrent.Queues;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code /v1/sessions/{id}/ws}: one connection plays the game. Client text messages
 * {@code {"actions": ["left"]}} queue actions; the server sends {@code {"event": name, "data": {...}}}
 * with the same events as the SSE stream (this socket is a viewer). A malformed or refused message
 * gets an {@code error} event naming the problem, and the session carries on. Where API keys are on,
 * the handshake's key (handed over by {@link SessionSocketConfig}) must own the session;
 * another key's session is answered as an unknown one.
 */
final class SessionSocketHandler {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final SessionService sessions;
    private final ModelRegistry registry;

    SessionSocketHandler(SessionService sessions, ModelRegistry registry) {
        this.sessions = sessions;
        this.registry = registry;
    }

    /** The handler of one handshake made with API key {@code owner} (null when keys are off). */
    WebSocketHandler forOwner(String owner) {
        return ws -> handle(ws, owner);
    }

    private Mono<Void> handle(WebSocketSession ws, String owner) {
        String path = ws.getHandshakeInfo().getUri().getPath();
        String[] parts = path.split("/");
        String id = parts.length >= 2 ? parts[parts.length - 2] : "";
        Session s;
        ModelManifest m;
        try {
            s = sessions.get(id, owner);
            m = registry.get(s.spec().model())
                    .orElseThrow(SessionException::notFound)
                    .manifest();
        } catch (SessionException e) {
            String text = message("error", ApiErrors.body(ApiErrors.answer(e).problem()));
            return ws.send(Mono.just(ws.textMessage(text))).then(ws.close(CloseStatus.POLICY_VIOLATION));
        }
        // Replies to this socket only (errors for its messages); bounded, the oldest refusals win.
        Sinks.Many<String> replies = Sinks.many()
                .unicast()
                .onBackpressureBuffer(Queues.<String>get(64).get());
        Flux<String> events = s.events(null).map(e -> message(e.name(), ApiErrors.sessionData(e.data())));
        Flux<WebSocketMessage> out = Flux.merge(events, replies.asFlux()).map(ws::textMessage);
        Mono<Void> in = ws.receive()
                .filter(msg -> msg.getType() == WebSocketMessage.Type.TEXT)
                .map(WebSocketMessage::getPayloadAsText)
                .doOnNext(text -> {
                    String error = receive(s, m, text);
                    if (error != null) {
                        replies.tryEmitNext(error);
                    }
                })
                .then();
        return Mono.zip(ws.send(out), in.doFinally(sig -> replies.tryEmitComplete()))
                .then();
    }

    /** Handles one client message; returns the error message to send back, or null. */
    private static String receive(Session s, ModelManifest m, String text) {
        try {
            Object parsed;
            try {
                parsed = JSON.readValue(text, Object.class);
            } catch (RuntimeException e) {
                throw ApiException.badRequest("message", "not JSON: expected {\"actions\": [\"forward\"]}");
            }
            if (!(parsed instanceof Map<?, ?> map) || !(map.get("actions") instanceof List<?> list)) {
                throw ApiException.badRequest("actions", "expected {\"actions\": [...]} with a list of actions");
            }
            @SuppressWarnings("unchecked")
            List<Object> actions = (List<Object>) list;
            SessionController.send(s, actions, m);
            return null;
        } catch (ApiException | PlanException | SessionException e) {
            return message("error", ApiErrors.body(ApiErrors.answer(e).problem()));
        }
    }

    private static String message(String event, Object data) {
        return JSON.writeValueAsString(Map.of("event", event, "data", data));
    }
}
