package org.arvdm.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.yaml.snakeyaml.Yaml;

/** The Dockerfile, .dockerignore and pom.xml say what the docs and manifests rely on. */
class DockerImageTest {

    private final DockerImageSpec image = DockerImageSpec.load();

    @Test
    void multiStageBuildOnMavenThenAJre17RuntimeWithAGpuVariant() {
        assertThat(image.stages().get(0).from()).isEqualTo("maven:3.9-eclipse-temurin-17");
        assertThat(image.stage("build")).isPresent();
        assertThat(image.globalArg("FLAVOR")).contains("cpu");
        assertThat(image.globalArg("JRE_IMAGE")).contains("eclipse-temurin:17-jre");
        assertThat(image.globalArg("CUDA_IMAGE"))
                .hasValueSatisfying(v -> assertThat(v).startsWith("nvidia/cuda:12.8"));
        assertThat(image.stage("base-cpu").orElseThrow().from()).isEqualTo("${JRE_IMAGE}");
        assertThat(image.stage("base-gpu").orElseThrow().from()).isEqualTo("${CUDA_IMAGE}");
        assertThat(image.runtime().from()).isEqualTo("base-${FLAVOR}");
        // One jar for both flavours: the build does not depend on FLAVOR.
        assertThat(image.stage("build").orElseThrow().all("RUN"))
                .anySatisfy(run -> assertThat(run).contains("package").doesNotContain("FLAVOR", "-P"));
    }

    @Test
    void runtimeIsNonRootWithEntrypointHealthcheckAndModelDir() {
        assertThat(image.user()).matches("[1-9][0-9]*(:[0-9]+)?");
        assertThat(image.exposedPorts()).containsExactly(8080);

        Map<String, String> env = image.environment();
        assertThat(env)
                .containsEntry("ARVDM_MODEL_DIR", "/app/models")
                .containsEntry("DJL_CACHE_DIR", "/var/cache/djl")
                .containsEntry("ENGINE_CACHE_DIR", "/var/cache/djl");
        assertThat(env.get("JAVA_OPTS")).contains("-XX:MaxRAMPercentage=", "-XX:+ExitOnOutOfMemoryError");
        assertThat(image.runtime().all("VOLUME").get(0)).contains("/tmp", "/var/cache/djl");
        assertThat(image.runtime().all("COPY")).anySatisfy(c -> assertThat(c).endsWith("/app/models/"));

        List<String> cmd = image.javaCommand(env);
        assertThat(cmd.get(0)).isEqualTo("java");
        assertThat(cmd).contains("-Dai.djl.offline=true", "-XX:+ExitOnOutOfMemoryError");
        assertThat(cmd.subList(cmd.size() - 2, cmd.size())).containsExactly("-jar", "/app/app.jar");
        assertThat(image.entrypoint().get(2)).startsWith("exec java ");

        DockerImageSpec.Healthcheck hc = image.healthcheck();
        assertThat(hc.command()).contains("/app/healthcheck.sh");
        assertThat(hc.options()).containsKeys("interval", "timeout", "start-period");
        String script = RenderedManifests.read("deploy/docker/healthcheck.sh");
        // The image's health check asks the same endpoint as the Kubernetes readiness probe.
        assertThat(script)
                .contains(RenderedManifests.of("cpu").probe("readiness").path());
    }

    @Test
    void dockerignoreKeepsTheContextSmall() {
        List<String> lines = RenderedManifests.read(".dockerignore")
                .lines()
                .map(String::strip)
                .filter(l -> !l.isEmpty() && !l.startsWith("#"))
                .toList();
        assertThat(lines.get(0)).isEqualTo("*");
        assertThat(lines).contains("!pom.xml", "!src/main/", "!deploy/docker/", "!models/*/model.json");
        assertThat(lines).noneMatch(l -> l.startsWith("!target") || l.startsWith("!.git"));
    }

