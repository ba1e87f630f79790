package org.arvdm.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.arvdm.generation.CallGateway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelRegistryTest {
    @TempDir
    Path dir;

    private void copyBundle(String name, String as) throws Exception {
        Path src = Path.of("src/test/resources/bundles", name);
        Path dst = dir.resolve(as);
        Files.createDirectories(dst);
        try (Stream<Path> files = Files.list(src)) {
            for (Path f : files.toList()) {
                Files.copy(f, dst.resolve(f.getFileName()));
            }
        }
        if (!as.equals(name)) {
            Path json = dst.resolve("model.json");
            Files.writeString(
                    json, Files.readString(json).replace("\"id\": \"" + name + "\"", "\"id\": \"" + as + "\""));
        }
    }

    private ModelRegistry registry(String defaultModel, List<LoadedModel> loaded) {
        return new ModelRegistry(dir, "cpu", defaultModel, CallGateway::direct, loaded::add);
    }

    @Test
    void brokenBundlesAreReportedByNameAndReasonWhileTheOthersLoad() throws Exception {
        copyBundle("tiny-frames", "tiny-frames");
        copyBundle("tiny-none", "bad-prediction");
        Path json = dir.resolve("bad-prediction/model.json");
        Files.writeString(json, Files.readString(json).replace("\"prediction\": \"eps\"", "\"prediction\": \"score\""));
        copyBundle("tiny-none", "no-weights");
        Files.delete(dir.resolve("no-weights/denoiser.pt"));
        copyBundle("tiny-none", "wrong-id");
        Files.writeString(
                dir.resolve("wrong-id/model.json"),
                Files.readString(dir.resolve("wrong-id/model.json"))
                        .replace("\"id\": \"wrong-id\"", "\"id\": \"other\""));
        Files.createDirectories(dir.resolve("training"));
        List<LoadedModel> loaded = new ArrayList<>();
        try (ModelRegistry r = registry("tiny-frames", loaded)) {
            r.loadAll();
            assertThat(r.ready()).isTrue();
            assertThat(r.models()).extracting(LoadedModel::id).containsExactly("tiny-frames");
            assertThat(loaded).hasSize(1);
            assertThat(r.failures()).containsOnlyKeys("bad-prediction", "no-weights", "wrong-id");
            assertThat(r.failures().get("bad-prediction"))
                    .contains("diffusion.prediction")
                    .contains("'score'");
            assertThat(r.failures().get("no-weights")).contains("denoiser.pt is missing");
            assertThat(r.failures().get("wrong-id")).contains("id: must equal the folder name 'wrong-id'");
            assertThat(r.defaultModel()).map(LoadedModel::id).contains("tiny-frames");
        }
    }

    @Test
    void notReadyWhileLoadingNorWhenTheDefaultModelFailed() throws Exception {
        copyBundle("tiny-none", "tiny-none");
        try (ModelRegistry r = registry("tiny-frames", new ArrayList<>())) {
            assertThat(r.ready()).isFalse();
            assertThat(r.problem()).startsWith("loading bundles");
            r.startLoading();
            assertThat(r.awaitLoaded(Duration.ofSeconds(60))).isTrue();
            assertThat(r.ready()).isFalse();
            assertThat(r.problem()).contains("default model 'tiny-frames' did not load");
        }
    }

    @Test
    void emptyModelDirectoryIsNotReady() {
        try (ModelRegistry r = registry("", new ArrayList<>())) {
            r.loadAll();
            assertThat(r.ready()).isFalse();
            assertThat(r.problem()).contains("no bundle loaded").contains("no sub-folder holds a model.json");
        }
    }
}
