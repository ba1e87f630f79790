package org.arvdm.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.autoscaling.v2.MetricSpec;
import io.fabric8.kubernetes.api.model.networking.v1.HTTPIngressPath;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.yaml.snakeyaml.Yaml;

/** The kustomize overlays render, parse into typed objects, and say what the docs and the service need. */
class KubernetesManifestsTest {

    private static final String GPU = "nvidia.com/gpu";
    /** Health groups the service serves (issue 2): the probes must point at exactly these. */
    private static final Set<String> HEALTH_PATHS = Set.of("/actuator/health/readiness", "/actuator/health/liveness");

    private static final int SERVICE_PORT = 8080;
    /** The actuator's own port (MANAGEMENT_SERVER_PORT): probes and scraping, never the Ingress. */
    private static final int MANAGEMENT_PORT = 9091;

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu", "monitoring"})
    void everyRenderedManifestIsATypedKubernetesObjectWithOnlyKnownFields(String overlay) {
        RenderedManifests m = RenderedManifests.of(overlay);

        assertThat(m.resources()).isNotEmpty();
        assertThat(m.resources()).allSatisfy(r -> {
            assertThat(r.getMetadata().getName()).isNotBlank();
            assertThat(r.getApiVersion()).isNotBlank();
        });
        assertThat(m.unknownFields())
                .as("fields the typed model does not know (misspelt or misplaced)")
                .isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu"})
    void overlayHasEveryKindTheServiceNeeds(String overlay) {
        RenderedManifests m = RenderedManifests.of(overlay);
        Set<String> kinds = m.resources().stream().map(HasMetadata::getKind).collect(Collectors.toSet());

        assertThat(kinds)
                .contains(
                        "Namespace",
                        "Deployment",
                        "Service",
                        "ConfigMap",
                        "HorizontalPodAutoscaler",
                        "PodDisruptionBudget",
                        "ServiceMonitor",
                        "Ingress");
        assertThat(m.one(HorizontalPodAutoscaler.class).getApiVersion()).isEqualTo("autoscaling/v2");
        assertThat(m.one(ServiceMonitor.class).getApiVersion()).isEqualTo("monitoring.coreos.com/v1");
        String ns = m.one(Namespace.class).getMetadata().getName();
        assertThat(m.resources())
                .filteredOn(r -> !(r instanceof Namespace))
                .allSatisfy(r -> assertThat(r.getMetadata().getNamespace()).isEqualTo(ns));
    }

    @Test
    void gpuOverlayRequestsOneGpuWithTolerationAndNodeSelectorAndCpuOverlayNoGpuAtAll() {
        RenderedManifests gpu = RenderedManifests.of("gpu");
        Container gc = gpu.container();
        PodSpec gpod = gpu.deployment().getSpec().getTemplate().getSpec();

        assertThat(gc.getResources().getLimits()).containsEntry(GPU, new Quantity("1"));
        assertThat(gc.getResources().getRequests()).containsEntry(GPU, new Quantity("1"));
        assertThat(gpod.getTolerations()).anySatisfy(t -> {
            assertThat(t.getKey()).isEqualTo(GPU);
            assertThat(t.getOperator()).isEqualTo("Exists");
            assertThat(t.getEffect()).isEqualTo("NoSchedule");
        });
        assertThat(gpod.getNodeSelector()).containsEntry("nvidia.com/gpu.present", "true");
        assertThat(gpu.environment()).containsEntry("ARVDM_DEVICE", "gpu");
        assertThat(gc.getImage()).endsWith("-gpu");

        RenderedManifests cpu = RenderedManifests.of("cpu");
        Container cc = cpu.container();
        assertThat(cc.getResources().getLimits()).doesNotContainKey(GPU);
        assertThat(cc.getResources().getRequests()).doesNotContainKey(GPU);
        assertThat(cpu.deployment().getSpec().getTemplate().getSpec().getTolerations())
                .isEmpty();
        assertThat(cpu.yaml()).doesNotContain("nvidia");
        assertThat(cpu.environment()).containsEntry("ARVDM_DEVICE", "cpu");
        assertThat(cc.getImage()).endsWith("-cpu");
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu"})
    void probesPointAtTheActuatorHealthGroupsOnTheManagementPort(String overlay) {
        List<RenderedManifests.ProbeEndpoint> probes = RenderedManifests.probes(overlay);

        assertThat(probes)
                .extracting(RenderedManifests.ProbeEndpoint::probe)
                .containsExactly("startup", "readiness", "liveness");
        assertThat(probes).allSatisfy(p -> {
            assertThat(p.port()).isEqualTo(MANAGEMENT_PORT);
            assertThat(p.scheme()).isEqualTo("HTTP");
            assertThat(HEALTH_PATHS).contains(p.path());
        });
        RenderedManifests m = RenderedManifests.of(overlay);
        assertThat(m.environment()).containsEntry("MANAGEMENT_SERVER_PORT", String.valueOf(MANAGEMENT_PORT));
        assertThat(m.probe("readiness").path()).isEqualTo("/actuator/health/readiness");
        assertThat(m.probe("liveness").path()).isEqualTo("/actuator/health/liveness");
        // Model loading and warm-up take 30-60 s: the startup probe must allow several times that.
        assertThat(m.probe("startup").budgetSeconds()).isGreaterThanOrEqualTo(300);
        // Once started, a stuck pod leaves the load balancer within ~15 s and is restarted within ~1 min.
        assertThat(m.probe("readiness").budgetSeconds()).isLessThanOrEqualTo(30);
        assertThat(m.probe("liveness").budgetSeconds()).isBetween(30, 120);
    }

    @Test
    void gpuStartupAllowsAtLeastAsLongAsCpu() {
        assertThat(RenderedManifests.of("gpu").probe("startup").budgetSeconds())
                .isGreaterThanOrEqualTo(
                        RenderedManifests.of("cpu").probe("startup").budgetSeconds());
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu"})
    void runsNonRootOnAReadOnlyRootWithWritableTmpAndDjlCache(String overlay) {
        RenderedManifests m = RenderedManifests.of(overlay);
        PodSpec pod = m.deployment().getSpec().getTemplate().getSpec();
        Container c = m.container();

        assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(pod.getSecurityContext().getRunAsUser()).isPositive();
        assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
        assertThat(c.getSecurityContext().getCapabilities().getDrop()).contains("ALL");

        Map<String, Volume> volumes = pod.getVolumes().stream().collect(Collectors.toMap(Volume::getName, v -> v));
        Map<String, String> mounts = new HashMap<>();
        for (VolumeMount vm : c.getVolumeMounts()) {
            mounts.put(vm.getMountPath(), vm.getName());
        }
        String djlCache = m.environment().get("DJL_CACHE_DIR");
        assertThat(djlCache).isNotBlank();
        assertThat(m.environment()).containsEntry("ENGINE_CACHE_DIR", djlCache);
        for (String path : List.of("/tmp", djlCache)) {
            assertThat(mounts).as("writable mount at " + path).containsKey(path);
            assertThat(volumes.get(mounts.get(path)).getEmptyDir())
                    .as(path + " is an emptyDir")
                    .isNotNull();
        }
        // The image's user and paths agree with the pod's.
        DockerImageSpec image = DockerImageSpec.load();
        assertThat(image.user())
                .startsWith(String.valueOf(pod.getSecurityContext().getRunAsUser()));
        assertThat(image.environment()).containsEntry("DJL_CACHE_DIR", djlCache);
        assertThat(image.exposedPorts())
                .contains(m.containerPort(new io.fabric8.kubernetes.api.model.IntOrString("http")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu"})
    void apiKeysAreOnAndReadFromASecret(String overlay) {
        RenderedManifests m = RenderedManifests.of(overlay);
        assertThat(m.container().getEnv())
                .filteredOn(e -> e.getName().equals("ARVDM_SECURITY_API_KEYS"))
                .singleElement()
                .satisfies(e -> {
                    assertThat(e.getValue())
                            .as("never a literal key in the manifests")
                            .isNull();
                    var ref = e.getValueFrom().getSecretKeyRef();
                    assertThat(ref.getName()).isEqualTo("arvdm-api-keys");
                    assertThat(ref.getKey()).isEqualTo("api-keys");
                    assertThat(ref.getOptional())
                            .as("a missing Secret must not start an open service")
                            .isNotEqualTo(true);
                });
        assertThat(m.environment()).doesNotContainKey("ARVDM_SECURITY_API_KEYS");
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu"})
    void gracefulShutdownOutlastsTheLongestGeneration(String overlay) {
        RenderedManifests m = RenderedManifests.of(overlay);
        PodSpec pod = m.deployment().getSpec().getTemplate().getSpec();
        Map<String, String> env = m.environment();

        long maxGeneration = Long.parseLong(env.get("ARVDM_LIMITS_MAX_GENERATION_SECONDS"));
        List<String> preStop =
                m.container().getLifecycle().getPreStop().getExec().getCommand();
        assertThat(preStop).first().isEqualTo("sleep");
        long preStopSleep = Long.parseLong(preStop.get(1));
        long shutdownPhase = Long.parseLong(
                env.get("SPRING_LIFECYCLE_TIMEOUT_PER_SHUTDOWN_PHASE").replace("s", ""));

        assertThat(env).containsEntry("SERVER_SHUTDOWN", "graceful");
        assertThat(shutdownPhase).as("Spring waits for running streams").isGreaterThan(maxGeneration);
        assertThat(pod.getTerminationGracePeriodSeconds())
                .as("kubelet waits for preStop + Spring")
                .isGreaterThan(preStopSleep + shutdownPhase);
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu"})
    void selectorsServiceMonitorHpaPdbAndIngressFitTogether(String overlay) {
        RenderedManifests m = RenderedManifests.of(overlay);
        Deployment d = m.deployment();
        Map<String, String> podLabels = d.getSpec().getTemplate().getMetadata().getLabels();
        Service svc = m.named(Service.class, "arvdm");

        assertThat(podLabels).containsAllEntriesOf(d.getSpec().getSelector().getMatchLabels());
        assertThat(podLabels).containsAllEntriesOf(svc.getSpec().getSelector());
        ServicePort http = svc.getSpec().getPorts().stream()
                .filter(p -> "http".equals(p.getName()))
                .findFirst()
                .orElseThrow();
        assertThat(m.containerPort(http.getTargetPort())).isEqualTo(SERVICE_PORT);

        // envFrom names the generated (hash-suffixed) ConfigMap.
        String cmName = m.container().getEnvFrom().get(0).getConfigMapRef().getName();
        assertThat(m.all(ConfigMap.class))
                .extracting(c -> c.getMetadata().getName())
                .contains(cmName);
        assertThat(cmName).startsWith("arvdm-config-");

        ServiceMonitor sm = m.one(ServiceMonitor.class);
        assertThat(svc.getMetadata().getLabels())
                .containsAllEntriesOf(sm.getSpec().getSelector().getMatchLabels());
        assertThat(sm.getSpec().getSelector().getMatchLabels()).isNotEmpty();
        ServicePort management = svc.getSpec().getPorts().stream()
                .filter(p -> "management".equals(p.getName()))
                .findFirst()
                .orElseThrow();
        assertThat(m.containerPort(management.getTargetPort())).isEqualTo(MANAGEMENT_PORT);
        assertThat(m.environment()).containsEntry("MANAGEMENT_SERVER_PORT", String.valueOf(MANAGEMENT_PORT));
        assertThat(sm.getSpec().getEndpoints()).singleElement().satisfies(e -> {
            assertThat(e.getPort()).isEqualTo(management.getName());
            assertThat(e.getPath()).isEqualTo("/actuator/prometheus");
        });

        PodDisruptionBudget pdb = m.one(PodDisruptionBudget.class);
        assertThat(pdb.getSpec().getSelector().getMatchLabels()).isNotEmpty();
        assertThat(podLabels).containsAllEntriesOf(pdb.getSpec().getSelector().getMatchLabels());

        HorizontalPodAutoscaler hpa = m.one(HorizontalPodAutoscaler.class);
        assertThat(hpa.getSpec().getScaleTargetRef().getKind()).isEqualTo("Deployment");
        assertThat(hpa.getSpec().getScaleTargetRef().getName())
                .isEqualTo(d.getMetadata().getName());
        assertThat(d.getSpec().getReplicas()).as("the HPA owns replicas").isNull();
        assertThat(hpa.getSpec().getMetrics()).extracting(MetricSpec::getType).containsOnly("Pods");
        assertThat(hpa.getSpec().getMetrics())
                .extracting(ms -> ms.getPods().getMetric().getName())
                .contains("arvdm_load");

        Ingress ing = m.named(Ingress.class, "arvdm");
        Map<String, String> ann = ing.getMetadata().getAnnotations();
        long maxGeneration = Long.parseLong(m.environment().get("ARVDM_LIMITS_MAX_GENERATION_SECONDS"));
        assertThat(ann).containsEntry("nginx.ingress.kubernetes.io/proxy-buffering", "off");
        assertThat(Long.parseLong(ann.get("nginx.ingress.kubernetes.io/proxy-read-timeout")))
                .isGreaterThan(maxGeneration);
        assertThat(Long.parseLong(ann.get("nginx.ingress.kubernetes.io/proxy-send-timeout")))
                .isGreaterThan(maxGeneration);
        List<HTTPIngressPath> paths = ing.getSpec().getRules().get(0).getHttp().getPaths();
        assertThat(paths).allSatisfy(p -> {
            assertThat(p.getBackend().getService().getName())
                    .isEqualTo(svc.getMetadata().getName());
            assertThat(p.getBackend().getService().getPort().getName()).isEqualTo(http.getName());
        });
    }

    /**
     * A session lives in one pod: ingress-nginx hashes its create on the request id (which the pod
     * puts at the front of the session id) and every later request on the id's route key, each on a
     * Service of its own (ingress-nginx hashes per upstream), over the same pods.
     */
    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu"})
    void sessionRequestsAreHashedOnTheSessionsRouteKeyToOnePod(String overlay) {
        RenderedManifests m = RenderedManifests.of(overlay);
        Service main = m.named(Service.class, "arvdm");
        Ingress mainIngress = m.named(Ingress.class, "arvdm");
        assertThat(mainIngress.getMetadata().getAnnotations())
                .as("generations keep the default balancing")
                .doesNotContainKey("nginx.ingress.kubernetes.io/upstream-hash-by");
        long maxGeneration = Long.parseLong(m.environment().get("ARVDM_LIMITS_MAX_GENERATION_SECONDS"));

        String route = "0123456789abcdef0123456789abcdef";
        assertThat(org.arvdm.session.SessionService.ROUTE_KEY.matcher(route).matches())
                .as("the route key the service accepts has the form of ingress-nginx's $req_id")
                .isTrue();
        String id = route + "AbCdEfGhIjKlMnOpQr_-12";

        Ingress open = m.named(Ingress.class, "arvdm-session-open");
        Ingress byId = m.named(Ingress.class, "arvdm-sessions");
        Set<String> services = new java.util.HashSet<>();
        services.add(main.getMetadata().getName());
        for (Ingress ing : List.of(open, byId)) {
            Map<String, String> ann = ing.getMetadata().getAnnotations();
            assertThat(ann)
                    .containsEntry("nginx.ingress.kubernetes.io/use-regex", "true")
                    .containsEntry("nginx.ingress.kubernetes.io/proxy-buffering", "off")
                    .containsEntry("nginx.ingress.kubernetes.io/proxy-http-version", "1.1");
            assertThat(Long.parseLong(ann.get("nginx.ingress.kubernetes.io/proxy-read-timeout")))
                    .isGreaterThan(maxGeneration);
            assertThat(ing.getSpec().getRules())
                    .singleElement()
                    .satisfies(r -> assertThat(r.getHost())
                            .isEqualTo(mainIngress.getSpec().getRules().get(0).getHost()));
            HTTPIngressPath path =
                    ing.getSpec().getRules().get(0).getHttp().getPaths().get(0);
            assertThat(path.getPathType()).isEqualTo("ImplementationSpecific");
            Service svc = m.named(Service.class, path.getBackend().getService().getName());
            assertThat(services.add(svc.getMetadata().getName()))
                    .as("a Service (upstream) of its own")
                    .isTrue();
            assertThat(svc.getSpec().getSelector()).isEqualTo(main.getSpec().getSelector());
            assertThat(svc.getSpec().getPorts()).singleElement().satisfies(p -> {
                assertThat(p.getName())
                        .isEqualTo(path.getBackend().getService().getPort().getName());
                assertThat(m.containerPort(p.getTargetPort())).isEqualTo(SERVICE_PORT);
            });
        }

        // POST /v1/sessions: hashed on the request id, which the pod receives as X-Request-ID.
        assertThat(open.getMetadata().getAnnotations())
                .containsEntry("nginx.ingress.kubernetes.io/upstream-hash-by", "$req_id");
        java.util.regex.Pattern create = nginxLocation(open);
        assertThat(create.matcher("/v1/sessions").find()).isTrue();
        assertThat(create.matcher("/v1/sessions/" + id).find()).isFalse();

        // Everything about one session: hashed on $1, the route key, whatever follows the id.
        assertThat(byId.getMetadata().getAnnotations())
                .containsEntry("nginx.ingress.kubernetes.io/upstream-hash-by", "$1");
        java.util.regex.Pattern session = nginxLocation(byId);
        for (String tail : List.of("", "/", "/actions", "/fork", "/events", "/ws", "/recording")) {
            java.util.regex.Matcher match = session.matcher("/v1/sessions/" + id + tail);
            assertThat(match.find()).as("/v1/sessions/{id}" + tail).isTrue();
            assertThat(match.group(1)).as("$1 of /v1/sessions/{id}" + tail).isEqualTo(route);
        }
        assertThat(session.matcher("/v1/sessions").find()).isFalse();
        assertThat(session.matcher("/v1/sessions/AbCdEfGhIjKlMnOpQr_-12/events").find())
                .as("an id without a route key is not hashed (it came in without the ingress)")
                .isFalse();
        assertThat(session.matcher("/v1/generations").find()).isFalse();
    }

    /** The location ingress-nginx writes for a use-regex path: {@code location ~* "^<path>"}. */
    private static java.util.regex.Pattern nginxLocation(Ingress ing) {
        List<HTTPIngressPath> paths = ing.getSpec().getRules().get(0).getHttp().getPaths();
        assertThat(paths).hasSize(1);
        return java.util.regex.Pattern.compile("^" + paths.get(0).getPath(), java.util.regex.Pattern.CASE_INSENSITIVE);
    }

    /** The HPA's load signal counts open sessions with running generations (a session holds its pod). */
    @Test
    void theHpaLoadCountsRunningGenerationsPlusOpenSessions() {
        Map<String, Object> config = new Yaml()
                .load(RenderedManifests.of("monitoring")
                        .one(ConfigMap.class)
                        .getData()
                        .get("config.yaml"));
        Map<String, Object> load = rules(config.get("rules")).stream()
                .filter(r -> "arvdm_load".equals(((Map<?, ?>) r.get("name")).get("as")))
                .findFirst()
                .orElseThrow();
        String query = (String) load.get("metricsQuery");
        // Micrometer's Prometheus names for arvdm.generation.active and arvdm.sessions.open (all modes summed).
        assertThat(query)
                .contains("arvdm_generation_active_seconds_count", "arvdm_sessions_open", "<<.LabelMatchers>>")
                .startsWith("sum(")
                .endsWith("by (<<.GroupBy>>)");
        assertThat((String) load.get("seriesQuery")).startsWith("arvdm_sessions_open{");
        for (String overlay : List.of("cpu", "gpu")) {
            assertThat(RenderedManifests.of(overlay)
                            .one(HorizontalPodAutoscaler.class)
                            .getSpec()
                            .getMetrics())
                    .extracting(ms -> ms.getPods().getMetric().getName())
                    .contains("arvdm_load")
                    .doesNotContain("arvdm_generation_active");
        }
    }

    @Test
    void prometheusAdapterRulesPublishTheMetricsTheHpaUses() {
        RenderedManifests monitoring = RenderedManifests.of("monitoring");
        ConfigMap cm = monitoring.one(ConfigMap.class);
        Map<String, Object> config = new Yaml().load(cm.getData().get("config.yaml"));
        List<Map<String, Object>> rules = rules(config.get("rules"));
        Map<String, String> asToSeries = new LinkedHashMap<>();
        for (Map<String, Object> r : rules) {
            @SuppressWarnings("unchecked")
            Map<String, String> name = (Map<String, String>) r.get("name");
            asToSeries.put(name.get("as"), (String) r.get("seriesQuery"));
            assertThat((String) r.get("seriesQuery")).contains("namespace!=\"\"", "pod!=\"\"");
            assertThat(r.get("resources").toString()).contains("pod", "namespace");
        }
        // Micrometer's Prometheus names for arvdm.generation.active (LongTaskTimer) and arvdm.generation.queue.
        assertThat(asToSeries.get("arvdm_generation_active")).startsWith("arvdm_generation_active_seconds_count{");
        assertThat(asToSeries.get("arvdm_generation_queue")).startsWith("arvdm_generation_queue{");
        for (String overlay : RenderedManifests.OVERLAYS) {
            assertThat(RenderedManifests.of(overlay)
                            .one(HorizontalPodAutoscaler.class)
                            .getSpec()
                            .getMetrics())
                    .extracting(ms -> ms.getPods().getMetric().getName())
                    .allSatisfy(metric -> assertThat(asToSeries).containsKey(metric));
        }
        // The Helm values carry the same rules.
        Map<String, Object> values =
                new Yaml().load(RenderedManifests.read("k8s/monitoring/prometheus-adapter-values.yaml"));
        @SuppressWarnings("unchecked")
        Object custom = ((Map<String, Object>) values.get("rules")).get("custom");
        assertThat(rules(custom)).isEqualTo(rules);
    }

    @Test
    void modelsVolumeComponentMountsAPvcAndPointsTheModelDirAtIt() throws IOException {
        Path root = RenderedManifests.repoRoot();
        Path dir = Files.createDirectories(root.resolve("target/kustomize-models-volume"));
        Files.writeString(dir.resolve("kustomization.yaml"), """
                apiVersion: kustomize.config.k8s.io/v1beta1
                kind: Kustomization
                namespace: arvdm
                resources:
                  - ../../k8s/overlays/cpu
                components:
                  - ../../k8s/components/models-volume
                """);
        RenderedManifests m = RenderedManifests.ofDirectory(dir);

        assertThat(m.unknownFields()).isEmpty();
        PersistentVolumeClaim pvc = m.one(PersistentVolumeClaim.class);
        assertThat(m.environment()).containsEntry("ARVDM_MODEL_DIR", "/models");
        assertThat(m.container().getVolumeMounts()).anySatisfy(vm -> {
            assertThat(vm.getMountPath()).isEqualTo("/models");
            assertThat(vm.getReadOnly()).isTrue();
        });
        assertThat(m.deployment().getSpec().getTemplate().getSpec().getVolumes())
                .anySatisfy(v -> assertThat(v.getPersistentVolumeClaim().getClaimName())
                        .isEqualTo(pvc.getMetadata().getName()));
    }

    /** docs/deployment.md has a table of what each overlay requests; the rendered Deployments match it. */
    @Test
    void renderedResourcesAreWhatTheDocsSay() {
        String doc = RenderedManifests.read("docs/deployment.md");
        int begin = doc.indexOf("<!-- resources:begin -->");
        int end = doc.indexOf("<!-- resources:end -->");
        assertThat(begin).as("resources table markers in docs/deployment.md").isNotNegative();
        List<String[]> rows = new ArrayList<>();
        for (String line : doc.substring(begin, end).split("\n")) {
            if (line.startsWith("| ")
                    && !line.startsWith("| overlay")
                    && !line.startsWith("|--")
                    && !line.startsWith("| ---")) {
                String[] cells = line.substring(1, line.lastIndexOf('|')).split("\\|");
                rows.add(java.util.Arrays.stream(cells)
                        .map(String::strip)
                        .map(s -> s.replace("`", ""))
                        .toArray(String[]::new));
            }
        }
        assertThat(rows).extracting(r -> r[0]).containsExactlyInAnyOrderElementsOf(RenderedManifests.OVERLAYS);
        for (String[] r : rows) {
            Container c = RenderedManifests.of(r[0]).container();
            Map<String, Quantity> req = c.getResources().getRequests();
            Map<String, Quantity> lim = c.getResources().getLimits();
            assertThat(req.get("cpu")).as(r[0] + " cpu request").isEqualTo(new Quantity(r[1]));
            assertThat(lim.get("cpu")).as(r[0] + " cpu limit").isEqualTo(new Quantity(r[2]));
            assertThat(req.get("memory")).as(r[0] + " memory request").isEqualTo(new Quantity(r[3]));
            assertThat(lim.get("memory")).as(r[0] + " memory limit").isEqualTo(new Quantity(r[4]));
            Quantity gpus = lim.getOrDefault(GPU, new Quantity("0"));
            assertThat(gpus).as(r[0] + " GPUs").isEqualTo(new Quantity(r[5]));
        }
    }

    /** Where more than one kustomize is on the machine (e.g. CI's v4.5.4 and kubectl's v5), they agree. */
    @Test
    void everyAvailableKustomizeRendersTheSameObjects() {
        List<Kustomize.Renderer> renderers = Kustomize.available();
        org.junit.jupiter.api.Assumptions.assumeTrue(
                renderers.size() >= 2, "only one kustomize here (" + renderers + "): nothing to compare");
        for (String overlay : List.of("cpu", "gpu", "monitoring")) {
            Path dir = RenderedManifests.directory(overlay);
            List<Object> first = new ArrayList<>();
            new Yaml().loadAll(renderers.get(0).render(dir)).forEach(first::add);
            for (Kustomize.Renderer other : renderers.subList(1, renderers.size())) {
                List<Object> docs = new ArrayList<>();
                new Yaml().loadAll(other.render(dir)).forEach(docs::add);
                assertThat(docs)
                        .as(overlay + ": " + other.name() + " vs "
                                + renderers.get(0).name())
                        .containsExactlyInAnyOrderElementsOf(first);
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> rules(Object o) {
        return (List<Map<String, Object>>) o;
    }
}
