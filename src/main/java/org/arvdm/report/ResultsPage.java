package org.arvdm.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.arvdm.diagnostics.Controllability;
import org.arvdm.diagnostics.EvaluationReport;
import org.arvdm.diagnostics.EvaluationSet;
import org.arvdm.diagnostics.Scoring;
import org.arvdm.manifest.ModelManifest;

/**
 * {@code docs/results.md}: one part per world, each with the bundles trained in that world on the
 * sets of that world. A part has the paper's Table 3 (error accumulation) and Table 1 (memory
 * retrieval), one row per model, the baseline and the paper's DMLab numbers beside them, the
 * Pareto plot, the strips and what the tables show; a world with a controllability set also has the
 * issue's bars, checked per bundle, and a controllability table per bundle.
 */
final class ResultsPage {
    private ResultsPage() {}

    /** One model's reports; any may be null when its set was not evaluated. */
    record Row(
            ModelManifest manifest,
            EvaluationReport accumulation,
            EvaluationReport retrieval,
            EvaluationReport controllability) {
        String id() {
            return manifest.id();
        }

        String memory() {
            ModelManifest.Memory m = manifest.memory();
            if ("none".equals(m.kind())) {
                return "none";
            }
            String s = m.architecture().replace('_', ' ') + ", " + m.frames() + " frames";
            return "tokens".equals(m.kind()) ? s + " → " + m.tokens() + " tokens" : s;
        }
    }

    /**
     * One world's part of the page.
     *
     * @param sets the world's sets by role ({@code accumulation}, {@code retrieval}, {@code controllability})
     * @param rows the bundles trained in this world
     */
    record Part(String world, Map<String, String> sets, List<Row> rows) {
        /** "v2" for {@code maze-v2}; the world's name when it ends in no version. */
        String label() {
            return ResultsPage.label(world);
        }

        String title() {
            String l = label();
            return "World " + l + ": " + l + " sets, " + l + " bundles";
        }

        /** The Pareto chart's file: {@code pareto.png} for the first maze world, else {@code pareto-<world>.png}. */
        String paretoFile() {
            return EvaluationSet.DEFAULT_WORLD.equals(world) ? "pareto.png" : "pareto-" + world + ".png";
        }

        /** A trade-off plot needs both an accumulation and a retrieval set and a bundle to score on them. */
        boolean hasTradeOff() {
            return sets.containsKey(ReportCommand.ACCUMULATION)
                    && sets.containsKey(ReportCommand.RETRIEVAL)
                    && !rows.isEmpty();
        }
    }

    private static final Pattern VERSION = Pattern.compile(".*-(v\\d+)");

    static String label(String world) {
        Matcher m = VERSION.matcher(world);
        return m.matches() ? m.group(1) : world;
    }

    /**
     * The whole page.
     *
     * @param skipped one line per bundle that is on no part (its world has no set)
     */
    static String render(List<Part> parts, List<String> skipped, String command, String setup) {
        StringBuilder md = new StringBuilder();
        md.append("# Evaluation results: error accumulation, the memory bottleneck and controllability\n\n");
        md.append("Written by the report command (docs/evaluation.md), which runs the same `Evaluator` as ")
                .append("`POST /v1/evaluations`; the same model, set, seed, `maxTrajectories` and `frames` ")
                .append("give the same numbers on the same kind of CPU (another rounds differently, and a ")
                .append("stochastic schedule, η > 0, carries that into other frames: docs/evaluation.md). ")
                .append("Regenerate with:\n\n```\n")
                .append(command)
                .append("\n```\n\n")
                .append(setup)
                .append("\n\n");
        md.append("Frames are scored as a client receives them (clamped to [-1, 1], 8-bit), against the ground ")
                .append("truth, with data range 2.0. Definitions (intervals, buckets, decay, rate, controllability) ")
                .append("in docs/evaluation.md.\n\n");
        md.append("One part per world: a bundle is scored only on the sets of the world it was trained in ")
                .append("(`training.world` in its model.json), since numbers across worlds compare different ")
                .append("tasks.\n\n");
        for (Part p : parts) {
            md.append("- **")
                    .append(p.title())
                    .append("** (world `")
                    .append(p.world())
                    .append("`): sets ")
                    .append(names(p.sets().values()))
                    .append("; bundles ")
                    .append(
                            p.rows().isEmpty()
                                    ? "none selected"
                                    : String.join(
                                            ", ", p.rows().stream().map(Row::id).toList()))
                    .append(".\n");
        }
        for (String s : skipped) {
            md.append("- Not on this page: ").append(s).append('\n');
        }
        md.append('\n');
        for (Part p : parts) {
            part(md, p);
        }
        return md.toString();
    }

