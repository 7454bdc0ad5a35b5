package org.diffinv.diffusion;

import ai.djl.ndarray.NDArray;
import org.diffinv.util.Scalars;

/**
 * The DDIM step with stochasticity {@code eta} (Song, Meng and Ermon 2021, Eq. 12 with Eq. 16), on a pair
 * {@code (t, s = tPrev)} of a {@link TimeGrid}.
 *
 * <p>Glossary (DDIM's {@code alpha_t} is the kit's {@code abar_t}; {@code abar_{-1} = 1}):
 * <pre>
 *   x0Hat       = sqrt(1/abar_t) x_t - sqrt(1/abar_t - 1) eps                             (Eq. 9, Tweedie)
 *   sigma_t(eta)= eta sqrt((1 - abar_s)/(1 - abar_t)) sqrt(1 - abar_t/abar_s)             (Eq. 16)
 *   x_s         = sqrt(abar_s) x0Hat + sqrt(1 - abar_s - sigma_t^2) eps + sigma_t z        (Eq. 12)
 * </pre>
 * {@code eta = 0} is the deterministic DDIM (no noise drawn, the source may be {@code null});
 * {@code eta = 1} is the DDPM ancestral step in distribution. Shapes {@code (N, C, H, W)}.
 */
public final class DdimStep {

    private DdimStep() {
    }

    /**
     * {@code sigma_t(eta) = eta sqrt((1 - abar_s)/(1 - abar_t) (1 - abar_t/abar_s))} (DDIM Eq. 16).
     *
     * @throws IllegalArgumentException if {@code eta} is negative or not finite, or on a bad pair
     */
    public static double sigma(NoiseSchedule schedule, int t, int tPrev, double eta) {
        DdpmStep.checkPair(schedule, t, tPrev);
        if (!(eta >= 0) || Double.isInfinite(eta)) {
            throw new IllegalArgumentException("DDIM eta must be a finite number >= 0, got " + eta);
        }
        double alphaBarT = schedule.alphaBar(t);
        double alphaBarS = schedule.alphaBar(tPrev);
        return eta * Math.sqrt((1 - alphaBarS) / (1 - alphaBarT) * (1 - alphaBarT / alphaBarS));
    }

    /**
     * One DDIM step from {@code x_t} with predicted noise {@code eps} (Tweedie, then Eq. 12).
     *
     * @param noise the source of {@code z}; may be {@code null} when {@code sigma_t(eta) = 0}
     * @throws IllegalArgumentException on a bad pair or eta, mismatched shapes, or a missing noise source
     */
    public static StepResult step(NoiseSchedule schedule, NDArray xt, NDArray eps, int t, int tPrev, double eta,
            NoiseSource noise) {
        NDArray x0Hat = Tweedie.x0FromEps(schedule, xt, eps, t);
        return new StepResult(update(schedule, x0Hat, eps, t, tPrev, eta, noise), x0Hat);
    }

    /**
     * The DDIM update from a given (possibly modified, e.g. clipped or projected) {@code x0} and noise
     * direction {@code eps}: {@code x_s = sqrt(abar_s) x0 + sqrt(1 - abar_s - sigma^2) eps + sigma z}
     * (Eq. 12).
     *
     * @throws IllegalArgumentException if {@code 1 - abar_s - sigma^2 < 0} (eta too large for this pair),
     *     on mismatched shapes, or if noise is needed and {@code noise} is null
     */
    public static NDArray update(NoiseSchedule schedule, NDArray x0, NDArray eps, int t, int tPrev, double eta,
            NoiseSource noise) {
        Tweedie.checkSameShape(x0, eps, "x0", "eps");
        double sigma = sigma(schedule, t, tPrev, eta);
        double alphaBarS = schedule.alphaBar(tPrev);
        double directionVariance = 1 - alphaBarS - sigma * sigma;
        if (directionVariance < 0) {
            if (directionVariance > -1e-12) {
                directionVariance = 0;
            } else {
                throw new IllegalArgumentException("DDIM eta = " + eta + " is too large for the step " + t + " -> "
                        + tPrev + ": 1 - abar_s - sigma^2 = " + directionVariance + " < 0");
            }
        }
        NDArray out = Scalars.mul(x0, Math.sqrt(alphaBarS)).add(Scalars.mul(eps, Math.sqrt(directionVariance)));
        if (sigma == 0) {
            return out;
        }
        if (noise == null) {
            throw new IllegalArgumentException("the DDIM step (" + t + " -> " + tPrev + ", eta = " + eta
                    + ") is stochastic (sigma " + sigma + ") and needs a NoiseSource, got null");
        }
        return out.add(Scalars.mul(noise.normalLike(out), sigma));
    }
}
