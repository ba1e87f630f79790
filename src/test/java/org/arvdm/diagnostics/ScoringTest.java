package org.arvdm.diagnostics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The aggregation maths on hand-computed values (frames in [-1, 1], so PSNR = 10·log10(4 / MSE)). */
class ScoringTest {
    static final double EPS = 1e-12;

    /** Two trajectories; values chosen so every number below can be checked by hand. */
    static final List<Scoring.FrameScore> FRAMES = List.of(
            new Scoring.FrameScore(0, 0, -1, 0.04, 0.8),
            new Scoring.FrameScore(0, 1, 3, 0.01, 0.6),
            new Scoring.FrameScore(0, 16, 20, 0.16, 0.2),
            new Scoring.FrameScore(0, 40, 60, 0.4, 0.55),
            new Scoring.FrameScore(1, 0, 16, 0.01, 0.4),
            new Scoring.FrameScore(1, 17, 17, 0.04, 0.3));

    @Test
    void intervalPsnrComesFromEachTrajectorysMeanMseThenIsAveragedOverTrajectories() {
        Scoring.Scores s = Scoring.summarize(FRAMES, 0.5);
        Scoring.IntervalScore first = s.intervals().get(0);
        // trajectory 0: mean MSE (0.04 + 0.01) / 2 = 0.025 -> 10·log10(160); trajectory 1: 0.01 -> 10·log10(400)
        double a = 10 * Math.log10(160);
        double b = 10 * Math.log10(400);
        assertThat(first.interval()).isEqualTo("0-16");
        assertThat(first.trajectories()).isEqualTo(2);
        assertThat(first.frames()).isEqualTo(3);
        assertThat(first.psnrMean()).isCloseTo((a + b) / 2, within(EPS)).isCloseTo(24.0309, within(1e-4));
        assertThat(first.psnrStd()).isCloseTo((b - a) / 2, within(EPS)).isCloseTo(1.9897, within(1e-4));
        // SSIM: trajectory means 0.7 and 0.4 -> 0.55 ± 0.15 (population std)
        assertThat(first.ssimMean()).isCloseTo(0.55, within(EPS));
        assertThat(first.ssimStd()).isCloseTo(0.15, within(EPS));

        Scoring.IntervalScore second = s.intervals().get(1);
        assertThat(second.interval()).isEqualTo("16-32");
        assertThat(second.psnrMean()).isCloseTo((10 * Math.log10(25) + 20) / 2, within(EPS));
        assertThat(second.psnrStd()).isCloseTo((20 - 10 * Math.log10(25)) / 2, within(EPS));
        assertThat(second.ssimMean()).isCloseTo(0.25, within(EPS));

        Scoring.IntervalScore third = s.intervals().get(2);
        assertThat(third.trajectories()).isEqualTo(1);
        assertThat(third.psnrMean()).isCloseTo(10.0, within(EPS));
        assertThat(third.psnrStd()).isEqualTo(0.0);

        Scoring.IntervalScore empty = s.intervals().get(3);
        assertThat(empty.interval()).isEqualTo("48-64");
        assertThat(empty.frames()).isZero();
        assertThat(empty.psnrMean()).isNull();
        assertThat(empty.ssimStd()).isNull();
    }

    @Test
    void maximumDecayIsTheFirstIntervalMinusTheLowestLaterOne() {
        Scoring.Scores s = Scoring.summarize(FRAMES, 0.5);
        // 24.0309 - min(16.9897, 10.0) = 14.0309; the empty last interval is skipped
        assertThat(s.maxPsnrDecay())
                .isCloseTo((10 * Math.log10(160) + 10 * Math.log10(400)) / 2 - 10.0, within(EPS))
                .isCloseTo(14.0309, within(1e-4));
    }

    @Test
    void decayIsNegativeWhenQualityRisesAndNullWithoutALaterInterval() {
        List<Scoring.FrameScore> rising =
                List.of(new Scoring.FrameScore(0, 0, -1, 0.04, 0.5), new Scoring.FrameScore(0, 20, -1, 0.01, 0.5));
        assertThat(Scoring.summarize(rising, 0.5).maxPsnrDecay()).isCloseTo(-10 * Math.log10(4), within(EPS));
        List<Scoring.FrameScore> short_ = List.of(new Scoring.FrameScore(0, 3, -1, 0.04, 0.5));
        assertThat(Scoring.summarize(short_, 0.5).maxPsnrDecay()).isNull();
        List<Scoring.FrameScore> late = List.of(new Scoring.FrameScore(0, 20, -1, 0.04, 0.5));
        assertThat(Scoring.summarize(late, 0.5).maxPsnrDecay()).isNull();
    }

