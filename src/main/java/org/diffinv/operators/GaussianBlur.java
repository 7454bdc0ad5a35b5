package org.diffinv.operators;

import java.util.Locale;

/**
 * Gaussian blur: cross-correlation of every channel with the separable kernel {@code g (x) g},
 * {@code g[k] ~ exp(-(k - c)^2 / (2 sigma^2))} truncated to {@code size} taps and normalised
 * ({@link Kernels#gaussian(int, double)}); same output size as input. SVD tier through
 * {@link SeparableOperator}: per channel {@code X -> G X G^T} with the padding folded into the 1-D matrix
 * {@code G}.
 *
 * <ul>
 *   <li>{@link #reflect(int, double)}: reflect padding (DPS, DCDP, PSLD, P2L; the papers use 61x61, sigma 3 at
 *       256 px, which the kit scales to about 9-13 taps, sigma 0.4-1.5 at 32 px). No truncation beyond the
 *       numerical-rank floor, so the forward is exactly the reflect-padded blur; its small singular values
 *       (the Gaussian's response near Nyquist, {@code ~ exp(-pi^2 sigma^2 / 2)} per axis) make the closed-form
 *       {@code A^+} ill conditioned for large sigma, as it is in exact arithmetic.</li>
 *   <li>{@link #ddrm(int, double)}: the DDRM separable deblurring operator: zero padding, 1-D singular values
 *       below {@code 3e-2} zeroed, 2-D singular values {@code s_i s_j}; the forward applies the truncated
 *       operator, so every SVD identity holds exactly for it.</li>
 * </ul>
 * A kernel longer than the image side is rejected, naming both.
 */
public final class GaussianBlur {

    /** DDRM's threshold on the 1-D singular values of its separable blur. */
    public static final double DDRM_CUTOFF = 3e-2;

    private GaussianBlur() {
    }

    /** Reflect-padded Gaussian blur with {@code size} taps (odd) and standard deviation {@code sigma} pixels. */
    public static SeparableOperator reflect(int size, double sigma) {
        return of(size, sigma, Padding.REFLECT, 0.0);
    }

    /** DDRM's zero-padded Gaussian blur with 1-D singular values below {@link #DDRM_CUTOFF} zeroed. */
    public static SeparableOperator ddrm(int size, double sigma) {
        return of(size, sigma, Padding.ZERO, DDRM_CUTOFF);
    }

    /**
     * A Gaussian blur with the given padding and 1-D singular value cutoff.
     *
     * @param size odd number of taps
     * @param sigma standard deviation in pixels
     * @param padding boundary handling
     * @param cutoff 1-D singular values below this are zeroed (the forward then applies the truncated operator)
     */
    public static SeparableOperator of(int size, double sigma, Padding padding, double cutoff) {
        double[] g = Kernels.gaussian(size, sigma);
        String name = String.format(Locale.ROOT, "gaussian-blur(size=%d, sigma=%.3g, %s%s)", size, sigma,
                padding.name().toLowerCase(Locale.ROOT), cutoff > 0 ? String.format(Locale.ROOT, ", cutoff=%.3g", cutoff) : "");
        return new SeparableOperator(name,
                (h, w) -> new SeparableOperator.Factors(Kernels.correlationMatrix(g, h, padding),
                        Kernels.correlationMatrix(g, w, padding)),
                1, cutoff);
    }
}
