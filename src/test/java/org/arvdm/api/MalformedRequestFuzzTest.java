package org.arvdm.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.arvdm.TinyBundleServiceTest;
import org.arvdm.model.ModelRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.yaml.snakeyaml.Yaml;
import tools.jackson.databind.json.JsonMapper;

/**
 * Malformed requests generated from openapi.yaml (every property of both request bodies, nested
 * objects and array elements included, given each JSON type it is not, plus an unknown field in
 * every object), sent with both Accept types, and a list of known attacks (nesting depth, huge
 * strings and arrays, non-numbers, image bombs and broken images, wrong content types, methods
 * and path tricks). Each must get a 4xx application/problem+json, never a 5xx; the generated ones
 * must name exactly the field that was broken.
 */
@TinyBundleServiceTest
class MalformedRequestFuzzTest {
    @LocalServerPort
    int port;

    @Autowired
    ModelRegistry registry;

    @Autowired
    JsonMapper json;

    /** One malformed request: what to send and which field the problem must name (null: any). */
    record Case(
            String name,
            HttpMethod method,
            String uri,
            MediaType contentType,
            MediaType accept,
            byte[] body,
            String field) {}

    private Map<String, Object> schemas;

    @SuppressWarnings("unchecked")
    private Map<String, Object> schema(Map<String, Object> s) {
        Object ref = s.get("$ref");
        return ref == null
                ? s
                : (Map<String, Object>)
                        schemas.get(ref.toString().substring(ref.toString().lastIndexOf('/') + 1));
    }

    /** Values of every JSON type except the property's own. */
    private static List<Object> wrongValues(String type) {
        return switch (type) {
            case "integer" -> List.of("5", 1.5, true, List.of(), Map.of(), "");
            case "number" -> List.of("0.5", true, List.of(), Map.of(), "x");
            case "string" -> List.of(5, 1.5, true, List.of(), Map.of());
            case "boolean" -> List.of("true", 1, List.of(), Map.of(), "yes");
            case "array" -> List.of("x", 5, Map.of(), true);
            case "object" -> List.of("x", 5, List.of(), true);
            default -> List.of();
        };
    }

    /** Collects (path, wrong value) for every property under {@code schema}, walking objects and array items. */
    @SuppressWarnings("unchecked")
    private void mutations(Map<String, Object> schemaIn, String path, List<Object[]> out) {
        Map<String, Object> s = schema(schemaIn);
        Map<String, Object> props = (Map<String, Object>) s.get("properties");
        String type = props != null ? "object" : (String) s.get("type");
        if (type == null) {
            return; // untyped (an action: a name or a vector); the planner checks it
        }
        if (!path.isEmpty()) {
            for (Object v : wrongValues(type)) {
                out.add(new Object[] {path, v});
            }
        }
        if (props != null) {
            out.add(new Object[] {(path.isEmpty() ? "" : path + ".") + "bogusField", 1});
            props.forEach((k, v) -> mutations((Map<String, Object>) v, path.isEmpty() ? k : path + "." + k, out));
        } else if ("array".equals(type) && s.get("items") instanceof Map<?, ?> items) {
            mutations((Map<String, Object>) items, path + "[0]", out);
        }
    }

    /** Sets the value at a path like {@code schedule.inputLevels[0]} in a nested map/list copy. */
    @SuppressWarnings("unchecked")
    private Object with(Object body, String path, Object value) {
        Object copy = json.readValue(json.writeValueAsBytes(body), Object.class);
        List<Object> keys = new ArrayList<>();
        for (String part : path.split("\\.")) {
            int b = part.indexOf('[');
            keys.add(b < 0 ? part : part.substring(0, b));
            if (b >= 0) {
                keys.add(Integer.parseInt(part.substring(b + 1, part.length() - 1)));
            }
        }
        Object node = copy;
        for (int i = 0; i < keys.size() - 1; i++) {
            Object k = keys.get(i);
            node = k instanceof Integer idx ? ((List<Object>) node).get(idx) : ((Map<String, Object>) node).get(k);
        }
        Object last = keys.get(keys.size() - 1);
        if (last instanceof Integer idx) {
            ((List<Object>) node).set(idx, value);
        } else {
            ((Map<String, Object>) node).put((String) last, value);
        }
        return copy;
    }

