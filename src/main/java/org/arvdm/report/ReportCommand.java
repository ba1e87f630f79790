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
 * Evaluates every bundled model on the bundled sets of the world it was trained in, with a fixed seed, and writes
 * {@code docs/results.md} (one part per world), {@code docs/results.json} (by model, then set),
 * {@code docs/results-bundles.json}, {@code docs/pareto.png} (world maze-v1; {@code pareto-<world>.png} for the
 * others) and {@code docs/strips/<model>.png}. Plans with the same {@link EvaluationPlanner} and runs the
 * same {@link Evaluator} as {@code POST /v1/evaluations}, with the request's defaults (the
 * model's own schedule and memory, the set's context length), so a request with the same model, set, seed,
 * {@code maxTrajectories} and {@code frames} returns the same numbers.
 * <pre>
 * mvn -q compile exec:java -Dexec.args="--trajectories 4 --models maze-none,maze-prepend-16"
 * </pre>
 * The sets are found per world ({@link EvaluationSet#world()}) and kind: for each world, its set of kind
 * {@code accumulation}, {@code retrieval} and {@code controllability} (the one named after the kind, or
 * {@code <prefix>-<kind>}, when a world has several). A bundle whose world has no set is skipped and said.
 * Options: {@code --model-dir models}, {@code --set-dir models/eval}, {@code --out docs},
 * {@code --models a,b} (default all), {@code --accumulation-set a,b}, {@code --retrieval-set a,b},
 * {@code --controllability-set a,b} (each named set replaces its own world's set of that role),
 * {@code --trajectories n} (first n of each set; a controllability set's states are all probed),
 * {@code --frames n} (generated frames per trajectory at most, default 256),
 * {@code --seed s} (default 2503), {@code --threshold t} (default 0.5), {@code --device cpu},
 * {@code --reuse true} (keep the reports in {@code out/results.json} that the same settings would reproduce, for
 * bundles whose files have the digest recorded in {@code out/results-bundles.json}; the others are evaluated again).
 */
public final class ReportCommand {
    /** The roles a set plays on the page, named after the set kinds that fill them, in the page's order. */
    static final String ACCUMULATION = "accumulation";

    static final String RETRIEVAL = "retrieval";
    static final String CONTROLLABILITY = EvaluationSet.CONTROLLABILITY;
    static final List<String> ROLES = List.of(ACCUMULATION, RETRIEVAL, CONTROLLABILITY);

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
        Map<String, String> options;
        try {
            options = parse(args);
        } catch (IllegalArgumentException usage) {
            System.err.println(usage.getMessage());
            System.exit(2);
            return;
        }
        new ReportCommand(options).run(String.join(" ", args));
        System.exit(0);
    }

    /** Runs the command in this JVM with {@code main}'s arguments (the tests' entry; no exit). */
    static void report(String... args) throws Exception {
        new ReportCommand(parse(args)).run(String.join(" ", args));
    }

    private static Map<String, String> parse(String[] args) {
        Map<String, String> options = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException(
                        "usage: ReportCommand [--option value]... (see the class comment); got " + args[i]);
            }
            options.put(args[i].substring(2), args[++i]);
        }
        return options;
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
        Map<String, Map<String, EvaluationSet>> byWorld = setsByWorld(sets, options);
        if (byWorld.isEmpty()) {
            throw new IllegalStateException("no evaluation set found in " + sets.dir() + " " + sets.failures());
        }
        byWorld.forEach((world, roles) -> System.out.println("world " + world + ": "
                + roles.entrySet().stream()
                        .map(e -> e.getKey() + " set " + e.getValue().name())
                        .toList()));
        try (ModelRegistry registry = new ModelRegistry(
                Path.of(opt("model-dir", "models")), opt("device", "auto"), "", CallGateway::direct, m -> {})) {
            registry.loadAll();
            List<LoadedModel> models = selected(registry);
            Map<String, List<ResultsPage.Row>> rows = new TreeMap<>();
            byWorld.keySet().forEach(w -> rows.put(w, new ArrayList<>()));
            List<String> skipped = new ArrayList<>();
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
                String world = EvaluationSet.worldOf(model.manifest());
                Map<String, EvaluationSet> mine = byWorld.get(world);
                if (mine == null) {
                    System.out.println("skipping bundle " + model.id() + ": trained in world " + world + ", and "
                            + sets.dir() + " holds no evaluation set of that world");
                    skipped.add(
                            "`" + model.id() + "` (trained in world `" + world + "`): no evaluation set of its world.");
                    continue;
                }
                Map<String, EvaluationReport> byRole = new LinkedHashMap<>();
                Map<String, EvaluationReport> reports = new LinkedHashMap<>();
                for (Map.Entry<String, EvaluationSet> role : mine.entrySet()) {
                    EvaluationSet set = role.getValue();
                    if (!compatible(model, set)) {
                        continue;
                    }
                    Evaluation e = EvaluationPlanner.ofSet(model, set, trajectories, frames, seed, threshold);
                    // the strips show the first retrieval trajectory; a reused report needs its strip too
                    Path strip = RETRIEVAL.equals(role.getKey())
                            ? out.resolve("strips").resolve(model.id() + ".png")
                            : null;
                    EvaluationReport r = reusable(previous, e)
                            .filter(x -> strip == null || Files.isRegularFile(strip))
                            .orElse(null);
                    if (r == null) {
                        r = evaluate(model, e, strip);
                    }
                    byRole.put(role.getKey(), r);
                    reports.put(r.set(), r);
                }
                rows.get(world)
                        .add(new ResultsPage.Row(
                                model.manifest(),
                                byRole.get(ACCUMULATION),
                                byRole.get(RETRIEVAL),
                                byRole.get(CONTROLLABILITY)));
                json.put(model.id(), reports);
            }
            List<ResultsPage.Part> parts = new ArrayList<>();
            byWorld.forEach((world, roles) -> {
                Map<String, String> names = new LinkedHashMap<>();
                roles.forEach((role, set) -> names.put(role, set.name()));
                parts.add(new ResultsPage.Part(world, names, rows.get(world)));
            });
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
                    trajectories > 0
                            ? "first " + trajectories + " trajectories of each set (and every state of a"
                                    + " controllability set)"
                            : "all trajectories",
                    models.isEmpty() ? "-" : models.get(0).device(),
                    (System.nanoTime() - t0) / 60e9);
            Files.writeString(out.resolve("results.md"), ResultsPage.render(parts, skipped, command, setup));
            Files.writeString(out.resolve("results.json"), JSON.writeValueAsString(json));
            Files.writeString(out.resolve("results-bundles.json"), JSON.writeValueAsString(digests));
            List<String> charts = new ArrayList<>();
            for (ResultsPage.Part p : parts) {
                if (p.hasTradeOff()) {
                    ParetoChart.write(
                            paretoPoints(p.rows()),
                            String.format(
                                    Locale.ROOT,
                                    "world %s: %s and %s sets, seed %d, SSIM > %.2f",
                                    p.world(),
                                    p.sets().get(ACCUMULATION),
                                    p.sets().get(RETRIEVAL),
                                    seed,
                                    threshold),
                            out.resolve(p.paretoFile()));
                    charts.add(p.paretoFile());
                }
            }
            System.out.printf(
                    Locale.ROOT,
                    "wrote %s/results.md, results.json, %s strips/ in %.1f s%n",
                    out,
                    charts.isEmpty() ? "" : String.join(", ", charts) + ",",
                    (System.nanoTime() - t0) / 1e9);
        }
    }

    /**
     * The sets the report runs, by world (in name order) and role ({@link #ROLES}, in that order). Per world and
     * role: the set of that kind, preferring the one named {@code <role>} or {@code <prefix>-<role>} when there
     * are several; {@code --<role>-set a,b} replaces it, for each named set's own world.
     */
    static Map<String, Map<String, EvaluationSet>> setsByWorld(EvaluationSets sets, Map<String, String> options) {
        Map<String, Map<String, EvaluationSet>> byWorld = new TreeMap<>();
        for (String role : ROLES) {
            // the sets the option names, by their world
            Map<String, EvaluationSet> chosen = new TreeMap<>();
            String named = options.getOrDefault(role + "-set", "");
            for (String n : named.split(",")) {
                String name = n.trim();
                if (name.isEmpty()) {
                    continue;
                }
                EvaluationSet s = sets.get(name)
                        .orElseThrow(() -> new IllegalArgumentException("--" + role + "-set: no evaluation set '"
                                + name + "' in " + sets.dir() + "; there are "
                                + sets.all().stream().map(EvaluationSet::name).toList()
                                + (sets.failures().isEmpty() ? "" : ", rejected " + sets.failures())));
                if (chosen.put(s.world(), s) != null) {
                    throw new IllegalArgumentException(
                            "--" + role + "-set names two sets of world " + s.world() + "; give one per world");
                }
            }
            Map<String, List<EvaluationSet>> candidates = new TreeMap<>();
            for (EvaluationSet s : sets.all()) {
                if (role.equals(s.kind())) {
                    candidates
                            .computeIfAbsent(s.world(), w -> new ArrayList<>())
                            .add(s);
                }
            }
            candidates.forEach((world, list) -> {
                if (chosen.containsKey(world)) {
                    return;
                }
                EvaluationSet pick = list.stream()
                        .filter(s -> s.name().equals(role) || s.name().endsWith("-" + role))
                        .findFirst()
                        .orElse(list.get(0));
                if (list.size() > 1) {
                    System.out.println("world " + world + " has " + list.size() + " sets of kind " + role + " ("
                            + list.stream().map(EvaluationSet::name).toList() + "); using " + pick.name()
                            + " (choose with --" + role + "-set)");
                }
                chosen.put(world, pick);
            });
            chosen.forEach((world, s) ->
                    byWorld.computeIfAbsent(world, w -> new LinkedHashMap<>()).put(role, s));
        }
        return byWorld;
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
     * controllability states, frames, threshold, schedule and memory, from a bundle with the same digest (see {@link #previous}).
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
                && r.memory().equals(e.memoryUsed())
                && (r.controllability() == null ? 0 : r.controllability().states())
                        == e.states().size();
        if (same) {
            System.out.printf("%s on %s: reusing the earlier report in results.json%n", e.model(), e.set());
        }
        return same ? Optional.of(r) : Optional.empty();
    }

    private EvaluationReport evaluate(LoadedModel model, Evaluation e, Path strip)
            throws InterruptedException, IOException {
        System.out.printf(
                Locale.ROOT,
                "%s on %s: %d trajectories, %d context frames, up to %d generated frames%s%n",
                model.id(),
                e.set(),
                e.trajectories().size(),
                e.contextFrames(),
                e.frames(),
                e.states().isEmpty()
                        ? ""
                        : "; then " + e.states().size() + " controllability states, one frame per action each");
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
        if (report.controllability() != null) {
            System.out.printf(
                    Locale.ROOT,
                    "  %s on %s: controllability %s, change ratio %s, sharpness ratio %s%n",
                    model.id(),
                    e.set(),
                    report.controllability().hits(),
                    report.controllability().change().entrySet().stream()
                            .map(c -> c.getKey() + "="
                                    + ResultsPage.num(c.getValue().ratio(), 2))
                            .toList(),
                    ResultsPage.num(report.controllability().sharpness(), 2));
        }
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
