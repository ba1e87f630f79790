package org.arvdm.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.arvdm.diagnostics.Controllability;
import org.arvdm.diagnostics.EvaluationPlanner;
import org.arvdm.diagnostics.EvaluationReport;
import org.arvdm.diagnostics.EvaluationSet;
import org.arvdm.diagnostics.EvaluationSets;
import org.arvdm.diagnostics.Evaluator;
import org.arvdm.diagnostics.Scoring;
import org.arvdm.generation.CallGateway;
import org.arvdm.model.ModelRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * The report command: the bundle digest that decides whether {@code --reuse true} may keep an earlier report,
 * how the sets are found per world, and a whole run on the tiny TorchScript bundles through the real engine,
 * with one bundle per world.
 */
class ReportCommandTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Test
    void theDigestFollowsTheBundlesFilesAndNothingElse(@TempDir Path tmp) throws Exception {
        Path a = Files.createDirectories(tmp.resolve("a"));
        Path b = Files.createDirectories(tmp.resolve("b"));
        for (Path d : new Path[] {a, b}) {
            Files.writeString(d.resolve("model.json"), "{\"id\":\"m\"}");
            Files.write(d.resolve("denoiser.pt"), new byte[] {1, 2, 3});
        }
        String digest = ReportCommand.bundleDigest(a);
        assertEquals(64, digest.length());
        assertEquals(digest, ReportCommand.bundleDigest(b), "same files in another folder: same digest");

        Files.write(b.resolve("denoiser.pt"), new byte[] {1, 2, 4});
        assertNotEquals(digest, ReportCommand.bundleDigest(b), "retrained weights must change the digest");

        Files.write(b.resolve("denoiser.pt"), new byte[] {1, 2, 3});
        Files.write(b.resolve("memory_encoder.pt"), new byte[0]);
        assertNotEquals(digest, ReportCommand.bundleDigest(b), "an added file must change the digest");
    }

    /** A copy of a test bundle as {@code as}, trained in {@code world} (none: the default world). */
    private static void bundle(Path models, String name, String as, String world) throws Exception {
        Path dst = Files.createDirectories(models.resolve(as));
        copyFiles(Path.of("src/test/resources/bundles", name), dst);
        Path json = dst.resolve("model.json");
        String text = Files.readString(json).replace("\"id\": \"" + name + "\"", "\"id\": \"" + as + "\"");
        if (world != null) {
            text = text.replace("\"training\": {", "\"training\": {\n  \"world\": \"" + world + "\",");
        }
        Files.writeString(json, text);
    }

    /** A copy of a test set as {@code as}, in {@code world} (null: as the original says), of {@code kind} (null: same). */
    private static void set(Path sets, String name, String as, String world, String kind) throws Exception {
        Path dst = Files.createDirectories(sets.resolve(as));
        copyFiles(Path.of("src/test/resources/eval", name), dst);
        Path json = dst.resolve("manifest.json");
        String text = Files.readString(json).replace("\"name\": \"" + name + "\",", "\"name\": \"" + as + "\",");
        if (world != null) {
            text = text.replace(
                    "\"name\": \"" + as + "\",", "\"name\": \"" + as + "\",\n \"world\": \"" + world + "\",");
        }
        if (kind != null) {
            text = text.replaceFirst("\"kind\": \"[a-z]+\"", "\"kind\": \"" + kind + "\"");
        }
        Files.writeString(json, text);
    }

    private static void copyFiles(Path src, Path dst) throws Exception {
        try (Stream<Path> files = Files.list(src)) {
            for (Path f : files.toList()) {
                Files.copy(f, dst.resolve(f.getFileName()));
            }
        }
    }

    @Test
    void setsAreFoundPerWorldByKindAndTheOptionsReplaceThemInTheirOwnWorld(@TempDir Path tmp) throws Exception {
        set(tmp, "tiny-walk", "accumulation", null, null);
        set(tmp, "tiny-loop", "retrieval", null, null);
        set(tmp, "tiny-walk", "a-walk", null, null);
        set(tmp, "tiny-walk", "v2-accumulation", "maze-v2", null);
        set(tmp, "tiny-walk", "v2-a-walk", "maze-v2", null);
        set(tmp, "tiny-control-v2", "v2-controllability", null, null);
        EvaluationSets sets = new EvaluationSets(tmp);

        Map<String, Map<String, EvaluationSet>> found = ReportCommand.setsByWorld(sets, Map.of());
        assertThat(found).containsOnlyKeys("maze-v1", "maze-v2");
        assertThat(names(found.get("maze-v1")))
                .containsExactly(Map.entry("accumulation", "accumulation"), Map.entry("retrieval", "retrieval"));
        // two accumulation sets in world v2: the one named after the kind, not the first by name
        assertThat(names(found.get("maze-v2")))
                .containsExactly(
                        Map.entry("accumulation", "v2-accumulation"),
                        Map.entry("controllability", "v2-controllability"));

        Map<String, Map<String, EvaluationSet>> chosen =
                ReportCommand.setsByWorld(sets, Map.of("accumulation-set", "a-walk,v2-a-walk"));
        assertThat(chosen.get("maze-v1").get("accumulation").name()).isEqualTo("a-walk");
        assertThat(chosen.get("maze-v2").get("accumulation").name()).isEqualTo("v2-a-walk");
        assertThat(chosen.get("maze-v1").get("retrieval").name()).isEqualTo("retrieval");

        assertThatThrownBy(() -> ReportCommand.setsByWorld(sets, Map.of("retrieval-set", "nowhere")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--retrieval-set")
                .hasMessageContaining("'nowhere'");
        assertThatThrownBy(() -> ReportCommand.setsByWorld(sets, Map.of("accumulation-set", "accumulation,a-walk")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("two sets of world maze-v1");
    }

    private static Map<String, String> names(Map<String, EvaluationSet> roles) {
        Map<String, String> out = new LinkedHashMap<>();
        roles.forEach((role, s) -> out.put(role, s.name()));
        return out;
    }

    @Test
    void eachBundleIsScoredOnTheSetsOfItsWorldAndTheV2PartShowsItsControllability(@TempDir Path tmp) throws Exception {
        Path models = tmp.resolve("models");
        bundle(models, "tiny-frames", "v1-frames", null);
        bundle(models, "tiny-frames", "v2-frames", "maze-v2");
        bundle(models, "tiny-none", "v9-none", "maze-v9");
        Path sets = tmp.resolve("eval");
        set(sets, "tiny-walk", "tiny-walk", null, null);
        set(sets, "tiny-loop", "tiny-loop", null, null);
        set(sets, "tiny-walk", "tiny-walk-v2", "maze-v2", null);
        set(sets, "tiny-control-v2", "tiny-control-v2", null, null);
        Path out = tmp.resolve("out");
        String[] args = {
            "--model-dir",
            models.toString(),
            "--set-dir",
            sets.toString(),
            "--out",
            out.toString(),
            "--device",
            "cpu",
            "--trajectories",
            "1",
            "--frames",
            "12"
        };
        ReportCommand.report(args);

        Map<String, Map<String, EvaluationReport>> json = reports(out);
        assertThat(json).containsOnlyKeys("v1-frames", "v2-frames");
        // each bundle on the sets of its own world only: the v1 bundle never on a v2 set, and the other way round
        assertThat(json.get("v1-frames")).containsOnlyKeys("tiny-walk", "tiny-loop");
        assertThat(json.get("v2-frames")).containsOnlyKeys("tiny-walk-v2", "tiny-control-v2");

        // the report's numbers are the evaluator's for the same model, set and seed
        EvaluationSets all = new EvaluationSets(sets);
        EvaluationReport direct;
        try (ModelRegistry registry = new ModelRegistry(models, "cpu", "", CallGateway::direct, m -> {})) {
            registry.loadAll();
            direct = new Evaluator()
                    .run(
                            EvaluationPlanner.ofSet(
                                    registry.get("v2-frames").orElseThrow(),
                                    all.get("tiny-control-v2").orElseThrow(),
                                    1,
                                    12,
                                    ReportCommand.DEFAULT_SEED,
                                    0.5),
                            new Evaluator.Listener() {});
        }
        EvaluationReport control = json.get("v2-frames").get("tiny-control-v2");
        Controllability c = control.controllability();
        assertThat(c).isEqualTo(direct.controllability());
        assertThat(c.states()).isEqualTo(2);
        assertThat(json.get("v1-frames").get("tiny-walk").controllability()).isNull();

        String md = Files.readString(out.resolve("results.md"));
        String v1 = part(md, "World v1: v1 sets, v1 bundles");
        String v2 = part(md, "World v2: v2 sets, v2 bundles");
        assertThat(v1).contains("v1-frames").doesNotContain("v2-frames").doesNotContain("Controllability");
        assertThat(v1).contains("### Error accumulation, world v1", "### Memory retrieval, world v1", "pareto.png");
        assertThat(v2).contains("v2-frames").doesNotContain("v1-frames").doesNotContain("### Memory retrieval");
        assertThat(md).contains("Not on this page: `v9-none` (trained in world `maze-v9`)");
        assertThat(v1).doesNotContain("v9-none");
        assertThat(v2).doesNotContain("v9-none");

        // the controllability table: one row per action with the report's numbers
        for (String a : c.hits().keySet()) {
            Controllability.Change ch = c.change().get(a);
            assertThat(v2)
                    .contains("| " + a + " | " + ResultsPage.num(c.hits().get(a), 2) + " | "
                            + ResultsPage.num(c.hitsNewViews().get(a), 2) + " | "
                            + ResultsPage.num(c.hitsSeenViews().get(a), 2) + " | "
                            + (ch == null ? "–" : ResultsPage.num(ch.generated(), 2)) + " | "
                            + (ch == null ? "–" : ResultsPage.num(ch.truth(), 2)) + " | "
                            + (ch == null ? "–" : ResultsPage.num(ch.ratio(), 2)) + " | "
                            + (ch == null ? 0 : ch.frames()) + " |");
        }
        assertThat(v2).contains("sharpness ratio " + ResultsPage.num(c.sharpness(), 2));
        // the bars, from the same numbers: turns from the lower of left and right, PSNR gain from the accumulation set
        double turns = Math.min(c.hits().get("left"), c.hits().get("right"));
        EvaluationReport acc = json.get("v2-frames").get("tiny-walk-v2");
        double gain = acc.scores().intervals().get(0).psnrMean()
                - acc.baseline().intervals().get(0).psnrMean();
        String row = v2.lines()
                .filter(l -> l.startsWith("| v2-frames |") && l.contains("of 7 |"))
                .findFirst()
                .orElseThrow();
        List<String> cells = Arrays.asList(row.split(" \\| "));
        assertThat(cells.get(2)).isEqualTo((turns >= 0.95 ? "✓ " : "✗ ") + ResultsPage.num(turns, 2));
        assertThat(cells.get(8))
                .isEqualTo((gain >= 3 ? "✓ " : "✗ ") + String.format(java.util.Locale.ROOT, "%+.2f dB", gain));
        long met = Bars.check(control, acc).stream()
                .filter(k -> Boolean.TRUE.equals(k.met()))
                .count();
        assertThat(row).endsWith("| " + met + " of 7 |");
        assertThat(v2).contains("- v2-frames meets " + met + " of 7 bars");

        // --reuse keeps every report of an unchanged bundle, the v2 ones included
        ReportCommand.report(concat(args, "--reuse", "true"));
        Map<String, Map<String, EvaluationReport>> again = reports(out);
        assertThat(again.get("v2-frames").get("tiny-control-v2").durationMs()).isEqualTo(control.durationMs());
        assertThat(again.get("v2-frames").get("tiny-control-v2").controllability())
                .isEqualTo(c);
        assertThat(again.get("v1-frames").get("tiny-loop").durationMs())
                .isEqualTo(json.get("v1-frames").get("tiny-loop").durationMs());
        String md2 = Files.readString(out.resolve("results.md"));
        assertThat(part(md2, "World v2: v2 sets, v2 bundles")).isEqualTo(v2);
        assertThat(part(md2, "World v1: v1 sets, v1 bundles")).isEqualTo(v1);
    }

    @Test
    void theBarsAreMetOnlyWithinTheirBounds() {
        Map<String, Double> good = shares(0.99, 0.95, 0.95, 0.96, 0.97);
        Map<String, Controllability.Change> change = new LinkedHashMap<>();
        change.put("noop", new Controllability.Change(1.5, 0.0, null, 10));
        for (String a : List.of("forward", "back", "left", "right")) {
            change.put(a, new Controllability.Change(10, 10, 1.0, 10));
        }
        EvaluationReport ok = report(new Controllability(5, good, good, good, change, 1.0), 20.0, 16.5);
        assertThat(Bars.check(ok, null)).allSatisfy(k -> assertThat(k.met()).isTrue());

        // each bound missed by a little
        Map<String, Double> fresh = shares(0.99, 0.89, 0.95, 0.96, 0.97);
        Map<String, Controllability.Change> slow = new LinkedHashMap<>(change);
        slow.put("back", new Controllability.Change(6.9, 10, 0.69, 10));
        slow.put("noop", new Controllability.Change(2.0, 0.0, null, 10));
        EvaluationReport bad = report(
                new Controllability(5, shares(0.97, 0.95, 0.95, 0.94, 0.97), fresh, good, slow, 1.16), 19.0, 16.5);
        assertThat(Bars.check(bad, null))
                .extracting(k -> k.bar().name() + "=" + k.met())
                .containsExactly(
                        "turns=false",
                        "moves=false",
                        "noop=false",
                        "frame change=false",
                        "noop change=false",
                        "sharpness=false",
                        "PSNR gain=false");
        // not measured: no controllability figures
        assertThat(Bars.check(report(null, 20.0, 10.0), null))
                .extracting(Bars.Check::met)
                .containsExactly(null, null, null, null, null, null, true);
    }

    private static Map<String, Double> shares(double noop, double forward, double back, double left, double right) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("noop", noop);
        m.put("forward", forward);
        m.put("back", back);
        m.put("left", left);
        m.put("right", right);
        return m;
    }

    private static EvaluationReport report(Controllability c, double psnr, double baselinePsnr) {
        return new EvaluationReport(
                "m", "s", 1, 1, 8, 16, 2.0, 0.5, null, null, scores(psnr), scores(baselinePsnr), List.of(), 0, 0, c);
    }

    private static Scoring.Scores scores(double psnr) {
        return new Scoring.Scores(
                List.of(new Scoring.IntervalScore("0-16", 1, 16, psnr, 0.0, 0.5, 0.0)), null, List.of(), null);
    }

    private static Map<String, Map<String, EvaluationReport>> reports(Path out) throws Exception {
        return JSON.readValue(
                out.resolve("results.json").toFile(),
                new TypeReference<Map<String, Map<String, EvaluationReport>>>() {});
    }

    /** The page's part under {@code ## title}, up to the next part. */
    private static String part(String md, String title) {
        int at = md.indexOf("\n## " + title + "\n");
        assertThat(at).as("part " + title).isNotNegative();
        int next = md.indexOf("\n## ", at + 1);
        return next < 0 ? md.substring(at) : md.substring(at, next);
    }

    private static String[] concat(String[] a, String... b) {
        List<String> all = new ArrayList<>(Arrays.asList(a));
        all.addAll(Arrays.asList(b));
        return all.toArray(String[]::new);
    }
}
