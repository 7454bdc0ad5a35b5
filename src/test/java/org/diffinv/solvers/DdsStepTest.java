package org.diffinv.solvers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.diffinv.diffusion.NoiseSource;
import org.diffinv.linalg.CgOptions;
import org.diffinv.operators.GaussianBlur;
import org.diffinv.operators.SeparableOperator;
import org.diffinv.operators.SuperResolution;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** DDS's Krylov data-consistency update against the affine projection of the SVD tier. */
class DdsStepTest {

    private static double relErr(NDArray a, NDArray b) {
        return a.sub(b).norm().getDouble() / b.norm().getDouble();
    }

    @Test
    void withoutWeightConvergesToTheAffineProjection() {
        try (NDManager m = NDManager.newBaseManager()) {
            NoiseSource noise = NoiseSource.seeded(3);
            SeparableOperator a = SuperResolution.averagePool(2);
            NDArray x0Hat = noise.normal(m, new Shape(3, 1, 8, 8), DataType.FLOAT64);
            NDArray y = noise.normal(m, a.outputShape(x0Hat.getShape()), DataType.FLOAT64);
            // average pooling has one singular value (1/2) per block: CG converges in one iteration
            NDArray x = DdsStep.update(a, y, x0Hat, 0.0, 3);
            NDArray exact = x0Hat.sub(a.pinv(a.apply(x0Hat).sub(y)));
            assertTrue(relErr(x, exact) < 1e-12, "relative error " + relErr(x, exact));
            assertTrue(relErr(a.apply(x), y) < 1e-12, "A x = y must hold after the step");
        }
    }

    @Test
    void withWeightAndEnoughIterationsEqualsTheProximalMap() {
        try (NDManager m = NDManager.newBaseManager()) {
            NoiseSource noise = NoiseSource.seeded(5);
            SeparableOperator a = GaussianBlur.reflect(5, 0.8);
            NDArray x0Hat = noise.normal(m, new Shape(2, 1, 10, 10), DataType.FLOAT64);
            NDArray y = noise.normal(m, a.outputShape(x0Hat.getShape()), DataType.FLOAT64);
            double gamma = 0.25;
            NDArray x = DdsStep.update(a, y, x0Hat, gamma, 500);
            NDArray exact = a.proxL2(x0Hat, y, 1 / gamma, CgOptions.EXACT);
            assertTrue(relErr(x, exact) < 1e-9, "relative error " + relErr(x, exact));
        }
    }

    @Test
    void rejectsBadWeightsAndBudgets() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.zeros(new Shape(1, 1, 4, 4), DataType.FLOAT64);
            SeparableOperator a = SuperResolution.averagePool(2);
            NDArray y = a.apply(x);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> DdsStep.update(a, y, x, 0, 0));
            assertTrue(e.getMessage().contains("at least 1 CG iteration, got 0"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> DdsStep.update(a, y, x, Double.NaN, 5));
            assertTrue(e.getMessage().contains("gamma must be >= 0 and finite, got NaN"), e.getMessage());
            NDArray rank3 = m.zeros(new Shape(1, 4, 4), DataType.FLOAT64);
            e = assertThrows(IllegalArgumentException.class, () -> DdsStep.update(a, y, rank3, 0, 5));
            assertTrue(e.getMessage().contains("anchor must have rank 4 (N, C, H, W), got shape (1, 4, 4)"),
                    e.getMessage());
        }
    }
}
