package org.arvdm.api;

import io.swagger.v3.oas.annotations.OpenAPIDefinition;
import io.swagger.v3.oas.annotations.enums.SecuritySchemeType;
import io.swagger.v3.oas.annotations.info.Info;
import io.swagger.v3.oas.annotations.info.License;
import io.swagger.v3.oas.annotations.security.SecurityRequirement;
import io.swagger.v3.oas.annotations.security.SecurityScheme;
import io.swagger.v3.oas.annotations.servers.Server;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.responses.ApiResponse;
import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The API's title, a fixed relative server (so the served spec equals the checked-in
 * openapi.yaml), the bearer API-key scheme every operation declares ({@link ApiKeys}; enforced
 * only where keys are configured), and the 401 every operation can answer.
 */
@Configuration(proxyBeanMethods = false)
@OpenAPIDefinition(
        info =
                @Info(
                        title = "ARVDM serving API",
                        version = "v1",
                        description = "Auto-regressive video diffusion (Meta-ARVDM) generation, streamed frame by frame"
                                + " over server-sent events.",
                        license = @License(name = "Apache-2.0", identifier = "Apache-2.0")),
        servers = @Server(url = "/", description = "this service"),
        security = @SecurityRequirement(name = OpenApiInfo.API_KEY))
@SecurityScheme(
        name = OpenApiInfo.API_KEY,
        type = SecuritySchemeType.HTTP,
        scheme = "bearer",
        description = "An API key as a bearer token (Authorization: Bearer <secret>). Required on /v1/ when the"
                + " service has arvdm.security.api-keys configured (the Kubernetes overlays do); off by default.")
class OpenApiInfo {
    static final String API_KEY = "apiKey";
    static final String PROBLEM = "ProblemDetail";

    /**
     * The problem shape the service really answers (RFC 9457 members plus {@code field} and
     * {@code rule}; {@code instance} is the request path, a URI reference), in place of the schema
     * springdoc derives from Spring's ProblemDetail class (which has a {@code properties} member no
     * answer carries and types {@code instance} as an absolute URI); and that schema on every
     * problem+json answer that declares none.
     */
    @Bean
    OpenApiCustomizer problemSchema() {
        return api -> {
            Schema<Object> problem = typed("object")
                    .description("A problem detail (RFC 9457): every error the service or its HTTP stack answers")
                    .addProperty(
                            "type",
                            typed("string").format("uri").description("urn:arvdm:<kind>, e.g. urn:arvdm:bad-request"))
                    .addProperty("title", typed("string"))
                    .addProperty("status", typed("integer").format("int32"))
                    .addProperty("detail", typed("string"))
                    .addProperty(
                            "instance", typed("string").format("uri-reference").description("The request path"))
                    .addProperty(
                            "field",
                            typed("string")
                                    .description(
                                            "JSON path of the fault: schedule.inputLevels[2], context.frames[1], body"))
                    .addProperty("rule", typed("string").description("The schedule rule broken, for schedule faults"));
            problem.setRequired(java.util.List.of("type", "title", "status"));
            api.getComponents().addSchemas(PROBLEM, problem);
            api.getPaths()
                    .values()
                    .forEach(item -> item.readOperations()
                            .forEach(op -> op.getResponses().values().forEach(r -> {
                                MediaType media = r.getContent() == null
                                        ? null
                                        : r.getContent()
                                                .get(org.springframework.http.MediaType.APPLICATION_PROBLEM_JSON_VALUE);
                                if (media != null && media.getSchema() == null) {
                                    media.setSchema(new Schema<>().$ref("#/components/schemas/" + PROBLEM));
                                }
                            })));
        };
    }

    /**
     * The generation answers' payloads: the application/json answer's schema, and for the event
     * stream each event's {@code data} schema (the items are any of them), by event name in the
     * vendor extension {@code x-events} (OpenAPI 3.1 has no way to name SSE events; the API tests
     * check every event against it).
     */
    @Bean
    OpenApiCustomizer generationEvents() {
        return api -> {
            io.swagger.v3.oas.models.PathItem item = api.getPaths().get("/v1/generations");
            if (item == null || item.getPost() == null) {
                return;
            }
            Content content = item.getPost().getResponses().get("200").getContent();
            java.util.Map<String, Schema> events = new java.util.LinkedHashMap<>();
            events.put("queued", component(api, ApiModels.Queued.class));
            events.put("started", component(api, ApiModels.Started.class));
            events.put("frame", component(api, ApiModels.Frame.class));
            events.put("preview", component(api, ApiModels.Preview.class));
            events.put("done", component(api, ApiModels.Done.class));
            events.put("error", new Schema<>().$ref("#/components/schemas/" + PROBLEM));
            // a schema of its own: springdoc shares one event-stream schema object among the operations
            MediaType sse = content.get(org.springframework.http.MediaType.TEXT_EVENT_STREAM_VALUE);
            Schema<Object> stream = typed("array");
            stream.setDescription(
                    "The events in order; each event's data is one of these, by event name as in" + " x-events");
            Schema<Object> data = new Schema<>();
            data.setAnyOf(new java.util.ArrayList<>(events.values()));
            stream.setItems(data);
            stream.addExtension("x-events", events);
            sse.setSchema(stream);
            content.get(org.springframework.http.MediaType.APPLICATION_JSON_VALUE)
                    .setSchema(component(api, ApiModels.GenerationResponse.class));
        };
    }

    /** A reference to the schema of {@code type}, added (with the schemas it uses) to the components. */
    private static Schema<?> component(io.swagger.v3.oas.models.OpenAPI api, Class<?> type) {
        io.swagger.v3.core.converter.ResolvedSchema resolved =
                io.swagger.v3.core.converter.ModelConverters.getInstance(true).readAllAsResolvedSchema(type);
        resolved.referencedSchemas.forEach(
                (name, schema) -> api.getComponents().getSchemas().putIfAbsent(name, schema));
        String name = resolved.schema.getName() != null ? resolved.schema.getName() : type.getSimpleName();
        api.getComponents().getSchemas().putIfAbsent(name, resolved.schema);
        return new Schema<>().$ref("#/components/schemas/" + name);
    }

    private static Schema<Object> typed(String type) {
        Schema<Object> s = new Schema<>();
        s.setTypes(java.util.Set.of(type));
        return s;
    }

    /** Every operation can be refused for a missing or wrong key: 401 problem+json with WWW-Authenticate. */
    @Bean
    OpenApiCustomizer unauthorizedResponses() {
        return api -> api.getPaths()
                .values()
                .forEach(item -> item.readOperations().forEach(op -> {
                    if (!op.getResponses().containsKey("401")) {
                        op.getResponses()
                                .addApiResponse(
                                        "401",
                                        new ApiResponse()
                                                .description(
                                                        "API keys are on and the request has none, or a wrong one; see WWW-Authenticate")
                                                .content(new Content()
                                                        .addMediaType(
                                                                "application/problem+json",
                                                                new MediaType()
                                                                        .schema(new Schema<>()
                                                                                .$ref("#/components/schemas/"
                                                                                        + PROBLEM)))));
                    }
                }));
    }
}
