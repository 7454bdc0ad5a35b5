package org.diffinv.metrics;

import java.util.Locale;

/**
 * Summary of per-image metric values over a batch: the mean and the sample standard deviation, printed as
 * {@code "mean ± std"}.
 *
 * <p>{@code mean = (1/n) sum_i v_i} and {@code std = sqrt(sum_i (v_i - mean)^2 / (n - 1))} (Bessel-corrected, the
 * convention of papers' "± std" columns). A single value has no spread estimate: {@code std} is then 0,
 * {@link #hasSpread()} is false and {@link #toString()} prints {@code "mean (n=1)"} instead of a fake
 * {@code "± 0"}.
 *
 * @param mean the arithmetic mean
 * @param std the sample standard deviation (0 when {@code n = 1})
 * @param n the number of values, at least 1
 */
public record MeanStd(double mean, double std, int n) {

    /** Validates the fields: finite mean, finite non-negative std, {@code n >= 1}, {@code std = 0} when n = 1. */
    public MeanStd {
        if (n < 1) {
            throw new IllegalArgumentException("n must be at least 1, got " + n);
        }
        if (!Double.isFinite(mean)) {
            throw new IllegalArgumentException("mean must be finite, got " + mean);
        }
        if (!(std >= 0) || Double.isInfinite(std)) {
            throw new IllegalArgumentException("std must be finite and >= 0, got " + std);
        }
        if (n == 1 && std != 0) {
            throw new IllegalArgumentException("a single value has std 0, got " + std);
        }
    }

    /**
     * Mean and sample std of {@code values} (two-pass, numerically stable for metric-sized data).
     *
     * @param values at least one finite value
     * @throws IllegalArgumentException if {@code values} is empty or holds a NaN or infinite value (for example the
     *     {@code +Infinity} PSNR of identical images), naming its index
     */
    public static MeanStd of(double... values) {
        if (values == null || values.length == 0) {
            throw new IllegalArgumentException("need at least one value to summarise, got none");
        }
        double sum = 0;
        for (int i = 0; i < values.length; i++) {
            if (!Double.isFinite(values[i])) {
                throw new IllegalArgumentException("value[" + i + "] is " + values[i]
                        + "; mean ± std needs finite values (an infinite PSNR means identical images: cap or drop it"
                        + " explicitly)");
            }
            sum += values[i];
        }
        int n = values.length;
        double mean = sum / n;
        if (n == 1) {
            return new MeanStd(mean, 0, 1);
        }
        double ss = 0;
        for (double v : values) {
            ss += (v - mean) * (v - mean);
        }
        return new MeanStd(mean, Math.sqrt(ss / (n - 1)), n);
    }

    /** Whether {@link #std} is an estimate ({@code n >= 2}). */
    public boolean hasSpread() {
        return n >= 2;
    }

    /** The standard error of the mean {@code std / sqrt(n)} (0 when n = 1). */
    public double standardError() {
        return std / Math.sqrt(n);
    }

    /**
     * Formats as {@code "mean ± std"} with {@code decimals} digits after the point for both, e.g.
     * {@code format(2) = "28.41 ± 1.20"}; {@code "mean (n=1)"} for a single value.
     *
     * @param decimals digits after the decimal point, 0 to 12
     */
    public String format(int decimals) {
        if (decimals < 0 || decimals > 12) {
            throw new IllegalArgumentException("decimals must be in [0, 12], got " + decimals);
        }
        String f = "%." + decimals + "f";
        if (!hasSpread()) {
            return String.format(Locale.ROOT, f + " (n=1)", mean);
        }
        return String.format(Locale.ROOT, f + " ± " + f, mean, std);
    }

    /**
     * {@code "mean ± std"} with two significant digits of the std (at least 2 and at most 6 decimals), e.g.
     * {@code "28.41 ± 1.20"}, {@code "0.812 ± 0.012"}; 4 decimals when the std is 0.
     */
    @Override
    public String toString() {
        int decimals = 4;
        if (std > 0) {
            decimals = 1 - (int) Math.floor(Math.log10(std));
            decimals = Math.max(2, Math.min(6, decimals));
        }
        return format(decimals);
    }
}
