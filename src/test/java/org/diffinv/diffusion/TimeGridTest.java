package org.diffinv.diffusion;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Every time grid against values computed independently (numpy semantics reproduced by hand). */
class TimeGridTest {

    private final NoiseSchedule schedule = NoiseSchedule.ddpmLinear();

    private static void assertChains(TimeGrid grid) {
        for (int i = 0; i + 1 < grid.size(); i++) {
            assertEquals(grid.t(i + 1), grid.tPrev(i), "pair " + i + " must end where pair " + (i + 1) + " starts");
        }
        assertEquals(grid.finalPrev(), grid.tPrev(grid.size() - 1));
    }

    @Test
    void fullDdpmGridVisitsEveryIndex() {
        TimeGrid grid = TimeGrid.ddpm(schedule);
        assertEquals(1000, grid.size());
        assertEquals(new TimeGrid.Step(999, 998), grid.step(0));
        assertEquals(new TimeGrid.Step(0, -1), grid.step(999));
        assertChains(grid);
        TimeGrid start = TimeGrid.ddpm(schedule, 123);
        assertEquals(124, start.size());
        assertEquals(123, start.startTime());
        assertThrows(IllegalArgumentException.class, () -> TimeGrid.ddpm(schedule, 1000));
    }

    @Test
    void ddimUniformIsTheReferenceStrideGrid() {
        TimeGrid grid = TimeGrid.ddimUniform(schedule, 50);
        assertEquals(50, grid.size());
        for (int i = 0; i < 50; i++) {
            assertEquals(980 - 20 * i, grid.t(i));
        }
        assertEquals(-1, grid.finalPrev());
        assertChains(grid);
        // the reference's range(0, T, T // S) gives ceil(1000 / 33) = 31 steps when 30 are asked for
        TimeGrid thirty = TimeGrid.ddimUniform(schedule, 30);
        assertEquals(31, thirty.size());
        assertEquals(990, thirty.startTime());
        assertEquals(1000, TimeGrid.ddimUniform(schedule, 1000).size());
        assertThrows(IllegalArgumentException.class, () -> TimeGrid.ddimUniform(schedule, 0));
        assertThrows(IllegalArgumentException.class, () -> TimeGrid.ddimUniform(schedule, 1001));
    }

    @Test
    void ddimQuadraticMatchesNumpy() {
        // int(linspace(0, sqrt(800), 10)^2), computed with Python floats
        int[] ascending = {0, 9, 39, 88, 158, 246, 355, 483, 632, 800};
        TimeGrid grid = TimeGrid.ddimQuadratic(schedule, 10);
        int[] times = grid.times();
        for (int i = 0; i < 10; i++) {
            assertEquals(ascending[9 - i], times[i]);
        }
        assertChains(grid);
        assertEquals(29, TimeGrid.ddimQuadratic(schedule, 29).size(), "first gap (sqrt(800)/28)^2 = 1.02 still >= 1");
        assertThrows(IllegalArgumentException.class, () -> TimeGrid.ddimQuadratic(schedule, 30),
                "30 steps: (sqrt(800)/29)^2 = 0.95 truncates to 0 twice");
    }

    @Test
    void ldmGridHasThePlusOneOffsetAndEndsAtZero() {
        TimeGrid grid = TimeGrid.ldm(schedule, 50);
        assertEquals(50, grid.size());
        assertEquals(981, grid.startTime());
        assertEquals(new TimeGrid.Step(981, 961), grid.step(0));
        assertEquals(new TimeGrid.Step(1, 0), grid.step(49), "the reference's abar_prev at the first point is abar[0]");
        assertChains(grid);
        assertEquals(999, TimeGrid.ldm(schedule, 500).startTime());
        assertThrows(IllegalArgumentException.class, () -> TimeGrid.ldm(schedule, 1000), "tau = 1000 is out of range");
    }

    @Test
    void dcdpPurificationScheduleIsTheReferenceOne() {
        PurificationSchedule s = PurificationSchedule.linearDecaying(schedule, 10, 400, 0);
        assertArrayEquals(new int[] {400, 356, 311, 267, 222, 178, 133, 89, 44, 1}, s.strengths());
        // Tend > 0: j/4 * 950 = 0, 237.5, 475, 712.5, 950, rounded half to even, + 50, reversed
        assertArrayEquals(new int[] {1000, 762, 525, 288, 50},
                PurificationSchedule.linearDecaying(schedule, 5, 1000, 50).strengths());
        assertArrayEquals(new int[] {700}, PurificationSchedule.linearDecaying(schedule, 1, 700, 0).strengths());
        assertThrows(IllegalArgumentException.class, () -> PurificationSchedule.linearDecaying(schedule, 10, 1001, 0));
        assertThrows(IllegalArgumentException.class, () -> PurificationSchedule.linearDecaying(schedule, 10, 100, 200));
        assertThrows(IllegalArgumentException.class, () -> PurificationSchedule.linearDecaying(schedule, 0, 400, 0));
    }

