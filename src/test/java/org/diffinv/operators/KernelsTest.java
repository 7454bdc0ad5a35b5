package org.diffinv.operators;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.RealMatrix;
import org.apache.commons.math3.linear.SingularValueDecomposition;
import org.diffinv.diffusion.NoiseSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.diffinv.operators.TestSupport.randn;
import static org.diffinv.operators.TestSupport.relErr;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Exact checks of the kernels, paddings and separable matrices against independent computations. */
class KernelsTest {

    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    /** The derived x4 bicubic taps equal the spec's 16 weights / 4096 (exactly representable; 1e-15). */
    @Test
    void bicubicX4MatchesSpecWeights() {
        int[] spec = {-7, -45, -75, -49, 93, 399, 745, 987, 987, 745, 399, 93, -49, -75, -45, -7};
        double[][] r = Kernels.bicubicMatrix(32, 4);
        for (int j = 2; j <= 5; j++) { // interior rows: no reflection involved
            double[] expected = new double[32];
            for (int t = 0; t < 16; t++) {
                expected[4 * j - 6 + t] = spec[t] / 4096.0;
            }
            assertArrayEquals(expected, r[j], 1e-15, "row " + j);
        }
        // border row 0 folds taps at -6..-1 onto 5..0 (symmetric reflection)
        double[] row0 = new double[32];
        for (int t = 0; t < 16; t++) {
            row0[Padding.SYMMETRIC.index(-6 + t, 32)] += spec[t] / 4096.0;
        }
        assertArrayEquals(row0, r[0], 1e-15, "border row");
    }

    @Test
    void bicubicRowsSumToOneAndFactorOneIsIdentity() {
        for (int k = 2; k <= 5; k++) {
            for (double[] row : Kernels.bicubicMatrix(8 * k, k)) {
                double s = 0;
                for (double v : row) {
                    s += v;
                }
                assertEquals(1.0, s, 1e-14, "k=" + k);
            }
        }
        double[][] id = Kernels.bicubicMatrix(7, 1);
        for (int i = 0; i < 7; i++) {
            for (int j = 0; j < 7; j++) {
                assertEquals(i == j ? 1.0 : 0.0, id[i][j], 1e-15);
            }
        }
    }

    @Test
    void paddingIndices() {
        assertEquals(1, Padding.REFLECT.index(-1, 5));
        assertEquals(2, Padding.REFLECT.index(-2, 5));
        assertEquals(3, Padding.REFLECT.index(5, 5));
        assertEquals(0, Padding.SYMMETRIC.index(-1, 5));
        assertEquals(1, Padding.SYMMETRIC.index(-2, 5));
        assertEquals(4, Padding.SYMMETRIC.index(5, 5));
        assertEquals(-1, Padding.ZERO.index(-1, 5));
        assertEquals(2, Padding.ZERO.index(2, 5));
    }

    @Test
    void gaussianIsNormalisedSymmetricAndFollowsTheFormula() {
        double[] g = Kernels.gaussian(9, 1.3);
        double s = 0;
        for (double v : g) {
            s += v;
        }
        assertEquals(1.0, s, 1e-15);
        for (int k = 0; k < 9; k++) {
            assertEquals(g[k], g[8 - k], 1e-17);
            assertEquals(Math.exp(-(k - 4) * (k - 4) / (2 * 1.3 * 1.3)), g[k] / g[4], 1e-15);
        }
    }

    /** Reflect-padded Gaussian blur equals a direct 2-D correlation loop with PyTorch-style reflection. */
    @Test
    void gaussianBlurMatchesDirectLoop() {
        double[] g = Kernels.gaussian(5, 0.9);
        double[][] k2 = new double[5][5];
        for (int a = 0; a < 5; a++) {
            for (int b = 0; b < 5; b++) {
                k2[a][b] = g[a] * g[b];
            }
        }
        NDArray x = randn(manager, new Shape(2, 3, 9, 11), 1);
        NDArray y = GaussianBlur.reflect(5, 0.9).apply(x);
        assertTrue(relErr(y, directCorrelation(x, k2, Padding.REFLECT)) < 1e-14);
    }

    /** Motion blur equals a direct 2-D correlation loop with reflection. */
    @Test
    void motionBlurMatchesDirectLoop() {
        BlurKernel k = MotionKernels.generate(5, 0.7, NoiseSource.seeded(5));
        NDArray x = randn(manager, new Shape(2, 2, 8, 10), 2);
        NDArray y = new MotionBlur(k).apply(x);
        assertTrue(relErr(y, directCorrelation(x, k.values(), Padding.REFLECT)) < 1e-14);
    }

