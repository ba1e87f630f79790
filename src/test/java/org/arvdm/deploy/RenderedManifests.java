package org.arvdm.deploy;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The Kubernetes manifests of {@code k8s/} as kustomize renders them, parsed into typed fabric8
 * objects. Other tests use this to read what a deployment really gets, e.g. the probe endpoints:
 *
 * <pre>{@code
 * for (RenderedManifests.ProbeEndpoint p : RenderedManifests.probes("cpu")) {
 *     // p.probe() = "startup" | "readiness" | "liveness"; p.path() = "/actuator/health/readiness"; p.port() = 8080
 *     client.get().uri("http://localhost:" + localPort + p.path()) ...
 * }
 * }</pre>
 *
 * Names accepted by {@link #of(String)}: an overlay ({@code "cpu"}, {@code "gpu"}: {@code k8s/overlays/NAME}),
 * or a directory under {@code k8s/} ({@code "base"}, {@code "monitoring"}), or any directory path
 * holding a kustomization.yaml. Renders are cached per name for the JVM.
 */
public final class RenderedManifests {

    /** The overlays users deploy. */
    public static final List<String> OVERLAYS = List.of("cpu", "gpu");

    /** The app container's name in the Deployment. */
    public static final String CONTAINER = "arvdm";

    /**
     * One HTTP probe of the app container, with a named port resolved to its number.
     *
     * @param probe "startup", "readiness" or "liveness"
     * @param path the HTTP path, e.g. /actuator/health/readiness
     * @param port the container port number, e.g. 8080
     * @param scheme HTTP or HTTPS
     */
    public record ProbeEndpoint(
            String probe,
            String path,
            int port,
            String scheme,
            int initialDelaySeconds,
            int periodSeconds,
            int timeoutSeconds,
            int failureThreshold) {
        /** Longest time this probe tolerates failures before acting: delay + period × threshold. */
        public int budgetSeconds() {
            return initialDelaySeconds + periodSeconds * failureThreshold;
        }
    }

    private static final Map<String, RenderedManifests> CACHE = new ConcurrentHashMap<>();
    private static final Pattern DOC_SEPARATOR = Pattern.compile("(?m)^---\\s*$");

    private final String name;
    private final String yaml;
    private final List<HasMetadata> resources;

    private RenderedManifests(String name, String yaml, List<HasMetadata> resources) {
        this.name = name;
        this.yaml = yaml;
        this.resources = List.copyOf(resources);
    }

    // ------------------------------------------------------------------ entry points

    /** Renders (once per JVM) and parses the given overlay or k8s/ directory. */
    public static RenderedManifests of(String overlay) {
        return CACHE.computeIfAbsent(overlay, o -> {
            Path dir = directory(o);
            String out = Kustomize.renderer().render(dir);
            return new RenderedManifests(o, out, parse(out));
        });
    }

    /** Renders a directory holding a kustomization.yaml (not cached). */
    public static RenderedManifests ofDirectory(Path dir) {
        String out = Kustomize.renderer().render(dir);
        return new RenderedManifests(dir.toString(), out, parse(out));
    }

    /** The probe endpoints (startup, readiness, liveness: those present) of the overlay's app container. */
    public static List<ProbeEndpoint> probes(String overlay) {
        return of(overlay).probes();
    }

    /** The repository root (the folder holding pom.xml and k8s/). */
    public static Path repoRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null) {
            if (Files.isRegularFile(p.resolve("pom.xml")) && Files.isDirectory(p.resolve("k8s"))) {
                return p;
            }
            p = p.getParent();
        }
        throw new IllegalStateException(
                "no pom.xml with a k8s/ folder above " + Path.of("").toAbsolutePath());
    }

    /** The folder kustomize renders for a name given to {@link #of(String)}. */
    public static Path directory(String overlay) {
        Path root = repoRoot();
        Path candidate = root.resolve("k8s/overlays").resolve(overlay);
        if (!Files.isDirectory(candidate)) {
            candidate = root.resolve("k8s").resolve(overlay);
        }
        if (!Files.isDirectory(candidate)) {
            candidate = Path.of(overlay).toAbsolutePath();
        }
        if (!Files.isRegularFile(candidate.resolve("kustomization.yaml"))) {
            throw new IllegalArgumentException("no kustomization.yaml for '" + overlay + "' (tried " + candidate + ")");
        }
        return candidate;
    }

    /**
     * Parses kustomize output (multi-document YAML) into typed objects. Every document must map to
     * a known type: a kind without a typed class (a {@link GenericKubernetesResource}) fails.
     */
    public static List<HasMetadata> parse(String multiDocumentYaml) {
        KubernetesSerialization serialization = serialization();
        List<HasMetadata> out = new ArrayList<>();
        for (String doc : DOC_SEPARATOR.split(multiDocumentYaml)) {
            if (doc.isBlank()) {
                continue;
            }
            Object o = serialization.unmarshal(doc);
            if (!(o instanceof HasMetadata h) || o instanceof GenericKubernetesResource) {
                throw new IllegalStateException("not a typed Kubernetes object ("
                        + (o == null ? "null" : o.getClass().getName()) + "):\n" + doc);
            }
            out.add(h);
        }
        return out;
    }

    static KubernetesSerialization serialization() {
        KubernetesSerialization s = new KubernetesSerialization();
        s.registerKubernetesResource(ServiceMonitor.class);
        return s;
    }

    // ------------------------------------------------------------------ instance API

    public String name() {
        return name;
    }

    /** kustomize's output, as text. */
    public String yaml() {
        return yaml;
    }

    /** Every rendered object, in kustomize's order. */
    public List<HasMetadata> resources() {
        return resources;
    }

    /** All rendered objects of a type. */
    public <T extends HasMetadata> List<T> all(Class<T> type) {
        return resources.stream().filter(type::isInstance).map(type::cast).toList();
    }

    /** The single rendered object of a type (fails if there are none or several). */
    public <T extends HasMetadata> T one(Class<T> type) {
        List<T> all = all(type);
        if (all.size() != 1) {
            throw new IllegalStateException(name + ": expected one " + type.getSimpleName() + ", found " + all.size());
        }
        return all.get(0);
    }

    /** The rendered object of a type with this name (fails if there is none). */
    public <T extends HasMetadata> T named(Class<T> type, String objectName) {
        return all(type).stream()
                .filter(r -> objectName.equals(r.getMetadata().getName()))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException(name + ": no " + type.getSimpleName() + " " + objectName));
    }

    public Deployment deployment() {
        return one(Deployment.class);
    }

    /** The app container ({@value #CONTAINER}) of the Deployment. */
    public Container container() {
        return deployment().getSpec().getTemplate().getSpec().getContainers().stream()
                .filter(c -> CONTAINER.equals(c.getName()))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException(name + ": no container " + CONTAINER));
    }

    /** The app container's probe endpoints: startup, readiness, liveness (those present, in that order). */
    public List<ProbeEndpoint> probes() {
        Container c = container();
        List<ProbeEndpoint> out = new ArrayList<>();
        add(out, "startup", c.getStartupProbe(), c);
        add(out, "readiness", c.getReadinessProbe(), c);
        add(out, "liveness", c.getLivenessProbe(), c);
        return out;
    }

    /** The named probe endpoint ("startup", "readiness", "liveness"). */
    public ProbeEndpoint probe(String which) {
        return probes().stream()
                .filter(p -> p.probe().equals(which))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException(name + ": no " + which + " probe"));
    }

    /** Resolves a container port given as number or name. */
    public int containerPort(IntOrString port) {
        Objects.requireNonNull(port, "port");
        if (port.getIntVal() != null) {
            return port.getIntVal();
        }
        return container().getPorts().stream()
                .filter(p -> port.getStrVal().equals(p.getName()))
                .map(ContainerPort::getContainerPort)
                .findFirst()
                .orElseThrow(() -> new IllegalStateException(name + ": no container port named " + port.getStrVal()));
    }

    /**
     * The app container's environment as the pod gets it: the ConfigMaps of envFrom first, then
     * literal env values (valueFrom entries, resolved by the kubelet, are left out).
     */
    public Map<String, String> environment() {
        Container c = container();
        Map<String, String> env = new LinkedHashMap<>();
        for (EnvFromSource from : c.getEnvFrom()) {
            if (from.getConfigMapRef() != null) {
                env.putAll(configMap(from.getConfigMapRef().getName()).getData());
            }
        }
        for (EnvVar v : c.getEnv()) {
            if (v.getValue() != null) {
                env.put(v.getName(), v.getValue());
            }
        }
        return env;
    }

    /** The rendered ConfigMap with this (hash-suffixed) name. */
    public ConfigMap configMap(String renderedName) {
        return all(ConfigMap.class).stream()
                .filter(m -> m.getMetadata().getName().equals(renderedName))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException(name + ": no ConfigMap " + renderedName));
    }

    /**
     * Paths (like {@code Deployment/arvdm.spec.template...}) of every value that fabric8 did not
     * map to a typed field; empty when every field of every manifest is a known API field.
     */
    public List<String> unknownFields() {
        List<String> out = new ArrayList<>();
        for (HasMetadata r : resources) {
            collectUnknown(r, r.getKind() + "/" + r.getMetadata().getName(), out, 0);
        }
        return out;
    }

    private void add(List<ProbeEndpoint> out, String which, Probe p, Container c) {
        if (p == null) {
            return;
        }
        HTTPGetAction get = p.getHttpGet();
        if (get == null) {
            throw new IllegalStateException(name + ": " + which + " probe is not an HTTP GET");
        }
        out.add(new ProbeEndpoint(
                which,
                get.getPath(),
                containerPort(get.getPort()),
                get.getScheme() == null ? "HTTP" : get.getScheme(),
                orDefault(p.getInitialDelaySeconds(), 0),
                orDefault(p.getPeriodSeconds(), 10),
                orDefault(p.getTimeoutSeconds(), 1),
                orDefault(p.getFailureThreshold(), 3)));
    }

    private static int orDefault(Integer v, int d) {
        return v == null ? d : v;
    }

    private static void collectUnknown(Object o, String path, List<String> out, int depth) {
        if (o == null || depth > 40) {
            return;
        }
        if (o instanceof Collection<?> col) {
            int i = 0;
            for (Object e : col) {
                collectUnknown(e, path + "[" + i++ + "]", out, depth + 1);
            }
            return;
        }
        if (o instanceof Map<?, ?> map) {
            map.forEach((k, v) -> collectUnknown(v, path + "." + k, out, depth + 1));
            return;
        }
        String pkg = o.getClass().getPackageName();
        if (!(pkg.startsWith("io.fabric8.") || pkg.startsWith("org.arvdm."))
                || o.getClass().isEnum()) {
            return;
        }
        for (Method m : o.getClass().getMethods()) {
            if (m.getParameterCount() != 0
                    || Modifier.isStatic(m.getModifiers())
                    || !m.getName().startsWith("get")
                    || m.getDeclaringClass() == Object.class) {
                continue;
            }
            Object v;
            try {
                v = m.invoke(o);
            } catch (ReflectiveOperationException | RuntimeException e) {
                continue;
            }
            if (m.getName().equals("getAdditionalProperties")) {
                if (v instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    extra.keySet().forEach(k -> out.add(path + "." + k));
                }
                continue;
            }
            String field =
                    Character.toLowerCase(m.getName().charAt(3)) + m.getName().substring(4);
            collectUnknown(v, path + "." + field, out, depth + 1);
        }
    }

    /** Reads a repository file as text. */
    public static String read(String relativePath) {
        try {
            return Files.readString(repoRoot().resolve(relativePath));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
