package org.diffinv.linalg;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.MatrixUtils;
import org.apache.commons.math3.linear.RealMatrix;
import org.diffinv.diffusion.NoiseSource;
import org.diffinv.operators.SuperResolution;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Dense views of operators and the full SVD of wide matrices. */
class DenseTest {

    /** The dense matrix of 2x2 average pooling on a 4x4 image has 1/4 on each block (column j = A e_j). */
    @Test
    void averagePoolMatrix() {
        try (NDManager m = NDManager.newBaseManager()) {
            RealMatrix a = Dense.matrix(SuperResolution.averagePool(2)::apply, new Shape(1, 1, 4, 4), m);
            assertEquals(4, a.getRowDimension());
            assertEquals(16, a.getColumnDimension());
            for (int i = 0; i < 4; i++) {
                for (int j = 0; j < 16; j++) {
                    int block = (j / 4 / 2) * 2 + (j % 4) / 2;
                    assertEquals(block == i ? 0.25 : 0.0, a.getEntry(i, j), 1e-16);
                }
            }
        }
    }

    /** {@code A = U diag(s) V[:, :m]^T} with orthogonal U and completed orthogonal V; null-space columns annihilated. */
    @Test
    void fullSvdOfWideMatrix() {
        NoiseSource noise = NoiseSource.seeded(1);
        double[][] d = new double[4][9];
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 9; j++) {
                d[i][j] = noise.nextGaussian();
            }
        }
        RealMatrix a = new Array2DRowRealMatrix(d);
        Dense.FullSvd svd = Dense.fullSvd(a);
        RealMatrix v = svd.v();
        assertTrue(v.transpose().multiply(v).subtract(MatrixUtils.createRealIdentityMatrix(9)).getNorm() < 1e-14);
        assertTrue(svd.u().transpose().multiply(svd.u()).subtract(MatrixUtils.createRealIdentityMatrix(4)).getNorm() < 1e-14);
        RealMatrix rebuilt = svd.u().multiply(MatrixUtils.createRealDiagonalMatrix(svd.s()))
                .multiply(v.getSubMatrix(0, 8, 0, 3).transpose());
        assertTrue(rebuilt.subtract(a).getNorm() < 1e-13 * a.getNorm());
        assertTrue(a.multiply(v.getSubMatrix(0, 8, 4, 8)).getNorm() < 1e-13 * a.getNorm(), "null space");
        assertThrows(IllegalArgumentException.class, () -> Dense.fullSvd(a.transpose()));
    }
}
