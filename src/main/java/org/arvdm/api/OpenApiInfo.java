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
        info = @Info(title = "ARVDM serving API", version = "v1",
                description = "Auto-regressive video diffusion (Meta-ARVDM) generation, streamed frame by frame"
                        + " over server-sent events.",
                license = @License(name = "Apache-2.0", identifier = "Apache-2.0")),
        servers = @Server(url = "/", description = "this service"),
        security = @SecurityRequirement(name = OpenApiInfo.API_KEY))
@SecurityScheme(name = OpenApiInfo.API_KEY, type = SecuritySchemeType.HTTP, scheme = "bearer",
        description = "An API key as a bearer token (Authorization: Bearer <secret>). Required on /v1/ when the"
                + " service has arvdm.security.api-keys configured (the Kubernetes overlays do); off by default.")
class OpenApiInfo {
    static final String API_KEY = "apiKey";

    /** Every operation can be refused for a missing or wrong key: 401 problem+json with WWW-Authenticate. */
    @Bean
    OpenApiCustomizer unauthorizedResponses() {
        return api -> api.getPaths().values().forEach(item -> item.readOperations().forEach(op -> {
            if (!op.getResponses().containsKey("401")) {
                op.getResponses().addApiResponse("401", new ApiResponse()
                        .description("API keys are on and the request has none, or a wrong one; see WWW-Authenticate")
                        .content(new Content().addMediaType("application/problem+json",
                                new MediaType().schema(new Schema<>().$ref("#/components/schemas/ProblemDetail")))));
            }
        }));
    }
}