    private static void part(StringBuilder md, Part p) {
        String l = p.label();
        md.append("## ").append(p.title()).append("\n\n");
        md.append("Every table in this part is world ")
                .append(l)
                .append(": the sets of world `")
                .append(p.world())
                .append("` (")
                .append(names(p.sets().values()))
                .append(") and the bundles trained in it.\n\n");
        if (p.rows().isEmpty()) {
            md.append("No bundle trained in world `").append(p.world()).append("` was selected.\n\n");
            return;
        }
        List<Row> rows = p.rows();
        boolean control = p.sets().containsKey(ReportCommand.CONTROLLABILITY);
        if (control) {
            bars(md, rows, l);
        }
        if (p.sets().containsKey(ReportCommand.ACCUMULATION)) {
            accumulation(md, rows, l);
        }
        if (p.sets().containsKey(ReportCommand.RETRIEVAL)) {
            retrieval(md, rows, l);
        }
        if (p.hasTradeOff()) {
            tradeOff(md, rows, l, p.paretoFile());
        }
        if (control) {
            controllability(md, rows, l);
        }
        if (rows.stream().anyMatch(r -> r.retrieval() != null)) {
            md.append("### Strips, world ")
                    .append(l)
                    .append("\n\nGround truth (top) above the generated frames (bottom) of the first ")
                    .append("retrieval trajectory, at its revisit frames; `#k` is the generated frame, `sN` the ")
                    .append("frames since the place was last seen.\n\n");
            for (Row r : rows) {
                if (r.retrieval() != null) {
                    md.append("**")
                            .append(r.id())
                            .append("** (")
                            .append(r.memory())
                            .append(")\n\n![")
                            .append(r.id())
                            .append("](strips/")
                            .append(r.id())
                            .append(".png)\n\n");
                }
            }
        }
        List<String> seen = observations(rows);
        if (!seen.isEmpty()) {
            md.append("### What the tables show, world ").append(l).append("\n\n");
            for (String s : seen) {
                md.append("- ").append(s).append('\n');
            }
            md.append('\n');
        }
    }

    private static void tradeOff(StringBuilder md, List<Row> rows, String label, String png) {
        md.append("### Trade-off, world ")
                .append(label)
                .append(" (the paper's Figure 9)\n\n![mean retrieval rate against maximum PSNR decay, world ")
                .append(label)
                .append("](")
                .append(png)
                .append(")\n\n| model | memory | max PSNR decay (dB) | mean retrieval rate |\n")
                .append("| --- | --- | --- | --- |\n");
        for (Row r : rows) {
            md.append("| ")
                    .append(r.id())
                    .append(" | ")
                    .append(r.memory())
                    .append(" | ")
                    .append(num(
                            r.accumulation() == null
                                    ? null
                                    : r.accumulation().scores().maxPsnrDecay(),
                            2))
                    .append(" | ")
                    .append(num(
                            r.retrieval() == null
                                    ? null
                                    : r.retrieval().scores().meanRetrievalRate(),
                            2))
                    .append(" |\n");
        }
        md.append('\n');
    }

