package org.diffinv.priors;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.diffinv.diffusion.NoiseSchedule;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link GaussianPrior#fit}: hand-computed moments of a tiny batch and input validation. */
class GaussianPriorFitTest {

    @Test
    void fitsTheSampleMomentsPlusRidge() {
        try (NDManager m = NDManager.newBaseManager()) {
            // three 1x1x2 images: (1, 2), (3, 0), (2, 4) -> mean (2, 2); centred (-1,0), (1,-2), (0,2)
            // (1/N) covariance: [[2/3, -2/3], [-2/3, 8/3]]
            NDArray x = m.create(new double[] {1, 2, 3, 0, 2, 4}, new Shape(3, 1, 1, 2));
            GaussianPrior p = GaussianPrior.fit(NoiseSchedule.ddpmLinear(), x, 0.5);
            assertArrayEquals(new double[] {2, 2}, p.mean(), 1e-14);
            double[][] c = p.covariance();
            assertEquals(2.0 / 3 + 0.5, c[0][0], 1e-14);
            assertEquals(-2.0 / 3, c[0][1], 1e-14);
            assertEquals(-2.0 / 3, c[1][0], 1e-14);
            assertEquals(8.0 / 3 + 0.5, c[1][1], 1e-14);
            assertEquals(new Shape(1, 1, 2), p.imageShape());
        }
    }

    @Test
    void rejectsBadInput() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray one = m.zeros(new Shape(1, 1, 2, 2));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> GaussianPrior.fit(NoiseSchedule.ddpmLinear(), one, 0.1));
            assertTrue(e.getMessage().contains("(1, 1, 2, 2)"), e.getMessage());
            NDArray nan = m.create(new double[] {0, Double.NaN, 1, 2}, new Shape(2, 1, 1, 2));
            assertThrows(IllegalArgumentException.class, () -> GaussianPrior.fit(NoiseSchedule.ddpmLinear(), nan, 0.1));
            NDArray ok = m.zeros(new Shape(2, 1, 1, 2));
            e = assertThrows(IllegalArgumentException.class, () -> GaussianPrior.fit(NoiseSchedule.ddpmLinear(), ok, -1));
            assertTrue(e.getMessage().contains("-1"));
        }
    }
}