    private static Map<String, Object> generationBase() {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("model", "tiny-frames");
        r.put("context", new LinkedHashMap<>(Map.of("frames", TestImages.clip(2, 16), "actions", List.of("forward"))));
        r.put("actions", List.of("forward"));
        r.put("frames", 1);
        r.put(
                "schedule",
                new LinkedHashMap<>(Map.of(
                        "stride",
                        1,
                        "inputLevels",
                        List.of(25, 50, 75, 100),
                        "outputLevels",
                        List.of(0, 25, 50, 75),
                        "arSteps",
                        1,
                        "initSteps",
                        1,
                        "eta",
                        0.0)));
        r.put("memory", new LinkedHashMap<>(Map.of("frames", 1)));
        r.put("seed", 1);
        r.put("output", new LinkedHashMap<>(Map.of("format", "png", "quality", 90)));
        r.put("previews", false);
        return r;
    }

    private static Map<String, Object> evaluationBase() {
        Map<String, Object> r = new LinkedHashMap<>(Map.of(
                "model",
                "tiny-frames",
                "set",
                "tiny-walk",
                "contextFrames",
                1,
                "frames",
                1,
                "maxTrajectories",
                1,
                "seed",
                1,
                "retrievalThreshold",
                0.5));
        r.put(
                "trajectories",
                List.of(new LinkedHashMap<>(Map.of(
                        "id",
                        "t",
                        "frames",
                        TestImages.clip(2, 16),
                        "actions",
                        List.of("noop", "left"),
                        "sinceSeen",
                        List.of(-1, -1)))));
        r.put("schedule", generationBase().get("schedule"));
        r.put("memory", generationBase().get("memory"));
        return r;
    }

    @SuppressWarnings("unchecked")
    private List<Case> generated() throws Exception {
        Map<String, Object> spec = new Yaml().load(Files.readString(Path.of("openapi.yaml")));
        schemas = (Map<String, Object>) ((Map<String, Object>) spec.get("components")).get("schemas");
        List<Case> cases = new ArrayList<>();
        Map<String, Object[]> endpoints = Map.of(
                "/v1/generations", new Object[] {"GenerationRequest", generationBase()},
                "/v1/evaluations", new Object[] {"EvaluationRequest", evaluationBase()});
        for (var e : endpoints.entrySet()) {
            List<Object[]> muts = new ArrayList<>();
            mutations(Map.of("$ref", "#/components/schemas/" + e.getValue()[0]), "", muts);
            for (Object[] m : muts) {
                byte[] body = json.writeValueAsBytes(with(e.getValue()[1], (String) m[0], m[1]));
                for (MediaType accept : List.of(MediaType.TEXT_EVENT_STREAM, MediaType.APPLICATION_JSON)) {
                    cases.add(new Case(
                            e.getKey() + " " + m[0] + "=" + json.writeValueAsString(m[1]),
                            HttpMethod.POST,
                            e.getKey(),
                            MediaType.APPLICATION_JSON,
                            accept,
                            body,
                            (String) m[0]));
                }
            }
        }
        return cases;
    }

    private Case post(String name, String body, String field) {
        return new Case(
                name,
                HttpMethod.POST,
                "/v1/generations",
                MediaType.APPLICATION_JSON,
                MediaType.TEXT_EVENT_STREAM,
                body.getBytes(),
                field);
    }

    private String withFrame(byte[] image) {
        return "{\"context\":{\"frames\":[\"" + Base64.getEncoder().encodeToString(image) + "\"]},\"frames\":1}";
    }

