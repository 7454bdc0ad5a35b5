package org.diffinv.priors;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.diffusion.NoiseSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The exact priors refuse NaN and infinite input before any work, with a message naming the entry point,
 * the argument, the count of bad entries and the expectation (instead of returning NaN).
 */
class PriorNonFiniteInputTest {

    private static final Shape IMAGE = new Shape(1, 2, 4);

    private final NoiseSchedule schedule = NoiseSchedule.ddpmLinear();
    private final GaussianPrior gaussian = TestPriors.randomGaussian(schedule, IMAGE, NoiseSource.seeded(21));
    private final GaussianMixturePrior mixture = GaussianMixturePrior.of(new double[] {0.4, 0.6},
            java.util.List.of(gaussian, TestPriors.randomGaussian(schedule, IMAGE, NoiseSource.seeded(22))));
    private final TestMatrixOperator a = TestMatrixOperator.random(5, IMAGE, NoiseSource.seeded(23));
    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    /** A (2, 1, 2, 4) FLOAT64 batch with {@code nan} NaN entries and {@code inf} infinite ones. */
    private NDArray xtWith(int nan, int inf) {
        double[] v = NoiseSource.seeded(24).normal(manager, new Shape(2, 1, 2, 4), DataType.FLOAT64).toDoubleArray();
        for (int i = 0; i < nan; i++) {
            v[2 * i] = Double.NaN;
        }
        for (int i = 0; i < inf; i++) {
            v[2 * i + 1] = i % 2 == 0 ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY;
        }
        return manager.create(v, new Shape(2, 1, 2, 4));
    }

    private NDArray y() {
        return NoiseSource.seeded(25).normal(manager, new Shape(1, 5), DataType.FLOAT64);
    }

    private static void assertMessage(Executable call, String... parts) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "message '" + e.getMessage() + "' lacks '" + p + "'");
        }
    }

    @Test
    void gaussianEpsRefusesNonFiniteXt() {
        assertMessage(() -> gaussian.eps(xtWith(3, 0), 10),
                "GaussianPrior.eps: x_t of shape (2, 1, 2, 4) contains 3 NaN and 0 infinite values; expected finite values");
        assertMessage(() -> gaussian.eps(xtWith(1, 2), 10), "x_t", "1 NaN and 2 infinite values", "expected finite values");
        NDArray float32 = xtWith(0, 1).toType(DataType.FLOAT32, false);
        assertMessage(() -> gaussian.eps(float32, 10), "x_t", "0 NaN and 1 infinite values");
    }

    @Test
    void gaussianConditionalScoreRefusesNonFiniteXtAndY() {
        NDArray xt = xtWith(0, 0);
        assertMessage(() -> gaussian.conditionalScore(a, y(), 0.1, xtWith(2, 0), 10),
                "GaussianPrior.conditionalScore: x_t", "contains 2 NaN and 0 infinite values; expected finite values");
        double[] bad = y().toDoubleArray();
        bad[3] = Double.NaN;
        NDArray badY = manager.create(bad, new Shape(1, 5));
        assertMessage(() -> gaussian.conditionalScore(a, badY, 0.1, xt, 10),
                "measurement y of shape (1, 5) contains 1 NaN/Inf entries", "flat index 3", "expected finite values");
    }

    @Test
    void posteriorsRefuseNonFiniteY() {
        double[] bad = y().toDoubleArray();
        bad[0] = Double.POSITIVE_INFINITY;
        bad[4] = Double.NaN;
        NDArray badY = manager.create(bad, new Shape(1, 5));
        assertMessage(() -> gaussian.posterior(a, badY, 0.1),
                "measurement y of shape (1, 5) contains 2 NaN/Inf entries (the first, Infinity, at flat index 0); "
                        + "expected finite values");
        assertMessage(() -> gaussian.logEvidence(a, badY, 0.1), "measurement y", "2 NaN/Inf entries");
        assertMessage(() -> mixture.posterior(a, badY, 0.1), "measurement y", "2 NaN/Inf entries", "expected finite values");
    }

    @Test
    void mixtureEpsAndResponsibilitiesRefuseNonFiniteXt() {
        assertMessage(() -> mixture.eps(xtWith(3, 0), 10),
                "GaussianMixturePrior.eps: x_t of shape (2, 1, 2, 4) contains 3 NaN and 0 infinite values; "
                        + "expected finite values");
        assertMessage(() -> mixture.responsibilities(xtWith(0, 2), 10),
                "GaussianMixturePrior.responsibilities: x_t", "0 NaN and 2 infinite values", "expected finite values");
    }

    @Test
    void finiteInputStillWorks() {
        NDArray xt = xtWith(0, 0);
        NDArray eps = gaussian.eps(xt, 10);
        assertTrue(eps.isNaN().logicalOr(eps.isInfinite()).none().getBoolean());
        assertTrue(mixture.eps(xt, 10).isNaN().none().getBoolean());
        assertTrue(mixture.responsibilities(xt, 10).isNaN().none().getBoolean());
        assertTrue(gaussian.conditionalScore(a, y(), 0.1, xt, 10).isNaN().none().getBoolean());
    }
}
