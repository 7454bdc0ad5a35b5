package org.diffinv.priors;

import ai.djl.ndarray.NDArray;
import org.diffinv.diffusion.NoiseSchedule;

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
        ConditionalEpsPrior self = this;
        return new EpsPrior() {
            @Override
            public NoiseSchedule schedule() {
                return self.schedule();
            }

            @Override
            public NDArray eps(NDArray xt, int t) {
                return self.eps(xt, t, condition);
            }
        };
    }
}
