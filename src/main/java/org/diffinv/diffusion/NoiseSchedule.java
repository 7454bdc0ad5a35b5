package org.diffinv.diffusion;

import java.util.Arrays;

/**
 * A discrete variance-preserving noise schedule, an immutable value:
 * {@code x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps}, {@code abar_t = prod_{j <= t} (1 - beta_j)},
 * for {@code t = 0 .. T-1}, with the convention {@code abar_{-1} = 1}.
 *
 * <p>Notation trap: DDIM's {@code alpha_t} is DDPM's {@code abar_t}; the kit always says {@code alphaBar}.
 * All arrays are computed in double precision.
 */
public final class NoiseSchedule {

    /** How the betas were made. */
    public enum Kind { LINEAR, SCALED_LINEAR, COSINE }

    private final Kind kind;
    private final double[] betas;
    private final double[] alphaBars;

    private NoiseSchedule(Kind kind, double[] betas) {
        this.kind = kind;
        this.betas = betas;
        this.alphaBars = new double[betas.length];
        double prod = 1;
        for (int i = 0; i < betas.length; i++) {
            if (!(betas[i] > 0 && betas[i] < 1)) {
                throw new IllegalArgumentException("beta_" + i + " = " + betas[i] + " is outside (0, 1)");
            }
            prod *= 1 - betas[i];
            alphaBars[i] = prod;
        }
    }

    /** DDPM's linear betas {@code linspace(betaStart, betaEnd, T)} (the pixel priors: 1e-4, 0.02, 1000). */
    public static NoiseSchedule linear(double betaStart, double betaEnd, int steps) {
        checkSteps(steps);
        double[] b = new double[steps];
        for (int i = 0; i < steps; i++) {
            b[i] = steps == 1 ? betaStart : betaStart + (betaEnd - betaStart) * i / (steps - 1);
        }
        return new NoiseSchedule(Kind.LINEAR, b);
    }

    /** The pixel-prior default: linear betas 1e-4 to 0.02, T = 1000. */
    public static NoiseSchedule ddpmLinear() {
        return linear(1e-4, 0.02, 1000);
    }

    /**
     * Latent diffusion's scaled-linear betas {@code linspace(sqrt(b0), sqrt(b1), T)^2}
     * (Stable Diffusion and the kit's latent prior: 0.00085/0.012 or 0.0015/0.0195, T = 1000).
     */
    public static NoiseSchedule scaledLinear(double betaStart, double betaEnd, int steps) {
        checkSteps(steps);
        double s0 = Math.sqrt(betaStart);
        double s1 = Math.sqrt(betaEnd);
        double[] b = new double[steps];
        for (int i = 0; i < steps; i++) {
            double s = steps == 1 ? s0 : s0 + (s1 - s0) * i / (steps - 1);
            b[i] = s * s;
        }
        return new NoiseSchedule(Kind.SCALED_LINEAR, b);
    }

    /** The kit's latent-prior default: scaled-linear betas 0.0015 to 0.0195, T = 1000. */
    public static NoiseSchedule ldmScaledLinear() {
        return scaledLinear(0.0015, 0.0195, 1000);
    }

    /**
     * Nichol and Dhariwal's cosine schedule: {@code abar(t) = f(t)/f(0)},
     * {@code f(t) = cos^2(((t/T) + s)/(1 + s) pi/2)}, {@code s = 0.008}, betas clipped at 0.999.
     */
    public static NoiseSchedule cosine(int steps) {
        checkSteps(steps);
        double s = 0.008;
        double[] b = new double[steps];
        for (int i = 0; i < steps; i++) {
            double f0 = Math.pow(Math.cos(((double) i / steps + s) / (1 + s) * Math.PI / 2), 2);
            double f1 = Math.pow(Math.cos(((double) (i + 1) / steps + s) / (1 + s) * Math.PI / 2), 2);
            b[i] = Math.min(1 - f1 / f0, 0.999);
        }
        return new NoiseSchedule(Kind.COSINE, b);
    }

    private static void checkSteps(int steps) {
        if (steps < 1) {
            throw new IllegalArgumentException("a schedule needs at least 1 step, got " + steps);
        }
    }

    /** How the betas were made. */
    public Kind kind() {
        return kind;
    }

    /** The number of discrete steps T. */
    public int steps() {
        return betas.length;
    }

    /** {@code beta_t}. */
    public double beta(int t) {
        return betas[check(t)];
    }

    /** {@code abar_t}, with {@code abar_{-1} = 1}. */
    public double alphaBar(int t) {
        if (t == -1) {
            return 1.0;
        }
        return alphaBars[check(t)];
    }

    /**
     * The variance-exploding noise level of index {@code t}: {@code sigma_t = sqrt(1 - abar_t) / sqrt(abar_t)}, the
     * standard deviation of the noise in {@code x_t / sqrt(abar_t) = x_0 + sigma_t eps} (Karras et al. 2022, the VP
     * to VE change of variables; DAPS and PnP denoisers work in this scale).
     */
    public double veSigma(int t) {
        double alphaBar = alphaBars[check(t)];
        return Math.sqrt((1 - alphaBar) / alphaBar);
    }

