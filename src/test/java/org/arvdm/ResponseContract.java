package org.arvdm;

import static org.assertj.core.api.Assertions.assertThat;

import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SchemaRegistryConfig;
import com.networknt.schema.dialect.Dialects;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.reactivestreams.Publisher;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.HttpHandlerDecoratorFactory;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.http.server.reactive.ServerHttpResponseDecorator;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * Every answer the service gives in the API tests, checked against the checked-in openapi.yaml the
 * way a validating proxy (Stoplight Prism) checks it: the status must be one the operation declares,
 * the content type one the status declares, and a JSON body (each SSE event's {@code data} too, where
 * the spec gives the event a schema) must match the declared schema, formats included. Only answers
 * of operations in the spec are checked (not /actuator, /v3/api-docs, the page, unmatched paths);
 * refusals the HTTP stack gives any operation ({@link #ANY_OPERATION}: 405, 406, 413, 414, 415, 431)
 * need not be declared per operation but must still be problems of the ProblemDetail schema.
 *
 * <p>The service side is a {@link HttpHandlerDecoratorFactory} (so it sees what the exception
 * handlers write too); the test side is a JUnit extension that fails the test after which a
 * violation was recorded. Both come with {@link TinyBundleServiceTest}.
 */
public final class ResponseContract {
    /** Statuses the HTTP stack answers for any operation, checked against the ProblemDetail schema. */
    static final java.util.Set<Integer> ANY_OPERATION = java.util.Set.of(405, 406, 413, 414, 415, 431);

    private static final String SPEC_IRI = "https://arvdm.test/openapi.yaml";
    private static final String INLINE_IRI = "https://arvdm.test/response-schema/";
    private static final int MAX_CAPTURE = 8 << 20;

    private static final List<String> violations = new CopyOnWriteArrayList<>();
    private static final AtomicInteger inFlight = new AtomicInteger();
    private static final AtomicInteger checked = new AtomicInteger();
    private static volatile ResponseContract instance;

    private final JsonNode spec;
    private final SchemaRegistry registry;
    private final List<PathTemplate> paths = new ArrayList<>();
    private final JsonNode problemRef;
    private final JsonMapper json = JsonMapper.builder().build();
    /** One schema per schema node of the spec, each at an IRI of its own. */
    private final Map<JsonNode, Schema> schemas = new java.util.IdentityHashMap<>();

    record PathTemplate(String template, Pattern pattern) {}

    ResponseContract(Path file) throws Exception {
        String text = Files.readString(file);
        spec = absoluteRefs(new YAMLMapper().readTree(text));
        registry = SchemaRegistry.withDefaultDialect(
                Dialects.getOpenApi31(),
                b -> b.schemas(Map.of(SPEC_IRI, text))
                        .schemaRegistryConfig(SchemaRegistryConfig.builder()
                                .formatAssertionsEnabled(true)
                                .build()));
        problemRef = json.readTree("{\"$ref\": \"" + SPEC_IRI + "#/components/schemas/ProblemDetail\"}");
        for (Iterator<String> it = spec.path("paths").propertyNames().iterator(); it.hasNext(); ) {
            String t = it.next();
            String regex = Pattern.quote(t).replaceAll("\\{[^}/]+}", "\\\\E[^/]+\\\\Q");
            paths.add(new PathTemplate(t, Pattern.compile(regex)));
        }
    }

    /** The spec with every local $ref made absolute, so a schema taken out of it still resolves them. */
    private static JsonNode absoluteRefs(JsonNode node) {
        if (node instanceof tools.jackson.databind.node.ObjectNode o) {
            JsonNode ref = o.get("$ref");
            if (ref != null && ref.isString() && ref.asString().startsWith("#")) {
                o.put("$ref", SPEC_IRI + ref.asString());
            }
        }
        node.forEach(ResponseContract::absoluteRefs);
        return node;
    }

    static ResponseContract get() {
        ResponseContract c = instance;
        if (c == null) {
            synchronized (ResponseContract.class) {
                if (instance == null) {
                    try {
                        instance = new ResponseContract(Path.of("openapi.yaml"));
                    } catch (Exception e) {
                        throw new IllegalStateException("openapi.yaml could not be read", e);
                    }
                }
                c = instance;
            }
        }
        return c;
    }

    /** How many answers were checked so far (to see that the checks run at all). */
    public static int checkedCount() {
        return checked.get();
    }

    /**
     * The violations of one answer against the spec (empty when it conforms, or when the path is no
     * operation of the spec).
     */
    public List<String> check(String method, String path, int status, MediaType contentType, byte[] body) {
        return check(method, path, status, contentType, body, true);
    }

    /** As above; a body not {@code complete} (the client left, the write failed) is checked only event by event. */
    public List<String> check(
            String method, String path, int status, MediaType contentType, byte[] body, boolean complete) {
        PathTemplate template = paths.stream()
                .filter(p -> p.pattern().matcher(path).matches())
                .findFirst()
                .orElse(null);
        if (template == null) {
            return List.of();
        }
        JsonNode op = spec.path("paths").path(template.template()).path(method.toLowerCase(Locale.ROOT));
        if (op.isMissingNode()) {
            return List.of();
        }
        String where = method + " " + path + " -> " + status + ": ";
        List<String> out = new ArrayList<>();
        JsonNode response = op.path("responses").path(Integer.toString(status));
        if (response.isMissingNode()) {
            response = op.path("responses").path(status / 100 + "XX");
        }
        if (response.isMissingNode()) {
            response = op.path("responses").path("default");
        }
        JsonNode schema;
        String ct = contentType == null ? null : contentType.getType() + "/" + contentType.getSubtype();
        if (response.isMissingNode()) {
            if (!ANY_OPERATION.contains(status)) {
                out.add(where + "status " + status + " is not declared for " + method + " " + template.template());
                return out;
            }
            if (!MediaType.APPLICATION_PROBLEM_JSON_VALUE.equals(ct)) {
                out.add(where + "content type " + ct + ", expected application/problem+json");
                return out;
            }
            schema = problemRef;
        } else {
            JsonNode content = response.path("content");
            if (content.isMissingNode() || content.isEmpty()) {
                if (body.length > 0) {
                    out.add(where + "a body of " + body.length + " bytes where the spec declares none");
                }
                return out;
            }
            if (ct == null) {
                out.add(where + "no Content-Type; the spec declares " + names(content));
                return out;
            }
            JsonNode media = content.path(ct);
            if (media.isMissingNode()) {
                media = content.path(contentType.getType() + "/*");
            }
            if (media.isMissingNode()) {
                media = content.path("*/*");
            }
            if (media.isMissingNode()) {
                out.add(where + "content type " + ct + " is not declared; the spec declares " + names(content));
                return out;
            }
            schema = media.path("schema");
        }
        if (schema.isMissingNode() || schema.isEmpty() || body.length == 0) {
            return out;
        }
        String text = new String(body, StandardCharsets.UTF_8);
        if (MediaType.TEXT_EVENT_STREAM_VALUE.equals(ct)) {
            checkEvents(where, schema, text, out);
        } else if (complete && (ct.equals("application/json") || ct.endsWith("+json"))) {
            validate(where, schema, text, out);
        }
        return out;
    }

    /** Each event's data against the schema the spec names for its event type (x-events), if any. */
    private void checkEvents(String where, JsonNode schema, String text, List<String> out) {
        JsonNode events = schema.path("x-events");
        if (events.isMissingNode()) {
            return;
        }
        List<String> blocks = new ArrayList<>(List.of(text.split("\\r?\\n\\r?\\n")));
        if (!text.endsWith("\n\n") && !blocks.isEmpty()) {
            blocks.remove(blocks.size() - 1); // cut off mid-event (the client left): not an event
        }
        for (String block : blocks) {
            String event = "message";
            StringBuilder data = new StringBuilder();
            for (String line : block.split("\\r?\\n")) {
                if (line.startsWith("event:")) {
                    event = line.substring(6).strip();
                } else if (line.startsWith("data:")) {
                    data.append(data.isEmpty() ? "" : "\n")
                            .append(line.substring(5).stripLeading());
                }
            }
            if (data.isEmpty()) {
                continue;
            }
            JsonNode s = events.path(event);
            if (s.isMissingNode()) {
                out.add(where + "event '" + event + "' is not declared; the spec declares " + names(events));
            } else {
                validate(where + "event " + event + ": ", s, data.toString(), out);
            }
        }
    }

    private void validate(String where, JsonNode schemaNode, String body, List<String> out) {
        Schema schema;
        synchronized (schemas) {
            schema = schemas.computeIfAbsent(
                    schemaNode, n -> registry.getSchema(SchemaLocation.of(INLINE_IRI + schemas.size()), n));
        }
        List<Error> errors;
        try {
            errors = schema.validate(body, InputFormat.JSON);
        } catch (RuntimeException e) {
            out.add(where + "body is not JSON: " + e.getMessage());
            return;
        }
        for (Error e : errors) {
            out.add(where + e.getInstanceLocation() + " " + e.getMessage());
        }
    }

    private static String names(JsonNode object) {
        List<String> names = new ArrayList<>();
        object.propertyNames().forEach(names::add);
        return names.toString();
    }

    /** Registers the check on the service under test: every response body is copied and checked when it ends. */
    @TestConfiguration(proxyBeanMethods = false)
    public static class Recorder {
        @Bean
        HttpHandlerDecoratorFactory responseContractRecorder() {
            ResponseContract contract = get();
            return handler -> (request, response) -> {
                Capturing c = new Capturing(contract, request, response);
                inFlight.incrementAndGet();
                return handler.handle(request, c)
                        .doFinally(s -> c.finish(s == reactor.core.publisher.SignalType.ON_COMPLETE));
            };
        }
    }

    /** Fails the test after which an answer broke the spec (and the class, for answers that ended later). */
    public static class Check implements AfterEachCallback, AfterAllCallback {
        @Override
        public void afterEach(ExtensionContext context) throws Exception {
            report();
        }

        @Override
        public void afterAll(ExtensionContext context) throws Exception {
            report();
        }

        private static void report() throws InterruptedException {
            // the service's last answers end first (a stream still open after 2 s is not waited for)
            org.arvdm.Await.within(
                    java.time.Duration.ofSeconds(2), () -> inFlight.get() == 0, "answers in flight to end");
            List<String> found = new ArrayList<>(violations);
            violations.removeAll(found);
            assertThat(found).as("answers that do not match openapi.yaml").isEmpty();
        }
    }

    private static final class Capturing extends ServerHttpResponseDecorator {
        private final ResponseContract contract;
        private final ServerHttpRequest request;
        private final ByteArrayOutputStream body = new ByteArrayOutputStream();
        private final AtomicBoolean finished = new AtomicBoolean();

        Capturing(ResponseContract contract, ServerHttpRequest request, ServerHttpResponse delegate) {
            super(delegate);
            this.contract = contract;
            this.request = request;
        }

        /** Whether an answer went out (a body byte, or setComplete without one); false when the client left first. */
        private volatile boolean answered;

        @Override
        public Mono<Void> setComplete() {
            answered = true;
            return super.setComplete();
        }

        @Override
        public Mono<Void> writeWith(Publisher<? extends DataBuffer> body) {
            return super.writeWith(Flux.from(body).doOnNext(this::copy));
        }

        @Override
        public Mono<Void> writeAndFlushWith(Publisher<? extends Publisher<? extends DataBuffer>> body) {
            return super.writeAndFlushWith(Flux.from(body).map(p -> Flux.from(p).doOnNext(this::copy)));
        }

        private synchronized void copy(DataBuffer buf) {
            answered = true;
            int n = buf.readableByteCount();
            if (body.size() + n > MAX_CAPTURE) {
                return;
            }
            byte[] bytes = new byte[n];
            int pos = buf.readPosition();
            buf.read(bytes);
            buf.readPosition(pos);
            body.writeBytes(bytes);
        }

        void finish(boolean complete) {
            if (!finished.compareAndSet(false, true)) {
                return;
            }
            try {
                byte[] bytes;
                synchronized (this) {
                    bytes = body.toByteArray();
                }
                if (getStatusCode() == null
                        || !answered
                        || (bytes.length == 0
                                && getHeaders().getContentType() == null
                                && getStatusCode().value() == 200)) {
                    return; // nothing was answered (Netty's default 200, no byte): the client left before the headers
                }
                List<String> found = contract.check(
                        request.getMethod().name(),
                        request.getPath().value(),
                        getStatusCode().value(),
                        getHeaders().getContentType(),
                        bytes,
                        complete);
                checked.incrementAndGet();
                violations.addAll(found);
            } catch (RuntimeException e) {
                violations.add(request.getMethod() + " " + request.getPath() + ": the check failed: " + e);
            } finally {
                inFlight.decrementAndGet();
            }
        }
    }
}
