package org.arvdm.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.arvdm.diagnostics.Evaluation;
import org.arvdm.diagnostics.EvaluationPlanner;
import org.arvdm.diagnostics.EvaluationReport;
import org.arvdm.diagnostics.EvaluationSet;
import org.arvdm.diagnostics.EvaluationSets;
import org.arvdm.diagnostics.Evaluator;
import org.arvdm.diagnostics.Scoring;
import org.arvdm.generation.CallGateway;
import org.arvdm.manifest.ModelManifest;
import org.arvdm.model.LoadedModel;
import org.arvdm.model.ModelRegistry;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * Evaluates every bundled model on the bundled sets with a fixed seed and writes
 * {@code docs/results.md}, {@code docs/results.json}, {@code docs/pareto.png} and
 * {@code docs/strips/<model>.png}. Plans with the same {@link EvaluationPlanner} and runs the
 * same {@link Evaluator} as {@code POST /v1/evaluations}, with the request's defaults (the
 * model's own schedule and memory, the set's context length), so a request with the same model, set, seed,
 * {@code maxTrajectories} and {@code frames} returns the same numbers.
 * <pre>
 * mvn -q compile exec:java -Dexec.args="--trajectories 4 --models maze-none,maze-prepend-16"
 * </pre>
 * Options: {@code --model-dir models}, {@code --set-dir models/eval}, {@code --out docs},
 * {@code --models a,b} (default all), {@code --accumulation-set accumulation},
 * {@code --retrieval-set retrieval}, {@code --trajectories n} (first n of each set),
 * {@code --frames n} (generated frames per trajectory at most, default 256),
 * {@code --seed s} (default 2503), {@code --threshold t} (default 0.5), {@code --device cpu},
 * {@code --reuse true} (keep the reports in {@code out/results.json} that the same settings would reproduce, for
 * bundles whose files have the digest recorded in {@code out/results-bundles.json}; the others are evaluated again).
 */
public final class ReportCommand {
    /** The report's seed: the paper's arXiv number, 2503.10704. */
    public static final long DEFAULT_SEED = 2503;
    /** Generated frames per trajectory at most: the endpoint's default (arvdm.limits.max-frames). */
    public static final int DEFAULT_FRAMES = 256;

    private static final JsonMapper JSON =
            JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

    private final Map<String, String> options;
    private final Evaluator evaluator = new Evaluator();

    private ReportCommand(Map<String, String> options) {
        this.options = options;
    }

