package org.arvdm.api;

import org.arvdm.model.LoadedModel;
import org.arvdm.model.ModelRegistry;
import org.springframework.http.HttpStatus;

/** The model a request names (the default one when it names none), or the problem why there is none. */
final class RequestedModel {
    private RequestedModel() {}

    /** @throws ApiException 503 while models load or without a default, 404 for an unknown id (field {@code model}) */
    static LoadedModel resolve(ModelRegistry registry, String id) {
        if (!registry.loaded()) {
            throw new ApiException(HttpStatus.SERVICE_UNAVAILABLE, "model", "models are still loading; retry shortly");
        }
        if (id != null && id.isBlank()) {
            throw ApiException.badRequest(
                    "model",
                    "must be a model id (see GET /v1/models) or left out for the"
                            + " default model, got a blank string");
        }
        if (id == null) {
            return registry.defaultModel()
                    .orElseThrow(() -> new ApiException(
                            HttpStatus.SERVICE_UNAVAILABLE,
                            "model",
                            "no default model is loaded: " + registry.problem()));
        }
        return registry.get(id)
                .orElseThrow(() -> new ApiException(
                        HttpStatus.NOT_FOUND,
                        "model",
                        "model: unknown model '" + ApiErrors.echo(id) + "'; see GET /v1/models"));
    }
}
