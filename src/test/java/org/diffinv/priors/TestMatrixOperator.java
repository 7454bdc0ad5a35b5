package org.diffinv.priors;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.LUDecomposition;
import org.apache.commons.math3.linear.MatrixUtils;
import org.apache.commons.math3.linear.RealMatrix;
import org.apache.commons.math3.linear.SingularValueDecomposition;
import org.diffinv.diffusion.NoiseSource;
import org.diffinv.linalg.CgOptions;
import org.diffinv.operators.LinearOperator;

/**
 * A test-scope dense linear operator {@code y = A x}: images {@code (N, C, H, W)} flattened row-major to
 * {@code d} coordinates, measurements {@code (N, m)}. The pseudo-inverse and the proximal map are exact
 * (commons-math SVD and LU in double), not CG, so {@link CgOptions} are accepted and ignored. Forward and
 * adjoint are DJL matrix products in the input's type, so autograd flows through {@link #apply}.
 */
public final class TestMatrixOperator implements LinearOperator {

    private final RealMatrix a;
    private final Shape imageShape;
    private final int dimension;

    /** The operator with matrix {@code a} ({@code m x d}) on images of shape {@code (C, H, W)}, {@code d = C H W}. */
    public TestMatrixOperator(double[][] a, Shape imageShape) {
        this.a = new Array2DRowRealMatrix(a, true);
        this.imageShape = imageShape;
        this.dimension = Math.toIntExact(imageShape.size());
        if (this.a.getColumnDimension() != dimension) {
            throw new IllegalArgumentException("matrix has " + this.a.getColumnDimension() + " columns, image shape "
                    + imageShape + " has d = " + dimension);
        }
    }

    /** A random {@code m x d} Gaussian matrix with entries {@code N(0, 1/d)}. */
    public static TestMatrixOperator random(int m, Shape imageShape, NoiseSource noise) {
        int d = Math.toIntExact(imageShape.size());
        double[][] a = new double[m][d];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < d; j++) {
                a[i][j] = noise.nextGaussian() / Math.sqrt(d);
            }
        }
        return new TestMatrixOperator(a, imageShape);
    }

    /** {@code c I} on images of shape {@code imageShape}. */
    public static TestMatrixOperator scaledIdentity(double c, Shape imageShape) {
        int d = Math.toIntExact(imageShape.size());
        return new TestMatrixOperator(MatrixUtils.createRealIdentityMatrix(d).scalarMultiply(c).getData(), imageShape);
    }

    /** A copy of the matrix. */
    public double[][] matrix() {
        return a.getData();
    }

    /** The number of measurements per image {@code m}. */
    public int rows() {
        return a.getRowDimension();
    }

    @Override
    public String name() {
        return "test-matrix(" + a.getRowDimension() + "x" + dimension + ")";
    }

    @Override
    public Shape outputShape(Shape inputShape) {
        if (inputShape.dimension() != 4 || inputShape.get(1) != imageShape.get(0)
                || inputShape.get(2) != imageShape.get(1) || inputShape.get(3) != imageShape.get(2)) {
            throw new IllegalArgumentException("input shape " + inputShape + " is not (N, " + imageShape + ")");
        }
        return new Shape(inputShape.get(0), a.getRowDimension());
    }

    @Override
    public NDArray apply(NDArray x) {
        Shape out = outputShape(x.getShape());
        return x.reshape(x.getShape().get(0), dimension).matMul(constant(x, a.transpose())).reshape(out);
    }

    @Override
    public NDArray vjp(NDArray x, NDArray v) {
        return adjoint(v);
    }

    @Override
    public NDArray adjoint(NDArray y) {
        long n = y.getShape().get(0);
        return y.reshape(n, a.getRowDimension()).matMul(constant(y, a))
                .reshape(n, imageShape.get(0), imageShape.get(1), imageShape.get(2));
    }

    @Override
    public NDArray pinv(NDArray y, CgOptions options) {
        RealMatrix pinv = new SingularValueDecomposition(a).getSolver().getInverse();
        long n = y.getShape().get(0);
        return y.reshape(n, a.getRowDimension()).matMul(constant(y, pinv.transpose()))
                .reshape(n, imageShape.get(0), imageShape.get(1), imageShape.get(2));
    }

    @Override
    public NDArray proxL2(NDArray z, NDArray y, double gamma, CgOptions options) {
        RealMatrix normal = a.transpose().multiply(a)
                .add(MatrixUtils.createRealIdentityMatrix(dimension).scalarMultiply(1 / gamma));
        RealMatrix inverse = new LUDecomposition(normal).getSolver().getInverse();
        NDArray rhs = adjoint(y).add(z.div(gamma));
        long n = z.getShape().get(0);
        return rhs.reshape(n, dimension).matMul(constant(z, inverse.transpose())).reshape(z.getShape());
    }

    private static NDArray constant(NDArray like, RealMatrix m) {
        int rows = m.getRowDimension();
        int cols = m.getColumnDimension();
        double[] data = new double[rows * cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                data[i * cols + j] = m.getEntry(i, j);
            }
        }
        NDArray c = like.getManager().create(data, new Shape(rows, cols));
        return like.getDataType() == DataType.FLOAT64 ? c : c.toType(like.getDataType(), false);
    }
}
