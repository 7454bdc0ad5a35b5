package org.diffinv.solvers;

import ai.djl.ndarray.NDArray;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.diffusion.Tweedie;
import org.diffinv.linalg.CgOptions;
import org.diffinv.operators.LinearOperator;
import org.diffinv.util.Scalars;

/**
 * The one-step diffusion baseline: noise the pseudo-inverse to a time index {@code t*} and take one Tweedie step,
 * {@code x = Tweedie(sqrt(abar_t*) A^+ y + sqrt(1 - abar_t*) z, t*)}, clipped to [-1, 1]. One network evaluation;
 * it shows how much of a solver's gain a single denoising of {@code A^+ y} already gives. {@code t*} is a parameter
 * (default 200, the kit's choice, UNVERIFIED: no paper fixes it).
 */
public final class TweediePseudoInverse implements Solver<LinearOperator> {

    /**
     * Hyperparameters.
     *
     * @param t the time index {@code t*} of the single denoising
     * @param cg the CG options of {@code A^+} on the linear tier
     */
    public record Params(double t, CgOptions cg) {
        /** Validates the values. */
        public Params {
            if (!(t >= 0 && t <= 999) || t != Math.rint(t)) {
                throw new IllegalArgumentException("t* must be an integer time index in [0, 999], got " + t);
            }
            if (cg == null) {
                throw new IllegalArgumentException("CG options must not be null");
            }
        }

        /** The kit's default {@code t* = 200} for every task kind. */
        public static Params paper(NoiseSchedule schedule, TaskKind kind) {
            return new Params(200, CgOptions.DEFAULT);
        }
    }

    private final Params params;

    /** The baseline with {@code params}. */
    public TweediePseudoInverse(Params params) {
        if (params == null) {
            throw new IllegalArgumentException("parameters must not be null");
        }
        this.params = params;
    }

    /** The hyperparameters. */
    public Params params() {
        return params;
    }

    @Override
    public String name() {
        return "tweedie-pinv";
    }

    @Override
    public String citation() {
        return "baseline: one Tweedie step on the noised A^+ y";
    }

    @Override
    public Class<LinearOperator> tier() {
        return LinearOperator.class;
    }

    @Override
    public NDArray reconstruct(SolveContext<LinearOperator> ctx) {
        int t = (int) params.t();
        if (t >= ctx.schedule().steps()) {
            throw new IllegalArgumentException("t* = " + t + " is outside the prior's schedule [0, "
                    + (ctx.schedule().steps() - 1) + "]");
        }
        double abar = ctx.schedule().alphaBar(t);
        NDArray xt = Scalars.mul(ctx.a().pinv(ctx.y(), params.cg()), Math.sqrt(abar))
                .add(Scalars.mul(ctx.normal(), Math.sqrt(1 - abar)));
        return Tweedie.x0FromEps(ctx.schedule(), xt, ctx.prior().eps(xt, t), t).clip(-1, 1);
    }

    @Override
    public String toString() {
        return "tweedie-pinv(t*=" + (int) params.t() + ")";
    }
}
