package org.diffinv.metrics;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Peak signal-to-noise ratio per image, {@code PSNR = 10 log10(L^2 / MSE)} with data range {@code L = 1}.
 *
 * <p><b>Convention.</b> Kit images live in [-1, 1]; both images are first mapped to [0, 1] by
 * {@code u = clip((x + 1) / 2, 0, 1)} (so values a sampler overshoots beyond [-1, 1] count as the nearest valid
 * intensity), then {@code MSE = mean_{c,h,w} (u - v)^2} over one image and {@code PSNR = -10 log10(MSE)} dB.
 * This is the usual "images in [0, 1], data_range = 1" convention (e.g. skimage's
 * {@code peak_signal_noise_ratio(u, v, data_range=1)}), so a PSNR here equals the one of the same images stored
 * as 8-bit files up to quantisation. Identical images give {@code +Infinity} (MSE = 0), exactly as the formula
 * says; {@link MeanStd} refuses infinite values, so summarise such batches deliberately.
 *
 * <p>Computation is in FLOAT64 whatever the input type, in a sub-manager that is closed before returning.
 */
public final class Psnr {

    private Psnr() {
    }

    /**
     * PSNR in dB of each image pair of two batches.
     *
     * @param x images {@code (N, C, H, W)} or one image {@code (C, H, W)}, values in [-1, 1], floating type
     * @param y reference images of the same shape
     * @return {@code N} values in dB, {@code +Infinity} where the mapped images are identical
     * @throws IllegalArgumentException on a shape mismatch, a wrong rank, an empty batch, a non-floating type, or
     *     NaN / infinite values
     */
    public static double[] perImage(NDArray x, NDArray y) {
        Shape shape = ImagePairs.checkPair("PSNR", x, y);
        double[] mse = mse(x, y, shape);
        double[] psnr = new double[mse.length];
        for (int i = 0; i < mse.length; i++) {
            psnr[i] = fromMse(mse[i]);
        }
        return psnr;
    }

    /** Mean ± sample std of {@link #perImage} over the batch (needs finite values). */
    public static MeanStd batch(NDArray x, NDArray y) {
        return MeanStd.of(perImage(x, y));
    }

    /**
     * Mean squared error per image after the [0, 1] mapping, {@code mean_{c,h,w} (u - v)^2}.
     *
     * @param x images {@code (N, C, H, W)} or {@code (C, H, W)} in [-1, 1]
     * @param y reference images of the same shape
     * @return {@code N} values in [0, 1]
     */
    public static double[] msePerImage(NDArray x, NDArray y) {
        Shape shape = ImagePairs.checkPair("MSE", x, y);
        return mse(x, y, shape);
    }

    /** PSNR in dB for data range 1 from a mean squared error: {@code -10 log10(mse)}; {@code +Infinity} at 0. */
    public static double fromMse(double mse) {
        if (!(mse >= 0) || Double.isInfinite(mse)) {
            throw new IllegalArgumentException("MSE must be finite and >= 0, got " + mse);
        }
        return mse == 0 ? Double.POSITIVE_INFINITY : -10.0 * Math.log10(mse);
    }

    private static double[] mse(NDArray x, NDArray y, Shape shape) {
        try (NDManager s = x.getManager().newSubManager()) {
            ImagePairs.tempAttach(s, x, y);
            NDArray u = ImagePairs.toUnit(x, shape);
            NDArray v = ImagePairs.toUnit(y, shape);
            NDArray d = u.sub(v);
            return d.mul(d).reshape(shape.get(0), -1).mean(new int[] {1}).toDoubleArray();
        }
    }
}