    /**
     * The index whose {@link #veSigma VE noise level} is nearest to {@code sigma} in log scale,
     * {@code argmin_t |ln sigma_t - ln sigma|} (ties to the smaller index). Noise levels outside the schedule's range
     * map to its end points: the caller that must not be clamped checks {@code veSigma(result)}.
     *
     * @throws IllegalArgumentException if {@code sigma} is not positive and finite
     */
    public int nearestVeSigmaIndex(double sigma) {
        if (!(sigma > 0) || Double.isInfinite(sigma)) {
            throw new IllegalArgumentException("a VE noise level must be positive and finite, got " + sigma);
        }
        double target = Math.log(sigma);
        int best = 0;
        double bestDistance = Double.POSITIVE_INFINITY;
        for (int i = 0; i < alphaBars.length; i++) {
            double distance = Math.abs(0.5 * Math.log((1 - alphaBars[i]) / alphaBars[i]) - target);
            if (distance < bestDistance) {
                bestDistance = distance;
                best = i;
            }
        }
        return best;
    }

    /**
     * The signal-to-noise ratio {@code SNR(t) = abar_t / (1 - abar_t)} of {@code x_t = sqrt(abar_t) x_0 +
     * sqrt(1 - abar_t) eps}, for {@code t} in {@code [0, T-1]} (it is infinite at the convention
     * {@code t = -1}, which is therefore rejected).
     */
    public double snr(int t) {
        double alphaBar = alphaBars[check(t)];
        return alphaBar / (1 - alphaBar);
    }

    /**
     * Flash-Diffusion's SNR matching (Fabian, Tinaz and Soltanolkotabi, "Adapt and Diffuse", Section 3,
     * start-index equation): the time index whose signal-to-noise ratio is nearest to that of an estimate
     * {@code zHat ~ N(z_0, sigma^2 I)},
     * {@code i* = argmin_{i in [0, T-1]} | abar_i / (1 - abar_i) - 1 / sigma^2 |}.
     *
     * <p>{@code sigmaSquared} is the per-coordinate variance of the estimate's error in the units of the
     * diffusion variable (for Flash-Diffusion: the severity encoder's predicted latent error variance,
     * possibly times a correction factor). Ties go to the smaller index, as in the reference code, which
     * takes the first minimiser of the list of SNRs ({@code var_to_t}, non-legacy branch). The
     * reference's legacy rule "first index with {@code SNR_i <= 1/sigma^2}" is not offered.
     *
     * <p>Off-by-one trap: the reference's DDPM loop then runs {@code reversed(range(0, i*))}, i.e. its
     * first network call is at index {@code i* - 1}, not {@code i*}; a solver that wants to reproduce the
     * reference exactly starts its grid at {@code i* - 1}, one that wants the matched noise level starts
     * at {@code i*}. To match on a sub-sampled sampler grid use {@link TimeGrid#snrMatchPosition(double)}.
     *
     * @param sigmaSquared the error variance {@code sigma^2 > 0} of the estimate
     * @return the matched index in {@code [0, T-1]}
     * @throws IllegalArgumentException if {@code sigmaSquared} is not a positive finite number
     */
    public int snrMatchIndex(double sigmaSquared) {
        double targetSnr = checkVariance(sigmaSquared);
        int best = 0;
        double bestDistance = Double.POSITIVE_INFINITY;
        for (int i = 0; i < alphaBars.length; i++) {
            double distance = Math.abs(alphaBars[i] / (1 - alphaBars[i]) - targetSnr);
            if (distance < bestDistance) {
                bestDistance = distance;
                best = i;
            }
        }
        return best;
    }

    /** Returns {@code 1 / sigmaSquared} after checking that {@code sigmaSquared} is positive and finite. */
    static double checkVariance(double sigmaSquared) {
        if (!(sigmaSquared > 0) || Double.isInfinite(sigmaSquared)) {
            throw new IllegalArgumentException(
                    "SNR matching needs a positive finite error variance sigma^2, got " + sigmaSquared);
        }
        return 1 / sigmaSquared;
    }

    /** A copy of all betas. */
    public double[] betas() {
        return betas.clone();
    }

    /** A copy of all {@code abar_t}. */
    public double[] alphaBars() {
        return alphaBars.clone();
    }

    private int check(int t) {
        if (t < 0 || t >= betas.length) {
            throw new IllegalArgumentException("time index " + t + " is outside [0, " + (betas.length - 1) + "]");
        }
        return t;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NoiseSchedule other && other.kind == kind && Arrays.equals(other.betas, betas);
    }

    @Override
    public int hashCode() {
        return 31 * kind.hashCode() + Arrays.hashCode(betas);
    }

    @Override
    public String toString() {
        return kind.name().toLowerCase() + "(T=" + betas.length + ", beta " + betas[0] + " .. "
                + betas[betas.length - 1] + ")";
    }
}
