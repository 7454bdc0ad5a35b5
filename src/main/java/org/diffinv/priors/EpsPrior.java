package org.diffinv.priors;

import ai.djl.ndarray.NDArray;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.diffusion.Tweedie;

/**
 * The one prior interface every sampler and solver uses: a noise predictor
 * {@code eps_theta(x_t, t)} on a discrete variance-preserving {@link NoiseSchedule}.
 *
 * <p>Implemented by the exact analytic priors (Gaussian, Gaussian mixture: closed-form eps at every t) and by
 * the trained networks, so every solver accepts either. {@link #eps} must be differentiable with respect to
 * {@code x_t} when the caller records gradients (DPS-style guidance takes a VJP through it).
 */
public interface EpsPrior {

    /** The schedule the prior was trained on (or defined with). */
    NoiseSchedule schedule();

    /**
     * The predicted noise {@code eps_theta(x_t, t)} for a batch {@code x_t} of shape {@code (N, C, H, W)} at
     * discrete time index {@code t} in {@code [0, T-1]}.
     */
    NDArray eps(NDArray xt, int t);

    /**
     * The Tweedie estimate {@code x0Hat(x_t) = sqrt(1/abar_t) x_t - sqrt(1/abar_t - 1) eps_theta(x_t, t)}
     * ({@link Tweedie#x0FromEps}), shape {@code (N, C, H, W)}; differentiable through {@link #eps}.
     */
    default NDArray x0Hat(NDArray xt, int t) {
        return Tweedie.x0FromEps(schedule(), xt, eps(xt, t), t);
    }

    /** The noise predictor {@code (x_t, t) -> eps}, as a lambda for {@link #of}. */
    @FunctionalInterface
    interface EpsFunction {
        /** See {@link EpsPrior#eps}. */
        NDArray eps(NDArray xt, int t);
    }

    /** A prior on {@code schedule} whose {@link #eps} is {@code eps} (views, wrappers, test priors). */
    static EpsPrior of(NoiseSchedule schedule, EpsFunction eps) {
        java.util.Objects.requireNonNull(schedule, "schedule");
        java.util.Objects.requireNonNull(eps, "eps");
        return new EpsPrior() {
            @Override
            public NoiseSchedule schedule() {
                return schedule;
            }

            @Override
            public NDArray eps(NDArray xt, int t) {
                return eps.eps(xt, t);
            }
        };
    }
}