    @Test
    void bucketsCountRevisitFramesBySinceSeenWithTheirRetrievalRate() {
        Scoring.Scores s = Scoring.summarize(FRAMES, 0.5);
        Scoring.BucketScore near = s.buckets().get(0);
        // (0, 16]: sinceSeen 3 (SSIM 0.6) and 16 (SSIM 0.4); -1 is not a revisit
        assertThat(near.bucket()).isEqualTo("0-16");
        assertThat(near.frames()).isEqualTo(2);
        assertThat(near.ssimMean()).isCloseTo(0.5, within(EPS));
        assertThat(near.ssimStd()).isCloseTo(0.1, within(EPS));
        assertThat(near.retrievalRate()).isEqualTo(0.5);
        Scoring.BucketScore mid = s.buckets().get(1);
        // (16, 48]: sinceSeen 20 (0.2) and 17 (0.3): nothing over 0.5
        assertThat(mid.frames()).isEqualTo(2);
        assertThat(mid.ssimMean()).isCloseTo(0.25, within(EPS));
        assertThat(mid.retrievalRate()).isEqualTo(0.0);
        Scoring.BucketScore far = s.buckets().get(2);
        assertThat(far.bucket()).isEqualTo("48-112");
        assertThat(far.frames()).isEqualTo(1);
        assertThat(far.retrievalRate()).isEqualTo(1.0);
        // unweighted mean of the three rates
        assertThat(s.meanRetrievalRate()).isCloseTo(0.5, within(EPS));
    }

    @Test
    void bucketEdgesAreExclusiveBelowAndInclusiveAbove() {
        assertThat(Scoring.bucketOf(-1)).isEqualTo(-1);
        assertThat(Scoring.bucketOf(0)).isEqualTo(-1);
        assertThat(Scoring.bucketOf(1)).isZero();
        assertThat(Scoring.bucketOf(16)).isZero();
        assertThat(Scoring.bucketOf(17)).isEqualTo(1);
        assertThat(Scoring.bucketOf(48)).isEqualTo(1);
        assertThat(Scoring.bucketOf(49)).isEqualTo(2);
        assertThat(Scoring.bucketOf(112)).isEqualTo(2);
        assertThat(Scoring.bucketOf(113)).isEqualTo(-1);
    }

    @Test
    void aFrameExactlyAtTheThresholdIsNotRetrievedAndEmptyBucketsDoNotCountInTheMean() {
        List<Scoring.FrameScore> frames =
                List.of(new Scoring.FrameScore(0, 0, 5, 0.1, 0.5), new Scoring.FrameScore(0, 1, 6, 0.1, 0.51));
        Scoring.Scores s = Scoring.summarize(frames, 0.5);
        assertThat(s.buckets().get(0).retrievalRate()).isEqualTo(0.5);
        assertThat(s.buckets().get(1).retrievalRate()).isNull();
        assertThat(s.buckets().get(2).frames()).isZero();
        assertThat(s.meanRetrievalRate()).isEqualTo(0.5);
        assertThat(Scoring.summarize(List.of(new Scoring.FrameScore(0, 0, -1, 0.1, 0.9)), 0.5)
                        .meanRetrievalRate())
                .isNull();
    }

    @Test
    void anExactReproductionScoresAtTheMseFloorInsteadOfInfinity() {
        assertThat(Scoring.psnrOfMse(0))
                .isCloseTo(10 * Math.log10(4e10), within(EPS))
                .isCloseTo(106.02, within(0.01));
        Scoring.FrameScore f = Scoring.score(0, 0, -1, new float[16 * 16], new float[16 * 16], 1, 16, 16);
        assertThat(f.mse()).isZero();
        assertThat(f.ssim()).isEqualTo(1.0);
    }

    @Test
    void frameScoresUseDataRangeTwo() {
        float[] a = new float[3 * 12 * 12];
        float[] b = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) Math.sin(i * 0.37);
            b[i] = a[i] + (i % 2 == 0 ? 0.1f : -0.1f);
        }
        Scoring.FrameScore f = Scoring.score(0, 0, -1, a, b, 3, 12, 12);
        assertThat(f.mse()).isCloseTo(0.01, within(1e-6));
        assertThat(f.psnr()).isCloseTo(ImageMetrics.psnr(a, b, 2.0), within(1e-9));
        assertThat(f.ssim()).isEqualTo(ImageMetrics.ssim(a, b, 3, 12, 12, 2.0));
    }
}
