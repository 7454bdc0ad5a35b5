package org.diffinv.solvers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.diffinv.diffusion.DdimStep;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.diffusion.StepResult;
import org.diffinv.diffusion.TimeGrid;
import org.diffinv.diffusion.Tweedie;
import org.diffinv.operators.Operator;
import org.diffinv.util.Scopes;
import org.diffinv.util.Scalars;

import java.util.function.UnaryOperator;

/**
 * The two halves of a DCDP round (Li, Kwon, Alkhouri, Ravishankar and Qu, "Decoupled data consistency with diffusion
 * purification for image restoration"), shared by the pixel ({@link Dcdp}) and latent ({@link LatentDcdp}) variants:
 * <ul>
 *   <li>{@link #dataConsistency}: {@code tau} heavy-ball steps (momentum 0.9, a fresh buffer each round) on the data
 *       term, each in its own memory scope; on the pixel mean squared error with a linear operator that has a
 *       TorchScript form, all {@code tau} steps as one engine call ({@link FusedLoops#heavyBall}, the same values);</li>
 *   <li>{@link #purifyDdim} (Version 1): noise the estimate to index {@code t - 1} and run deterministic DDIM down to
 *       0 over at most 20 evenly spaced steps ({@link TimeGrid#dcdpInner}), the estimate clipped to [-1, 1] and the
 *       noise re-derived from it at every step (for images; latents are never clipped);</li>
 *   <li>{@link #purifyTweedie} (Version 2): noise to {@code t - 1} and take one Tweedie estimate.</li>
 * </ul>
 */
final class DcdpRounds {

    /** DCDP's momentum. */
    static final double MOMENTUM = 0.9;

    private DcdpRounds() {
    }

    /**
     * {@code tau} heavy-ball steps {@code x <- x - lr b}, {@code b <- mu b + g(x)}, from {@code x}; returns the result on
     * {@code x}'s manager ({@code x} itself is not closed).
     */
    static NDArray dataConsistency(NDArray x, UnaryOperator<NDArray> gradient, int tau, double lr) {
        try (NDManager state = x.getManager().newSubManager(); HeavyBall momentum = new HeavyBall(lr, MOMENTUM)) {
            momentum.keepOn(state);
            NDArray out = x.duplicate();
            for (int s = 0; s < tau; s++) {
                out = Scopes.step(out, xs -> momentum.step(xs, gradient.apply(xs)));
            }
            return out;
        }
    }

    /**
     * {@code tau} heavy-ball steps on the mean squared error {@code (1/m) ||A x - y||^2} ({@link Dcdp#mseGradient})
     * from {@code x}: one engine call when {@code a} is linear with a script form ({@link FusedLoops#heavyBall}, the
     * same values bit for bit), else the eager loop. Returns the result on {@code x}'s manager.
     */
    static NDArray dataConsistency(Operator a, NDArray x, NDArray y, int tau, double lr) {
        return FusedLoops.heavyBall(a, x, y, tau, lr, MOMENTUM)
                .orElseGet(() -> dataConsistency(x, xs -> Dcdp.mseGradient(a, xs, y), tau, lr));
    }

    /**
     * {@code sqrt(abar_{t-1}) x + sqrt(1 - abar_{t-1}) z}: the estimate noised to index {@code t - 1}, on {@code x}'s
     * manager (the temporaries live in a scope of their own).
     */
    static NDArray noiseTo(SolveContext<?> ctx, NoiseSchedule schedule, NDArray x, int t) {
        double abar = schedule.alphaBar(t - 1);
        try (NDManager scope = x.getManager().newSubManager()) {
            NDArray xs = x.duplicate();
            xs.attach(scope);
            NDArray out = Scalars.mul(xs, Math.sqrt(abar))
                    .add(Scalars.mul(ctx.noise().normalLike(xs), Math.sqrt(1 - abar)));
            out.attach(x.getManager());
            return out;
        }
    }

    /** Version 1: noise to {@code t - 1}, then deterministic DDIM to 0 over {@code dcdpInner(t, maxSteps)}. */
    static NDArray purifyDdim(SolveContext<?> ctx, NDArray x, int t, int maxSteps, boolean clip) {
        NoiseSchedule schedule = ctx.schedule();
        TimeGrid grid = TimeGrid.dcdpInner(schedule, t, maxSteps);
        NDArray start = noiseTo(ctx, schedule, x, t);
        NDArray out = ctx.loop(grid, start, (i, step, xt) -> {
            NDArray eps = ctx.prior().eps(xt, step.t());
            NDArray x0 = Tweedie.x0FromEps(schedule, xt, eps, step.t());
            if (!clip) {
                return new StepResult(DdimStep.update(schedule, x0, eps, step.t(), step.tPrev(), 0, null), x0);
            }
            NDArray x0Clipped = x0.clip(-1, 1);
            NDArray e2 = Tweedie.epsFromX0(schedule, xt, x0Clipped, step.t());
            return new StepResult(DdimStep.update(schedule, x0Clipped, e2, step.t(), step.tPrev(), 0, null), x0Clipped);
        });
        start.close();
        return out;
    }

    /** Version 2: noise to {@code t - 1}, then one Tweedie estimate (clipped for images). */
    static NDArray purifyTweedie(SolveContext<?> ctx, NDArray x, int t, boolean clip) {
        NoiseSchedule schedule = ctx.schedule();
        try (NDManager scope = x.getManager().newSubManager()) {
            NDArray xt = noiseTo(ctx, schedule, x, t);
            xt.attach(scope);
            NDArray x0 = Tweedie.x0FromEps(schedule, xt, ctx.prior().eps(xt, t - 1), t - 1);
            NDArray out = clip ? x0.clip(-1, 1) : x0;
            out.attach(x.getManager());
            return out;
        }
    }
}
