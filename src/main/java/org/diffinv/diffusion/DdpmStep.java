package org.diffinv.diffusion;

import ai.djl.ndarray.NDArray;
import org.diffinv.util.Scalars;

/**
 * The DDPM ancestral step (Ho, Jain and Abbeel 2020, Eqs. 6-7 and Algorithm 2), generalised to any pair
 * {@code (t, s)}, {@code s < t}, of a {@link TimeGrid}: sample the forward-process posterior
 * {@code q(x_s | x_t, x_0)} with {@code x_0} replaced by the Tweedie estimate {@code x0Hat(x_t)}.
 *
 * <p>Glossary ({@code s = tPrev}, {@code abar_{-1} = 1}):
 * <pre>
 *   alpha_{t|s} = abar_t / abar_s,   beta_{t|s} = 1 - alpha_{t|s}          (= alpha_t, beta_t when s = t-1)
 *   mean        = sqrt(abar_s) beta_{t|s} / (1 - abar_t) x0Hat
 *               + sqrt(alpha_{t|s}) (1 - abar_s) / (1 - abar_t) x_t        (Eq. 7, posterior mean)
 *   variance    = betaTilde = (1 - abar_s) / (1 - abar_t) beta_{t|s}       (Eq. 7, posterior variance)
 *   x_s         = mean + sqrt(variance) z,  z ~ N(0, I)
 * </pre>
 * Variance choice: DDPM (Section 3.2) allows {@code sigma_t^2 = beta_t} ("fixed large") or
 * {@code sigma_t^2 = betaTilde_t} ("fixed small"); the kit uses {@code betaTilde}, the exact variance of
 * {@code q(x_s | x_t, x_0)}, which makes the step coincide in distribution with DDIM at {@code eta = 1} on
 * any grid. The fixed-large variant is not offered.
 * At {@code s = -1} the variance is 0 and the step returns {@code x0Hat} itself.
 *
 * <p>Equivalence: in distribution this step equals {@link DdimStep} with {@code eta = 1} (same mean, same
 * variance), which the tests check. Shapes {@code (N, C, H, W)}; results on the input's manager and type.
 */
public final class DdpmStep {

    private DdpmStep() {
    }

    /**
     * One ancestral step from {@code x_t} with predicted noise {@code eps}: {@code x0Hat} by Tweedie, then a
     * draw from {@code q(x_s | x_t, x0Hat)}.
     *
     * @param noise the source of {@code z}; may be {@code null} only when the variance is 0 ({@code tPrev = -1})
     * @throws IllegalArgumentException on a bad pair, mismatched shapes, or a missing noise source
     */
    public static StepResult step(NoiseSchedule schedule, NDArray xt, NDArray eps, int t, int tPrev,
            NoiseSource noise) {
        NDArray x0Hat = Tweedie.x0FromEps(schedule, xt, eps, t);
        return new StepResult(sample(schedule, xt, x0Hat, t, tPrev, noise), x0Hat);
    }

    /**
     * A draw from {@code q(x_s | x_t, x0)}: {@link #posteriorMean} plus {@code sqrt(}{@link #posteriorVariance}
     * {@code ) z}; no noise is drawn when the variance is 0.
     */
    public static NDArray sample(NoiseSchedule schedule, NDArray xt, NDArray x0, int t, int tPrev,
            NoiseSource noise) {
        NDArray mean = posteriorMean(schedule, xt, x0, t, tPrev);
        double variance = posteriorVariance(schedule, t, tPrev);
        if (variance == 0) {
            return mean;
        }
        if (noise == null) {
            throw new IllegalArgumentException("the DDPM step (" + t + " -> " + tPrev
                    + ") is stochastic (variance " + variance + ") and needs a NoiseSource, got null");
        }
        return mean.add(Scalars.mul(noise.normalLike(mean), Math.sqrt(variance)));
    }

    /**
     * The posterior mean {@code sqrt(abar_s) beta_{t|s}/(1 - abar_t) x0 + sqrt(alpha_{t|s}) (1 - abar_s)/(1 -
     * abar_t) x_t} (DDPM Eq. 7); exactly {@code x0} at {@code tPrev = -1}.
     */
    public static NDArray posteriorMean(NoiseSchedule schedule, NDArray xt, NDArray x0, int t, int tPrev) {
        Tweedie.checkSameShape(xt, x0, "x_t", "x0");
        double[] c = meanCoefficients(schedule, t, tPrev);
        return Scalars.mul(x0, c[0]).add(Scalars.mul(xt, c[1]));
    }

    /**
     * The two posterior-mean coefficients {@code {c_x0, c_xt}}: {@code c_x0 = sqrt(abar_s) beta_{t|s} / (1 -
     * abar_t)}, {@code c_xt = sqrt(alpha_{t|s}) (1 - abar_s) / (1 - abar_t)}; exactly {@code {1, 0}} at
     * {@code tPrev = -1}, where the formula gives them up to rounding.
     */
    public static double[] meanCoefficients(NoiseSchedule schedule, int t, int tPrev) {
        checkPair(schedule, t, tPrev);
        if (tPrev == -1) {
            return new double[] {1, 0};
        }
        double alphaBarT = schedule.alphaBar(t);
        double alphaBarS = schedule.alphaBar(tPrev);
        double betaTS = betaTS(schedule, t, tPrev);
        double cX0 = Math.sqrt(alphaBarS) * betaTS / (1 - alphaBarT);
        double cXt = Math.sqrt(alphaBarT / alphaBarS) * (1 - alphaBarS) / (1 - alphaBarT);
        return new double[] {cX0, cXt};
    }

    /** The posterior variance {@code betaTilde = (1 - abar_s)/(1 - abar_t) beta_{t|s}} (0 at {@code s = -1}). */
    public static double posteriorVariance(NoiseSchedule schedule, int t, int tPrev) {
        checkPair(schedule, t, tPrev);
        return (1 - schedule.alphaBar(tPrev)) / (1 - schedule.alphaBar(t)) * betaTS(schedule, t, tPrev);
    }

    /** {@code beta_{t|s} = 1 - abar_t/abar_s}, exactly {@code beta_t} for adjacent indices. */
    private static double betaTS(NoiseSchedule schedule, int t, int tPrev) {
        if (tPrev == t - 1) {
            return schedule.beta(t);
        }
        return 1 - schedule.alphaBar(t) / schedule.alphaBar(tPrev);
    }

    static void checkPair(NoiseSchedule schedule, int t, int tPrev) {
        if (t < 0 || t >= schedule.steps() || tPrev < -1 || tPrev >= t) {
            throw new IllegalArgumentException("a reverse step needs 0 <= t <= " + (schedule.steps() - 1)
                    + " and -1 <= tPrev < t, got (t, tPrev) = (" + t + ", " + tPrev + ")");
        }
    }
}
