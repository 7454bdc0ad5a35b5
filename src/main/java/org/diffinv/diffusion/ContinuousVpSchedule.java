package org.diffinv.diffusion;

/**
 * The continuous-time variance-preserving (VP) SDE schedule of Song et al. (2021), an immutable value, as
 * used by C-PiGDM (Pandey, Yang and Mandt, "Fast samplers for inverse problems in iterative refinement
 * models"): {@code dx = -1/2 beta(t) x dt + sqrt(beta(t)) dW} on {@code t in [0, 1]} with
 * <pre>
 *   beta(t)  = betaMin + (betaMax - betaMin) t              (standard: 0.1 + 19.9 t)
 *   b(t)     = int_0^t beta = betaMin t + (betaMax - betaMin) t^2 / 2   (standard: 0.1 t + 9.95 t^2)
 *   mu(t)    = exp(-b(t) / 2)                               (the mean scale, sqrt(abar))
 *   sigma(t) = sqrt(1 - exp(-b(t)))                         (the noise scale, sqrt(1 - abar))
 * </pre>
 * so {@code x_t = mu(t) x_0 + sigma(t) eps}. A discrete network trained on {@code networkSteps} indices is
 * queried at {@link #networkIndex(double) floor((networkSteps - 1) t)} (the C-PiGDM reference's
 * {@code floor(999 t)}).
 *
 * <p>Note that {@code mu(t)^2} is the continuous limit of the discrete linear schedule's {@code abar}
 * (betas 1e-4..0.02 over 1000 steps are {@code beta(t)/1000}), not equal to it index by index.
 */
public final class ContinuousVpSchedule {

    private final double betaMin;
    private final double betaMax;
    private final int networkSteps;

    private ContinuousVpSchedule(double betaMin, double betaMax, int networkSteps) {
        if (!(betaMin > 0) || Double.isInfinite(betaMin)) {
            throw new IllegalArgumentException("betaMin must be positive and finite, got " + betaMin);
        }
        if (!(betaMax >= betaMin) || Double.isInfinite(betaMax)) {
            throw new IllegalArgumentException(
                    "betaMax must be finite and at least betaMin = " + betaMin + ", got " + betaMax);
        }
        if (networkSteps < 2) {
            throw new IllegalArgumentException("networkSteps must be at least 2, got " + networkSteps);
        }
        this.betaMin = betaMin;
        this.betaMax = betaMax;
        this.networkSteps = networkSteps;
    }

    /**
     * A VP schedule with {@code beta(t) = betaMin + (betaMax - betaMin) t} whose network is indexed by
     * {@code floor((networkSteps - 1) t)}.
     *
     * @throws IllegalArgumentException if {@code betaMin <= 0}, {@code betaMax < betaMin} or
     *     {@code networkSteps < 2}
     */
    public static ContinuousVpSchedule of(double betaMin, double betaMax, int networkSteps) {
        return new ContinuousVpSchedule(betaMin, betaMax, networkSteps);
    }

    /** The standard VP schedule of the pixel priors: {@code beta(t) = 0.1 + 19.9 t}, network index {@code floor(999 t)}. */
    public static ContinuousVpSchedule standard() {
        return new ContinuousVpSchedule(0.1, 20.0, 1000);
    }

    /** {@code beta(0)}. */
    public double betaMin() {
        return betaMin;
    }

    /** {@code beta(1)}. */
    public double betaMax() {
        return betaMax;
    }

    /** The number of discrete indices of the network queried by {@link #networkIndex(double)}. */
    public int networkSteps() {
        return networkSteps;
    }

    /** The instantaneous noise rate {@code beta(t) = betaMin + (betaMax - betaMin) t}. */
    public double beta(double t) {
        return betaMin + (betaMax - betaMin) * check(t);
    }

    /** The integrated rate {@code b(t) = int_0^t beta(s) ds = betaMin t + (betaMax - betaMin) t^2 / 2}. */
    public double b(double t) {
        check(t);
        return betaMin * t + 0.5 * (betaMax - betaMin) * t * t;
    }

    /** The mean scale {@code mu(t) = exp(-b(t)/2)} (the continuous {@code sqrt(abar)}). */
    public double mu(double t) {
        return Math.exp(-0.5 * b(t));
    }

    /** The noise scale {@code sigma(t) = sqrt(1 - exp(-b(t)))} (the continuous {@code sqrt(1 - abar)}). */
    public double sigma(double t) {
        return Math.sqrt(-Math.expm1(-b(t)));
    }

    /** {@code abar(t) = mu(t)^2 = exp(-b(t))}. */
    public double alphaBar(double t) {
        return Math.exp(-b(t));
    }

    /** The signal-to-noise ratio {@code mu^2 / sigma^2 = 1 / (exp(b(t)) - 1)} (infinite at {@code t = 0}). */
    public double snr(double t) {
        return 1 / Math.expm1(b(t));
    }

    /**
     * The discrete network index for continuous time {@code t}: {@code floor((networkSteps - 1) t)}, i.e.
     * the C-PiGDM reference's {@code floor(999 t)} for the standard schedule.
     */
    public int networkIndex(double t) {
        return (int) Math.floor((networkSteps - 1) * check(t));
    }

    private static double check(double t) {
        if (!(t >= 0 && t <= 1)) {
            throw new IllegalArgumentException("continuous time t = " + t + " is outside [0, 1]");
        }
        return t;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ContinuousVpSchedule other && other.betaMin == betaMin && other.betaMax == betaMax
                && other.networkSteps == networkSteps;
    }

    @Override
    public int hashCode() {
        return (Double.hashCode(betaMin) * 31 + Double.hashCode(betaMax)) * 31 + networkSteps;
    }

    @Override
    public String toString() {
        return "vp(beta " + betaMin + " + " + (betaMax - betaMin) + " t, network index floor("
                + (networkSteps - 1) + " t))";
    }
}
