package org.diffinv.solvers;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import org.diffinv.diffusion.Tweedie;
import org.diffinv.metrics.CostMeter;
import org.diffinv.operators.Operator;
import org.diffinv.priors.EpsPrior;
import org.diffinv.util.GradientRecording;
import org.diffinv.util.Scalars;

/**
 * The kit's one guidance fragment: the noise prediction {@code eps = eps_theta(x_t, t)}, the Tweedie estimate
 * {@code x0Hat(x_t)} and the gradient {@code grad_{x_t} L(eps, x0Hat)} of a scalar objective, all in one gradient
 * recording (DJL allows one open collector), so the network is evaluated once and back-propagated once.
 *
 * <p>The objectives of the pixel solvers:
 * <ul>
 *   <li>{@link #residualNorm}: {@code L = sum_n ||y_n - A(x0Hat_n)||^p}, DPS (Chung et al. 2023, Algorithm 1):
 *       {@code p = 1} is the reference code's plain norm, {@code p = 2} the paper's squared form;</li>
 *   <li>{@link #innerProduct}: {@code L = <stopgrad(m), x0Hat>} whose gradient is the VJP {@code J^T m} of
 *       {@code J = d x0Hat / d x_t}, PiGDM (Song et al. 2023, Eq. 8) with {@code m} its pseudo-inverse residual.</li>
 * </ul>
 * Cost: every call counts one network VJP on the ledger, and the objective's operator VJPs
 * ({@link Objective#operatorVjps()}); the forward network call is counted by the counted prior.
 */
public final class Guidance {

    private Guidance() {
    }

    /** A scalar objective of {@code (eps, x0Hat)} to differentiate with respect to {@code x_t}. */
    public interface Objective {
        /** The scalar loss (summed over the batch, so per-sample gradients stay independent). */
        NDArray loss(NDArray eps, NDArray x0Hat);

        /** How many VJPs through the measurement operator one backward pass of this objective takes. */
        default long operatorVjps() {
            return 0;
        }
    }

    /**
     * The outcome of one guided evaluation, all detached from the gradient tape and living on {@code x_t}'s manager.
     *
     * @param eps {@code eps_theta(x_t, t)}
     * @param x0Hat the Tweedie estimate (unclipped)
     * @param gradient {@code grad_{x_t} L}
     * @param loss the value of {@code L}
     */
    public record Result(NDArray eps, NDArray x0Hat, NDArray gradient, double loss) {
    }

    /**
     * Evaluates {@code eps}, {@code x0Hat} and {@code grad_{x_t} objective} at {@code (x_t, t)} in one recording.
     *
     * @param meter the ledger to count the VJP on, or {@code null}
     */
    public static Result evaluate(EpsPrior prior, NDArray xt, int t, Objective objective, CostMeter meter) {
        NDManager m = xt.getManager();
        NDArray leaf = leafCopy(xt);
        NDArray[] eps = new NDArray[1];
        NDArray[] x0Hat = new NDArray[1];
        double lossValue = backward(leaf, "a guidance objective", x -> {
            eps[0] = prior.eps(x, t);
            x0Hat[0] = Tweedie.x0FromEps(prior.schedule(), x, eps[0], t);
            return objective.loss(eps[0], x0Hat[0]);
        });
        if (meter != null) {
            meter.countVjp(1);
            meter.countOperatorVjp(objective.operatorVjps());
        }
        NDArray gradient = leaf.getGradient().duplicate();
        NDArray epsOut = eps[0].stopGradient();
        NDArray x0Out = x0Hat[0].stopGradient();
        epsOut.attach(m);
        x0Out.attach(m);
        gradient.attach(m);
        return new Result(epsOut, x0Out, gradient, lossValue);
    }

    /** A gradient and the value of the scalar it was taken of. */
    public record Gradient(NDArray gradient, double loss) {
    }

    /**
     * The gradient {@code grad_x f(x)} of a scalar function, by one gradient recording on a fresh leaf copy of
     * {@code x} (the caller's array is never marked): the hard data-consistency optimisations of ReSample and the
     * like, which differentiate through the decoder and the operator but not through the network. The gradient lives
     * on {@code x}'s manager; the function's temporaries live there too (run it in a per-iteration scope).
     */
    public static Gradient gradient(NDArray x, java.util.function.UnaryOperator<NDArray> f) {
        NDManager m = x.getManager();
        NDArray leaf = leafCopy(x);
        double value = backward(leaf, "gradient: the function", f);
        NDArray g = leaf.getGradient().duplicate();
        g.attach(m);
        leaf.close();
        return new Gradient(g, value);
    }