    private NDArray directCorrelation(NDArray x, double[][] k, Padding padding) {
        Shape s = x.getShape();
        int n = (int) s.get(0);
        int c = (int) s.get(1);
        int h = (int) s.get(2);
        int w = (int) s.get(3);
        double[] in = x.toDoubleArray();
        double[] out = new double[in.length];
        int p = (k.length - 1) / 2;
        for (int b = 0; b < n * c; b++) {
            for (int i = 0; i < h; i++) {
                for (int j = 0; j < w; j++) {
                    double acc = 0;
                    for (int a = 0; a < k.length; a++) {
                        for (int e = 0; e < k.length; e++) {
                            int ii = padding.index(i + a - p, h);
                            int jj = padding.index(j + e - p, w);
                            if (ii >= 0 && jj >= 0) {
                                acc += k[a][e] * in[b * h * w + ii * w + jj];
                            }
                        }
                    }
                    out[b * h * w + i * w + j] = acc;
                }
            }
        }
        return manager.create(out, s);
    }

    /**
     * Average pooling: 2-D singular values all 1/k on the blocks, {@code A^+ y} = nearest upsampling,
     * {@code P x} = block mean replicated (pixel-solvers spec section 4).
     */
    @Test
    void averagePoolClosedForms() {
        SeparableOperator op = SuperResolution.averagePool(4);
        double[][] s = op.singularValueGrid(16, 12);
        for (int i = 0; i < 16; i++) {
            for (int j = 0; j < 12; j++) {
                assertEquals(i < 4 && j < 3 ? 0.25 : 0.0, s[i][j], 1e-15);
            }
        }
        NDArray y = randn(manager, new Shape(2, 3, 4, 3), 3);
        NDArray nearest = y.repeat(2, 4).repeat(3, 4);
        assertTrue(relErr(op.pinv(y), nearest) < 1e-14, "A+ = nearest upsample");
        NDArray x = randn(manager, new Shape(2, 3, 16, 12), 4);
        NDArray blockMean = op.apply(x).repeat(2, 4).repeat(3, 4);
        assertTrue(relErr(op.project(x), blockMean) < 1e-14, "P = block mean replicated");
        NDArray blockSum = x.reshape(2, 3, 4, 4, 3, 4).sum(new int[] {3, 5});
        assertTrue(relErr(op.apply(x).mul(16), blockSum) < 1e-14, "A x = block sum / k^2");
    }

    /**
     * DDRM's zero-padded blur: the 1-D singular values of the raw matrix below 3e-2 are zeroed, the applied
     * operator is {@code U S' V^T}, and the 2-D singular values are the products {@code s_i s_j}.
     */
    @Test
    void ddrmTruncation() {
        SeparableOperator op = GaussianBlur.ddrm(9, 1.5);
        double[][] raw = Kernels.correlationMatrix(Kernels.gaussian(9, 1.5), 16, Padding.ZERO);
        SingularValueDecomposition svd = new SingularValueDecomposition(new Array2DRowRealMatrix(raw));
        double[] s = svd.getSingularValues();
        int kept = 0;
        double[] truncated = s.clone();
        for (int i = 0; i < s.length; i++) {
            if (s[i] < GaussianBlur.DDRM_CUTOFF) {
                truncated[i] = 0;
            } else {
                kept++;
            }
        }
        assertTrue(kept < 16 && kept > 0, "the test needs some singular values below the cutoff, kept " + kept);
        RealMatrix expected = svd.getU().multiply(new Array2DRowRealMatrix(diag(truncated))).multiply(svd.getVT());
        RealMatrix applied = op.rowMatrix(16, 16);
        assertTrue(applied.subtract(expected).getNorm() < 1e-13, "forward applies U S' V^T");
        double[][] grid = op.singularValueGrid(16, 16);
        for (int i = 0; i < 16; i++) {
            for (int j = 0; j < 16; j++) {
                assertEquals(truncated[i] * truncated[j], grid[i][j], 1e-14);
            }
        }
        // reflect blur with no cutoff keeps the raw matrix exactly
        double[][] reflectRaw = Kernels.correlationMatrix(Kernels.gaussian(5, 0.8), 8, Padding.REFLECT);
        assertArrayEquals(reflectRaw[3], GaussianBlur.reflect(5, 0.8).rowMatrix(8, 8).getRow(3), 0.0);
    }

    private static double[][] diag(double[] d) {
        double[][] m = new double[d.length][d.length];
        for (int i = 0; i < d.length; i++) {
            m[i][i] = d[i];
        }
        return m;
    }
}
