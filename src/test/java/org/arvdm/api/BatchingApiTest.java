package org.arvdm.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.arvdm.TinyBundleServiceTest;
import org.arvdm.generation.BatchingGateway;
import org.arvdm.model.ModelRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Flux;

/**
 * Concurrent SSE generations over real HTTP share batched network calls, and the batch
 * metrics show it.
 */
@TinyBundleServiceTest
class BatchingApiTest {
    @LocalServerPort
    int port;

    @Autowired
    ModelRegistry registry;

    @Test
    void concurrentStreamsAreBatchedAndTheBatchMetricsArePublished() throws Exception {
        assertThat(registry.awaitLoaded(Duration.ofSeconds(60))).isTrue();
        assertThat(registry.get("tiny-none").orElseThrow().gateway()).isInstanceOf(BatchingGateway.class);
        WebClient client =
                WebClient.builder().baseUrl("http://localhost:" + port).build();
        List<Long> frames = Flux.range(0, 4)
                .flatMap(
                        i -> client.post()
                                .uri("/v1/generations")
                                .contentType(MediaType.APPLICATION_JSON)
                                .accept(MediaType.TEXT_EVENT_STREAM)
                                .bodyValue(body(i))
                                .retrieve()
                                .bodyToFlux(String.class)
                                .count(),
                        4)
                .collectList()
                .block(Duration.ofSeconds(120));
        assertThat(frames).hasSize(4);

        String text = org.arvdm.Prometheus.scrape(
                WebTestClient.bindToServer().baseUrl("http://localhost:" + port).build());
        double count = value(text, "arvdm_batch_size_count{", "tiny-none");
        double sum = value(text, "arvdm_batch_size_sum{", "tiny-none");
        assertThat(count).isPositive();
        assertThat(sum).as("samples carried by %s denoiser calls", count).isGreaterThan(count);
        assertThat(text).containsPattern("arvdm_batch_wait_seconds_count\\{.*model=\"tiny-none\"");
        assertThat(text).containsPattern("arvdm_step_latency_seconds_count\\{.*batch=\"(2|3-4)\".*model=\"tiny-none\"");
    }

    private static Map<String, Object> body(int i) {
        Map<String, Object> r = GenerationApiTest.request("tiny-none", 2, 12, 40 + i);
        r.put("schedule", Map.of("arSteps", 6));
        return r;
    }

    private static double value(String prometheus, String prefix, String model) {
        return prometheus
                .lines()
                .filter(l -> l.startsWith(prefix)
                        && l.contains("model=\"" + model + "\"")
                        && l.contains("network=\"denoiser\""))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .sum();
    }
}
