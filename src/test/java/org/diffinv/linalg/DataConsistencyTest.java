package org.diffinv.linalg;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.diffinv.diffusion.NoiseSource;
import org.diffinv.operators.CgOptions;
import org.diffinv.operators.GaussianBlur;
import org.diffinv.operators.SeparableOperator;
import org.diffinv.operators.SuperResolution;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** P2L's proximal projection and DDS's Krylov step against closed forms from the SVD tier. */
class DataConsistencyTest {

    private static double relErr(NDArray a, NDArray b) {
        return a.sub(b).norm().getDouble() / b.norm().getDouble();
    }

    @Test
    void p2lProjectionConvergedEqualsClosedFormProx() {
        try (NDManager m = NDManager.newBaseManager()) {
            NoiseSource noise = NoiseSource.seeded(1);
            SeparableOperator a = GaussianBlur.reflect(5, 0.8);
            NDArray x0 = noise.normal(m, new Shape(2, 1, 12, 12), DataType.FLOAT64);
            NDArray y = noise.normal(m, a.outputShape(x0.getShape()), DataType.FLOAT64);
            double lambda = 0.5;
            NDArray x = DataConsistency.p2lProximalProjection(a, y, x0, lambda, CgOptions.EXACT);
            // (A^T A + lambda I) x = A^T y + lambda x0  <=>  prox of 1/2||Ax-y||^2 with gamma = 1/lambda at x0
            NDArray exact = a.proxL2(x0, y, 1 / lambda, CgOptions.EXACT);
            assertTrue(relErr(x, exact) < 1e-9, "relative error " + relErr(x, exact));
            // first-order optimality
            NDArray grad = a.adjoint(a.apply(x).sub(y)).add(x.sub(x0).mul(lambda));
            assertTrue(grad.norm().getDouble() < 1e-8 * y.norm().getDouble());
        }
    }

    @Test
    void p2lProjectionWithFiveIterationsMovesTowardsTheSolution() {
        try (NDManager m = NDManager.newBaseManager()) {
            NoiseSource noise = NoiseSource.seeded(2);
            SeparableOperator a = SuperResolution.averagePool(2);
            NDArray x0 = noise.normal(m, new Shape(1, 1, 8, 8), DataType.FLOAT64);
            NDArray y = noise.normal(m, a.outputShape(x0.getShape()), DataType.FLOAT64);
            NDArray exact = a.proxL2(x0, y, 1.0, CgOptions.EXACT);
            NDArray x = DataConsistency.p2lProximalProjection(a, y, x0, 1.0, DataConsistency.P2L_OPTIONS);
            assertTrue(relErr(x, exact) < relErr(x0, exact), "the truncated projection did not improve on x0");
        }
    }

    @Test
    void ddsWithoutWeightConvergesToTheAffineProjection() {
        try (NDManager m = NDManager.newBaseManager()) {
            NoiseSource noise = NoiseSource.seeded(3);
            SeparableOperator a = SuperResolution.averagePool(2);
            NDArray x0Hat = noise.normal(m, new Shape(3, 1, 8, 8), DataType.FLOAT64);
            NDArray y = noise.normal(m, a.outputShape(x0Hat.getShape()), DataType.FLOAT64);
            // average pooling has one singular value (1/2) per block: CG converges in one iteration
            NDArray x = DataConsistency.ddsStep(a, y, x0Hat, 0.0, 3);
            NDArray exact = x0Hat.sub(a.pinv(a.apply(x0Hat).sub(y)));
            assertTrue(relErr(x, exact) < 1e-12, "relative error " + relErr(x, exact));
            assertTrue(relErr(a.apply(x), y) < 1e-12, "A x = y must hold after the step");
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
            DataConsistency.p2lProximalProjection(a, y, x0, 1.0, DataConsistency.P2L_OPTIONS);
            assertEquals(before + 1, m.getManagedArrays().size());
        }
    }

    @Test
    void rejectsBadWeights() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.zeros(new Shape(1, 1, 4, 4), DataType.FLOAT64);
            SeparableOperator a = SuperResolution.averagePool(2);
            NDArray y = a.apply(x);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> DataConsistency.p2lProximalProjection(a, y, x, -1, CgOptions.DEFAULT));
            assertTrue(e.getMessage().contains("-1"));
            assertThrows(IllegalArgumentException.class, () -> DataConsistency.ddsStep(a, y, x, 0, 0));
            assertThrows(IllegalArgumentException.class, () -> DataConsistency.ddsStep(a, y, x, Double.NaN, 5));
        }
    }
}
