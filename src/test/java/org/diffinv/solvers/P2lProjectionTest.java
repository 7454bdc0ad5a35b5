package org.diffinv.solvers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.diffinv.diffusion.NoiseSource;
import org.diffinv.linalg.CgOptions;
import org.diffinv.linalg.Dense;
import org.diffinv.operators.GaussianBlur;
import org.diffinv.operators.SeparableOperator;
import org.diffinv.operators.SuperResolution;
import org.apache.commons.math3.linear.ArrayRealVector;
import org.apache.commons.math3.linear.MatrixUtils;
import org.apache.commons.math3.linear.RealMatrix;
import org.apache.commons.math3.linear.RealVector;
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

    /**
     * An independent reference for P2L's truncated projection: CG in plain double precision on the dense system
     * {@code (A^T A + lambda I) x = A^T y + lambda x0}, started at {@code x0}, stopping after {@code maxIterations}
     * or once {@code ||r|| <= tol ||b||} (the rule {@link ConjugateGradient} documents). Returns the iterate and, in
     * {@code used[0]}, the number of iterations run.
     */
    private static RealVector referenceCg(RealMatrix a, RealVector y, RealVector x0, double lambda, int maxIterations,
                                          double tol, int[] used) {
        int n = x0.getDimension();
        RealMatrix m = a.transpose().multiply(a).add(MatrixUtils.createRealIdentityMatrix(n).scalarMultiply(lambda));
        RealVector b = a.transpose().operate(y).add(x0.mapMultiply(lambda));
        RealVector x = x0.copy();
        RealVector r = b.subtract(m.operate(x));
        RealVector p = r.copy();
        double rr = r.dotProduct(r);
        double bb = b.dotProduct(b);
        int k = 0;
        while (k < maxIterations && rr > tol * tol * bb) {
            RealVector mp = m.operate(p);
            double alpha = rr / p.dotProduct(mp);
            x = x.add(p.mapMultiply(alpha));
            r = r.subtract(mp.mapMultiply(alpha));
            double rrNew = r.dotProduct(r);
            p = r.add(p.mapMultiply(rrNew / rr));
            rr = rrNew;
            k++;
        }
        used[0] = k;
        return x;
    }

    private static double relErr(RealVector a, RealVector b) {
        return a.subtract(b).getNorm() / b.getNorm();
    }

    @Test
    void p2lOptionsAreThePapersFiveIterationsAtTolerance1e4() {
        assertEquals(new CgOptions(5, 1e-4), P2lProjection.P2L_OPTIONS);
    }

    /**
     * With a badly enough conditioned system (blur, lambda = 0.1: eigenvalues in [0.1, 1.1]) the tolerance is not
     * reached in 5 iterations, so the projection must be <em>exactly</em> 5 CG iterations from {@code x0}; the
     * 1-, 4- and 6-iteration results are checked to be far from it, so a wrong iteration count fails.
     */
    @Test
    void p2lProjectionIsExactlyFiveCgIterationsFromX0() {
        try (NDManager m = NDManager.newBaseManager()) {
            NoiseSource noise = NoiseSource.seeded(2);
            SeparableOperator a = GaussianBlur.reflect(5, 1.2);
            Shape shape = new Shape(1, 1, 8, 8);
            NDArray x0 = noise.normal(m, shape, DataType.FLOAT64);
            NDArray y = noise.normal(m, a.outputShape(shape), DataType.FLOAT64);
            double lambda = 0.1;
            RealMatrix dense = Dense.matrix(a::apply, shape, m);
            RealVector yv = new ArrayRealVector(Dense.vector(y));
            RealVector x0v = new ArrayRealVector(Dense.vector(x0));
            int[] used = new int[1];
            RealVector ref5 = referenceCg(dense, yv, x0v, lambda, 5, 1e-4, used);
            assertEquals(5, used[0], "premise: the tolerance 1e-4 is not reached within 5 iterations here");
            RealVector x = new ArrayRealVector(Dense.vector(
                    P2lProjection.project(a, y, x0, lambda, P2lProjection.P2L_OPTIONS)));
            assertTrue(relErr(x, ref5) < 1e-10, "relative error to 5 CG iterations " + relErr(x, ref5));
            for (int k : new int[] {1, 4, 6}) {
                RealVector other = referenceCg(dense, yv, x0v, lambda, k, 1e-4, used);
                assertTrue(relErr(other, ref5) > 1e-4, k + " iterations are indistinguishable from 5: "
                        + relErr(other, ref5));
            }
        }
    }

    /**
     * With a well conditioned system (blur, lambda = 4: eigenvalues in [4, 5]) CG reaches the tolerance 1e-4 before
     * its 5-iteration budget, so the projection must stop there; a tighter or looser tolerance gives a result that
     * is checked to be far from it.
     */
    @Test
    void p2lProjectionStopsAtTheRelativeTolerance() {
        try (NDManager m = NDManager.newBaseManager()) {
            NoiseSource noise = NoiseSource.seeded(5);
            SeparableOperator a = GaussianBlur.reflect(5, 1.2);
            Shape shape = new Shape(1, 1, 8, 8);
            NDArray x0 = noise.normal(m, shape, DataType.FLOAT64);
            NDArray y = noise.normal(m, a.outputShape(shape), DataType.FLOAT64);
            double lambda = 4.0;
            RealMatrix dense = Dense.matrix(a::apply, shape, m);
            RealVector yv = new ArrayRealVector(Dense.vector(y));
            RealVector x0v = new ArrayRealVector(Dense.vector(x0));
            int[] used = new int[1];
            RealVector ref = referenceCg(dense, yv, x0v, lambda, 5, 1e-4, used);
            int stop = used[0];
            assertTrue(stop >= 2 && stop < 5, "premise: the tolerance stops CG within the budget, after " + stop);
            RealVector x = new ArrayRealVector(Dense.vector(
                    P2lProjection.project(a, y, x0, lambda, P2lProjection.P2L_OPTIONS)));
            assertTrue(relErr(x, ref) < 1e-10, "relative error to CG stopped at 1e-4 " + relErr(x, ref));
            RealVector tighter = referenceCg(dense, yv, x0v, lambda, 5, 1e-6, used);
            assertTrue(used[0] > stop && relErr(tighter, ref) > 1e-6, "tolerance 1e-6 is indistinguishable");
            RealVector looser = referenceCg(dense, yv, x0v, lambda, 5, 1e-2, used);
            assertTrue(used[0] < stop && relErr(looser, ref) > 1e-6, "tolerance 1e-2 is indistinguishable");
        }
    }

    @Test
    void fiveIterationsMoveTowardsTheSolution() {
        try (NDManager m = NDManager.newBaseManager()) {
            NoiseSource noise = NoiseSource.seeded(2);
            SeparableOperator a = GaussianBlur.reflect(5, 1.2);
            NDArray x0 = noise.normal(m, new Shape(1, 1, 8, 8), DataType.FLOAT64);
            NDArray y = noise.normal(m, a.outputShape(x0.getShape()), DataType.FLOAT64);
            NDArray exact = a.proxL2(x0, y, 1 / 0.1, CgOptions.EXACT);
            NDArray x = P2lProjection.project(a, y, x0, 0.1, P2lProjection.P2L_OPTIONS);
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
