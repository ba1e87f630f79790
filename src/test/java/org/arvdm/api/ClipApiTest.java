package org.arvdm.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.arvdm.TinyBundleServiceTest;
import org.arvdm.diagnostics.EvaluationSet;
import org.arvdm.diagnostics.EvaluationSets;
import org.arvdm.image.ImageCodec;
import org.arvdm.model.ModelRegistry;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;

/** Context clips from the bundled sets over HTTP: the same pixels and actions, postable as a context. */
@TinyBundleServiceTest
class ClipApiTest {
    @LocalServerPort
    int port;

    @Autowired
    EvaluationSets sets;

    @Autowired
    ModelRegistry registry;

    WebTestClient http;

    @BeforeEach
    void setUp() throws Exception {
        assertThat(registry.awaitLoaded(Duration.ofSeconds(60))).isTrue();
        http = WebTestClient.bindToServer()
                .baseUrl("http://localhost:" + port)
                .responseTimeout(Duration.ofSeconds(60))
                .build();
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> get(String uri) {
        return http.get()
                .uri(uri)
                .exchange()
                .expectStatus()
                .isOk()
                .expectBody(Map.class)
                .returnResult()
                .getResponseBody();
    }

    @Test
    @SuppressWarnings("unchecked")
    void listsTheTrajectoriesOfASet() {
        Map<String, Object> list = get("/v1/evaluation-sets/tiny-loop/trajectories");
        assertThat(list.get("set")).isEqualTo("tiny-loop");
        assertThat(list.get("contextFrames")).isEqualTo(4);
        assertThat((List<String>) list.get("actions")).containsExactly("noop", "forward", "back", "left", "right");
        List<Map<String, Object>> ts = (List<Map<String, Object>>) list.get("trajectories");
        EvaluationSet set = sets.get("tiny-loop").orElseThrow();
        assertThat(ts)
                .extracting(t -> t.get("id"))
                .containsExactlyElementsOf(set.trajectories().stream()
                        .map(EvaluationSet.Trajectory::id)
                        .toList());
        assertThat(ts)
                .extracting(t -> t.get("length"))
                .containsExactlyElementsOf(set.trajectories().stream()
                        .map(EvaluationSet.Trajectory::length)
                        .toList());
    }

    @Test
    @SuppressWarnings("unchecked")
    void contextIsTheFirstContextFramesWithTheirActions() {
        EvaluationSet set = sets.get("tiny-loop").orElseThrow();
        EvaluationSet.Trajectory t = set.trajectories().get(1);
        Map<String, Object> clip = get("/v1/evaluation-sets/tiny-loop/trajectories/" + t.id() + "/context");
        List<String> frames = (List<String>) clip.get("frames");
        assertThat(frames).hasSize(set.contextFrames());
        assertThat((List<String>) clip.get("actions")).isEqualTo(t.actions().subList(0, set.contextFrames()));
        for (int i = 0; i < frames.size(); i++) {
            float[] decoded = ImageCodec.decode(frames.get(i), set.frame(), "frames[" + i + "]");
            assertThat(decoded).as("frame %d", i).containsExactly(t.frames().get(i));
        }
        // the other trajectory's clip differs: the id picks the trajectory
        Map<String, Object> other = get("/v1/evaluation-sets/tiny-loop/trajectories/"
                + set.trajectories().get(0).id() + "/context");
        assertThat(other.get("frames")).isNotEqualTo(frames);
    }

    @Test
    void clipPostsUnchangedAsAGenerationContext() {
        Map<String, Object> clip = get("/v1/evaluation-sets/tiny-loop/trajectories/tiny-loop-00/context");
        http.post()
                .uri("/v1/generations")
                .contentType(MediaType.APPLICATION_JSON)
                .accept(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("model", "tiny-frames", "context", clip, "frames", 2, "seed", 3))
                .exchange()
                .expectStatus()
                .isOk()
                .expectBody()
                .jsonPath("$.frames.length()")
                .isEqualTo(2);
    }

    @Test
    void unknownSetOrTrajectoryIsA404NamingTheField() {
        http.get()
                .uri("/v1/evaluation-sets/nope/trajectories/tiny-loop-00/context")
                .exchange()
                .expectStatus()
                .isNotFound()
                .expectHeader()
                .contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody()
                .jsonPath("$.field")
                .isEqualTo("set")
                .jsonPath("$.detail")
                .value(d -> assertThat(d.toString()).contains("nope"));
        http.get()
                .uri("/v1/evaluation-sets/nope/trajectories")
                .exchange()
                .expectStatus()
                .isNotFound()
                .expectBody()
                .jsonPath("$.field")
                .isEqualTo("set");
        http.get()
                .uri("/v1/evaluation-sets/tiny-loop/trajectories/tiny-walk-00/context")
                .exchange()
                .expectStatus()
                .isNotFound()
                .expectBody()
                .jsonPath("$.field")
                .isEqualTo("id")
                .jsonPath("$.detail")
                .value(d -> assertThat(d.toString()).contains("tiny-walk-00"));
    }
}