    private List<Case> attacks() {
        List<Case> c = new ArrayList<>();
        c.add(post("deep nesting", "{\"actions\":" + "[".repeat(5000) + "]".repeat(5000) + "}", "body"));
        c.add(post("deep object nesting", "{\"x\":".repeat(3000) + "1" + "}".repeat(3000), null));
        c.add(post("huge model id", "{\"model\":\"" + "m".repeat(900_000) + "\",\"frames\":1}", "model"));
        c.add(post(
                "huge action list",
                "{\"context\":{\"frames\":[\"" + TestImages.png(16, 16, 1) + "\"]},\"actions\":["
                        + "\"forward\",".repeat(50_000) + "\"forward\"]}",
                "actions"));
        c.add(post(
                "huge frame count",
                withFrame(ImageBombTest.bomb()).replace("\"frames\":1", "\"frames\":2147483647"),
                null));
        c.add(post("NaN", "{\"schedule\":{\"eta\":NaN}}", "body"));
        c.add(post("Infinity", "{\"seed\":Infinity}", "body"));
        c.add(post(
                "1e999 eta",
                "{\"context\":{\"frames\":[\"" + TestImages.png(16, 16, 1)
                        + "\"]},\"frames\":1,\"schedule\":{\"eta\":1e999}}",
                "schedule.eta"));
        c.add(post("int overflow", "{\"frames\":99999999999}", "frames"));
        c.add(post("long overflow", "{\"seed\":99999999999999999999999}", "seed"));
        c.add(post(
                "negative frames",
                withFrame(TestImagesBytes.png()).replace("\"frames\":1", "\"frames\":-5"),
                "frames"));
        c.add(post("image bomb", withFrame(ImageBombTest.bomb()), "context.frames[0]"));
        c.add(post(
                "truncated png", withFrame(java.util.Arrays.copyOf(TestImagesBytes.png(), 40)), "context.frames[0]"));
        c.add(post(
                "gif",
                withFrame(new byte[] {'G', 'I', 'F', '8', '9', 'a', 16, 0, 16, 0, 0, 0, 0}),
                "context.frames[0]"));
        c.add(post("bmp", withFrame(new byte[] {'B', 'M', 0, 0, 0, 0}), "context.frames[0]"));
        c.add(post("not base64", "{\"context\":{\"frames\":[\"%%%\"]},\"frames\":1}", "context.frames[0]"));
        c.add(post(
                "data url of junk",
                "{\"context\":{\"frames\":[\"data:image/png;base64,AAAA\"]},\"frames\":1}",
                "context.frames[0]"));
        c.add(post("empty body", "", "body"));
        for (String top : List.of("null", "[]", "5", "\"x\"", "true", "{", "}", "{}{}", "{\"a\":1,}", "\u0000")) {
            c.add(post("top-level " + top, top, null));
        }
        c.add(post("duplicate key", "{\"frames\":1,\"frames\":2}", "frames"));
        c.add(post("blank model", "{\"model\":\" \",\"frames\":1}", "model"));
        c.add(post(
                "unknown action",
                "{\"context\":{\"frames\":[\"" + TestImages.png(16, 16, 1) + "\"]},\"actions\":[\"jump\"]}",
                "actions[0]"));
        for (String ct : List.of(
                "text/plain",
                "application/xml",
                "application/x-www-form-urlencoded",
                "multipart/form-data; boundary=x",
                "application/octet-stream")) {
            c.add(new Case(
                    "content type " + ct,
                    HttpMethod.POST,
                    "/v1/generations",
                    MediaType.parseMediaType(ct),
                    MediaType.TEXT_EVENT_STREAM,
                    "frames=1".getBytes(),
                    "Content-Type"));
        }
        c.add(new Case(
                "accept html",
                HttpMethod.POST,
                "/v1/generations",
                MediaType.APPLICATION_JSON,
                MediaType.TEXT_HTML,
                "{}".getBytes(),
                "Accept"));
        for (HttpMethod m : List.of(HttpMethod.PUT, HttpMethod.DELETE, HttpMethod.PATCH)) {
            c.add(new Case(
                    m + " generations",
                    m,
                    "/v1/generations",
                    MediaType.APPLICATION_JSON,
                    MediaType.APPLICATION_JSON,
                    "{}".getBytes(),
                    null));
        }
        for (String uri : List.of(
                "/v1/../actuator/env",
                "/v1/models/..%2F..%2Factuator%2Fenv",
                "/v1/models/%00",
                "/v1/models/" + "x".repeat(2000),
                "/v1/generations/1",
                "/v1/evaluation-sets/..%2F..%2Fetc/trajectories",
                "/v1/evaluation-sets/nope/trajectories/x/context",
                "/actuator/env",
                "/actuator/heapdump",
                "/.git/config",
                "/v1/%2e%2e/actuator")) {
            c.add(new Case("path " + uri, HttpMethod.GET, uri, null, MediaType.APPLICATION_JSON, null, null));
        }
        return c;
    }