    /** The bars, what each measures, and per bundle which it meets, from its reports. */
    private static void bars(StringBuilder md, List<Row> rows, String label) {
        md.append("### The bars, world ").append(label).append(" (issue 15)\n\n");
        md.append("What a world model that follows its actions should reach on the held-out sets of this ")
                .append("world, measured by the service; the free-running bars are set for 72 frames from 8 ")
                .append("context frames");
        EvaluationReport any = rows.stream()
                .map(Row::controllability)
                .filter(r -> r != null)
                .findFirst()
                .orElse(null);
        if (any != null) {
            md.append(" (this run: ")
                    .append(any.trajectories())
                    .append(" trajectories, ")
                    .append(any.contextFrames())
                    .append(" context frames, up to ")
                    .append(any.frames())
                    .append(" generated frames each)");
        }
        md.append(". Each bundle's cells are computed from its reports on this page: ✓ met, ✗ missed, ")
                .append("– not measured.\n\n| bar | measured | needed |\n| --- | --- | --- |\n");
        for (Bars.Bar b : Bars.ALL) {
            md.append("| ")
                    .append(b.name())
                    .append(" | ")
                    .append(b.measured())
                    .append(" | ")
                    .append(b.needed())
                    .append(" |\n");
        }
        StringBuilder head = new StringBuilder("\n| model | memory |");
        StringBuilder rule = new StringBuilder("| --- | --- |");
        for (Bars.Bar b : Bars.ALL) {
            head.append(' ').append(b.name()).append(" |");
            rule.append(" --- |");
        }
        md.append(head).append(" met |\n").append(rule).append(" --- |\n");
        List<String> said = new ArrayList<>();
        for (Row r : rows) {
            if (r.controllability() == null) {
                continue;
            }
            List<Bars.Check> checks = Bars.check(r.controllability(), r.accumulation());
            md.append("| ").append(r.id()).append(" | ").append(r.memory()).append(" |");
            List<String> met = new ArrayList<>();
            List<String> missed = new ArrayList<>();
            List<String> unknown = new ArrayList<>();
            for (Bars.Check c : checks) {
                md.append(' ').append(c.cell()).append(" |");
                if (c.met() == null) {
                    unknown.add(c.bar().name());
                } else if (c.met()) {
                    met.add(c.bar().name());
                } else {
                    missed.add(c.bar().name() + " (" + c.shown() + ", needs "
                            + c.bar().needed() + ")");
                }
            }
            md.append(' ')
                    .append(met.size())
                    .append(" of ")
                    .append(checks.size())
                    .append(" |\n");
            said.add(r.id() + " meets " + met.size() + " of " + checks.size() + " bars"
                    + (met.isEmpty() ? "" : ": " + String.join(", ", met))
                    + (missed.isEmpty() ? "" : "; misses " + String.join(", ", missed))
                    + (unknown.isEmpty() ? "" : "; not measured: " + String.join(", ", unknown))
                    + ".");
        }
        md.append('\n');
        for (String s : said) {
            md.append("- ").append(s).append('\n');
        }
        md.append('\n');
    }

