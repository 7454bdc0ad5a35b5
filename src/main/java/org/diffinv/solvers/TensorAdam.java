package org.diffinv.solvers;

import ai.djl.ndarray.NDArray;
import org.diffinv.util.Scalars;

/**
 * Adam (Kingma and Ba 2015, Algorithm 1) on one tensor, for solvers that optimise a latent or an image by Adam
 * (ReSample's hard data consistency, LDIR, P2L's prompt tuning); not the training optimiser of
 * {@code org.diffinv.train}.
 * <pre>
 *   m_k = beta1 m_{k-1} + (1 - beta1) g_k,       v_k = beta2 v_{k-1} + (1 - beta2) g_k^2
 *   x_k = x_{k-1} - lr (m_k / (1 - beta1^k)) / (sqrt(v_k / (1 - beta2^k)) + eps)
 * </pre>
 * The moment buffers belong to this object (close it when done). Not thread-safe.
 */
public final class TensorAdam implements AutoCloseable {

    private final double lr;
    private final double beta1;
    private final double beta2;
    private final double eps;
    private NDArray m;
    private NDArray v;
    private int k;
    private ai.djl.ndarray.NDManager home;
    private double weightDecay;

    /** Adam with learning rate {@code lr} and PyTorch's defaults {@code beta1 = 0.9, beta2 = 0.999, eps = 1e-8}. */
    public TensorAdam(double lr) {
        this(lr, 0.9, 0.999, 1e-8);
    }

    /** Adam with the given constants ({@code lr > 0}, betas in [0, 1), {@code eps > 0}). */
    public TensorAdam(double lr, double beta1, double beta2, double eps) {
        if (!(lr > 0) || !Double.isFinite(lr)) {
            throw new IllegalArgumentException("learning rate must be finite and > 0, got " + lr);
        }
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("Adam betas must be in [0, 1), got " + beta1 + ", " + beta2);
        }
        if (!(eps > 0)) {
            throw new IllegalArgumentException("Adam eps must be > 0, got " + eps);
        }
        this.lr = lr;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
    }

    /**
     * Keeps the moment buffers on {@code manager} (instead of {@code x}'s manager): for moments that persist across
     * the steps of a reverse loop, whose per-step managers close after every step. Use a manager of its own (a
     * sub-manager of the solve's), since the loop releases new arrays left on its parent manager. Returns this.
     */
    public TensorAdam keepOn(ai.djl.ndarray.NDManager manager) {
        this.home = manager;
        return this;
    }

    /**
     * Decoupled weight decay (AdamW, Loshchilov and Hutter 2019, as PyTorch's {@code AdamW}): each step first scales
     * {@code x} by {@code 1 - lr weightDecay}. Returns this.
     */
    public TensorAdam withWeightDecay(double weightDecay) {
        if (!(weightDecay >= 0) || !Double.isFinite(weightDecay)) {
            throw new IllegalArgumentException("weight decay must be finite and >= 0, got " + weightDecay);
        }
        this.weightDecay = weightDecay;
        return this;
    }

    /** One step from {@code x} with gradient {@code g}; returns the new iterate ({@code x} is not modified). */
    public NDArray step(NDArray x, NDArray g) {
        if (!x.getShape().equals(g.getShape())) {
            throw new IllegalArgumentException("gradient shape " + g.getShape() + " differs from x's " + x.getShape());
        }
        k++;
        // every temporary is closed here: the moments may live on a long-lived manager (keepOn), where a result of
        // m.op(...) would otherwise stay until that manager closes
        NDArray mNext = Scalars.mul(g, 1 - beta1);
        if (m != null) {
            try (NDArray ms = Scalars.mul(m, beta1); NDArray gs = mNext) {
                mNext = gs.add(ms);
            }
        }
        NDArray vNext;
        try (NDArray g2 = g.square()) {
            vNext = Scalars.mul(g2, 1 - beta2);
        }
        if (v != null) {
            try (NDArray vs = Scalars.mul(v, beta2); NDArray gs = vNext) {
                vNext = gs.add(vs);
            }
        }
        close();
        m = mNext;
        v = vNext;
        m.attach(home != null ? home : x.getManager());
        v.attach(home != null ? home : x.getManager());
        double c1 = 1 - Math.pow(beta1, k);
        double c2 = 1 - Math.pow(beta2, k);
        NDArray out;
        try (NDArray vHat = Scalars.div(v, c2); NDArray root = vHat.sqrt(); NDArray denom = Scalars.add(root, eps);
             NDArray mHat = Scalars.div(m, c1); NDArray ratio = mHat.div(denom);
             NDArray update = Scalars.mul(ratio, lr)) {
            if (weightDecay > 0) {
                try (NDArray decayed = Scalars.mul(x, 1 - lr * weightDecay)) {
                    out = decayed.sub(update);
                }
            } else {
                out = x.sub(update);
            }
        }
        return out;
    }

    /** The number of steps taken. */
    public int steps() {
        return k;
    }

    /** Releases the moment buffers (the step count is kept). */
    @Override
    public void close() {
        if (m != null) {
            m.close();
            v.close();
            m = null;
            v = null;
        }
    }
}
