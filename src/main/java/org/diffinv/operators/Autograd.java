package org.diffinv.operators;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import org.diffinv.util.GradientRecording;

/**
 * Vector-Jacobian products of forward-tier operators by DJL automatic differentiation:
 * {@code (dA/dx (x))^T v = grad_x <A(x), v>}.
 *
 * <p>The gradient is taken with respect to a fresh detached copy of {@code x} (input gradients accumulate in
 * DJL, so the caller's array is never marked), inside its own {@link GradientCollector}. DJL allows only one
 * collector at a time: do not call this while another collector is open (solvers that differentiate through
 * {@code A} inside their own collector call {@link Operator#apply} there instead).
 */
public final class Autograd {

    private Autograd() {
    }

    /**
     * The vector-Jacobian product {@code J_A(x)^T v}.
     *
     * @param op the operator (its {@code apply} must be differentiable by the engine)
     * @param x the point, {@code (N, C, H, W)}
     * @param v the cotangent, shaped like {@code op.apply(x)}
     * @return {@code J^T v}, shaped like {@code x}, on {@code x}'s manager
     */
    public static NDArray vjp(Operator op, NDArray x, NDArray v) {
        Checks.requireVjpArguments(op, x, v);
        NDManager parent = x.getManager();
        try (NDManager s = parent.newSubManager()) {
            NDArray xDetached = x.stopGradient();
            xDetached.attach(s);
            NDArray leaf = xDetached.duplicate();
            leaf.attach(s);
            NDArray vDetached = v.stopGradient();
            vDetached.attach(s);
            NDArray cotangent = vDetached.duplicate();
            cotangent.attach(s);
            leaf.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector();
                 GradientRecording.Scope recording = GradientRecording.open()) {
                NDArray y = op.apply(leaf);
                y.attach(s);
                NDArray inner = y.mul(cotangent).sum();
                gc.backward(inner);
            }
            NDArray g = leaf.getGradient().duplicate();
            g.attach(parent);
            return g;
        }
    }
}
