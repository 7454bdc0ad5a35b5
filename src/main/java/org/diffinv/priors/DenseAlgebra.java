package org.diffinv.priors;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.apache.commons.math3.linear.EigenDecomposition;
import org.apache.commons.math3.linear.RealMatrix;
import org.diffinv.operators.LinearOperator;

import java.util.function.DoubleUnaryOperator;

/**
 * Small dense double-precision helpers of the analytic priors (package-private).
 *
 * <p>{@link #operatorMatrix} turns a {@link LinearOperator} into its dense matrix by applying it to the
 * basis vectors; it is a stop-gap until the shared dense-matrix helper of {@code org.diffinv.linalg}
 * lands, which should then replace it.
 */
final class DenseAlgebra {

    private DenseAlgebra() {
    }

    /** The eigendecomposition {@code M = V diag(lambda) V^T} of a symmetric matrix, with matrix functions. */
    static final class Spectrum {
        final double[] eigenvalues;
        final RealMatrix v;

        Spectrum(double[] eigenvalues, RealMatrix v) {
            this.eigenvalues = eigenvalues;
            this.v = v;
        }

        /** {@code V diag(f(lambda)) V^T}. */
        RealMatrix apply(DoubleUnaryOperator f) {
            int d = eigenvalues.length;
            RealMatrix scaled = v.copy();
            for (int k = 0; k < d; k++) {
                double fk = f.applyAsDouble(eigenvalues[k]);
                for (int i = 0; i < d; i++) {
                    scaled.setEntry(i, k, scaled.getEntry(i, k) * fk);
                }
            }
            return symmetrize(scaled.multiply(v.transpose()));
        }

        /** The sum of {@code f(lambda_k)}. */
        double sum(DoubleUnaryOperator f) {
            double s = 0;
            for (double lambda : eigenvalues) {
                s += f.applyAsDouble(lambda);
            }
            return s;
        }
    }

