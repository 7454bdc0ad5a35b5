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

/** P2L's proximal projection against the closed-form proximal map of the SVD tier. */
class P2lProjectionTest {

    private static double relErr(NDArray a, NDArray b) {
        return a.sub(b).norm().getDouble() / b.norm().getDouble();
    }

    @Test
    void convergedProjectionEqualsClosedFormProx() {
        try (NDManager m = NDManager.newBaseManager()) {
            NoiseSource noise = NoiseSource.seeded(1);
            SeparableOperator a = GaussianBlur.reflect(5, 0.8);
            NDArray x0 = noise.normal(m, new Shape(2, 1, 12, 12), DataType.FLOAT64);
            NDArray y = noise.normal(m, a.outputShape(x0.getShape()), DataType.FLOAT64);
            double lambda = 0.5;
            NDArray x = P2lProjection.project(a, y, x0, lambda, CgOptions.EXACT);
            // (A^T A + lambda I) x = A^T y + lambda x0  <=>  prox of 1/2||Ax-y||^2 with gamma = 1/lambda at x0
            NDArray exact = a.proxL2(x0, y, 1 / lambda, CgOptions.EXACT);
            assertTrue(relErr(x, exact) < 1e-9, "relative error " + relErr(x, exact));
            // first-order optimality
            NDArray grad = a.adjoint(a.apply(x).sub(y)).add(x.sub(x0).mul(lambda));
            assertTrue(grad.norm().getDouble() < 1e-8 * y.norm().getDouble());
        }
    }

    @Test
    void fiveIterationsMoveTowardsTheSolution() {
        try (NDManager m = NDManager.newBaseManager()) {
            NoiseSource noise = NoiseSource.seeded(2);
            SeparableOperator a = SuperResolution.averagePool(2);
            NDArray x0 = noise.normal(m, new Shape(1, 1, 8, 8), DataType.FLOAT64);
            NDArray y = noise.normal(m, a.outputShape(x0.getShape()), DataType.FLOAT64);
            NDArray exact = a.proxL2(x0, y, 1.0, CgOptions.EXACT);
            NDArray x = P2lProjection.project(a, y, x0, 1.0, P2lProjection.P2L_OPTIONS);
            assertTrue(relErr(x, exact) < relErr(x0, exact), "the truncated projection did not improve on x0");
        }
    }

    @Test
    void leavesOnlyTheResultOnTheCallersManager() {
        try (NDManager m = NDManager.newBaseManager()) {
            NoiseSource noise = NoiseSource.seeded(4);
            SeparableOperator a = GaussianBlur.reflect(3, 0.6);
            NDArray x0 = noise.normal(m, new Shape(1, 1, 8, 8), DataType.FLOAT64);
            NDArray y = noise.normal(m, new Shape(1, 1, 8, 8), DataType.FLOAT64);
            int before = m.getManagedArrays().size();
            P2lProjection.project(a, y, x0, 1.0, P2lProjection.P2L_OPTIONS);
            assertEquals(before + 1, m.getManagedArrays().size());
        }
    }

    @Test
    void rejectsBadInput() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.zeros(new Shape(1, 1, 4, 4), DataType.FLOAT64);
            SeparableOperator a = SuperResolution.averagePool(2);
            NDArray y = a.apply(x);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> P2lProjection.project(a, y, x, -1, CgOptions.DEFAULT));
            assertTrue(e.getMessage().contains("lambda must be positive and finite, got -1.0"), e.getMessage());
            NDArray wrongY = m.zeros(new Shape(1, 1, 3, 2), DataType.FLOAT64);
            e = assertThrows(IllegalArgumentException.class,
                    () -> P2lProjection.project(a, wrongY, x, 1, CgOptions.DEFAULT));
            assertTrue(e.getMessage().contains("measurement y must have shape (1, 1, 2, 2), got (1, 1, 3, 2)"),
                    e.getMessage());
            NDArray nanY = m.create(new double[] {0, Double.NaN, 0, 0}, new Shape(1, 1, 2, 2));
            e = assertThrows(IllegalArgumentException.class,
                    () -> P2lProjection.project(a, nanY, x, 1, CgOptions.DEFAULT));
            assertTrue(e.getMessage().contains("measurement y of shape (1, 1, 2, 2) contains 1 NaN and 0 infinite values; "
                    + "expected finite values"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> P2lProjection.project(a, y, x, 1, null));
            assertTrue(e.getMessage().contains("the CG options is null"), e.getMessage());
        }
    }
}