    /** Per bundle: per action the controllability shares and the frame change against the truth's. */
    private static void controllability(StringBuilder md, List<Row> rows, String label) {
        md.append("### Controllability, world ").append(label).append(": does the model follow its actions?\n\n");
        EvaluationReport any = rows.stream()
                .map(Row::controllability)
                .filter(r -> r != null)
                .findFirst()
                .orElse(null);
        if (any == null) {
            md.append("No bundle was evaluated on this world's controllability set.\n\n");
            return;
        }
        md.append("Set `")
                .append(any.set())
                .append("`: ")
                .append(any.controllability().states())
                .append(" held-out states (the true history and the true next frame for every action), and ")
                .append(any.trajectories())
                .append(" free-running trajectories of ")
                .append(any.contextFrames())
                .append(" context frames and up to ")
                .append(any.frames())
                .append(" generated frames. **Controllability**: share of states where the frame made for ")
                .append("the action (same noise for every action) is nearer to that action's true next frame ")
                .append("than to every other action's (ignoring the action scores about 0.2); **new** / ")
                .append("**seen views**: the states whose view after the action is new / among the last 20 ")
                .append("frames. **Frame change**: mean absolute difference to the previous frame over the ")
                .append("free-running frames after the action, 0–255 scale, generated and true, and their ")
                .append("ratio. **Sharpness**: gradient energy of the generated frames over the true ones, first ")
                .append(Controllability.SHARPNESS_FRAMES)
                .append(" frames of each trajectory (1 = as sharp as the truth).\n\n");
        for (Row r : rows) {
            EvaluationReport report = r.controllability();
            if (report == null || report.controllability() == null) {
                continue;
            }
            Controllability c = report.controllability();
            md.append("**")
                    .append(r.id())
                    .append("** (")
                    .append(r.memory())
                    .append("): sharpness ratio ")
                    .append(num(c.sharpness(), 2))
                    .append("\n\n| action | controllability | new views | seen views | frame change, generated |")
                    .append(" frame change, true | change ratio | frames |\n")
                    .append("| --- | --- | --- | --- | --- | --- | --- | --- |\n");
            for (String a : c.hits().keySet()) {
                Controllability.Change ch = c.change().get(a);
                md.append("| ")
                        .append(a)
                        .append(" | ")
                        .append(num(c.hits().get(a), 2))
                        .append(" | ")
                        .append(num(c.hitsNewViews().get(a), 2))
                        .append(" | ")
                        .append(num(c.hitsSeenViews().get(a), 2))
                        .append(" | ")
                        .append(ch == null ? "–" : num(ch.generated(), 2))
                        .append(" | ")
                        .append(ch == null ? "–" : num(ch.truth(), 2))
                        .append(" | ")
                        .append(ch == null ? "–" : num(ch.ratio(), 2))
                        .append(" | ")
                        .append(ch == null ? "0" : Integer.toString(ch.frames()))
                        .append(" |\n");
            }
            md.append('\n');
        }
    }

    private static String names(java.util.Collection<String> sets) {
        return sets.isEmpty()
                ? "none"
                : String.join(", ", sets.stream().map(s -> "`" + s + "`").toList());
    }

    private static void accumulation(StringBuilder md, List<Row> rows, String label) {
        EvaluationReport any = rows.stream()
                .map(Row::accumulation)
                .filter(r -> r != null)
                .findFirst()
                .orElse(null);
        md.append("### Error accumulation, world ").append(label).append(" (the paper's Table 3)\n\n");
        if (any == null) {
            md.append("No bundle was evaluated on this world's accumulation set.\n\n");
            return;
        }
        md.append("Set `")
                .append(any.set())
                .append("`: ")
                .append(any.trajectories())
                .append(" trajectories, ")
                .append(any.contextFrames())
                .append(" context frames, ")
                .append(any.frames())
                .append(" generated frames each. PSNR in dB, mean ± std over trajectories (per trajectory from ")
                .append("the mean MSE of its frames in the interval); intervals of generated frames.\n\n");
        StringBuilder head = new StringBuilder("| model | memory |");
        StringBuilder rule = new StringBuilder("| --- | --- |");
        for (Scoring.Range r : Scoring.INTERVALS) {
            head.append(" PSNR ").append(r.label()).append(" |");
            rule.append(" --- |");
        }
        head.append(" max decay |");
        rule.append(" --- |");
        for (Scoring.Range r : Scoring.INTERVALS) {
            head.append(" SSIM ").append(r.label()).append(" |");
            rule.append(" --- |");
        }
        md.append(head).append('\n').append(rule).append('\n');
        for (Row r : rows) {
            if (r.accumulation() != null) {
                md.append(intervalRow(r.id(), r.memory(), r.accumulation().scores()));
            }
        }
        md.append(intervalRow("*repeat last context frame*", "baseline", any.baseline()));
        md.append("| *paper, DMLab, memory budget 8* | Table 3 | 10.24 | | | 7.88 | 2.36 | | | | |\n");
        md.append("| *paper, DMLab, memory budget 48* | Table 3 | 10.52 | | | 6.76 | 3.76 | | | | |\n\n");
        md.append("The paper's numbers are quoted for orientation only (its first and last interval): a different ")
                .append("world (DMLab, 64×64), networks and training budget.\n\n");
    }