    /**
     * The spectrum of a symmetric positive semi-definite matrix; eigenvalues down to
     * {@code -1e-9 max(1, lambda_max)} are treated as rounding and clamped to 0.
     *
     * @throws IllegalArgumentException naming {@code what} if the matrix is not symmetric (relative 1e-9) or
     *     has a clearly negative eigenvalue
     */
    static Spectrum psdSpectrum(RealMatrix m, String what) {
        int d = m.getRowDimension();
        if (m.getColumnDimension() != d) {
            throw new IllegalArgumentException(what + " must be square, got " + d + " x " + m.getColumnDimension());
        }
        double scale = 0;
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                double value = m.getEntry(i, j);
                if (!Double.isFinite(value)) {
                    throw new IllegalArgumentException(what + " has a non-finite entry " + value + " at (" + i + ", " + j + ")");
                }
                scale = Math.max(scale, Math.abs(value));
            }
        }
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < i; j++) {
                if (Math.abs(m.getEntry(i, j) - m.getEntry(j, i)) > 1e-9 * Math.max(scale, 1e-300)) {
                    throw new IllegalArgumentException(what + " is not symmetric: entry (" + i + ", " + j + ") = "
                            + m.getEntry(i, j) + " but (" + j + ", " + i + ") = " + m.getEntry(j, i));
                }
            }
        }
        EigenDecomposition eigen = new EigenDecomposition(symmetrize(m));
        double[] lambda = eigen.getRealEigenvalues().clone();
        double max = 0;
        for (double l : lambda) {
            max = Math.max(max, l);
        }
        for (int k = 0; k < lambda.length; k++) {
            if (lambda[k] < -1e-9 * Math.max(1, max)) {
                throw new IllegalArgumentException(what + " is not positive semi-definite: eigenvalue " + lambda[k]);
            }
            lambda[k] = Math.max(lambda[k], 0);
        }
        return new Spectrum(lambda, eigen.getV());
    }

    /**
     * The inverse and log-determinant of a symmetric positive definite matrix (by eigendecomposition).
     *
     * @throws IllegalArgumentException naming {@code what} if its condition number exceeds 1e12
     */
    static Inverse inverseWithLogDet(RealMatrix s, String what) {
        Spectrum spectrum = psdSpectrum(s, what);
        double max = 0;
        double min = Double.POSITIVE_INFINITY;
        for (double l : spectrum.eigenvalues) {
            max = Math.max(max, l);
            min = Math.min(min, l);
        }
        if (!(min > 1e-12 * max)) {
            throw new IllegalArgumentException(what + " is singular (eigenvalues " + min + " .. " + max
                    + "): add measurement noise (sigmaY > 0) or use an operator of full row rank");
        }
        RealMatrix inverse = spectrum.apply(l -> 1 / l);
        double logDet = spectrum.sum(Math::log);
        return new Inverse(inverse, logDet);
    }

    /** The inverse of a symmetric positive definite matrix and its log-determinant. */
    record Inverse(RealMatrix inverse, double logDet) {
    }

    /** {@code (M + M^T)/2}. */
    static RealMatrix symmetrize(RealMatrix m) {
        return m.add(m.transpose()).scalarMultiply(0.5);
    }

    /**
     * The dense matrix {@code A} ({@code m x d}, {@code d = C H W}, {@code m} = measurement size per image)
     * of a linear operator on images of shape {@code imageShape = (C, H, W)}, by applying it to the
     * {@code d} basis images in one FLOAT64 batch: column {@code i} is {@code flatten(A e_i)}.
     */
    static RealMatrix operatorMatrix(LinearOperator a, Shape imageShape) {
        if (a == null) {
            throw new IllegalArgumentException("the measurement operator must not be null");
        }
        Shape single = new Shape(1, imageShape.get(0), imageShape.get(1), imageShape.get(2));
        a.outputShape(single); // validates the operator against the prior's image shape
        try (NDManager manager = NDManager.newBaseManager()) {
            return org.diffinv.linalg.Dense.matrix(a::apply, single, manager);
        }
    }

    /**
     * One measurement {@code y} of batch size 1 as a flat double vector, checked against the operator's
     * output shape for one image.
     */
    static double[] measurement(LinearOperator a, Shape imageShape, NDArray y) {
        if (y == null) {
            throw new IllegalArgumentException("the measurement y must not be null");
        }
        Shape expected = a.outputShape(new Shape(1, imageShape.get(0), imageShape.get(1), imageShape.get(2)));
        if (!y.getShape().equals(expected)) {
            throw new IllegalArgumentException("measurement y has shape " + y.getShape() + "; operator " + a.name()
                    + " produces " + expected + " for one image of shape " + imageShape
                    + " (posteriors take one measurement at a time)");
        }
        double[] flat = y.getDataType() == DataType.FLOAT64 ? y.toDoubleArray()
                : y.toType(DataType.FLOAT64, false).toDoubleArray();
        int bad = 0;
        int first = -1;
        for (int i = 0; i < flat.length; i++) {
            if (!Double.isFinite(flat[i])) {
                bad++;
                first = first < 0 ? i : first;
            }
        }
        if (bad > 0) {
            throw new IllegalArgumentException("measurement y of shape " + y.getShape() + " contains " + bad
                    + " NaN/Inf entries (the first, " + flat[first] + ", at flat index " + first
                    + "); expected finite values");
        }
        return flat;
    }

    /** A matrix as row-major double data. */
    static double[] rowMajor(RealMatrix m) {
        int rows = m.getRowDimension();
        int cols = m.getColumnDimension();
        double[] out = new double[rows * cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                out[i * cols + j] = m.getEntry(i, j);
            }
        }
        return out;
    }

    /** Checks that {@code dataType} is FLOAT32 or FLOAT64. */
    static void checkFloat(DataType dataType, String what) {
        if (dataType != DataType.FLOAT32 && dataType != DataType.FLOAT64) {
            throw new IllegalArgumentException(what + " must be FLOAT32 or FLOAT64, got " + dataType);
        }
    }
}
