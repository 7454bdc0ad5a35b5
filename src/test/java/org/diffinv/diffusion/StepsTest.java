package org.diffinv.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Tweedie, the DDPM ancestral step and the DDIM step, against closed-form identities in FLOAT64. */
class StepsTest {

    private final NoiseSchedule schedule = NoiseSchedule.ddpmLinear();
    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    private NDArray normal(long seed) {
        return NoiseSource.seeded(seed).normal(manager, new Shape(3, 1, 4, 4), DataType.FLOAT64);
    }

    private static void assertClose(NDArray expected, NDArray actual, double tolerance) {
        assertArrayEquals(expected.toDoubleArray(), actual.toDoubleArray(), tolerance);
    }

    @Test
    void tweedieInvertsTheForwardProcess() {
        // x_t = sqrt(abar) x0 + sqrt(1-abar) eps  =>  Tweedie(x_t, eps) = x0 and epsFromX0(x_t, x0) = eps
        NDArray x0 = normal(1);
        NDArray eps = normal(2);
        for (int t : new int[] {0, 10, 500, 999}) {
            double alphaBar = schedule.alphaBar(t);
            NDArray xt = x0.mul(Math.sqrt(alphaBar)).add(eps.mul(Math.sqrt(1 - alphaBar)));
            // rounding: x0 = xt/sqrt(abar) - ..., amplified by 1/sqrt(abar) ~ 160 at t = 999
            assertClose(x0, Tweedie.x0FromEps(schedule, xt, eps, t), 1e-12 / Math.sqrt(alphaBar));
            assertClose(eps, Tweedie.epsFromX0(schedule, xt, x0, t), 1e-12 / Math.sqrt(1 - alphaBar));
        }
        assertThrows(IllegalArgumentException.class, () -> Tweedie.x0FromEps(x0, eps, 0));
        assertThrows(IllegalArgumentException.class, () -> Tweedie.epsFromX0(x0, eps, 1));
        assertThrows(IllegalArgumentException.class,
                () -> Tweedie.x0FromEps(x0, eps.reshape(3, 16), 0.5), "shape mismatch");
    }

    @Test
    void ddpmCoefficientsAreTheTextbookOnesForAdjacentIndices() {
        for (int t : new int[] {1, 2, 400, 999}) {
            double beta = schedule.beta(t);
            double alpha = 1 - beta;
            double abar = schedule.alphaBar(t);
            double abarPrev = schedule.alphaBar(t - 1);
            double[] c = DdpmStep.meanCoefficients(schedule, t, t - 1);
            assertEquals(Math.sqrt(abarPrev) * beta / (1 - abar), c[0], 1e-15);
            assertEquals(Math.sqrt(alpha) * (1 - abarPrev) / (1 - abar), c[1], 1e-14);
            assertEquals((1 - abarPrev) / (1 - abar) * beta, DdpmStep.posteriorVariance(schedule, t, t - 1), 1e-17);
        }
        assertEquals(0.0, DdpmStep.posteriorVariance(schedule, 0, -1));
        assertArrayEquals(new double[] {1, 0}, DdpmStep.meanCoefficients(schedule, 0, -1), 1e-15);
    }

    @Test
    void posteriorStepPreservesTheForwardMarginals() {
        // if x_t ~ N(sqrt(abar_t) x0, (1-abar_t) I) and x_s ~ q(x_s | x_t, x0), then x_s ~ N(sqrt(abar_s) x0, (1-abar_s) I):
        // c_x0 + c_xt sqrt(abar_t) = sqrt(abar_s) and c_xt^2 (1 - abar_t) + betaTilde = 1 - abar_s, on every grid pair
        for (TimeGrid grid : new TimeGrid[] {TimeGrid.ddpm(schedule), TimeGrid.ddimUniform(schedule, 20),
            TimeGrid.ldm(schedule, 50), TimeGrid.ddimQuadratic(schedule, 20)}) {
            for (TimeGrid.Step step : grid.steps()) {
                double abarT = schedule.alphaBar(step.t());
                double abarS = schedule.alphaBar(step.tPrev());
                double[] c = DdpmStep.meanCoefficients(schedule, step.t(), step.tPrev());
                double variance = DdpmStep.posteriorVariance(schedule, step.t(), step.tPrev());
                // the coefficients divide by 1 - abar_t >= beta_0 = 1e-4, which carries a relative rounding error of
                // up to 1.1e-16 / 1e-4 ~ 1e-12: that is the tolerance of these identities
                assertEquals(Math.sqrt(abarS), c[0] + c[1] * Math.sqrt(abarT), 1e-12, grid + " " + step);
                assertEquals(1 - abarS, c[1] * c[1] * (1 - abarT) + variance, 1e-12, grid + " " + step);
                double sigma = DdimStep.sigma(schedule, step.t(), step.tPrev(), 1.0);
                assertEquals(variance, sigma * sigma, 1e-15, "DDIM eta = 1 has the DDPM posterior variance");
            }
        }
    }