    public static void main(String[] args) throws Exception {
        System.setProperty("java.awt.headless", "true");
        Map<String, String> options = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                System.err.println("usage: ReportCommand [--option value]... (see the class comment); got " + args[i]);
                System.exit(2);
            }
            options.put(args[i].substring(2), args[++i]);
        }
        new ReportCommand(options).run(String.join(" ", args));
        System.exit(0);
    }

    private String opt(String name, String dflt) {
        return options.getOrDefault(name, dflt);
    }

    private void run(String args) throws Exception {
        long t0 = System.nanoTime();
        Path out = Path.of(opt("out", "docs"));
        long seed = Long.parseLong(opt("seed", Long.toString(DEFAULT_SEED)));
        int trajectories = Integer.parseInt(opt("trajectories", "0"));
        int frames = Integer.parseInt(opt("frames", Integer.toString(DEFAULT_FRAMES)));
        double threshold =
                Double.parseDouble(opt("threshold", Double.toString(Evaluation.DEFAULT_RETRIEVAL_THRESHOLD)));
        EvaluationSets sets = new EvaluationSets(Path.of(opt("set-dir", "models/eval")));
        EvaluationSet accumulation =
                sets.get(opt("accumulation-set", "accumulation")).orElse(null);
        EvaluationSet retrieval = sets.get(opt("retrieval-set", "retrieval")).orElse(null);
        if (accumulation == null && retrieval == null) {
            throw new IllegalStateException("no evaluation set found in " + sets.dir() + " " + sets.failures());
        }
        try (ModelRegistry registry = new ModelRegistry(
                Path.of(opt("model-dir", "models")), opt("device", "auto"), "", CallGateway::direct, m -> {})) {
            registry.loadAll();
            List<LoadedModel> models = selected(registry);
            List<ResultsPage.Row> rows = new ArrayList<>();
            Map<String, Map<String, EvaluationReport>> json = new LinkedHashMap<>();
            Files.createDirectories(out.resolve("strips"));
            // results.json holds the reports; results-bundles.json the digest of each bundle they came from, so
            // --reuse never keeps a report of weights that have been retrained since
            Map<String, String> digests = new TreeMap<>();
            for (LoadedModel model : models) {
                digests.put(model.id(), bundleDigest(model.dir()));
            }
            Map<String, Map<String, EvaluationReport>> previous = Boolean.parseBoolean(opt("reuse", "false"))
                    ? previous(out.resolve("results.json"), out.resolve("results-bundles.json"), digests)
                    : Map.of();
            for (LoadedModel model : models) {
                EvaluationReport acc = null;
                EvaluationReport ret = null;
                if (accumulation != null && compatible(model, accumulation)) {
                    Evaluation e = EvaluationPlanner.ofSet(model, accumulation, trajectories, frames, seed, threshold);
                    acc = reusable(previous, e).orElse(null);
                    if (acc == null) {
                        acc = evaluate(model, e, null);
                    }
                }
                if (retrieval != null && compatible(model, retrieval)) {
                    Evaluation e = EvaluationPlanner.ofSet(model, retrieval, trajectories, frames, seed, threshold);
                    Path strip = out.resolve("strips").resolve(model.id() + ".png");
                    ret = reusable(previous, e)
                            .filter(r -> Files.isRegularFile(strip))
                            .orElse(null);
                    if (ret == null) {
                        ret = evaluate(model, e, strip);
                    }
                }
                rows.add(new ResultsPage.Row(model.manifest(), acc, ret));
                Map<String, EvaluationReport> reports = new LinkedHashMap<>();
                if (acc != null) {
                    reports.put(acc.set(), acc);
                }
                if (ret != null) {
                    reports.put(ret.set(), ret);
                }
                json.put(model.id(), reports);
            }
            // --reuse only saves time: the same command without it writes the same numbers
            String shown = args.replaceAll("--reuse \\S+", "").trim().replaceAll(" +", " ");
            String command = "mvn -q compile exec:java" + (shown.isEmpty() ? "" : " -Dexec.args=\"" + shown + "\"");
            String setup = String.format(
                    Locale.ROOT,
                    "Seed %d (trajectory i uses seed %d + i), retrieval threshold"
                            + " %.2f, %s, device %s; the last run took %.1f min.",
                    seed,
                    seed,
                    threshold,
                    trajectories > 0 ? "first " + trajectories + " trajectories of each set" : "all trajectories",
                    models.isEmpty() ? "-" : models.get(0).device(),
                    (System.nanoTime() - t0) / 60e9);
            Files.writeString(out.resolve("results.md"), ResultsPage.render(rows, command, setup));
            Files.writeString(out.resolve("results.json"), JSON.writeValueAsString(json));
            Files.writeString(out.resolve("results-bundles.json"), JSON.writeValueAsString(digests));
            ParetoChart.write(
                    paretoPoints(rows),
                    String.format(
                            Locale.ROOT,
                            "%s and %s sets, seed %d, SSIM > %.2f",
                            accumulation == null ? "-" : accumulation.name(),
                            retrieval == null ? "-" : retrieval.name(),
                            seed,
                            threshold),
                    out.resolve("pareto.png"));
            System.out.printf(
                    Locale.ROOT,
                    "wrote %s/results.md, results.json, pareto.png, strips/ in %.1f s%n",
                    out,
                    (System.nanoTime() - t0) / 1e9);
        }
    }

    private List<LoadedModel> selected(ModelRegistry registry) {
        List<LoadedModel> all = registry.models();
        registry.failures().forEach((id, why) -> System.out.println("skipping bundle " + id + ": " + why));
        String names = options.get("models");
        if (names == null) {
            return all;
        }
        List<LoadedModel> out = new ArrayList<>();
        for (String id : names.split(",")) {
            out.add(registry.get(id.trim())
                    .orElseThrow(() -> new IllegalArgumentException("no loaded model '" + id + "' in "
                            + registry.models().stream().map(LoadedModel::id).toList())));
        }
        return out;
    }

    private static boolean compatible(LoadedModel model, EvaluationSet set) {
        ModelManifest m = model.manifest();
        boolean ok = set.frame().equals(m.frame())
                && m.actions().discrete()
                && m.actions().names().containsAll(set.actionNames());
        if (!ok) {
            System.out.println("skipping set " + set.name() + " for " + m.id() + ": frame shape or actions differ");
            return false;
        }
        if (!set.world().equals(EvaluationSet.worldOf(m))) {
            System.out.println("skipping set " + set.name() + " (world " + set.world() + ") for " + m.id()
                    + ": trained in world " + EvaluationSet.worldOf(m));
            return false;
        }
        return true;
    }

    /**
     * The reports of an earlier run ({@code --reuse true}), by model and set, for the models whose bundle has the
     * same digest as then; empty when there is none.
     */
    private static Map<String, Map<String, EvaluationReport>> previous(
            Path json, Path bundles, Map<String, String> digests) throws IOException {
        if (!Files.isRegularFile(json) || !Files.isRegularFile(bundles)) {
            return Map.of();
        }
        Map<String, Map<String, EvaluationReport>> reports =
                JSON.readValue(json.toFile(), new TypeReference<Map<String, Map<String, EvaluationReport>>>() {});
        Map<String, String> then = JSON.readValue(bundles.toFile(), new TypeReference<Map<String, String>>() {});
        Map<String, Map<String, EvaluationReport>> same = new LinkedHashMap<>();
        reports.forEach((id, r) -> {
            if (digests.containsKey(id) && digests.get(id).equals(then.get(id))) {
                same.put(id, r);
            } else if (digests.containsKey(id)) {
                System.out.printf("%s: bundle changed since results.json was written, evaluating again%n", id);
            }
        });
        return same;
    }

    /** SHA-256 over the bundle folder's regular files (names and bytes, in name order), hex. */
    static String bundleDigest(Path dir) throws IOException {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        List<Path> files;
        try (var stream = Files.list(dir)) {
            files = stream.filter(Files::isRegularFile).sorted().toList();
        }
        for (Path f : files) {
            sha.update(f.getFileName().toString().getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
            sha.update(Files.readAllBytes(f));
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    /**
     * An earlier report that the evaluation would reproduce: same model, set, seed, context, trajectories,
     * frames, threshold, schedule and memory, from a bundle with the same digest (see {@link #previous}).
     */
    private static Optional<EvaluationReport> reusable(
            Map<String, Map<String, EvaluationReport>> previous, Evaluation e) {
        EvaluationReport r = previous.getOrDefault(e.model(), Map.of()).get(e.set());
        boolean same = r != null
                && r.seed() == e.seed()
                && r.contextFrames() == e.contextFrames()
                && r.trajectories() == e.trajectories().size()
                && r.frames() == e.frames()
                && r.retrievalThreshold() == e.retrievalThreshold()
                && r.schedule().equals(e.schedule())
                && r.memory().equals(e.memoryUsed());
        if (same) {
            System.out.printf("%s on %s: reusing the earlier report in results.json%n", e.model(), e.set());
        }
        return same ? Optional.of(r) : Optional.empty();
    }

    private EvaluationReport evaluate(LoadedModel model, Evaluation e, Path strip)
            throws InterruptedException, IOException {
        System.out.printf(
                Locale.ROOT,
                "%s on %s: %d trajectories, %d context frames, up to %d generated frames%n",
                model.id(),
                e.set(),
                e.trajectories().size(),
                e.contextFrames(),
                e.frames());
        List<List<float[]>> first = new ArrayList<>();
        EvaluationReport report = evaluator.run(e, new Evaluator.Listener() {
            @Override
            public void trajectoryDone(Evaluator.Progress p) {
                EvaluationReport.TrajectoryResult r = p.result();
                System.out.printf(
                        Locale.ROOT,
                        "  %s %d/%d %s: %d frames, PSNR %.2f dB, SSIM %.3f, retrieved %d/%d,"
                                + " %.1f s (baseline PSNR %.2f dB)%n",
                        model.id(),
                        p.index() + 1,
                        p.total(),
                        r.id(),
                        r.frames(),
                        r.psnr(),
                        r.ssim(),
                        r.retrieved(),
                        r.revisits(),
                        r.ms() / 1000,
                        r.baselinePsnr());
                if (p.index() == 0) {
                    first.add(p.generated());
                }
            }
        });
        Scoring.Scores s = report.scores();
        System.out.printf(
                Locale.ROOT,
                "  %s on %s: PSNR by interval %s, max decay %s dB, retrieval by bucket %s%n",
                model.id(),
                e.set(),
                s.intervals().stream()
                        .map(i -> ResultsPage.num(i.psnrMean(), 2))
                        .toList(),
                ResultsPage.num(s.maxPsnrDecay(), 2),
                s.buckets().stream()
                        .map(b -> ResultsPage.num(b.retrievalRate(), 2))
                        .toList());
        if (strip != null && !first.isEmpty()) {
            StripImage.write(
                    e.trajectories().get(0),
                    e.contextFrames(),
                    first.get(0),
                    model.manifest().frame(),
                    strip);
        }
        return report;
    }

    private static List<ParetoChart.Point> paretoPoints(List<ResultsPage.Row> rows) {
        List<ParetoChart.Point> points = new ArrayList<>();
        EvaluationReport accBase = null;
        EvaluationReport retBase = null;
        for (ResultsPage.Row r : rows) {
            if (r.accumulation() != null
                    && r.retrieval() != null
                    && r.accumulation().scores().maxPsnrDecay() != null
                    && r.retrieval().scores().meanRetrievalRate() != null) {
                points.add(new ParetoChart.Point(
                        r.id(),
                        r.accumulation().scores().maxPsnrDecay(),
                        r.retrieval().scores().meanRetrievalRate(),
                        false));
                accBase = r.accumulation();
                retBase = r.retrieval();
            }
        }
        if (accBase != null
                && accBase.baseline().maxPsnrDecay() != null
                && retBase.baseline().meanRetrievalRate() != null) {
            points.add(new ParetoChart.Point(
                    "repeat last context frame",
                    accBase.baseline().maxPsnrDecay(),
                    retBase.baseline().meanRetrievalRate(),
                    true));
        }
        return points;
    }
}