    @Test
    void dcdpInnerGridIsEvenlySpacedAndRoundedHalfToEven() {
        // rint(linspace(0, t-1, min(t, 20))), computed with Python's round (half to even)
        int[] t400 = {0, 21, 42, 63, 84, 105, 126, 147, 168, 189, 210, 231, 252, 273, 294, 315, 336, 357, 378, 399};
        int[] t37 = {0, 2, 4, 6, 8, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 28, 30, 32, 34, 36};
        assertDescendingOf(t400, TimeGrid.dcdpInner(schedule, 400, 20));
        assertDescendingOf(t37, TimeGrid.dcdpInner(schedule, 37, 20));
        assertDescendingOf(new int[] {0, 1, 2, 3, 4}, TimeGrid.dcdpInner(schedule, 5, 20));
        assertDescendingOf(new int[] {0}, TimeGrid.dcdpInner(schedule, 1, 20));
        assertEquals(-1, TimeGrid.dcdpInner(schedule, 400, 20).finalPrev());
        assertThrows(IllegalArgumentException.class, () -> TimeGrid.dcdpInner(schedule, 0, 20));
        assertThrows(IllegalArgumentException.class, () -> TimeGrid.dcdpInner(schedule, 1001, 20));
    }

    private static void assertDescendingOf(int[] ascending, TimeGrid grid) {
        int[] times = grid.times();
        assertEquals(ascending.length, times.length);
        for (int i = 0; i < ascending.length; i++) {
            assertEquals(ascending[ascending.length - 1 - i], times[i]);
        }
        assertChains(grid);
    }

    @Test
    void cPigdmGridMatchesNumpy() {
        ContinuousTimeGrid grid = ContinuousTimeGrid.cPigdm(ContinuousVpSchedule.standard(), 5);
        double[] expected = {0.4, 0.32020000000000004, 0.24039999999999995, 0.16059999999999997, 0.08079999999999998,
            0.0010000000000000009};
        assertArrayEquals(expected, grid.times(), 0.0);
        int[] indices = {399, 319, 240, 160, 80, 0};
        for (int n = 0; n <= 5; n++) {
            assertEquals(indices[n], grid.networkIndex(n));
        }
        int[] twenty = {399, 379, 359, 339, 319, 299, 280, 260, 240, 220, 200, 180, 160, 140, 120, 100, 80, 60, 40, 20, 0};
        ContinuousTimeGrid g20 = ContinuousTimeGrid.cPigdm(ContinuousVpSchedule.standard(), 20);
        assertEquals(20, g20.steps());
        for (int n = 0; n <= 20; n++) {
            assertEquals(twenty[n], g20.networkIndex(n));
        }
        assertThrows(IllegalArgumentException.class, () -> ContinuousTimeGrid.cPigdm(ContinuousVpSchedule.standard(), 0));
        assertThrows(IllegalArgumentException.class,
                () -> ContinuousTimeGrid.of(ContinuousVpSchedule.standard(), 0.2, 0.3));
    }

    @Test
    void customGridsAreValidated() {
        TimeGrid g = TimeGrid.of(schedule, 900, 500, 100);
        assertEquals(new TimeGrid.Step(500, 100), g.step(1));
        assertEquals(new TimeGrid.Step(100, -1), g.step(2));
        assertThrows(IllegalArgumentException.class, () -> TimeGrid.of(schedule, 500, 500));
        assertThrows(IllegalArgumentException.class, () -> TimeGrid.of(schedule, 1000, 5));
        assertThrows(IllegalArgumentException.class, () -> TimeGrid.of(schedule, 5, new int[] {10, 5}));
        assertThrows(IllegalArgumentException.class, () -> new TimeGrid.Step(3, 3));
        assertEquals(TimeGrid.ddimUniform(schedule, 50), TimeGrid.ddimUniform(NoiseSchedule.ddpmLinear(), 50));
    }
}
