package org.diffinv.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import org.diffinv.util.Scalars;

import java.util.List;

/**
 * Adam (Kingma and Ba 2015, Algorithm 1) over a fixed list of DJL parameters, with linear learning-rate warm-up
 * and optional global-norm gradient clipping, whose whole state ({@code m}, {@code v}, step count) can be saved
 * and restored so a resumed training run continues exactly.
 *
 * <p>Per parameter, with gradient {@code g} at step {@code k = 1, 2, ...}: {@code m = beta1 m + (1 - beta1) g},
 * {@code v = beta2 v + (1 - beta2) g^2}, {@code mHat = m / (1 - beta1^k)}, {@code vHat = v / (1 - beta2^k)},
 * {@code theta -= lr_k mHat / (sqrt(vHat) + epsilon)}, {@code lr_k = lr min(1, k / warmup)}.
 *
 * <p>Written in the kit rather than using DJL's {@code Optimizer.adam()} because DJL keeps the moments private,
 * so a resumed run could not continue with the same optimizer state.
 */
public final class Adam {
    private final List<Parameter> parameters;
    private final double lr;
    private final int warmup;
    private final double beta1;
    private final double beta2;
    private final double epsilon;
    private final double clipNorm;
    private long cosineSteps;
    private final NDList m;
    private final NDList v;
    private long step;

    /**
     * An Adam optimiser for {@code parameters} (state arrays live on {@code manager}).
     *
     * @param lr peak learning rate, > 0
     * @param warmup warm-up steps (>= 1; 1 means none)
     * @param clipNorm global gradient-norm clip, or 0 for none
     */
    public Adam(NDManager manager, List<Parameter> parameters, double lr, int warmup, double clipNorm) {
        if (!(lr > 0) || warmup < 1 || clipNorm < 0) {
            throw new IllegalArgumentException("need lr > 0, warmup >= 1, clipNorm >= 0; got " + lr + ", " + warmup
                    + ", " + clipNorm);
        }
        this.parameters = List.copyOf(parameters);
        this.lr = lr;
        this.warmup = warmup;
        this.beta1 = 0.9;
        this.beta2 = 0.999;
        this.epsilon = 1e-8;
        this.clipNorm = clipNorm;
        this.m = new NDList();
        this.v = new NDList();
        for (Parameter p : this.parameters) {
            NDArray w = p.getArray();
            m.add(manager.zeros(w.getShape(), w.getDataType()));
            v.add(manager.zeros(w.getShape(), w.getDataType()));
        }
    }

    /** The number of updates done so far. */
    public long step() {
        return step;
    }

    /**
     * Switches to cosine decay after warm-up, reaching 0 at update {@code totalSteps}:
     * {@code lr_k = lr (1 + cos(pi (k - warmup) / (totalSteps - warmup))) / 2} for {@code k > warmup}.
     */
    public Adam withCosineDecay(long totalSteps) {
        if (totalSteps <= warmup) {
            throw new IllegalArgumentException("cosine decay needs totalSteps > warmup (" + warmup + "), got "
                    + totalSteps);
        }
        this.cosineSteps = totalSteps;
        return this;
    }

    /**
     * The learning rate of update {@code k} (1-based): {@code lr min(1, k / warmup)}, times the cosine factor
     * when {@link #withCosineDecay} is set.
     */
    public double learningRate(long k) {
        double base = lr * Math.min(1.0, (double) k / warmup);
        if (cosineSteps > 0 && k > warmup) {
            double progress = Math.min(1.0, (double) (k - warmup) / (cosineSteps - warmup));
            base *= 0.5 * (1 + Math.cos(Math.PI * progress));
        }
        return base;
    }

    /**
     * Applies one update from the parameters' current gradients (after {@code backward}); returns the global
     * gradient norm before clipping.
     */
    public double update() {
        step++;
        double lrK = learningRate(step);
        double bc1 = 1 - Math.pow(beta1, step);
        double bc2 = 1 - Math.pow(beta2, step);
        try (NDManager s = m.get(0).getManager().newSubManager()) {
            NDList grads = new NDList();
            double sq = 0;
            for (Parameter p : parameters) {
                NDArray g = p.getArray().getGradient();
                g.attach(s);
                grads.add(g);
                NDArray g2 = g.square().sum();
                g2.attach(s);
                sq += g2.toFloatArray()[0]; // not getFloat(), which indexes (one engine call) first
            }
            double norm = Math.sqrt(sq);
            if (!Double.isFinite(norm)) {
                throw new IllegalStateException("non-finite gradient norm " + norm + " at step " + step
                        + ": training diverged (lower the learning rate)");
            }
            double scale = clipNorm > 0 && norm > clipNorm ? clipNorm / norm : 1.0;
            for (int i = 0; i < parameters.size(); i++) {
                NDArray w = parameters.get(i).getArray();
                NDArray g = grads.get(i);
                // scale, bc1 and bc2 change at every step: DJL's own number ops, not the Scalars cache (which keeps
                // numbers that recur); nothing here is differentiated
                NDArray gs = g.mul(scale);
                gs.attach(s);
                NDArray inc = Scalars.mul(gs, 1 - beta1);
                inc.attach(s);
                m.get(i).muli(beta1).addi(inc);
                NDArray inc2 = gs.square();
                inc2.attach(s);
                v.get(i).muli(beta2).addi(inc2.muli(1 - beta2));
                NDArray mHat = m.get(i).div(bc1);
                mHat.attach(s);
                NDArray vHat = v.get(i).div(bc2);
                vHat.attach(s); // every intermediate goes to the step scope: none may stay on the state's manager
                NDArray denom = vHat.sqrt().addi(epsilon);
                w.subi(mHat.divi(denom).muli(lrK));
                g.muli(0); // zero the gradient for the next step
            }
            return norm;
        }
    }

    /** The moments as one list {@code [m_0, .., m_{P-1}, v_0, .., v_{P-1}]} (for checkpoints). */
    public NDList state() {
        NDList out = new NDList();
        out.addAll(m);
        out.addAll(v);
        return out;
    }

    /** Restores the moments from {@link #state()}'s layout and the step count. */
    public void restore(NDList state, long steps) {
        if (state.size() != 2 * parameters.size()) {
            throw new IllegalArgumentException("optimizer state has " + state.size() + " arrays, expected "
                    + 2 * parameters.size());
        }
        for (int i = 0; i < parameters.size(); i++) {
            if (!state.get(i).getShape().equals(m.get(i).getShape())) {
                throw new IllegalArgumentException("optimizer state array " + i + " has shape "
                        + state.get(i).getShape() + ", expected " + m.get(i).getShape());
            }
            m.get(i).set(state.get(i).toFloatArray());
            v.get(i).set(state.get(parameters.size() + i).toFloatArray());
        }
        this.step = steps;
    }
}
