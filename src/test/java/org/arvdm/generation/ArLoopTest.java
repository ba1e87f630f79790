package org.arvdm.generation;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.arvdm.memory.FrameMemory;
import org.junit.jupiter.api.Test;

/** The resumable loop: its random stream, its action needs, its lag, and forks. */
class ArLoopTest {

    @Test
    void loopRandomGivesSplittableRandomsNumbers() {
        for (long seed : new long[] {0, 1, 42, -7, Long.MAX_VALUE, 2503}) {
            SplittableRandom ref = new SplittableRandom(seed);
            LoopRandom mine = new LoopRandom(seed);
            for (int i = 0; i < 200_000; i++) {
                switch (i % 4) {
                    case 0 -> assertThat(mine.nextGaussian()).isEqualTo(ref.nextGaussian());
                    case 1 -> assertThat(mine.nextLong()).isEqualTo(ref.nextLong());
                    case 2 -> assertThat(mine.nextInt()).isEqualTo(ref.nextInt());
                    default -> assertThat(mine.nextDouble()).isEqualTo(ref.nextDouble());
                }
            }
        }
    }

    @Test
    void aCopiedRandomContinuesTheSameStream() {
        LoopRandom a = new LoopRandom(9);
        for (int i = 0; i < 1000; i++) {
            a.nextGaussian();
        }
        LoopRandom b = a.copy();
        for (int i = 0; i < 1000; i++) {
            assertThat(b.nextGaussian()).isEqualTo(a.nextGaussian());
        }
    }

    @Test
    void lagFollowsTheLeadingCleanInputLevels() {
        assertThat(ArLoop.lag(ArSchedule.defaultFamily(1000, 4, 1, 4, 4, 0))).isEqualTo(3);
        assertThat(ArLoop.lag(ArSchedule.explicit(1000, 4, 1, new int[] {0, 0, 0, 1000}, null, 4, 4, 0)))
                .isZero();
        assertThat(ArLoop.lag(ArSchedule.explicit(1000, 4, 1, new int[] {0, 0, 500, 1000}, null, 4, 4, 0)))
                .isEqualTo(1);
        assertThat(ArLoop.lag(ArSchedule.defaultFamily(1000, 4, 2, 4, 4, 0))).isEqualTo(3);
    }

    @Test
    void eachUnitReadsExactlyTheActionsItSaysItNeeds() throws Exception {
        for (ArSchedule s : List.of(
                ArSchedule.defaultFamily(1000, 4, 1, 3, 3, 0),
                ArSchedule.defaultFamily(1000, 4, 2, 2, 2, 0),
                ArSchedule.explicit(1000, 4, 1, new int[] {0, 0, 0, 1000}, null, 2, 2, 0),
                ArSchedule.defaultFamily(1000, 2, 2, 2, 2, 0))) {
            OracleNetworks net = new OracleNetworks(
                    ArGeneratorTest.FS, OracleNetworks.cosineAlphas(1000), DdimSampler.Prediction.EPS);
            ArLoop loop = new ArLoop(ArGeneratorTest.plan(s, new FrameMemory(3), 2, 12, 3));
            int[] maxRead = {-1};
            ArGeneratorTest.Recorder rec = new ArGeneratorTest.Recorder();
            while (!loop.finished()) {
                int need = loop.actionsNeeded();
                int firstNew = rec.frames.size();
                loop.advance(
                        i -> {
                            assertThat(i)
                                    .as("%s read action %d with only %d available", s, i, need)
                                    .isLessThan(need);
                            maxRead[0] = Math.max(maxRead[0], i);
                            return new float[] {i + 1};
                        },
                        CallGateway.direct(net),
                        rec,
                        EngineObserver.NONE);
                assertThat(maxRead[0]).isEqualTo(need - 1);
                if (firstNew > s.window() && need < 12) {
                    // Steady state: the step's first new frame needed actions up to its index + lag, no more.
                    assertThat(need - 1).isEqualTo(rec.frames.get(firstNew).index() + ArLoop.lag(s));
                }
            }
        }
    }

    @Test
    void aForkGivenTheSameActionsGivesTheSameFrames() throws Exception {
        ArSchedule s = ArSchedule.defaultFamily(1000, 4, 1, 3, 3, 1.0);
        Networks blurry = new Networks() {
            @Override
            public List<float[]> denoise(List<DenoiseCall> batch) {
                return batch.stream()
                        .map(c -> {
                            float[] o = c.x().clone();
                            for (int i = 0; i < o.length; i++) {
                                o[i] = o[i] * 0.5f + c.actions()[i * c.actions().length / o.length] * 0.1f;
                            }
                            return o;
                        })
                        .toList();
            }

            @Override
            public List<float[]> encodeMemory(List<EncodeCall> batch) {
                throw new UnsupportedOperationException();
            }
        };
        ArLoop a = new ArLoop(ArGeneratorTest.plan(s, new FrameMemory(4), 2, 20, 11));
        ActionSource acts = i -> new float[] {i % 3};
        ArGeneratorTest.Recorder ra = new ArGeneratorTest.Recorder();
        for (int u = 0; u < 5; u++) {
            a.advance(acts, CallGateway.direct(blurry), ra, EngineObserver.NONE);
        }
        ArLoop b = a.fork();
        ArGeneratorTest.Recorder rb = new ArGeneratorTest.Recorder();
        List<float[]> fromA = new ArrayList<>();
        int before = ra.frames.size();
        while (!a.finished()) {
            a.advance(acts, CallGateway.direct(blurry), ra, EngineObserver.NONE);
        }
        while (!b.finished()) {
            b.advance(acts, CallGateway.direct(blurry), rb, EngineObserver.NONE);
        }
        ra.frames.subList(before, ra.frames.size()).forEach(e -> fromA.add(e.frame()));
        assertThat(rb.frames).hasSize(fromA.size()).isNotEmpty();
        for (int i = 0; i < fromA.size(); i++) {
            assertThat(rb.frames.get(i).frame()).containsExactly(fromA.get(i));
        }
        // Other actions after the fork point give other frames (the fork is not a recording).
        ArLoop c = new ArLoop(ArGeneratorTest.plan(s, new FrameMemory(4), 2, 20, 11));
        ArGeneratorTest.Recorder rc = new ArGeneratorTest.Recorder();
        while (!c.finished()) {
            c.advance(i -> new float[] {i < 8 ? i % 3 : 2}, CallGateway.direct(blurry), rc, EngineObserver.NONE);
        }
        assertThat(rc.frames.get(rc.frames.size() - 1).frame()).isNotEqualTo(fromA.get(fromA.size() - 1));
    }
}