    private static String intervalRow(String name, String memory, Scoring.Scores s) {
        StringBuilder b = new StringBuilder("| ")
                .append(name)
                .append(" | ")
                .append(memory)
                .append(" |");
        for (Scoring.IntervalScore i : s.intervals()) {
            b.append(' ').append(pm(i.psnrMean(), i.psnrStd(), 2)).append(" |");
        }
        b.append(' ').append(num(s.maxPsnrDecay(), 2)).append(" |");
        for (Scoring.IntervalScore i : s.intervals()) {
            b.append(' ').append(num(i.ssimMean(), 3)).append(" |");
        }
        return b.append('\n').toString();
    }

    private static void retrieval(StringBuilder md, List<Row> rows, String label) {
        EvaluationReport any = rows.stream()
                .map(Row::retrieval)
                .filter(r -> r != null)
                .findFirst()
                .orElse(null);
        md.append("### Memory retrieval, world ").append(label).append(" (the paper's Table 1)\n\n");
        if (any == null) {
            md.append("No bundle was evaluated on this world's retrieval set.\n\n");
            return;
        }
        md.append("Set `")
                .append(any.set())
                .append("`: ")
                .append(any.trajectories())
                .append(" trajectories, ")
                .append(any.contextFrames())
                .append(" context frames, ")
                .append(any.frames())
                .append(" generated frames each. Retrieval rate = share of revisit frames with SSIM > ")
                .append(num(any.retrievalThreshold(), 2))
                .append(", per bucket of frames since the place was last")
                .append(" seen (n = revisit frames in the bucket); mean SSIM in brackets.\n\n");
        StringBuilder head = new StringBuilder("| model | memory |");
        StringBuilder rule = new StringBuilder("| --- | --- |");
        for (Scoring.Range r : Scoring.BUCKETS) {
            head.append(" rate ").append(r.label()).append(" |");
            rule.append(" --- |");
        }
        md.append(head).append(" mean rate |\n").append(rule).append(" --- |\n");
        for (Row r : rows) {
            if (r.retrieval() != null) {
                md.append(bucketRow(r.id(), r.memory(), r.retrieval().scores()));
            }
        }
        md.append(bucketRow("*repeat last context frame*", "baseline", any.baseline()));
        md.append("| *paper, DMLab, prepend 16* | Table 1 | 0.52 | 0.03 | 0.00 | 0.18 |\n");
        md.append("| *paper, DMLab, prepend 112* | Table 1 | 0.48 | 0.28 | 0.23 | 0.33 |\n");
        md.append("| *paper, DMLab, channel concat 112* | Table 1 | 0.12 | 0.13 | 0.08 | 0.11 |\n\n");
    }

    private static String bucketRow(String name, String memory, Scoring.Scores s) {
        StringBuilder b = new StringBuilder("| ")
                .append(name)
                .append(" | ")
                .append(memory)
                .append(" |");
        for (Scoring.BucketScore k : s.buckets()) {
            b.append(' ')
                    .append(
                            k.retrievalRate() == null
                                    ? "–"
                                    : num(k.retrievalRate(), 2) + " (" + num(k.ssimMean(), 2) + ", n=" + k.frames()
                                            + ")")
                    .append(" |");
        }
        return b.append(' ')
                .append(num(s.meanRetrievalRate(), 2))
                .append(" |\n")
                .toString();
    }

