package org.arvdm.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/** docker-compose.yml, the Prometheus config and the Grafana provisioning agree with the service. */
class ComposeStackTest {

    private static final int SERVICE_PORT = 8080;
    /** The actuator's own port (MANAGEMENT_SERVER_PORT), reachable inside the compose network only. */
    private static final int MANAGEMENT_PORT = 9091;

    private static final String METRICS_PATH = "/actuator/prometheus";

    /** Prometheus names of the service's meters (service.md; Micrometer's dots become underscores). */
    static final List<String> DASHBOARD_METRICS = List.of(
            "arvdm_step_latency_seconds_bucket",
            "arvdm_network_calls_total",
            "arvdm_frames_generated_total",
            "arvdm_generation_first_frame_seconds",
            "arvdm_generation_active_seconds_count",
            "arvdm_generation_queue",
            "arvdm_memory_budget",
            "arvdm_memory_used",
            "arvdm_memory_bytes",
            "arvdm_batch_size");

    private static Map<String, Object> yaml(String path) {
        LoaderOptions options = new LoaderOptions();
        options.setMaxAliasesForCollections(50);
        return new Yaml(options).load(RenderedManifests.read(path));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        return (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object o) {
        return (List<Object>) o;
    }

    @Test
    void composeRunsTheServiceOnItsPortWithPrometheusAndGrafana() {
        Map<String, Object> compose = yaml("docker-compose.yml");
        Map<String, Object> services = map(compose.get("services"));

        assertThat(services).containsKeys("arvdm", "arvdm-gpu", "prometheus", "grafana");
        Map<String, Object> app = map(services.get("arvdm"));
        assertThat(app).doesNotContainKey("profiles");
        assertThat(list(app.get("ports")))
                .extracting(Object::toString)
                .anySatisfy(p -> assertThat(p).endsWith(":" + SERVICE_PORT));
        assertThat(map(app.get("build")).get("dockerfile")).isEqualTo("Dockerfile");
        assertThat(app.get("read_only")).isEqualTo(true);
        assertThat(list(app.get("volumes")))
                .extracting(Object::toString)
                .anySatisfy(v -> assertThat(v)
                        .endsWith(":" + DockerImageSpec.load().environment().get("DJL_CACHE_DIR")));
        assertThat(map(app.get("environment")))
                .containsEntry("ARVDM_DEVICE", "cpu")
                .containsEntry("MANAGEMENT_SERVER_PORT", String.valueOf(MANAGEMENT_PORT));
        assertThat(list(app.get("ports")))
                .extracting(Object::toString)
                .noneSatisfy(p -> assertThat(p).contains(String.valueOf(MANAGEMENT_PORT)));
        assertThat(list(map(app.get("healthcheck")).get("test"))).contains("/app/healthcheck.sh");
    }

    @Test
    void gpuProfileReservesAnNvidiaGpu() {
        Map<String, Object> gpu =
                map(map(yaml("docker-compose.yml").get("services")).get("arvdm-gpu"));

        assertThat(list(gpu.get("profiles"))).containsExactly("gpu");
        assertThat(map(map(gpu.get("build")).get("args"))).containsEntry("FLAVOR", "gpu");
        assertThat(map(gpu.get("environment"))).containsEntry("ARVDM_DEVICE", "gpu");
        List<Object> devices =
                list(map(map(map(gpu.get("deploy")).get("resources")).get("reservations"))
                        .get("devices"));
        assertThat(devices).singleElement().satisfies(d -> {
            assertThat(map(d)).containsEntry("driver", "nvidia").containsEntry("count", 1);
            assertThat(list(map(d).get("capabilities"))).contains("gpu");
        });
    }

    @Test
    void prometheusScrapesTheMetricsPathOnTheManagementPort() {
        Map<String, Object> prom = yaml("deploy/prometheus/prometheus.yml");
        Map<String, Object> job = list(prom.get("scrape_configs")).stream()
                .map(ComposeStackTest::map)
                .filter(j -> "arvdm".equals(j.get("job_name")))
                .findFirst()
                .orElseThrow();

        assertThat(job.get("metrics_path")).isEqualTo(METRICS_PATH);
        List<String> targets = new ArrayList<>();
        for (Object sc : list(job.get("static_configs"))) {
            list(map(sc).get("targets")).forEach(t -> targets.add(t.toString()));
        }
        assertThat(targets).contains("arvdm:" + MANAGEMENT_PORT, "arvdm-gpu:" + MANAGEMENT_PORT);

        // The compose file mounts exactly this config into Prometheus, and the service names match.
        Map<String, Object> services = map(yaml("docker-compose.yml").get("services"));
        assertThat(list(map(services.get("prometheus")).get("volumes")))
                .extracting(Object::toString)
                .anySatisfy(v ->
                        assertThat(v).startsWith("./deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml"));
        for (String t : targets) {
            assertThat(services).containsKey(t.substring(0, t.indexOf(':')));
        }
    }

    @Test
    void grafanaIsProvisionedWithThePrometheusDatasourceAndTheDashboard() {
        Map<String, Object> ds = map(list(yaml("deploy/grafana/provisioning/datasources/prometheus.yml")
                        .get("datasources"))
                .get(0));
        assertThat(ds).containsEntry("type", "prometheus").containsEntry("url", "http://prometheus:9090");

        Map<String, Object> provider = map(
                list(yaml("deploy/grafana/provisioning/dashboards/arvdm.yml").get("providers"))
                        .get(0));
        String dashboardsPath = map(provider.get("options")).get("path").toString();
        Map<String, Object> grafana =
                map(map(yaml("docker-compose.yml").get("services")).get("grafana"));
        assertThat(list(grafana.get("volumes")))
                .extracting(Object::toString)
                .contains(
                        "./deploy/grafana/dashboards:" + dashboardsPath + ":ro",
                        "./deploy/grafana/provisioning:/etc/grafana/provisioning:ro");
        assertThat(Files.isRegularFile(RenderedManifests.repoRoot().resolve("deploy/grafana/dashboards/arvdm.json")))
                .isTrue();
    }

    @Test
    void dashboardChartsEveryServiceMetric() {
        Map<String, Object> dash = yaml("deploy/grafana/dashboards/arvdm.json"); // JSON is YAML
        assertThat(dash.get("uid")).isEqualTo("arvdm-serving");

        Set<String> exprs = new LinkedHashSet<>();
        Set<String> titles = new LinkedHashSet<>();
        for (Object p : list(dash.get("panels"))) {
            titles.add(map(p).get("title").toString());
            Object targets = map(p).get("targets");
            if (targets != null) {
                list(targets).forEach(t -> exprs.add(map(t).get("expr").toString()));
            }
        }
        String all = String.join("\n", exprs);
        assertThat(DASHBOARD_METRICS).allSatisfy(metric -> assertThat(all).contains(metric));
        assertThat(all).contains("histogram_quantile(0.95", "histogram_quantile(0.99");
        assertThat(titles)
                .contains(
                        "Per-step latency percentiles",
                        "Time to first frame",
                        "Frames / s",
                        "Active and queued generations",
                        "Memory budget and used slots",
                        "Memory tensor bytes",
                        "Batch size");

        // Every arvdm_* series a panel queries is a Prometheus name of a documented meter.
        Matcher m = Pattern.compile("arvdm_[a-z_]+").matcher(all);
        while (m.find()) {
            String series = m.group();
            assertThat(DASHBOARD_METRICS)
                    .as("dashboard series " + series)
                    .anySatisfy(known -> assertThat(series).startsWith(baseName(known)));
        }
    }

    private static String baseName(String series) {
        return series.replaceAll("_(bucket|total|active_count)$", "");
    }
}
