package org.arvdm.api;

import io.swagger.v3.oas.annotations.OpenAPIDefinition;
import io.swagger.v3.oas.annotations.info.Info;
import io.swagger.v3.oas.annotations.info.License;
import io.swagger.v3.oas.annotations.servers.Server;
import org.springframework.context.annotation.Configuration;

/** The API's title and a fixed relative server, so the served spec equals the checked-in openapi.yaml. */
@Configuration(proxyBeanMethods = false)
@OpenAPIDefinition(
        info = @Info(title = "ARVDM serving API", version = "v1",
                description = "Auto-regressive video diffusion (Meta-ARVDM) generation, streamed frame by frame"
                        + " over server-sent events.",
                license = @License(name = "Apache-2.0")),
        servers = @Server(url = "/", description = "this service"))
class OpenApiInfo {
}
