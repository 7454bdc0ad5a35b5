package org.diffinv.linalg;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.MatrixUtils;
import org.apache.commons.math3.linear.QRDecomposition;
import org.apache.commons.math3.linear.RealMatrix;
import org.apache.commons.math3.linear.SingularValueDecomposition;
import org.diffinv.util.HostArrays;

import java.util.function.UnaryOperator;

/**
 * Dense double-precision views of small linear maps, for tests, analytic posteriors and the separable
 * operators' 1-D factors.
 *
 * <p>{@link #matrix(UnaryOperator, Shape, NDManager)} applies a linear map to every basis image
 * {@code e_j} of a single-sample input shape {@code (1, C, H, W)} (all {@code C H W} of them in one batch,
 * FLOAT64) and stacks the flattened outputs as columns, so column {@code j} is {@code A e_j} and the matrix
 * acts on images flattened in row-major {@code (C, H, W)} order. Memory grows as {@code (C H W)^2}: meant for
 * images up to about 32x32.
 */
public final class Dense {

    private Dense() {
    }

    /**
     * The dense matrix of a linear map acting on single images of shape {@code inputShape}.
     *
     * @param map a linear map on batches {@code (N, C, H, W)}, e.g. {@code op::apply} or {@code op::adjoint}
     * @param inputShape the single-image shape {@code (1, C, H, W)} (or any shape whose first axis is 1)
     * @param manager where the temporary basis batch lives (closed before returning)
     * @return the {@code m x n} matrix, {@code n = prod(inputShape)}, {@code m} the output size per image
     */
    public static RealMatrix matrix(UnaryOperator<NDArray> map, Shape inputShape, NDManager manager) {
        if (inputShape.dimension() < 2 || inputShape.get(0) != 1) {
            throw new IllegalArgumentException("inputShape must be a single-sample shape (1, ...), got " + inputShape);
        }
        long n = inputShape.size();
        if (n > 4096) {
            throw new IllegalArgumentException("dense matrix of " + n + " columns is too large (at most 4096); got "
                    + "input shape " + inputShape);
        }
        long[] dims = inputShape.getShape().clone();
        dims[0] = n;
        try (NDManager s = manager.newSubManager()) {
            NDArray basis = s.eye((int) n, (int) n, 0, DataType.FLOAT64).reshape(new Shape(dims));
            NDArray out = map.apply(basis);
            double[] values = out.toType(DataType.FLOAT64, false).toDoubleArray();
            int m = (int) (values.length / n);
            double[][] a = new double[m][(int) n];
            for (int j = 0; j < n; j++) {
                for (int i = 0; i < m; i++) {
                    a[i][j] = values[j * m + i];
                }
            }
            out.close();
            return new Array2DRowRealMatrix(a, false);
        }
    }

    /** Flattens a single-sample tensor to a column vector (row-major order, as {@link #matrix} uses). */
    public static double[] vector(NDArray single) {
        return single.toType(DataType.FLOAT64, false).toDoubleArray();
    }

    /** The inverse of {@link #vector}: a FLOAT64 tensor of the given shape from a flat vector. */
    public static NDArray tensor(NDManager manager, double[] values, Shape shape) {
        if (values.length != shape.size()) {
            throw new IllegalArgumentException("vector of length " + values.length + " does not fit shape " + shape);
        }
        return HostArrays.of(manager, values, shape);
    }

    /** The singular value decomposition of a small dense matrix (commons-math3; compact, singular values descending). */
    public static SingularValueDecomposition svd(RealMatrix a) {
        return new SingularValueDecomposition(a);
    }

    /**
     * A full SVD of a wide (or square) {@code m x n} matrix, {@code m <= n}: {@code A = U diag(s) V_1^T} with
     * {@code U} ({@code m x m}) orthogonal, {@code s} descending, and {@code V} ({@code n x n}) orthogonal whose
     * first {@code m} columns are {@code V_1} and whose last {@code n - m} columns span the null space.
     *
     * @param a the matrix, {@code m <= n}
     * @return the decomposition
     */
    public static FullSvd fullSvd(RealMatrix a) {
        int m = a.getRowDimension();
        int n = a.getColumnDimension();
        if (m > n) {
            throw new IllegalArgumentException("fullSvd needs a wide or square matrix (rows <= columns), got "
                    + m + "x" + n);
        }
        SingularValueDecomposition svd = new SingularValueDecomposition(a);
        RealMatrix u = svd.getU();          // m x m
        double[] s = svd.getSingularValues(); // m, descending
        RealMatrix v1 = svd.getV();         // n x m
        RealMatrix v = MatrixUtils.createRealMatrix(n, n);
        v.setSubMatrix(v1.getData(), 0, 0);
        if (n > m) {
            // complete V_1 to an orthonormal basis: Householder QR of V_1 gives a full orthogonal Q whose first
            // m columns span range(V_1); its last n - m columns span the orthogonal complement
            RealMatrix q = new QRDecomposition(v1).getQ();
            v.setSubMatrix(q.getSubMatrix(0, n - 1, m, n - 1).getData(), 0, m);
        }
        return new FullSvd(u, s, v);
    }

    /**
     * A full SVD {@code A = U diag(s) V[:, :m]^T} of a wide {@code m x n} matrix.
     *
     * @param u left singular vectors, {@code m x m}
     * @param s singular values, length {@code m}, descending
     * @param v right singular vectors completed to an orthogonal {@code n x n} matrix
     */
    public record FullSvd(RealMatrix u, double[] s, RealMatrix v) {
        /** Copies the singular values. */
        public FullSvd {
            s = s.clone();
        }

        /** The singular values (a copy). */
        @Override
        public double[] s() {
            return s.clone();
        }
    }
}
