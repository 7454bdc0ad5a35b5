package org.diffinv.diffusion;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** SNR, Flash-Diffusion SNR matching, and the continuous VP schedule of C-PiGDM. */
class ScheduleTest {

    private final NoiseSchedule linear = NoiseSchedule.ddpmLinear();

    @Test
    void snrIsAlphaBarOverOneMinusAlphaBar() {
        for (int t : new int[] {0, 1, 250, 999}) {
            double alphaBar = linear.alphaBar(t);
            assertEquals(alphaBar / (1 - alphaBar), linear.snr(t), 0.0);
        }
        assertThrows(IllegalArgumentException.class, () -> linear.snr(-1));
        assertThrows(IllegalArgumentException.class, () -> linear.snr(1000));
    }

    @Test
    void snrMatchingRecoversTheIndexWhoseSnrIsGiven() {
        // SNR strictly decreases in t, so sigma^2 = 1/SNR(t0) must match t0 itself (distance exactly 0)
        for (NoiseSchedule s : new NoiseSchedule[] {linear, NoiseSchedule.ldmScaledLinear(), NoiseSchedule.cosine(1000)}) {
            for (int t0 : new int[] {0, 3, 137, 500, 998}) {
                assertEquals(t0, s.snrMatchIndex(1 / s.snr(t0)), s + " at t0 = " + t0);
            }
        }
    }

    @Test
    void snrMatchingIsTheArgminOfTheSnrDistance() {
        // brute force over a range of variances, including between grid SNRs and beyond both ends
        for (double sigmaSquared : new double[] {1e-6, 1e-3, 0.01, 0.05, 0.3, 1, 7, 1e3, 1e6}) {
            int i = linear.snrMatchIndex(sigmaSquared);
            double best = Math.abs(linear.snr(i) - 1 / sigmaSquared);
            for (int j = 0; j < linear.steps(); j++) {
                assertTrue(Math.abs(linear.snr(j) - 1 / sigmaSquared) >= best, "index " + j + " beats " + i);
            }
        }
        assertEquals(0, linear.snrMatchIndex(1e-12), "tiny error variance starts at the cleanest index");
        assertEquals(999, linear.snrMatchIndex(1e12), "huge error variance starts at pure noise");
        assertThrows(IllegalArgumentException.class, () -> linear.snrMatchIndex(0));
        assertThrows(IllegalArgumentException.class, () -> linear.snrMatchIndex(-1));
        assertThrows(IllegalArgumentException.class, () -> linear.snrMatchIndex(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> linear.snrMatchIndex(Double.POSITIVE_INFINITY));
    }

    @Test
    void snrMatchingOnAGridPicksTheNearestGridTime() {
        TimeGrid grid = TimeGrid.ddimUniform(linear, 50);
        for (int position : new int[] {0, 7, 25, 49}) {
            assertEquals(position, grid.snrMatchPosition(1 / linear.snr(grid.t(position))));
        }
        int p = grid.snrMatchPosition(0.2);
        for (int i = 0; i < grid.size(); i++) {
            assertTrue(Math.abs(linear.snr(grid.t(i)) - 5) >= Math.abs(linear.snr(grid.t(p)) - 5));
        }
        TimeGrid tail = grid.tail(p);
        assertEquals(grid.t(p), tail.startTime());
        assertEquals(grid.size() - p, tail.size());
        assertEquals(-1, tail.finalPrev());
    }

    @Test
    void continuousVpMatchesItsDefinition() {
        ContinuousVpSchedule vp = ContinuousVpSchedule.standard();
        assertEquals(0.1, vp.beta(0), 1e-15);
        assertEquals(20.0, vp.beta(1), 1e-12);
        assertEquals(10.05, vp.b(1), 1e-12);
        for (double t : new double[] {0, 0.001, 0.3, 0.4, 0.77, 1}) {
            assertEquals(0.1 * t + 9.95 * t * t, vp.b(t), 1e-13);
            assertEquals(Math.exp(-vp.b(t) / 2), vp.mu(t), 1e-15);
            assertEquals(Math.sqrt(1 - Math.exp(-vp.b(t))), vp.sigma(t), 1e-14);
            assertEquals(1.0, vp.mu(t) * vp.mu(t) + vp.sigma(t) * vp.sigma(t), 1e-14, "variance preserving");
            if (t > 0 && t < 1) {
                double h = 1e-6;
                assertEquals(vp.beta(t), (vp.b(t + h) - vp.b(t - h)) / (2 * h), 1e-6, "b' = beta");
            }
        }
        assertEquals(399, vp.networkIndex(0.4));
        assertEquals(0, vp.networkIndex(0.001));
        assertEquals(999, vp.networkIndex(1));
        assertThrows(IllegalArgumentException.class, () -> vp.mu(1.5));
        assertThrows(IllegalArgumentException.class, () -> vp.sigma(-0.1));
        assertThrows(IllegalArgumentException.class, () -> ContinuousVpSchedule.of(0, 20, 1000));
        assertEquals(vp, ContinuousVpSchedule.of(0.1, 20, 1000));
    }

    @Test
    void continuousVpIsTheLimitOfTheDiscreteLinearSchedule() {
        // beta_i = beta(t_i)/1000 on t_i ~ (i+1)/1000, so log abar_i = sum log(1 - beta_j) = -b(t) + r with
        // |r| <= sum beta_j^2 (since 0 <= -log(1-x) - x <= x^2 for x <= 1/2) plus a Riemann-sum error 2e-3
        ContinuousVpSchedule vp = ContinuousVpSchedule.standard();
        for (int i : new int[] {99, 399, 999}) {
            double t = (i + 1) / 1000.0;
            double sumBetaSquared = 0;
            for (int j = 0; j <= i; j++) {
                sumBetaSquared += linear.beta(j) * linear.beta(j);
            }
            assertEquals(-vp.b(t), Math.log(linear.alphaBar(i)), sumBetaSquared + 2e-3, "index " + i);
        }
    }
}
