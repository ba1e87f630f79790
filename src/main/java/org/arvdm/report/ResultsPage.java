package org.arvdm.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import org.arvdm.diagnostics.EvaluationReport;
import org.arvdm.diagnostics.Scoring;
import org.arvdm.manifest.ModelManifest;

/**
 * {@code docs/results.md}: the paper's Table 3 (error accumulation) and Table 1 (memory
 * retrieval) in our world, one row per model, the baseline and the paper's DMLab numbers
 * beside them, the Pareto plot and the strips, and what the tables show.
 */
final class ResultsPage {
    private ResultsPage() {}

    /** One model's reports; either may be null when its set was not evaluated. */
    record Row(ModelManifest manifest, EvaluationReport accumulation, EvaluationReport retrieval) {
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

    static String render(List<Row> rows, String command, String setup) {
        StringBuilder md = new StringBuilder();
        md.append("# Evaluation results: error accumulation and the memory bottleneck\n\n");
        md.append("Written by the report command (docs/evaluation.md), which runs the same `Evaluator` as ")
                .append("`POST /v1/evaluations`; the same model, set, seed, `maxTrajectories` and `frames` ")
                .append("give the same numbers. Regenerate with:\n\n```\n")
                .append(command)
                .append("\n```\n\n")
                .append(setup)
                .append("\n\n");
        md.append("Frames are scored as a client receives them (clamped to [-1, 1], 8-bit), against the ground ")
                .append("truth, with data range 2.0. Definitions (intervals, buckets, decay, rate) in ")
                .append("docs/evaluation.md.\n\n");
        accumulation(md, rows);
        retrieval(md, rows);
        md.append("## Trade-off (the paper's Figure 9)\n\n![mean retrieval rate against maximum PSNR decay]")
                .append("(pareto.png)\n\n| model | memory | max PSNR decay (dB) | mean retrieval rate |\n")
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
        md.append("\n## Strips\n\nGround truth (top) above the generated frames (bottom) of the first retrieval ")
                .append("trajectory, at its revisit frames; `#k` is the generated frame, `sN` the frames since ")
                .append("the place was last seen.\n\n");
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
        md.append("## What the tables show\n\n");
        for (String s : observations(rows)) {
            md.append("- ").append(s).append('\n');
        }
        return md.toString();
    }

    private static void accumulation(StringBuilder md, List<Row> rows) {
        EvaluationReport any = rows.stream()
                .map(Row::accumulation)
                .filter(r -> r != null)
                .findFirst()
                .orElse(null);
        md.append("## Error accumulation (the paper's Table 3)\n\n");
        if (any == null) {
            md.append("No accumulation set was evaluated.\n\n");
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

    private static void retrieval(StringBuilder md, List<Row> rows) {
        EvaluationReport any = rows.stream()
                .map(Row::retrieval)
                .filter(r -> r != null)
                .findFirst()
                .orElse(null);
        md.append("## Memory retrieval (the paper's Table 1)\n\n");
        if (any == null) {
            md.append("No retrieval set was evaluated.\n\n");
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
