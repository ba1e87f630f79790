package org.arvdm.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.arvdm.TinyBundleServiceTest;
import org.arvdm.model.ModelRegistry;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;

/**
 * Contracts checked by outside tools: openapi.yaml passes Redocly CLI's recommended rules
 * (npm @redocly/cli 2.77.0), the Prometheus output passes {@code promtool check metrics}
 * (Debian prometheus), and every metric a Grafana panel queries is one the running service
 * exposes. .ci/run installs both tools; without them the checks are skipped, except under
 * CI=true, where they fail.
 */
@TinyBundleServiceTest
class ExternalContractsTest {
    @LocalServerPort
    int port;

    @Autowired
    ModelRegistry registry;

    /** The tool from the environment variable, the CI install folder, or the PATH. */
    private static String tool(String env, String cached, String name) {
        List<String> candidates = new ArrayList<>();
        if (System.getenv(env) != null) {
            candidates.add(System.getenv(env));
        }
        candidates.add(System.getProperty("user.home") + "/" + cached);
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            candidates.add(dir + "/" + name);
        }
        for (String c : candidates) {
            if (Files.isExecutable(Path.of(c))) {
                return c;
            }
        }
        String why = name + " not found (set " + env + " or run .ci/run, which installs it)";
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            fail("CI must run the outside contract checks: " + why);
        }
        Assumptions.abort(why);
        return null;
    }

    private record Result(int exit, String output) {}

    private static Result run(List<String> cmd, String stdin) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        if (stdin != null) {
            p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(180, TimeUnit.SECONDS)).isTrue();
        return new Result(p.exitValue(), out);
    }

    private String metrics() throws Exception {
        assertThat(registry.awaitLoaded(Duration.ofSeconds(60))).isTrue();
        WebTestClient http = WebTestClient.bindToServer()
                .baseUrl("http://localhost:" + port)
                .responseTimeout(Duration.ofSeconds(60))
                .build();
        // one generation, so that every per-model series has samples
        http.post()
                .uri("/v1/generations")
                .contentType(MediaType.APPLICATION_JSON)
                .accept(MediaType.APPLICATION_JSON)
                .bodyValue(GenerationApiTest.request("tiny-frames", 2, 2, 1))
                .exchange()
                .expectStatus()
                .isOk();
        return org.arvdm.Prometheus.scrape(http);
    }

    @Test
    void openapiPassesRedoclysRecommendedRules() throws Exception {
        String redocly = tool("REDOCLY_BIN", ".cache/arvdm-redocly/node_modules/.bin/redocly", "redocly");
        Result r =
                run(List.of(redocly, "lint", "--extends", "recommended", "--max-problems", "50", "openapi.yaml"), null);
        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(r.output()).as(r.output()).doesNotContainPattern("You have \\d+ warnings?");
    }

    @Test
    void metricsPassPromtool() throws Exception {
        String promtool = tool("PROMTOOL_BIN", ".cache/arvdm-promtool/promtool", "promtool");
        Result r = run(List.of(promtool, "check", "metrics"), metrics());
        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(r.output()).as(r.output()).isBlank();
    }

    @Test
    void everyGrafanaPanelQueriesAnExposedMetric() throws Exception {
        String text = metrics();
        Set<String> exposed = new TreeSet<>();
        text.lines().filter(l -> !l.startsWith("#") && !l.isBlank()).forEach(l -> exposed.add(l.split("[{ ]", 2)[0]));
        String dashboard = Files.readString(Path.of("deploy/grafana/dashboards/arvdm.json"));
        Matcher expr =
                Pattern.compile("\"expr\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"").matcher(dashboard);
        Pattern metric = Pattern.compile("\\b([a-z_][a-z0-9_]*)\\s*(?:\\{|\\[|\\))");
        Set<String> functions = Set.of(
                "rate",
                "sum",
                "max",
                "min",
                "avg",
                "histogram_quantile",
                "by",
                "irate",
                "increase",
                "count",
                "without",
                "on",
                "le");
        List<String> missing = new ArrayList<>();
        int queried = 0;
        while (expr.find()) {
            Matcher m = metric.matcher(expr.group(1).replace("\\\"", "\""));
            while (m.find()) {
                String name = m.group(1);
                if (functions.contains(name) || !name.contains("_")) {
                    continue;
                }
                queried++;
                if (!exposed.contains(name)) {
                    missing.add(name);
                }
            }
        }
        assertThat(queried).as("metrics the dashboard queries").isGreaterThan(10);
        assertThat(missing).as("queried by a panel but not exposed").isEmpty();
    }
}
