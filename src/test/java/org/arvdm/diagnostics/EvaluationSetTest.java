package org.arvdm.diagnostics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading the evaluation-set folder format (fixture made by src/test/python/make_eval_fixture.py). */
class EvaluationSetTest {
    static final Path FIXTURES = Path.of("src/test/resources/eval");

    @Test
    void readsTheManifestAndSplitsTheTiledPngIntoFrames() throws IOException {
        EvaluationSet set = EvaluationSet.read(FIXTURES.resolve("tiny-loop"));
        assertThat(set.name()).isEqualTo("tiny-loop");
        assertThat(set.kind()).isEqualTo("retrieval");
        assertThat(set.contextFrames()).isEqualTo(4);
        assertThat(set.actionNames()).containsExactly("noop", "forward", "back", "left", "right");
        assertThat(set.trajectories()).hasSize(3);
        EvaluationSet.Trajectory t = set.trajectories().get(0);
        assertThat(t.id()).isEqualTo("tiny-loop-00");
        assertThat(t.length()).isEqualTo(40);
        assertThat(t.frames().get(0)).hasSize(3 * 16 * 16);
        assertThat(t.actions().get(0)).isEqualTo("noop");
        // a revisit shows the same view again: frame 21 comes back to the view of frame 21 - 18 = 3
        assertThat(t.sinceSeen()[21]).isEqualTo(18);
        assertThat(t.frames().get(21)).isEqualTo(t.frames().get(3));
        for (float[] f : t.frames()) {
            for (float v : f) {
                assertThat(v).isBetween(-1f, 1f);
            }
        }
    }

    @Test
    void countsRevisitsAfterTheContextPerBucket() throws IOException {
        EvaluationSet set = EvaluationSet.read(FIXTURES.resolve("tiny-loop"));
        int[] expected = new int[3];
        for (EvaluationSet.Trajectory t : set.trajectories()) {
            for (int i = set.contextFrames(); i < t.length(); i++) {
                int s = t.sinceSeen()[i];
                if (s > 0 && s <= 16) {
                    expected[0]++;
                } else if (s > 16 && s <= 48) {
                    expected[1]++;
                } else if (s > 48 && s <= 112) {
                    expected[2]++;
                }
            }
        }
        assertThat(set.revisitsPerBucket()).containsExactly(expected);
        assertThat(expected[0]).isPositive();
        assertThat(expected[1]).isPositive();
    }

    @Test
    void theRegistryListsEverySetAndRecordsBrokenOnes(@TempDir Path dir) throws IOException {
        copy(FIXTURES.resolve("tiny-walk"), dir.resolve("tiny-walk"));
        Files.createDirectories(dir.resolve("broken"));
        Files.writeString(dir.resolve("broken/manifest.json"), "{\"name\": \"broken\", \"trajectories\": []}");
        EvaluationSets sets = new EvaluationSets(dir);
        assertThat(sets.all()).extracting(EvaluationSet::name).containsExactly("tiny-walk");
        assertThat(sets.get("tiny-walk")).isPresent();
        assertThat(sets.failures()).containsKey("broken");
        assertThat(new EvaluationSets(dir.resolve("missing")).all()).isEmpty();
    }

    @Test
    void aPngOfTheWrongWidthIsRejectedWithItsName(@TempDir Path dir) throws IOException {
        copy(FIXTURES.resolve("tiny-walk"), dir);
        String manifest =
                Files.readString(dir.resolve("manifest.json")).replaceFirst("\"length\": 36", "\"length\": 35");
        Files.writeString(dir.resolve("manifest.json"), manifest);
        assertThatThrownBy(() -> EvaluationSet.read(dir))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("tiny-walk-00.png is 576x16, expected 35 frames of 16x16");
    }

    private static void copy(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        for (Path p : List.of(Files.list(from).toArray(Path[]::new))) {
            Files.copy(p, to.resolve(p.getFileName()));
        }
    }
}