    /** Plain statements checked against the numbers: the paper's three claims, as they hold here. */
    static List<String> observations(List<Row> rows) {
        List<String> out = new ArrayList<>();
        List<Row> acc = rows.stream()
                .filter(r ->
                        r.accumulation() != null && r.accumulation().scores().maxPsnrDecay() != null)
                .toList();
        if (!acc.isEmpty()) {
            List<String> falls = acc.stream()
                    .filter(r -> r.accumulation().scores().maxPsnrDecay() > 0)
                    .map(Row::id)
                    .toList();
            out.add("PSNR falls from the first interval to a later one for " + falls.size() + " of " + acc.size()
                    + " models"
                    + (falls.size() < acc.size()
                            ? " (not for "
                                    + acc.stream()
                                            .map(Row::id)
                                            .filter(id -> !falls.contains(id))
                                            .toList() + ")"
                            : "")
                    + ".");
        }
        Row none = rows.stream()
                .filter(r -> "none".equals(r.manifest().memory().kind()) && r.retrieval() != null)
                .findFirst()
                .orElse(null);
        if (none != null) {
            for (Row r : rows) {
                if (r == none || r.retrieval() == null) {
                    continue;
                }
                List<String> better = new ArrayList<>();
                List<String> notBetter = new ArrayList<>();
                List<String> closer = new ArrayList<>();
                for (int b = 0; b < Scoring.BUCKETS.size(); b++) {
                    Scoring.BucketScore mine = r.retrieval().scores().buckets().get(b);
                    Scoring.BucketScore theirs =
                            none.retrieval().scores().buckets().get(b);
                    if (mine.retrievalRate() != null && theirs.retrievalRate() != null) {
                        String label = Scoring.BUCKETS.get(b).label();
                        (mine.retrievalRate() > theirs.retrievalRate() ? better : notBetter).add(label);
                        if (mine.ssimMean() > theirs.ssimMean()) {
                            closer.add(label);
                        }
                    }
                }
                out.add(r.id() + " (" + r.memory() + ") has a higher retrieval rate than " + none.id() + " in "
                        + buckets(better)
                        + (better.isEmpty() || notBetter.isEmpty() ? "" : ", not in " + buckets(notBetter))
                        + "; its mean SSIM to the revisited view is higher in "
                        + buckets(closer) + ".");
            }
        }
        for (String arch : rows.stream()
                .map(r -> r.manifest().memory().architecture())
                .distinct()
                .toList()) {
            List<Row> same = rows.stream()
                    .filter(r -> r.retrieval() != null
                            && arch.equals(r.manifest().memory().architecture()))
                    .sorted((a, b) -> Integer.compare(
                            a.manifest().memory().frames(),
                            b.manifest().memory().frames()))
                    .toList();
            if (same.size() > 1) {
                StringBuilder s = new StringBuilder("Longer memory, " + arch.replace('_', ' ')
                        + ": beyond 16 frames (mean of buckets 16-48 and 48-112), retrieval rate / mean SSIM ");
                for (Row r : same) {
                    s.append(r.id())
                            .append(" ")
                            .append(num(far(r, Scoring.BucketScore::retrievalRate), 2))
                            .append(" / ")
                            .append(num(far(r, Scoring.BucketScore::ssimMean), 3))
                            .append("; ");
                }
                out.add(s.substring(0, s.length() - 2) + ".");
            }
        }
        return out;
    }

    private static Double far(Row r, Function<Scoring.BucketScore, Double> value) {
        double sum = 0;
        int n = 0;
        for (Scoring.BucketScore b : r.retrieval().scores().buckets().subList(1, Scoring.BUCKETS.size())) {
            if (value.apply(b) != null) {
                sum += value.apply(b);
                n++;
            }
        }
        return n == 0 ? null : sum / n;
    }

    static String num(Double v, int digits) {
        return v == null || v.isNaN() ? "–" : String.format(Locale.ROOT, "%." + digits + "f", v);
    }

    private static String pm(Double mean, Double std, int digits) {
        return mean == null ? "–" : num(mean, digits) + " ± " + num(std, digits);
    }

    /** "no bucket", "bucket 0-16" or "buckets 0-16, 16-48". */
    private static String buckets(List<String> labels) {
        return labels.isEmpty()
                ? "no bucket"
                : (labels.size() == 1 ? "bucket " : "buckets ") + String.join(", ", labels);
    }
}
