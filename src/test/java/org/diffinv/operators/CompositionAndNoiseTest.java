package org.diffinv.operators;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.diffinv.diffusion.NoiseSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.diffinv.operators.TestSupport.norm;
import static org.diffinv.operators.TestSupport.randn;
import static org.diffinv.operators.TestSupport.relErr;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Composition tiers and order, and Gaussian measurement noise. */
class CompositionAndNoiseTest {

    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    @Test
    void linearCompositionAppliesInOrderAndAdjointsInReverse() {
        SeparableOperator blur = GaussianBlur.reflect(3, 0.8);
        SeparableOperator pool = SuperResolution.averagePool(2);
        LinearOperator both = blur.then(pool);
        NDArray x = randn(manager, new Shape(2, 3, 8, 8), 1);
        assertEquals(0.0, relErr(both.apply(x), pool.apply(blur.apply(x))));
        NDArray y = randn(manager, new Shape(2, 3, 4, 4), 2);
        assertEquals(0.0, relErr(both.adjoint(y), blur.adjoint(pool.adjoint(y))));
        assertEquals(new Shape(2, 3, 4, 4), both.outputShape(x.getShape()));
        assertFalse(both instanceof SvdOperator, "a composition is never SVD tier");
    }

    @Test
    void mixedCompositionIsForwardTierWithChainRuleVjp() {
        NonlinearBlur nl = new NonlinearBlur(GaussianBlur.reflect(3, 1.0));
        Operator op = Composed.of(nl, SuperResolution.averagePool(2));
        assertFalse(op instanceof LinearOperator);
        assertInstanceOf(LinearOperator.class, Composed.of((Operator) new Denoising(), GaussianBlur.reflect(3, 1.0)));
        NDArray x = randn(manager, new Shape(1, 1, 8, 8), 3).tanh();
        NDArray v = randn(manager, new Shape(1, 1, 4, 4), 4);
        NDArray expected = nl.vjp(x, SuperResolution.averagePool(2).adjoint(v));
        assertTrue(relErr(op.vjp(x, v), expected) < 1e-14);
        // nested compositions flatten
        Composed nested = (Composed) Composed.of(op, new Denoising());
        assertEquals(3, nested.parts().size());
    }

    @Test
    void noiseConventions() {
        MeasurementNoise n = MeasurementNoise.ofUnitRange(0.05);
        assertEquals(0.1, n.sigma(), 1e-16);
        assertEquals(0.025, MeasurementNoise.ofWorkingRange(0.05).sigma01(), 1e-16);
    }

    /** {@code y = A x + sigma z}: seeded, zero-mean, standard deviation sigma (65536 draws: 1% relative bound,
     * about 3.6 standard errors of the sample standard deviation). */
    @Test
    void measurementAddsSeededNoiseOfTheStatedLevel() {
        Operator op = SuperResolution.averagePool(2);
        NDArray x = randn(manager, new Shape(4, 1, 256, 256), 5).tanh();
        MeasurementNoise noise = MeasurementNoise.ofUnitRange(0.05);
        NDArray y1 = Measurement.measure(op, x, noise, NoiseSource.seeded(9));
        NDArray y2 = Measurement.measure(op, x, noise, NoiseSource.seeded(9));
        assertEquals(0.0, relErr(y1, y2));
        NDArray residual = y1.sub(op.apply(x));
        double count = residual.getShape().size();
        double std = norm(residual) / Math.sqrt(count);
        assertEquals(0.1, std, 1e-3);
        assertEquals(0.0, residual.mean().getDouble(), 4 * 0.1 / Math.sqrt(count));
        assertEquals(0.0, relErr(Measurement.measure(op, x, MeasurementNoise.NONE, null), op.apply(x)));
    }
}