    /**
     * The GPU image names only artifacts that exist: the jar is the CPU one (the CUDA natives are not on
     * Maven Central, deepjavalibrary/djl#3784), and DJL's CUDA 12.8 libtorch is fetched at build time for
     * exactly the PyTorch and DJL versions the pom pins, then found through PYTORCH_LIBRARY_PATH while
     * the running container stays offline.
     */
    @Test
    void gpuImageFetchesTheCudaNativesOfThePinnedVersionsAtBuildTime() throws Exception {
        Document pom = DocumentBuilderFactory.newInstance()
                .newDocumentBuilder()
                .parse(new ByteArrayInputStream(
                        RenderedManifests.read("pom.xml").getBytes(StandardCharsets.UTF_8)));
        Element props = (Element) pom.getElementsByTagName("properties").item(0);
        String pytorch = props.getElementsByTagName("pytorch.version")
                .item(0)
                .getTextContent()
                .strip();
        String djl = props.getElementsByTagName("djl.version")
                .item(0)
                .getTextContent()
                .strip();

        List<String> djlArtifacts = new java.util.ArrayList<>();
        NodeList deps = pom.getElementsByTagName("dependency");
        for (int i = 0; i < deps.getLength(); i++) {
            Element d = (Element) deps.item(i);
            if (d.getElementsByTagName("groupId")
                    .item(0)
                    .getTextContent()
                    .strip()
                    .equals("ai.djl.pytorch")) {
                djlArtifacts.add(d.getElementsByTagName("artifactId")
                        .item(0)
                        .getTextContent()
                        .strip());
            }
        }
        assertThat(djlArtifacts).containsExactlyInAnyOrder("pytorch-engine", "pytorch-jni", "pytorch-native-cpu");
        assertThat(RenderedManifests.read("pom.xml")).doesNotContain("pytorch-native-cu", "pytorch.flavor");

        assertThat(image.globalArg("PYTORCH_VERSION")).contains(pytorch);
        assertThat(image.globalArg("DJL_VERSION")).contains(djl);
        assertThat(image.globalArg("TORCH_FLAVOR")).contains("cu128");
        assertThat(image.globalArg("CUDA_IMAGE"))
                .hasValueSatisfying(v -> assertThat(v).contains(":12.8"));

        DockerImageSpec.Stage natives = image.stage("natives-gpu").orElseThrow();
        assertThat(natives.all("COPY")).containsExactly("deploy/docker/fetch-libtorch.sh /fetch-libtorch.sh");
        assertThat(natives.all("RUN"))
                .anySatisfy(
                        run -> assertThat(run)
                                .contains(
                                        "sh /fetch-libtorch.sh \"${PYTORCH_VERSION}\" \"${TORCH_FLAVOR}\" \"${DJL_VERSION}\" /opt/libtorch"));

        DockerImageSpec.Stage gpu = image.stage("base-gpu").orElseThrow();
        assertThat(gpu.all("COPY")).contains("--from=natives-gpu /opt/libtorch /opt/libtorch");
        Map<String, String> env = DockerImageSpec.parseEnv(String.join(" ", gpu.all("ENV")));
        assertThat(env)
                .containsEntry("PYTORCH_LIBRARY_PATH", "/opt/libtorch")
                .containsEntry("PYTORCH_VERSION", "${PYTORCH_VERSION}")
                .containsEntry("PYTORCH_FLAVOR", "${TORCH_FLAVOR}");
        // Nothing downloads at run time: the entrypoint keeps DJL offline for both flavours.
        assertThat(image.javaCommand(image.environment())).contains("-Dai.djl.offline=true");
    }