    @Test
    void ddpmStepEqualsDdimWithEtaOneGivenTheSameNoise() {
        // both draw z with one normalLike of the same shape, so with equal seeds the updates must agree exactly
        NDArray xt = normal(3);
        NDArray eps = normal(4);
        for (int[] pair : new int[][] {{999, 998}, {500, 480}, {20, 0}, {1, 0}}) {
            StepResult ddpm = DdpmStep.step(schedule, xt, eps, pair[0], pair[1], NoiseSource.seeded(9));
            StepResult ddim = DdimStep.step(schedule, xt, eps, pair[0], pair[1], 1.0, NoiseSource.seeded(9));
            assertClose(ddpm.x0Hat(), ddim.x0Hat(), 0);
            assertClose(ddpm.xPrev(), ddim.xPrev(), 1e-11);
        }
    }

    @Test
    void ddimEtaZeroIsDeterministicAndFollowsEquation12() {
        NDArray xt = normal(5);
        NDArray eps = normal(6);
        int t = 600;
        int s = 580;
        StepResult r = DdimStep.step(schedule, xt, eps, t, s, 0.0, null);
        double abarT = schedule.alphaBar(t);
        double abarS = schedule.alphaBar(s);
        NDArray x0 = xt.sub(eps.mul(Math.sqrt(1 - abarT))).div(Math.sqrt(abarT));
        // two roundings of the same formula, amplified by 1/sqrt(abar_t) ~ 4 at t = 600: 1e-12 is ample
        assertClose(x0, r.x0Hat(), 1e-12);
        assertClose(x0.mul(Math.sqrt(abarS)).add(eps.mul(Math.sqrt(1 - abarS))), r.xPrev(), 1e-12);
        // the last step lands on x0Hat for both rules, without noise
        StepResult last = DdimStep.step(schedule, xt, eps, 5, -1, 1.0, null);
        assertClose(last.x0Hat(), last.xPrev(), 0);
        StepResult lastDdpm = DdpmStep.step(schedule, xt, eps, 0, -1, null);
        assertClose(lastDdpm.x0Hat(), lastDdpm.xPrev(), 1e-15);
    }

    @Test
    void stochasticStepsRefuseAMissingNoiseSourceAndBadEta() {
        NDArray xt = normal(7);
        NDArray eps = normal(8);
        assertThrows(IllegalArgumentException.class, () -> DdpmStep.step(schedule, xt, eps, 10, 9, null));
        assertThrows(IllegalArgumentException.class, () -> DdimStep.step(schedule, xt, eps, 10, 9, 0.5, null));
        assertThrows(IllegalArgumentException.class, () -> DdimStep.sigma(schedule, 10, 9, -0.1));
        assertThrows(IllegalArgumentException.class, () -> DdimStep.sigma(schedule, 10, 9, Double.NaN));
        assertThrows(IllegalArgumentException.class,
                () -> DdimStep.step(schedule, xt, eps, 999, 0, 3.0, NoiseSource.seeded(1)), "eta too large");
        assertThrows(IllegalArgumentException.class, () -> DdpmStep.step(schedule, xt, eps, 10, 10, NoiseSource.seeded(1)));
        assertThrows(IllegalArgumentException.class, () -> DdpmStep.step(schedule, xt, eps, 1000, 2, NoiseSource.seeded(1)));
    }

    @Test
    void stepsKeepTheInputType() {
        NDArray xt = normal(9).toType(DataType.FLOAT32, false);
        NDArray eps = normal(10).toType(DataType.FLOAT32, false);
        StepResult r = DdimStep.step(schedule, xt, eps, 300, 200, 0.7, NoiseSource.seeded(2));
        assertEquals(DataType.FLOAT32, r.xPrev().getDataType());
        assertEquals(DataType.FLOAT32, r.x0Hat().getDataType());
        StepResult d = DdpmStep.step(schedule, xt, eps, 300, 299, NoiseSource.seeded(2));
        assertEquals(DataType.FLOAT32, d.xPrev().getDataType());
        assertEquals(xt.getShape(), d.xPrev().getShape());
    }
}
