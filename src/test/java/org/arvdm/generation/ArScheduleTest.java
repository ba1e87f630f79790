package org.arvdm.generation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ArScheduleTest {

    @Test
    void defaultFamilyMatchesThePapersTable() {
        assertThat(ArSchedule.defaultFamily(1000, 1, 1, 10, 20, 0).inputLevels())
                .containsExactly(1000);
        ArSchedule pyramid = ArSchedule.defaultFamily(1000, 4, 1, 10, 20, 0);
        assertThat(pyramid.inputLevels()).containsExactly(250, 500, 750, 1000);
        assertThat(pyramid.outputLevels()).containsExactly(0, 250, 500, 750);
        ArSchedule paper = ArSchedule.defaultFamily(1000, 4, 2, 10, 20, 0);
        assertThat(paper.inputLevels()).containsExactly(500, 500, 1000, 1000);
        assertThat(paper.outputLevels()).containsExactly(0, 0, 500, 500);
    }

    @Test
    void levelsInterpolateLinearlyWithinAStep() {
        ArSchedule s = ArSchedule.defaultFamily(1000, 4, 1, 4, 4, 0);
        assertThat(s.arLevel(0, 0)).isEqualTo(250);
        assertThat(s.arLevel(0, 2)).isEqualTo(125);
        assertThat(s.arLevel(0, 4)).isZero();
        assertThat(s.arLevel(3, 4)).isEqualTo(750);
        assertThat(s.initLevel(0)).isEqualTo(1000);
        assertThat(s.initLevel(4)).isZero();
    }

    @Test
    void levelsRoundHalvesToEvenAsPythonDoes() {
        ArSchedule s = ArSchedule.defaultFamily(100, 4, 1, 4, 8, 0);
        // 25 - 25·2/4 = 12.5 -> 12 (half-up: 13); 50 - 25·1/4 = 43.75 -> 44
        assertThat(s.arLevel(0, 2)).isEqualTo(12);
        assertThat(s.arLevel(1, 1)).isEqualTo(44);
        assertThat(s.arLevel(1, 2)).isEqualTo(38); // 37.5 -> 38 (even)
        // 100 * (1 - 3/8) = 62.5 -> 62, 100 * (1 - 1/8) = 87.5 -> 88
        assertThat(s.initLevel(3)).isEqualTo(62);
        assertThat(s.initLevel(1)).isEqualTo(88);
        // default family with K = 8 bands over T = 100: 12.5 -> 12, 37.5 -> 38, 62.5 -> 62, 87.5 -> 88
        assertThat(ArSchedule.defaultFamily(100, 8, 1, 1, 1, 0).inputLevels())
                .containsExactly(12, 25, 38, 50, 62, 75, 88, 100);
    }

    @Test
    void explicitLevelsDeriveOutputsFromCircularityAndBoundary() {
        ArSchedule s = ArSchedule.explicit(1000, 4, 1, new int[] {100, 400, 700, 1000}, null, 5, 5, 0);
        assertThat(s.outputLevels()).containsExactly(0, 100, 400, 700);
    }

    @Test
    void monotonicityViolationIsNamed() {
        assertThatThrownBy(() -> ArSchedule.explicit(1000, 4, 1, new int[] {500, 250, 750, 1000}, null, 5, 5, 0))
                .isInstanceOfSatisfying(ScheduleException.class, e -> {
                    assertThat(e.rule()).isEqualTo("monotonicity");
                    assertThat(e.field()).isEqualTo("schedule.inputLevels");
                })
                .hasMessageContaining("rule 1 (monotonicity)")
                .hasMessageContaining("level[0]=500 > level[1]=250");
    }

    @Test
    void outputNoisierThanInputBreaksMonotonicity() {
        assertThatThrownBy(() -> ArSchedule.explicit(1000, 2, 1, new int[] {500, 1000}, new int[] {600, 500}, 5, 5, 0))
                .isInstanceOfSatisfying(
                        ScheduleException.class, e -> assertThat(e.rule()).isEqualTo("monotonicity"))
                .hasMessageContaining("output[0]=600 > input[0]=500")
                .hasMessageContaining("may not add noise");
    }

    @Test
    void circularityViolationIsNamed() {
        assertThatThrownBy(() -> ArSchedule.explicit(
                        1000, 4, 1, new int[] {250, 500, 750, 1000}, new int[] {0, 200, 500, 750}, 5, 5, 0))
                .isInstanceOfSatisfying(ScheduleException.class, e -> {
                    assertThat(e.rule()).isEqualTo("circularity");
                    assertThat(e.field()).isEqualTo("schedule.outputLevels");
                })
                .hasMessageContaining("rule 2 (circularity)")
                .hasMessageContaining("output[1]=200 must equal input[0]=250");
    }

    @Test
    void boundaryViolationAtTheNoisyEndIsNamed() {
        assertThatThrownBy(() -> ArSchedule.explicit(1000, 4, 1, new int[] {250, 500, 750, 900}, null, 5, 5, 0))
                .isInstanceOfSatisfying(
                        ScheduleException.class, e -> assertThat(e.rule()).isEqualTo("boundary"))
                .hasMessageContaining("rule 3 (0-T boundary)")
                .hasMessageContaining("must enter the window at level T=1000");
    }

    @Test
    void boundaryViolationAtTheCleanEndIsNamed() {
        assertThatThrownBy(() -> ArSchedule.explicit(1000, 2, 1, new int[] {500, 1000}, new int[] {100, 500}, 5, 5, 0))
                .isInstanceOfSatisfying(
                        ScheduleException.class, e -> assertThat(e.rule()).isEqualTo("boundary"))
                .hasMessageContaining("must leave the window at level 0");
    }

    @Test
    void strideThatDoesNotDivideTheWindowIsRejectedForTheDefaultFamily() {
        assertThatThrownBy(() -> ArSchedule.defaultFamily(1000, 4, 3, 5, 5, 0))
                .isInstanceOfSatisfying(
                        ScheduleException.class, e -> assertThat(e.field()).isEqualTo("schedule.stride"))
                .hasMessageContaining("must divide the window");
        assertThatThrownBy(() -> ArSchedule.defaultFamily(1000, 4, 5, 5, 5, 0))
                .hasMessageContaining("schedule.stride: must be in 1..4");
    }

    @Test
    void boundsAreChecked() {
        assertThatThrownBy(() -> ArSchedule.defaultFamily(1000, 4, 1, 0, 5, 0)).hasMessageContaining("arSteps");
        assertThatThrownBy(() -> ArSchedule.defaultFamily(1000, 4, 1, 5, 0, 0)).hasMessageContaining("initSteps");
        assertThatThrownBy(() -> ArSchedule.defaultFamily(1000, 4, 1, 5, 5, 1.5))
                .hasMessageContaining("eta");
        assertThatThrownBy(() -> ArSchedule.explicit(1000, 2, 1, new int[] {-1, 1000}, null, 5, 5, 0))
                .hasMessageContaining("schedule.inputLevels[0]: must be in 0..1000");
    }
}
