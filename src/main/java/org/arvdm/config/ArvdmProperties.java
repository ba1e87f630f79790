package org.arvdm.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Everything the service can be tuned with, bound from {@code application.yaml} (prefix
 * {@code arvdm}) or the matching environment variables ({@code ARVDM_MODEL_DIR}, ...).
 *
 * @param modelDir     folder whose sub-folders are model bundles
 * @param device       {@code auto}, {@code cpu}, {@code gpu} or {@code gpu:N}
 * @param defaultModel model used when a request names none
 * @param workers      inference threads (generations running at once, all models together); with
 *                     batching on they mostly wait on the gateway, and a batch can only be as large as
 *                     the generations running at once, so the default matches the default batch size
 * @param admission    bounded waiting room in front of the workers
 * @param limits       request limits
 * @param batching     continuous batching of concurrent generations' network calls
 * @param keepAlive    interval of SSE keep-alive comments while no event is due
 * @param evaluation   evaluation runs (POST /v1/evaluations) and the bundled evaluation sets
 * @param sessions     interactive sessions (POST /v1/sessions, docs/sessions.md)
 * @param security     who may call the API
 * @param warmup       generations the service runs against itself before it reports ready
 */
@ConfigurationProperties(prefix = "arvdm")
public record ArvdmProperties(
        @DefaultValue("models") Path modelDir,
        @DefaultValue("auto") String device,
        @DefaultValue(ArvdmProperties.DEFAULT_MODEL) String defaultModel,
        @DefaultValue("8") int workers,
        @DefaultValue Admission admission,
        @DefaultValue Limits limits,
        @DefaultValue Batching batching,
        @DefaultValue("10s") Duration keepAlive,
        @DefaultValue Evaluation evaluation,
        @DefaultValue Sessions sessions,
        @DefaultValue Security security,
        @DefaultValue Warmup warmup) {

    /** The bundled model requests get when they name none (the one place this default is defined). */
    public static final String DEFAULT_MODEL = "maze2-unet-4w";

    public ArvdmProperties {
        if (workers < 1) {
            throw new IllegalArgumentException("arvdm.workers must be at least 1, got " + workers);
        }
    }

    /**
     * @param maxQueued  generations allowed to wait for a worker; past it requests get 429
     * @param retryAfter what the 429's Retry-After header suggests
     */
    public record Admission(
            @DefaultValue("8") int maxQueued,
            @DefaultValue("2s") Duration retryAfter) {}

    /**
     * @param maxFrames            frames one generation may ask for
     * @param maxContextFrames     frames a context clip may hold
     * @param maxBodyBytes         request body limit (413 past it)
     * @param maxGenerationSeconds a generation running longer is ended with an error event
     * @param maxSteps             denoising iterations a request may ask for per AR step
     *                             ({@code schedule.arSteps}) and for the initialization
     *                             ({@code schedule.initSteps})
     * @param maxTrajectories      uploaded trajectories one evaluation request may carry
     * @param maxUploadedFrames    frames all uploaded trajectories of one evaluation request hold together
     */
    public record Limits(
            @DefaultValue("256") int maxFrames,
            @DefaultValue("128") int maxContextFrames,
            @DefaultValue("16777216") int maxBodyBytes,
            @DefaultValue("600") int maxGenerationSeconds,
            @DefaultValue("1000") int maxSteps,
            @DefaultValue("64") int maxTrajectories,
            @DefaultValue("2048") int maxUploadedFrames) {

        public Limits {
            positive("arvdm.limits.max-frames", maxFrames);
            positive("arvdm.limits.max-context-frames", maxContextFrames);
            positive("arvdm.limits.max-body-bytes", maxBodyBytes);
            positive("arvdm.limits.max-generation-seconds", maxGenerationSeconds);
            positive("arvdm.limits.max-steps", maxSteps);
            positive("arvdm.limits.max-trajectories", maxTrajectories);
            positive("arvdm.limits.max-uploaded-frames", maxUploadedFrames);
        }

        private static void positive(String key, int value) {
            if (value < 1) {
                throw new IllegalArgumentException(key + " must be at least 1, got " + value);
            }
        }
    }

    /**
     * @param maxBatchSize samples one network call may carry (1 turns batching off)
     * @param maxDelay     longest a ready call waits for others to join its batch
     */
    public record Batching(
            @DefaultValue("8") int maxBatchSize,
            @DefaultValue("2ms") Duration maxDelay) {}

    /**
     * @param setDir     folder whose sub-folders (each with a manifest.json) are the bundled evaluation sets
     * @param workers    evaluations running at once, on their own threads (not the generation workers)
     * @param maxQueued  evaluations allowed to wait; past it requests get 429
     * @param maxSeconds an evaluation running longer is ended with an error event
     */
    public record Evaluation(
            @DefaultValue("models/eval") Path setDir,
            @DefaultValue("1") int workers,
            @DefaultValue("2") int maxQueued,
            @DefaultValue("3600") int maxSeconds) {}

    /**
     * @param maxSessions        sessions open at once (all models); past it creating one gets 429
     * @param idleTimeout        a session with no viewer and no action for this long expires
     * @param maxQueuedActions   actions a session holds that the loop has not used yet; past it 429
     * @param replayFrames       frames kept for viewers that reconnect with Last-Event-ID
     * @param maxRecordingFrames frames kept for GET .../recording (the newest)
     * @param defaultFps         frames per second of a realtime session that names none
     * @param maxFps             highest fps a session may ask for
     */
    public record Sessions(
            @DefaultValue("64") int maxSessions,
            @DefaultValue("5m") Duration idleTimeout,
            @DefaultValue("32") int maxQueuedActions,
            @DefaultValue("64") int replayFrames,
            @DefaultValue("3000") int maxRecordingFrames,
            @DefaultValue("10") int defaultFps,
            @DefaultValue("30") int maxFps) {}

    /**
     * @param apiKeys {@code id:secret} pairs (environment: {@code ARVDM_SECURITY_API_KEYS=ops:s3cret,ci:t0ken});
     *                empty (the default) leaves the API open; otherwise every {@code /v1/} request needs
     *                {@code Authorization: Bearer <secret>} of one of them
     */
    public record Security(@DefaultValue({}) List<String> apiKeys) {

        /** The configured keys, parsed and checked. */
        public List<ApiKey> keys() {
            List<ApiKey> out = new ArrayList<>();
            for (String entry : apiKeys) {
                String e = entry.strip();
                if (e.isEmpty()) {
                    continue;
                }
                int colon = e.indexOf(':');
                if (colon < 1 || colon == e.length() - 1) {
                    throw new IllegalArgumentException("arvdm.security.api-keys: each entry is id:secret");
                }
                out.add(new ApiKey(e.substring(0, colon), e.substring(colon + 1)));
            }
            return out;
        }
    }

    /**
     * After every bundle has loaded (and each network has run at every batch size), the service posts
     * real generations to itself over HTTP before readiness turns up, so the code the first requests
     * run (HTTP, JSON, image decoding, planning, the loop, frame encoding, SSE) is loaded and compiled
     * and the first client's generation runs at the steady state's speed (docs/performance.md, "First
     * request").
     *
     * @param generations SSE generations of the default model ({@code 0} turns the warm-up off); every
     *                    other model gets one short one, and one JSON answer is asked for too
     * @param frames      frames per warm-up generation of the default model
     * @param timeout     the warm-up's limit, from the end of model loading: past it the service logs why and
     *                    reports ready anyway
     */
    public record Warmup(
            @DefaultValue("8") int generations,
            @DefaultValue("64") int frames,
            @DefaultValue("120s") Duration timeout) {
        public Warmup {
            if (generations < 0 || frames < 1) {
                throw new IllegalArgumentException("arvdm.warmup: generations must be >= 0 and frames >= 1, got "
                        + generations + " and " + frames);
            }
        }
    }

    /** One API key: the id requests made with it are recorded under, and its secret. */
    public record ApiKey(String id, String secret) {
        @Override
        public String toString() {
            return "ApiKey[" + id + "]";
        }
    }
}
