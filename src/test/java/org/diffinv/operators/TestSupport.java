package org.diffinv.operators;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.diffinv.diffusion.NoiseSource;

/** Small helpers of the operator tests: random FLOAT64 tensors, inner products, norms. */
final class TestSupport {

    private TestSupport() {
    }

    static NDArray randn(NDManager m, Shape shape, long seed) {
        return NoiseSource.seeded(seed).normal(m, shape, DataType.FLOAT64);
    }

    static double dot(NDArray a, NDArray b) {
        return a.mul(b).sum().getDouble();
    }

    static double norm(NDArray a) {
        return Math.sqrt(dot(a, a));
    }

    /** {@code ||a - b|| / max(||b||, tiny)}. */
    static double relErr(NDArray a, NDArray b) {
        return norm(a.sub(b)) / Math.max(norm(b), 1e-300);
    }

    /** A linear-tier view of an operator: hides any SVD so the CG defaults of {@link LinearOperator} run. */
    static LinearOperator linearOnly(LinearOperator op) {
        return new LinearOperator() {
            @Override
            public String name() {
                return "linear-only(" + op.name() + ")";
            }

            @Override
            public Shape outputShape(Shape inputShape) {
                return op.outputShape(inputShape);
            }

            @Override
            public NDArray apply(NDArray x) {
                return op.apply(x);
            }

            @Override
            public NDArray adjoint(NDArray y) {
                return op.adjoint(y);
            }
        };
    }
}
