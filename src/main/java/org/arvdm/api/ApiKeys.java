package org.arvdm.api;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.arvdm.config.ArvdmProperties;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Optional API keys ({@code arvdm.security.api-keys}, off when empty): every request under
 * {@code /v1/} must carry {@code Authorization: Bearer <secret>} of one of the configured keys,
 * or gets 401 problem+json with {@code WWW-Authenticate}. Secrets are compared as SHA-256
 * digests with {@link MessageDigest#isEqual} against every key, so the time taken says nothing
 * about how much of a secret was right nor which key matched. The matching key's id is kept on
 * the exchange ({@link #owner}) for whoever records who owns what (sessions).
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 10)
public class ApiKeys implements WebFilter {
    /** The exchange attribute holding the id of the key the request was made with. */
    public static final String OWNER_ATTRIBUTE = ApiKeys.class.getName() + ".owner";

    static final String CHALLENGE = "Bearer realm=\"arvdm\"";

    private record Key(String id, byte[] digest) {}

    private final List<Key> keys = new ArrayList<>();

    ApiKeys(ArvdmProperties props) {
        for (ArvdmProperties.ApiKey k : props.security().keys()) {
            keys.add(new Key(k.id(), sha256(k.secret())));
        }
    }

    /** The id of the API key this request was authenticated with; empty when keys are off. */
    public static Optional<String> owner(ServerWebExchange exchange) {
        return Optional.ofNullable(exchange.getAttribute(OWNER_ATTRIBUTE));
    }

    boolean enabled() {
        return !keys.isEmpty();
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        if (keys.isEmpty()
                || !exchange.getRequest()
                        .getPath()
                        .pathWithinApplication()
                        .value()
                        .startsWith("/v1/")) {
            return chain.filter(exchange);
        }
        String header = exchange.getRequest().getHeaders().getFirst(HttpHeaders.AUTHORIZATION);
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return Mono.error(new ApiException(
                    HttpStatus.UNAUTHORIZED,
                    "Authorization",
                    "Authorization: an API key is required (Authorization: Bearer <key>)"));
        }
        String id = match(header.substring(7).strip());
        if (id == null) {
            return Mono.error(new ApiException(
                    HttpStatus.UNAUTHORIZED, "Authorization", "Authorization: the API key is not valid"));
        }
        exchange.getAttributes().put(OWNER_ATTRIBUTE, id);
        return chain.filter(exchange);
    }

    /** The id of the key whose secret this is, or null; looks at every key whatever matches. */
    String match(String secret) {
        byte[] given = sha256(secret);
        String found = null;
        for (Key k : keys) {
            if (MessageDigest.isEqual(given, k.digest()) && found == null) {
                found = k.id();
            }
        }
        return found;
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
