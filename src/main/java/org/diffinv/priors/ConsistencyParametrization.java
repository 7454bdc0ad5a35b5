package org.diffinv.priors;

import ai.djl.ndarray.NDArray;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.diffusion.Tweedie;
import org.diffinv.util.Scalars;

/**
 * The kit's parametrization of a consistency function by a noise-prediction network {@code F} (Song et al. 2023,
 * Section 3, "parameterization"; the skip scaling of Karras et al. 2022, Appendix C.3, as the consistency-model paper
 * uses it): in the variance-exploding view {@code x_ve = x_t / sqrt(abar_t) = x_0 + sigma_t eps} with
 * {@code sigma_t = sqrt((1 - abar_t) / abar_t)} ({@link NoiseSchedule#veSigma}),
 * <pre>
 *   f(x_t, t) = c_skip(t) x_ve + (1 - c_skip(t)) x0Hat_F(x_t, t),     x0Hat_F = x_ve - sigma_t F(x_t, t)  (Tweedie)
 *   c_skip(t) = sigma_data^2 / ((sigma_t - sigma_min)^2 + sigma_data^2),   sigma_min = sigma_0
 * </pre>
 * so {@code f(x, 0) = x_ve} exactly (the boundary condition at the schedule's first level), and {@code f} tends to
 * the network's Tweedie estimate at large noise. The free-form part is {@code c_out F'} of the paper with
 * {@code c_out = 1 - c_skip} and {@code F' = x0Hat_F}: a network initialised from a trained eps-prior starts as its
 * Tweedie denoiser (consistent at {@code t = 0}, the best one-step estimate elsewhere), which is what distillation
 * refines. {@code sigma_data = 0.5}, the paper's value. The same class serves training (differentiable: number
 * operands go through {@link Scalars}) and inference.
 */
public final class ConsistencyParametrization {

    /** The paper's {@code sigma_data}. */
    public static final double SIGMA_DATA = 0.5;

    private ConsistencyParametrization() {
    }

    /** {@code c_skip(t) = sigma_data^2 / ((sigma_t - sigma_0)^2 + sigma_data^2)}; exactly 1 at {@code t = 0}. */
    public static double cSkip(NoiseSchedule schedule, int t, double sigmaData) {
        double d = schedule.veSigma(t) - schedule.veSigma(0);
        return sigmaData * sigmaData / (d * d + sigmaData * sigmaData);
    }

    /** {@code f(x_t, t)} from the network's output {@code eps = F(x_t, t)}. */
    public static NDArray apply(NoiseSchedule schedule, NDArray xt, NDArray eps, int t, double sigmaData) {
        double c = cSkip(schedule, t, sigmaData);
        NDArray xve = Scalars.mul(xt, 1 / Math.sqrt(schedule.alphaBar(t)));
        if (c == 1) {
            return xve;
        }
        NDArray x0Hat = Tweedie.x0FromEps(schedule, xt, eps, t);
        return Scalars.mul(xve, c).add(Scalars.mul(x0Hat, 1 - c));
    }
}
