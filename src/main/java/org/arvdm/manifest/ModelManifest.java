package org.arvdm.manifest;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;

/**
 * The {@code model.json} of a bundle, as documented in {@code docs/model-bundle.md}.
 * Parsing only; {@link ManifestValidator} checks the values.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ModelManifest(
        String id,
        String description,
        Frame frame,
        Actions actions,
        Diffusion diffusion,
        Window window,
        Sampling sampling,
        Memory memory,
        Map<String, Object> training) {

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Frame(int channels, int height, int width) {
        public int size() {
            return channels * height * width;
        }
    }

    /** {@code type} is {@code discrete} (with names) or {@code vector} (with size); the other is left out. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Actions(String type, List<String> names, Integer size) {
        public boolean discrete() {
            return "discrete".equals(type);
        }

        /** Length of the float vector the network receives per frame. */
        public int vectorSize() {
            return discrete() ? names.size() : size;
        }

        /**
         * The one padding action, used wherever no action is known (a context's first frame given
         * without one, frames computed past a request's end, frames asked for by count):
         * {@code noop} one-hot for discrete spaces that have one, else zeros.
         */
        public float[] padding() {
            float[] v = new float[vectorSize()];
            if (discrete() && names.contains("noop")) {
                v[names.indexOf("noop")] = 1f;
            }
            return v;
        }
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Diffusion(
            int timesteps, @JsonProperty("alphas_cumprod") double[] alphasCumprod, String prediction) {}

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Window(int frames, int stride) {}

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Sampling(
            @JsonProperty("ar_steps") int arSteps,
            @JsonProperty("init_steps") int initSteps,
            double eta) {}

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Memory(
            String architecture,
            String kind,
            int frames,
            Integer tokens,
            @JsonProperty("token_dim") Integer tokenDim) {}
}
