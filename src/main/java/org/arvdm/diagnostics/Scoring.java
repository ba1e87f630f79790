package org.arvdm.diagnostics;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The paper's measurements over scored frames (docs/evaluation.md has the definitions with a
 * worked example). Pure functions; every frame is C·H·W in [-1, 1], so the data range of PSNR
 * and SSIM is {@value #DATA_RANGE}.
 * <ul>
 *   <li><b>Interval</b> [from, to) of generated-frame indices (0 = the first frame after the
 *       context). Per trajectory, PSNR is taken from the mean MSE over its frames in the
 *       interval, SSIM is the mean over those frames; the interval's mean and std (population,
 *       divide by n) are over trajectories. Taking PSNR from the mean MSE keeps a frame that is
 *       reproduced exactly (infinite PSNR) from dominating; MSE is floored at
 *       {@value #MSE_FLOOR}.</li>
 *   <li><b>Maximum PSNR decay</b>: the first interval's mean PSNR minus the lowest mean PSNR of
 *       any later interval that has frames; positive when quality falls. Null unless the first
 *       interval and a later one have frames.</li>
 *   <li><b>Bucket</b> (from, to] of {@code sinceSeen}, over revisit frames only: SSIM mean and
 *       std over frames, and the retrieval rate, the share of frames whose SSIM is above the
 *       threshold.</li>
 *   <li><b>Mean retrieval rate</b>: the unweighted mean of the rates of the buckets that have
 *       frames (each bucket counts once, as in the paper's Figure 9).</li>
 * </ul>
 */
public final class Scoring {
    /** Data range of [-1, 1] frames, for PSNR and SSIM. */
    public static final double DATA_RANGE = 2.0;
    /** Smallest MSE used in a PSNR, so an exact reproduction scores 10·log10(4 / 1e-10) ≈ 106 dB. */
    public static final double MSE_FLOOR = 1e-10;

    /** Intervals of generated frames: 0–16, 16–32, 32–48, 48–64 (from inclusive, to exclusive). */
    public static final List<Range> INTERVALS =
            List.of(new Range(0, 16), new Range(16, 32), new Range(32, 48), new Range(48, 64));
    /** Buckets of frames since the view was last seen: 0–16, 16–48, 48–112 (from exclusive, to inclusive). */
    public static final List<Range> BUCKETS = List.of(new Range(0, 16), new Range(16, 48), new Range(48, 112));

    private Scoring() {}

    public record Range(int from, int to) {
        public String label() {
            return from + "-" + to;
        }
    }

    /**
     * One generated frame compared with its ground truth.
     *
     * @param trajectory index of the trajectory in the evaluation
     * @param frame      index among the generated frames (0 = first after the context)
     * @param sinceSeen  the trajectory's sinceSeen of that frame (−1: not a revisit)
     * @param mse        mean squared error over all values
     * @param ssim       SSIM (Gaussian 11×11, σ 1.5, data range 2)
     */
    public record FrameScore(int trajectory, int frame, int sinceSeen, double mse, double ssim) {
        public double psnr() {
            return psnrOfMse(mse);
        }
    }

    /** PSNR and SSIM of one interval; the numbers are null when no frame falls in it. */
    public record IntervalScore(
            String interval,
            int trajectories,
            int frames,
            Double psnrMean,
            Double psnrStd,
            Double ssimMean,
            Double ssimStd) {}

    /** Retrieval in one bucket; the numbers are null when no revisit falls in it. */
    public record BucketScore(String bucket, int frames, Double ssimMean, Double ssimStd, Double retrievalRate) {}

    public record Scores(
            List<IntervalScore> intervals, Double maxPsnrDecay, List<BucketScore> buckets, Double meanRetrievalRate) {}

    public static FrameScore score(
            int trajectory,
            int frame,
            int sinceSeen,
            float[] generated,
            float[] truth,
            int channels,
            int height,
            int width) {
        return new FrameScore(
                trajectory,
                frame,
                sinceSeen,
                ImageMetrics.mse(generated, truth),
                ImageMetrics.ssim(generated, truth, channels, height, width, DATA_RANGE));
    }

    public static double psnrOfMse(double mse) {
        return 10.0 * Math.log10(DATA_RANGE * DATA_RANGE / Math.max(mse, MSE_FLOOR));
    }

    /** Index into {@link #BUCKETS} of a sinceSeen value, or −1 when it is in none. */
    public static int bucketOf(int sinceSeen) {
        for (int b = 0; b < BUCKETS.size(); b++) {
            if (sinceSeen > BUCKETS.get(b).from() && sinceSeen <= BUCKETS.get(b).to()) {
                return b;
            }
        }
        return -1;
    }

    public static Scores summarize(List<FrameScore> frames, double threshold) {
        List<IntervalScore> intervals = new ArrayList<>();
        for (Range r : INTERVALS) {
            intervals.add(interval(frames, r));
        }
        List<BucketScore> buckets = new ArrayList<>();
        for (int b = 0; b < BUCKETS.size(); b++) {
            buckets.add(bucket(frames, b, threshold));
        }
        return new Scores(intervals, maxDecay(intervals), buckets, meanRate(buckets));
    }

    private static IntervalScore interval(List<FrameScore> frames, Range r) {
        Map<Integer, double[]> perTrajectory = new LinkedHashMap<>(); // trajectory -> {mse sum, ssim sum, n}
        int n = 0;
        for (FrameScore f : frames) {
            if (f.frame() >= r.from() && f.frame() < r.to()) {
                double[] acc = perTrajectory.computeIfAbsent(f.trajectory(), t -> new double[3]);
                acc[0] += f.mse();
                acc[1] += f.ssim();
                acc[2]++;
                n++;
            }
        }
        if (perTrajectory.isEmpty()) {
            return new IntervalScore(r.label(), 0, 0, null, null, null, null);
        }
        double[] psnr = new double[perTrajectory.size()];
        double[] ssim = new double[perTrajectory.size()];
        int i = 0;
        for (double[] acc : perTrajectory.values()) {
            psnr[i] = psnrOfMse(acc[0] / acc[2]);
            ssim[i] = acc[1] / acc[2];
            i++;
        }
        return new IntervalScore(r.label(), psnr.length, n, mean(psnr), std(psnr), mean(ssim), std(ssim));
    }

    private static BucketScore bucket(List<FrameScore> frames, int b, double threshold) {
        List<Double> ssims = new ArrayList<>();
        for (FrameScore f : frames) {
            if (bucketOf(f.sinceSeen()) == b) {
                ssims.add(f.ssim());
            }
        }
        String label = BUCKETS.get(b).label();
        if (ssims.isEmpty()) {
            return new BucketScore(label, 0, null, null, null);
        }
        double[] v = ssims.stream().mapToDouble(Double::doubleValue).toArray();
        long retrieved = ssims.stream().filter(s -> s > threshold).count();
        return new BucketScore(label, v.length, mean(v), std(v), (double) retrieved / v.length);
    }

    static Double maxDecay(List<IntervalScore> intervals) {
        Double first = intervals.get(0).psnrMean();
        Double lowest = null;
        for (IntervalScore s : intervals.subList(1, intervals.size())) {
            if (s.psnrMean() != null && (lowest == null || s.psnrMean() < lowest)) {
                lowest = s.psnrMean();
            }
        }
        return first == null || lowest == null ? null : first - lowest;
    }

    static Double meanRate(List<BucketScore> buckets) {
        double sum = 0;
        int n = 0;
        for (BucketScore b : buckets) {
            if (b.retrievalRate() != null) {
                sum += b.retrievalRate();
                n++;
            }
        }
        return n == 0 ? null : sum / n;
    }

    static double mean(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return s / v.length;
    }

    /** Population standard deviation (divide by n). */
    static double std(double[] v) {
        double m = mean(v);
        double s = 0;
        for (double x : v) {
            s += (x - m) * (x - m);
        }
        return Math.sqrt(s / v.length);
    }
}