    /**
     * Every ARVDM_* / SPRING_* / SERVER_* / MANAGEMENT_* variable the deployment sets reaches the
     * intended property through Spring's relaxed binding of environment variables.
     */
    @Test
    void deploymentEnvironmentBindsToTheServiceProperties() {
        Map<String, String> expected = Map.ofEntries(
                Map.entry("ARVDM_MODEL_DIR", "arvdm.model-dir"),
                Map.entry("ARVDM_DEVICE", "arvdm.device"),
                Map.entry("ARVDM_WORKERS", "arvdm.workers"),
                Map.entry("ARVDM_ADMISSION_MAX_QUEUED", "arvdm.admission.max-queued"),
                Map.entry("ARVDM_LIMITS_MAX_FRAMES", "arvdm.limits.max-frames"),
                Map.entry("ARVDM_LIMITS_MAX_CONTEXT_FRAMES", "arvdm.limits.max-context-frames"),
                Map.entry("ARVDM_LIMITS_MAX_BODY_BYTES", "arvdm.limits.max-body-bytes"),
                Map.entry("ARVDM_LIMITS_MAX_GENERATION_SECONDS", "arvdm.limits.max-generation-seconds"),
                Map.entry("ARVDM_BATCHING_MAX_BATCH_SIZE", "arvdm.batching.max-batch-size"),
                Map.entry("ARVDM_BATCHING_MAX_DELAY", "arvdm.batching.max-delay"),
                Map.entry("SERVER_SHUTDOWN", "server.shutdown"),
                Map.entry("SPRING_LIFECYCLE_TIMEOUT_PER_SHUTDOWN_PHASE", "spring.lifecycle.timeout-per-shutdown-phase"),
                Map.entry("MANAGEMENT_ENDPOINT_HEALTH_PROBES_ENABLED", "management.endpoint.health.probes.enabled"),
                Map.entry("MANAGEMENT_SERVER_PORT", "management.server.port"));

        Map<String, String> env =
                new LinkedHashMap<>(RenderedManifests.of("gpu").environment());
        env.putAll(image.environment());
        @SuppressWarnings("unchecked")
        Map<String, Object> composeEnv = (Map<String, Object>) ((Map<String, Object>) ((Map<String, Object>)
                                ((Map<String, Object>) new Yaml().load(RenderedManifests.read("docker-compose.yml")))
                                        .get("services"))
                        .get("arvdm"))
                .get("environment");
        composeEnv.forEach((k, v) -> env.put(k, String.valueOf(v)));

        Map<String, Object> source = new LinkedHashMap<>(env);
        StandardEnvironment environment = new StandardEnvironment();
        environment
                .getPropertySources()
                .replace(
                        StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
                        new SystemEnvironmentPropertySource(
                                StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, source));
        environment.getPropertySources().remove(StandardEnvironment.SYSTEM_PROPERTIES_PROPERTY_SOURCE_NAME);
        Binder binder = new Binder(ConfigurationPropertySources.from(environment.getPropertySources()));

        for (String var : env.keySet()) {
            if (var.matches("(ARVDM|SPRING|SERVER|MANAGEMENT)_.*")) {
                assertThat(expected).as("documented property for " + var).containsKey(var);
            }
        }
        expected.forEach((var, property) -> {
            if (env.containsKey(var)) {
                assertThat(binder.bind(property, String.class).orElse(null))
                        .as(var + " -> " + property)
                        .isEqualTo(env.get(var));
            }
        });
        assertThat(env)
                .containsKeys(
                        "ARVDM_MODEL_DIR",
                        "ARVDM_DEVICE",
                        "ARVDM_LIMITS_MAX_GENERATION_SECONDS",
                        "ARVDM_BATCHING_MAX_BATCH_SIZE");
        // The names reach real fields: the whole environment binds to the service's properties record.
        org.arvdm.config.ArvdmProperties props = binder.bind("arvdm", org.arvdm.config.ArvdmProperties.class)
                .orElseThrow(() -> new AssertionError("arvdm.* does not bind"));
        assertThat(props.workers()).isEqualTo(Integer.parseInt(env.get("ARVDM_WORKERS")));
        assertThat(props.batching().maxBatchSize())
                .isEqualTo(Integer.parseInt(env.get("ARVDM_BATCHING_MAX_BATCH_SIZE")));
        if (env.containsKey("ARVDM_BATCHING_MAX_DELAY")) {
            assertThat(props.batching().maxDelay())
                    .isEqualTo(org.springframework.boot.convert.DurationStyle.detectAndParse(
                            env.get("ARVDM_BATCHING_MAX_DELAY")));
        }
    }
}
