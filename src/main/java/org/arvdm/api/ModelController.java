package org.arvdm.api;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.util.List;
import org.arvdm.model.LoadedModel;
import org.arvdm.model.ModelRegistry;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

@RestController
@Tag(name = "models", description = "The model bundles this service serves")
class ModelController {
    private final ModelRegistry registry;

    ModelController(ModelRegistry registry) {
        this.registry = registry;
    }

    @GetMapping("/v1/models")
    @Operation(summary = "List the loaded models, the default one, and bundles that failed to load")
    ApiModels.ModelList list() {
        List<ApiModels.ModelInfo> models =
                registry.models().stream().map(ApiModels.ModelInfo::of).toList();
        List<ApiModels.FailedModel> failed = registry.failures().entrySet().stream()
                .map(e -> new ApiModels.FailedModel(e.getKey(), e.getValue()))
                .toList();
        return new ApiModels.ModelList(
                registry.defaultModel().map(LoadedModel::id).orElse(null), models, failed);
    }

    @GetMapping("/v1/models/{id}")
    @Operation(summary = "One model's manifest: frame shape, action space, window, memory")
    @ApiResponse(responseCode = "200", description = "The model")
    @ApiResponse(
            responseCode = "404",
            description = "Unknown model; the problem names the field id",
            content =
                    @Content(
                            mediaType = "application/problem+json",
                            schema = @Schema(implementation = org.springframework.http.ProblemDetail.class)))
    ApiModels.ModelInfo get(@PathVariable String id) {
        return registry.get(id)
                .map(ApiModels.ModelInfo::of)
                .orElseThrow(() ->
                        new ApiException(HttpStatus.NOT_FOUND, "id", "id: unknown model '" + ApiErrors.echo(id) + "'"));
    }
}