    /** A 16x16 PNG's bytes. */
    static final class TestImagesBytes {
        static byte[] png() {
            return Base64.getDecoder().decode(TestImages.png(16, 16, 3));
        }
    }

    @Test
    void everyMalformedRequestGetsA4xxProblemNamingTheField() throws Exception {
        assertThat(registry.awaitLoaded(Duration.ofSeconds(60))).isTrue();
        WebTestClient http = WebTestClient.bindToServer()
                .baseUrl("http://localhost:" + port)
                .responseTimeout(Duration.ofSeconds(60))
                .build();
        List<Case> cases = new ArrayList<>(generated());
        int fromSpec = cases.size();
        cases.addAll(attacks());
        assertThat(fromSpec).as("requests generated from openapi.yaml").isGreaterThanOrEqualTo(450);
        assertThat(cases).as("malformed requests in all").hasSizeGreaterThanOrEqualTo(500);
        List<String> failures = new ArrayList<>();
        for (Case c : cases) {
            WebTestClient.RequestBodySpec req = http.method(c.method()).uri(c.uri());
            if (c.contentType() != null) {
                req.contentType(c.contentType());
            }
            req.accept(c.accept());
            WebTestClient.RequestHeadersSpec<?> ready = c.body() == null ? req : req.bodyValue(c.body());
            EntityExchangeResult<byte[]> r = ready.exchange().expectBody().returnResult();
            int status = r.getStatus().value();
            String why = check(c, status, r);
            if (why != null) {
                failures.add(c.name().substring(0, Math.min(120, c.name().length())) + ": " + status + " " + why);
            }
        }
        assertThat(failures)
                .as(failures.size() + " of " + cases.size() + " answered wrongly")
                .isEmpty();
    }

    @SuppressWarnings("unchecked")
    private String check(Case c, int status, EntityExchangeResult<byte[]> r) {
        if (status < 400 || status >= 500) {
            return "not a 4xx";
        }
        MediaType type = r.getResponseHeaders().getContentType();
        if (type == null || !type.isCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)) {
            return "not problem+json: " + type;
        }
        Map<String, Object> p = json.readValue(r.getResponseBody(), Map.class);
        String detail = String.valueOf(p.get("detail"));
        if (!Integer.valueOf(status).equals(p.get("status"))
                || !String.valueOf(p.get("type")).startsWith("urn:arvdm:")
                || detail.contains("org.arvdm")
                || detail.contains("java.")
                || detail.length() > 600) {
            return "bad problem: " + p;
        }
        if (c.field() != null && !c.field().equals(p.get("field"))) {
            return "field " + p.get("field") + ", expected " + c.field() + " (" + detail + ")";
        }
        return null;
    }
}
