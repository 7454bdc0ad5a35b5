package org.diffinv.linalg;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.ArrayRealVector;
import org.apache.commons.math3.linear.LUDecomposition;
import org.apache.commons.math3.linear.RealMatrix;
import org.apache.commons.math3.linear.RealVector;
import org.apache.commons.math3.linear.SingularValueDecomposition;
import org.diffinv.diffusion.NoiseSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The kit's conjugate-gradient solver against dense commons-math solutions, in FLOAT64. */
class ConjugateGradientTest {

    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    /** A random SPD matrix {@code B B^T + shift I} (n x n), condition number moderate. */
    private static RealMatrix spd(int n, int rank, double shift, long seed) {
        NoiseSource noise = NoiseSource.seeded(seed);
        double[][] b = new double[n][rank];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < rank; j++) {
                b[i][j] = noise.nextGaussian();
            }
        }
        RealMatrix bm = new Array2DRowRealMatrix(b);
        RealMatrix m = bm.multiply(bm.transpose());
        for (int i = 0; i < n; i++) {
            m.addToEntry(i, i, shift);
        }
        return m;
    }

    /** {@code M} applied to a batch {@code (N, n)} as {@code x M^T} (M symmetric). */
    private UnaryOperator<NDArray> asMap(RealMatrix m) {
        int n = m.getRowDimension();
        double[] flat = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                flat[i * n + j] = m.getEntry(j, i);
            }
        }
        return x -> {
            NDArray mt = x.getManager().create(flat, new Shape(n, n)).toType(x.getDataType(), false);
            NDArray out = x.matMul(mt);
            mt.close();
            return out;
        };
    }

    private static double[] row(NDArray batch, int i) {
        return batch.get(i).toDoubleArray();
    }

    @Test
    void solvesSpdSystemsLikeLu() {
        RealMatrix m = spd(20, 20, 0.5, 1);
        double[][] b = new double[2][];
        NoiseSource noise = NoiseSource.seeded(2);
        for (int s = 0; s < 2; s++) {
            b[s] = new double[20];
            for (int i = 0; i < 20; i++) {
                b[s][i] = noise.nextGaussian();
            }
        }
        NDArray rhs = manager.create(new double[][] {b[0], b[1]});
        CgResult r = ConjugateGradient.solve(asMap(m), rhs, new CgOptions(200, 1e-13));
        assertTrue(r.converged(), r.toString());
        for (int s = 0; s < 2; s++) {
            RealVector exact = new LUDecomposition(m).getSolver().solve(new ArrayRealVector(b[s]));
            assertArrayEquals(exact.toArray(), row(r.solution(), s), 1e-9 * exact.getNorm());
        }
    }

    /**
     * Per-sample inner products: each sample of a batch follows its own recursion, so solving a batch whose
     * right-hand sides differ by 1e6 in scale gives the same answers (and iteration counts) as solving each alone;
     * a zero sample stays zero (no 0/0).
     */
    @Test
    void batchSamplesAreIndependent() {
        RealMatrix m = spd(12, 12, 0.1, 3);
        NoiseSource noise = NoiseSource.seeded(4);
        double[][] b = new double[3][12];
        for (int i = 0; i < 12; i++) {
            b[0][i] = 1e-3 * noise.nextGaussian();
            b[1][i] = 1e3 * noise.nextGaussian();
        }
        NDArray rhs = manager.create(b);
        CgOptions opts = new CgOptions(100, 1e-12);
        CgResult batch = ConjugateGradient.solve(asMap(m), rhs, opts);
        for (int s = 0; s < 2; s++) {
            CgResult alone = ConjugateGradient.solve(asMap(m), manager.create(new double[][] {b[s]}), opts);
            assertArrayEquals(row(alone.solution(), 0), row(batch.solution(), s), 0.0, "sample " + s);
        }
        assertArrayEquals(new double[12], row(batch.solution(), 2), 0.0);
        assertEquals(0.0, batch.relativeResiduals()[2]);
        assertTrue(batch.converged());
    }

    /**
     * On a singular PSD system with a consistent right-hand side, CG from zero converges to the minimum-norm
     * solution {@code M^+ b} (iterates stay in the range of M).
     */
    @Test
    void singularConsistentSystemGivesMinimumNorm() {
        RealMatrix m = spd(15, 6, 0.0, 5); // rank 6
        RealVector x = new ArrayRealVector(15);
        NoiseSource noise = NoiseSource.seeded(6);
        for (int i = 0; i < 15; i++) {
            x.setEntry(i, noise.nextGaussian());
        }
        RealVector b = m.operate(x);
        CgResult r = ConjugateGradient.solve(asMap(m), manager.create(new double[][] {b.toArray()}), new CgOptions(100, 1e-14));
        RealVector minNorm = new SingularValueDecomposition(m).getSolver().getInverse().operate(b);
        assertArrayEquals(minNorm.toArray(), row(r.solution(), 0), 1e-8 * minNorm.getNorm());
        assertTrue(r.iterations() <= 10, "rank 6 system needs about 6 iterations, took " + r.iterations());
    }

    /** With 4 distinct eigenvalues CG terminates in 4 iterations (exact arithmetic; 5 allowed for rounding). */
    @Test
    void terminatesInDistinctEigenvalueCount() {
        RealMatrix m = new Array2DRowRealMatrix(10, 10);
        double[] eig = {1, 2, 5, 9};
        for (int i = 0; i < 10; i++) {
            m.setEntry(i, i, eig[i % 4]);
        }
        double[] b = new double[10];
        java.util.Arrays.fill(b, 1.0);
        CgResult r = ConjugateGradient.solve(asMap(m), manager.create(new double[][] {b}), new CgOptions(50, 1e-12));
        assertTrue(r.converged() && r.iterations() <= 5, r.toString());
        for (int i = 0; i < 10; i++) {
            assertEquals(1.0 / eig[i % 4], r.solution().getDouble(0, i), 1e-12);
        }
    }

    @Test
    void reportsNonConvergenceAndStartsFromX0() {
        RealMatrix m = spd(30, 30, 1e-4, 7);
        double[] b = new double[30];
        b[0] = 1;
        NDArray rhs = manager.create(new double[][] {b});
        CgResult r = ConjugateGradient.solve(asMap(m), rhs, new CgOptions(3, 1e-12));
        assertFalse(r.converged());
        assertEquals(3, r.iterations());
        // restarting from the exact solution converges at once
        RealVector exact = new LUDecomposition(m).getSolver().solve(new ArrayRealVector(b));
        NDArray x0 = manager.create(new double[][] {exact.toArray()});
        CgResult again = ConjugateGradient.solve(asMap(m), rhs, x0, new CgOptions(3, 1e-6));
        assertTrue(again.converged() && again.iterations() <= 1, again.toString());
    }

    @Test
    void rejectsIndefiniteOperatorsAndBadInput() {
        RealMatrix m = new Array2DRowRealMatrix(new double[][] {{1, 0}, {0, -1}});
        NDArray rhs = manager.create(new double[][] {{1, 2}}); // <b, M b> = 1 - 4 < 0
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ConjugateGradient.solve(asMap(m), rhs, CgOptions.DEFAULT));
        assertTrue(e.getMessage().contains("not positive semidefinite"), e.getMessage());
        NDArray ints = manager.zeros(new Shape(1, 2), DataType.INT32);
        e = assertThrows(IllegalArgumentException.class, () -> ConjugateGradient.solve(x -> x, ints, CgOptions.DEFAULT));
        assertTrue(e.getMessage().contains("INT32"), e.getMessage());
        NDArray x0 = manager.zeros(new Shape(1, 3), DataType.FLOAT64);
        e = assertThrows(IllegalArgumentException.class, () -> ConjugateGradient.solve(x -> x, rhs, x0, CgOptions.DEFAULT));
        assertTrue(e.getMessage().contains("(1, 3)"), e.getMessage());
    }

    /** FLOAT32 works in FLOAT32 and reaches single-precision accuracy. */
    @Test
    void float32() {
        RealMatrix m = spd(8, 8, 1.0, 8);
        double[] b = {1, 2, 3, 4, 5, 6, 7, 8};
        NDArray rhs = manager.create(new double[][] {b}).toType(DataType.FLOAT32, false);
        CgResult r = ConjugateGradient.solve(asMap(m), rhs, new CgOptions(50, 1e-5));
        assertEquals(DataType.FLOAT32, r.solution().getDataType());
        RealVector exact = new LUDecomposition(m).getSolver().solve(new ArrayRealVector(b));
        double[] got = r.solution().toType(DataType.FLOAT64, false).get(0).toDoubleArray();
        assertArrayEquals(exact.toArray(), got, 1e-4 * exact.getNorm());
    }

    /** The solver leaves no temporaries on the caller's manager: only the solution is added. */
    @Test
    void noLeakedTemporaries() {
        RealMatrix m = spd(10, 10, 0.5, 9);
        try (NDManager caller = manager.newSubManager()) {
            NDArray rhs = caller.create(new double[][] {{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}});
            int before = ((ai.djl.ndarray.BaseNDManager) caller).getManagedArrays().size();
            CgResult r = ConjugateGradient.solve(asMap(m), rhs, new CgOptions(100, 1e-12));
            int after = ((ai.djl.ndarray.BaseNDManager) caller).getManagedArrays().size();
            assertTrue(r.iterations() > 5);
            assertEquals(before + 1, after, "only the solution stays on the caller's manager");
        }
    }
}
