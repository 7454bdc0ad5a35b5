package org.diffinv.priors;

import ai.djl.ndarray.NDArray;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.util.Scalars;

/**
 * A conditional noise predictor {@code eps_theta(z_t, t, c)} (the prompt-conditioned latent prior of latent
 * diffusion, Rombach et al. 2022, Eq. 3), where {@code c (N or 1, L, D)} is a conditioning tensor such as a prompt
 * embedding. P2L optimises {@code c} directly, so {@link #eps} must be differentiable with respect to both
 * {@code z_t} and {@code c} when gradients are recorded.
 */
public interface ConditionalEpsPrior {

    /** The schedule the prior was trained on. */
    NoiseSchedule schedule();

    /** The conditioning tensor's token count L and width D, as {@code {L, D}}. */
    long[] conditionShape();

    /**
     * The predicted noise for {@code z_t (N, C, H, W)} at time index {@code t in [0, T-1]} under condition
     * {@code c} of shape {@code (N, L, D)} or {@code (1, L, D)} (broadcast over the batch).
     */
    NDArray eps(NDArray zt, int t, NDArray condition);

    /** This prior with the condition fixed to {@code condition}: an unconditional {@link EpsPrior} view. */
    default EpsPrior withCondition(NDArray condition) {
        return EpsPrior.of(schedule(), (xt, t) -> eps(xt, t, condition));
    }

    /**
     * Classifier-free guidance (Ho and Salimans 2022, Eq. 6, in the latent-diffusion convention of Rombach et al.
     * 2022): the unconditional view with
     * {@code eps_tilde(z_t, t) = eps(z_t, t, c_null) + s (eps(z_t, t, c) - eps(z_t, t, c_null))}.
     * {@code s = 1} is the plain conditional prior, {@code s = 0} the unconditional (null-prompt) one, {@code s > 1}
     * sharpens samples towards the condition at the price of diversity; each call costs two network evaluations
     * (one when {@code s} is 0 or 1).
     *
     * @param condition     the condition {@code c}, {@code (N or 1, L, D)}
     * @param nullCondition the null condition {@code c_null} (the embedding of the empty prompt), same shape rules
     * @param s             the guidance scale, finite and at least 0
     */
    default EpsPrior withGuidance(NDArray condition, NDArray nullCondition, double s) {
        requireGuidanceScale(s);
        if (s == 1) {
            return withCondition(condition);
        }
        if (s == 0) {
            return withCondition(nullCondition);
        }
        return EpsPrior.of(schedule(), (zt, t) -> {
            NDArray epsNull = eps(zt, t, nullCondition);
            NDArray epsCond = eps(zt, t, condition);
            return epsNull.add(Scalars.mul(epsCond.sub(epsNull), s));
        });
    }

    /**
     * An unconditional prior seen as a conditional one that ignores its condition (condition shape {@code {1, 1}}):
     * the exact latent priors of the latent solvers' tests and benchmark, which need a {@code ConditionalEpsPrior}.
     */
    static ConditionalEpsPrior ignoringCondition(EpsPrior prior) {
        if (prior == null) {
            throw new IllegalArgumentException("ignoringCondition needs a prior, got null");
        }
        return new ConditionalEpsPrior() {
            @Override
            public NoiseSchedule schedule() {
                return prior.schedule();
            }

            @Override
            public long[] conditionShape() {
                return new long[] {1, 1};
            }

            @Override
            public NDArray eps(NDArray zt, int t, NDArray condition) {
                return prior.eps(zt, t);
            }
        };
    }

    /** Checks a classifier-free guidance scale: finite and at least 0; returns it. */
    static double requireGuidanceScale(double s) {
        if (!Double.isFinite(s) || s < 0) {
            throw new IllegalArgumentException("guidance scale s must be finite and >= 0 (1 = no guidance), got " + s);
        }
        return s;
    }
}
