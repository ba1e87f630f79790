package org.arvdm.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.arvdm.TinyBundleServiceTest;
import org.arvdm.model.ModelRegistry;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.config.YamlPropertiesFactoryBean;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.core.io.FileSystemResource;
import org.springframework.test.web.reactive.server.WebTestClient;

/**
 * The probes of the rendered Deployment point at paths the running service really answers, on
 * the port the actuator listens on (the management port where the manifests set one).
 */
@TinyBundleServiceTest
class ProbePathsTest {
    @LocalServerPort
    int port;

    @Autowired
    ModelRegistry registry;

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "gpu"})
    void renderedProbesHitPathsTheServiceAnswers(String overlay) throws Exception {
        assertThat(registry.awaitLoaded(Duration.ofSeconds(60))).isTrue();
        List<RenderedManifests.ProbeEndpoint> probes = RenderedManifests.probes(overlay);
        assertThat(probes)
                .extracting(RenderedManifests.ProbeEndpoint::probe)
                .containsExactly("startup", "readiness", "liveness");
        YamlPropertiesFactoryBean yaml = new YamlPropertiesFactoryBean();
        yaml.setResources(new FileSystemResource("src/main/resources/application.yaml"));
        int servicePort = Integer.parseInt(yaml.getObject().getProperty("server.port"));
        // the actuator listens on MANAGEMENT_SERVER_PORT when the manifests set one, else on the service port
        String management = RenderedManifests.of(overlay).environment().get("MANAGEMENT_SERVER_PORT");
        int actuatorPort = management != null ? Integer.parseInt(management) : servicePort;
        WebTestClient http =
                WebTestClient.bindToServer().baseUrl("http://localhost:" + port).build();
        for (RenderedManifests.ProbeEndpoint p : probes) {
            assertThat(p.port()).as(p.probe() + " port").isEqualTo(actuatorPort);
            assertThat(p.scheme()).isEqualToIgnoringCase("HTTP");
            http.get()
                    .uri(p.path())
                    .exchange()
                    .expectStatus()
                    .isOk()
                    .expectBody()
                    .jsonPath("$.status")
                    .isEqualTo("UP");
        }
    }
}
