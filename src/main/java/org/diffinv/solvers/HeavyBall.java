package org.diffinv.solvers;

import ai.djl.ndarray.NDArray;
import org.diffinv.util.Scalars;

/**
 * Heavy-ball (Polyak) momentum on a tensor, as PyTorch's {@code SGD(momentum = mu, dampening = 0)} does it, for
 * solvers whose inner loop is plain gradient descent with momentum (DCDP's data-consistency rounds):
 * <pre>
 *   b_1 = g_1,   b_k = mu b_{k-1} + g_k,   x_k = x_{k-1} - lr b_k
 * </pre>
 * The state is one buffer {@code b} owned by this object (close it, or its manager, when done); a fresh object per
 * round gives DCDP's fresh buffer. Not thread-safe.
 */
public final class HeavyBall implements AutoCloseable {

    private final double lr;
    private final double mu;
    private NDArray buffer;
    private ai.djl.ndarray.NDManager home;

    /** Momentum {@code mu in [0, 1)} with learning rate {@code lr > 0}. */
    public HeavyBall(double lr, double mu) {
        if (!(lr > 0) || !Double.isFinite(lr)) {
            throw new IllegalArgumentException("learning rate must be finite and > 0, got " + lr);
        }
        if (!(mu >= 0 && mu < 1)) {
            throw new IllegalArgumentException("momentum mu must be in [0, 1), got " + mu);
        }
        this.lr = lr;
        this.mu = mu;
    }

    /**
     * Keeps the buffer on {@code manager} instead of {@code x}'s manager: for steps run in per-step scopes
     * ({@link org.diffinv.util.Scopes#step}), whose managers close after every step. Returns this.
     */
    public HeavyBall keepOn(ai.djl.ndarray.NDManager manager) {
        this.home = manager;
        return this;
    }

    /** One step: returns {@code x - lr b} with the updated buffer {@code b}; {@code x} is not modified. */
    public NDArray step(NDArray x, NDArray g) {
        if (!x.getShape().equals(g.getShape())) {
            throw new IllegalArgumentException("gradient shape " + g.getShape() + " differs from x's " + x.getShape());
        }
        NDArray next;
        if (buffer == null) {
            next = g.duplicate();
        } else {
            // g first, so the temporaries live on g's (the step's) manager, not on the buffer's long-lived one
            try (NDArray scaled = Scalars.mul(buffer, mu)) {
                next = g.add(scaled);
            }
            buffer.close();
        }
        buffer = next;
        buffer.attach(home != null ? home : x.getManager());
        try (NDArray update = Scalars.mul(buffer, lr)) {
            return x.sub(update);
        }
    }

    /** Releases the buffer. */
    @Override
    public void close() {
        if (buffer != null) {
            buffer.close();
            buffer = null;
        }
    }
}
