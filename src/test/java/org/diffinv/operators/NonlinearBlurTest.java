package org.diffinv.operators;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.diffinv.diffusion.NoiseSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.diffinv.operators.TestSupport.dot;
import static org.diffinv.operators.TestSupport.randn;
import static org.diffinv.operators.TestSupport.relErr;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The camera-response nonlinear blur: model identities and its autograd VJP in double precision. */
class NonlinearBlurTest {

    private NDManager manager;
    private NonlinearBlur op;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
        op = new NonlinearBlur(new MotionBlur(MotionKernels.generate(5, 0.5, NoiseSource.seeded(1))), 3.0);
    }

    @AfterEach
    void close() {
        manager.close();
    }

    @Test
    void responseCurve() {
        assertEquals(0.0, op.response(0), 1e-16);
        assertEquals(1.0, op.response(1), 1e-15);
        for (double u = 0; u <= 1; u += 0.125) {
            assertEquals(u, op.response(op.inverseResponse(u)), 1e-15);
        }
        assertTrue(op.response(0.5) > 0.5, "concave: compresses highlights");
    }

    /** A constant image is a fixed point: the blur preserves constants and f(f^{-1}(u)) = u. */
    @Test
    void constantImageIsFixed() {
        NDArray x = manager.full(new Shape(1, 2, 8, 8), 0.3f, DataType.FLOAT64);
        assertTrue(relErr(op.apply(x), x) < 1e-14);
    }

    /** The model is genuinely nonlinear: A(x1 + x2) != A(x1) + A(x2) - A(0) by a clear margin. */
    @Test
    void isNonlinear() {
        NDArray x1 = randn(manager, new Shape(1, 1, 8, 8), 2).mul(0.3);
        NDArray x2 = randn(manager, new Shape(1, 1, 8, 8), 3).mul(0.3);
        NDArray zero = manager.zeros(new Shape(1, 1, 8, 8), DataType.FLOAT64);
        NDArray lhs = op.apply(x1.add(x2));
        NDArray rhs = op.apply(x1).add(op.apply(x2)).sub(op.apply(zero));
        assertTrue(relErr(lhs, rhs) > 1e-2);
    }

    /** As a -> 0 the response tends to the identity and the model to the linear blur (error O(a)). */
    @Test
    void smallAIsTheLinearBlur() {
        NonlinearBlur weak = new NonlinearBlur(op.blur(), 1e-6);
        NDArray x = randn(manager, new Shape(2, 1, 8, 8), 4).tanh();
        assertTrue(relErr(weak.apply(x), op.blur().apply(x)) < 1e-5);
    }

    /**
     * Autograd VJP equals central finite differences in double precision (h = 1e-6: truncation ~1e-12,
     * rounding ~1e-10) in several random directions, and the hand-derived VJP
     * {@code J^T v = 1/2 (f^{-1})'(u) B^T(2 f'(b) v)} to rounding.
     */
    @Test
    void vjpMatchesFiniteDifferencesAndHandDerivation() {
        Shape shape = new Shape(2, 3, 8, 8);
        NDArray x = randn(manager, shape, 5).tanh().mul(0.9);
        NDArray v = randn(manager, shape, 6);
        NDArray g = op.vjp(x, v);
        double h = 1e-6;
        for (int k = 0; k < 4; k++) {
            NDArray d = randn(manager, shape, 10 + k);
            double fd = (dot(op.apply(x.add(d.mul(h))), v) - dot(op.apply(x.sub(d.mul(h))), v)) / (2 * h);
            assertEquals(fd, dot(g, d), 1e-8 * Math.abs(fd), "direction " + k);
        }
        double a = op.a();
        double norm = 1 - Math.exp(-a);
        NDArray u = x.add(1).mul(0.5);
        NDArray vIrr = u.mul(-norm).add(1).log().mul(-1 / a);
        NDArray b = op.blur().apply(vIrr);
        NDArray fPrime = b.mul(-a).exp().mul(a / norm);
        NDArray invPrime = u.mul(-norm).add(1).pow(-1).mul(norm / a);
        NDArray manual = invPrime.mul(0.5).mul(((LinearOperator) op.blur()).adjoint(fPrime.mul(2).mul(v)));
        assertTrue(relErr(g, manual) < 1e-13);
    }

    /** The VJP leaves the caller's input untouched and repeated calls agree (no gradient accumulation). */
    @Test
    void vjpIsRepeatable() {
        NDArray x = randn(manager, new Shape(1, 1, 8, 8), 7).tanh();
        NDArray v = randn(manager, new Shape(1, 1, 8, 8), 8);
        NDArray g1 = op.vjp(x, v);
        NDArray g2 = op.vjp(x, v);
        assertEquals(0.0, relErr(g1, g2));
        assertFalse(x.hasGradient());
    }
}