    /** A detached copy of {@code x} on its manager, marked for gradients (the caller's array is never marked). */
    private static NDArray leafCopy(NDArray x) {
        NDArray detached = x.stopGradient();
        NDArray leaf = detached.duplicate();
        detached.close();
        leaf.attach(x.getManager());
        leaf.setRequiresGradient(true);
        return leaf;
    }

    /**
     * Records {@code f(leaf)}, checks that it is a scalar, back-propagates it into {@code leaf}'s gradient and returns
     * its value: the one gradient recording of the kit's solvers.
     */
    private static double backward(NDArray leaf, String what, java.util.function.UnaryOperator<NDArray> f) {
        try (GradientCollector gc = Engine.getInstance().newGradientCollector();
             GradientRecording.Scope recording = GradientRecording.open()) {
            NDArray loss = f.apply(leaf);
            if (loss.getShape().size() != 1) {
                throw new IllegalArgumentException(what + " must return a scalar, got shape " + loss.getShape());
            }
            double value;
            try (NDArray d = loss.stopGradient().toType(DataType.FLOAT64, true)) {
                value = d.toDoubleArray()[0]; // not getDouble(): DJL indexes (one more engine call) before reading
            }
            gc.backward(loss);
            return value;
        }
    }

    /**
     * {@code L = sum_n ||y_n - A(c(x0Hat_n))||_2^p}, with {@code c} the clip to [-1, 1] when {@code clipX0} (as in
     * DPS's reference, where the clipped estimate is inside the graph) or the identity. One operator VJP per backward.
     *
     * @param p the power: 1 (the DPS reference code's plain norm) or 2 (the paper's squared norm); any {@code p > 0}
     */
    public static Objective residualNorm(Operator a, NDArray y, double p, boolean clipX0) {
        if (!(p > 0) || !Double.isFinite(p)) {
            throw new IllegalArgumentException("the residual norm's power p must be finite and > 0, got " + p);
        }
        return new Objective() {
            @Override
            public NDArray loss(NDArray eps, NDArray x0Hat) {
                NDArray x0 = clipX0 ? x0Hat.clip(-1, 1) : x0Hat;
                return sumOfNorms(y.sub(a.apply(x0)), p);
            }

            @Override
            public long operatorVjps() {
                return 1;
            }
        };
    }

    /**
     * {@code sum_n mean_n (A(x) - y)^2}: each sample's mean squared residual (over the entries of one measurement),
     * summed over the batch, so that each sample's gradient is {@code (2/m) J_A^T (A(x) - y)} as for that sample alone
     * (the losses of DCDP's data consistency and ReSample's hard data consistency).
     */
    public static NDArray meanSquaredResidual(Operator a, NDArray x, NDArray y) {
        NDArray r = a.apply(x).sub(y);
        long perSample = r.getShape().size() / r.getShape().get(0);
        return Scalars.div(squaredNorms(r), perSample).sum();
    }

    /** {@code ||r_n||^2} per sample: the squares summed over every axis but the batch axis. */
    private static NDArray squaredNorms(NDArray r) {
        int[] axes = new int[r.getShape().dimension() - 1];
        for (int i = 0; i < axes.length; i++) {
            axes[i] = i + 1;
        }
        return r.square().sum(axes);
    }

    /**
     * {@code sum_n ||r_n||_2^p} over the batch dimension of {@code r}: per-sample norms, so each sample's gradient is
     * its own.
     */
    public static NDArray sumOfNorms(NDArray r, double p) {
        NDArray squared = squaredNorms(r);
        NDArray perSample = p == 2 ? squared : Scalars.pow(squared, p / 2);
        return perSample.sum();
    }

    /**
     * {@code L = <stopgrad(m(x0Hat)), x0Hat>}: its gradient is the VJP {@code J^T m} of the Tweedie Jacobian
     * {@code J = d x0Hat / d x_t}. {@code m} is computed from a detached {@code x0Hat} (no operator VJP).
     */
    public static Objective innerProduct(java.util.function.UnaryOperator<NDArray> m) {
        return (eps, x0Hat) -> {
            NDArray x0Detached = x0Hat.stopGradient();
            NDArray mValue = m.apply(x0Detached).stopGradient();
            return mValue.mul(x0Hat).sum();
        };
    }
}
