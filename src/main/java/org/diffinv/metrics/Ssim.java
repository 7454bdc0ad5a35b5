package org.diffinv.metrics;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import org.diffinv.util.HostArrays;

/**
 * Structural similarity index (SSIM) per image, the standard definition of Wang, Bovik, Sheikh and Simoncelli,
 * "Image quality assessment: from error visibility to structural similarity", IEEE TIP 13(4), 2004, Eq. (13)
 * with the Gaussian weighting of Sec. III-B.
 *
 * <p><b>Convention</b> (the reference MATLAB {@code ssim_index.m} of the paper, equal to
 * {@code skimage.metrics.structural_similarity(u, v, data_range=1, gaussian_weights=True, sigma=1.5,
 * use_sample_covariance=False)} on the positions it averages):
 * <ul>
 *   <li>images mapped from [-1, 1] to [0, 1] by {@code u = clip((x + 1) / 2, 0, 1)}, dynamic range {@code L = 1};</li>
 *   <li>an 11x11 Gaussian window {@code w(a, b) ∝ exp(-((a-5)^2 + (b-5)^2) / (2 * 1.5^2))}, normalised to sum 1
 *       (applied separably: it is the outer product of the normalised 1-D window);</li>
 *   <li>weighted local statistics at every <em>valid</em> window position (no padding; an {@code H x W} channel
 *       gives {@code (H-10) x (W-10)} positions): {@code mu_x = sum w x}, {@code sigma_x^2 = sum w x^2 - mu_x^2},
 *       {@code sigma_xy = sum w x y - mu_x mu_y} (population weighting, i.e. no sample-covariance correction);</li>
 *   <li>{@code SSIM = ((2 mu_x mu_y + C1)(2 sigma_xy + C2)) / ((mu_x^2 + mu_y^2 + C1)(sigma_x^2 + sigma_y^2 + C2))}
 *       with {@code C1 = (K1 L)^2}, {@code C2 = (K2 L)^2}, {@code K1 = 0.01}, {@code K2 = 0.03};</li>
 *   <li>the SSIM map is averaged over positions per channel, then over channels (equal weights), giving one value
 *       per image.</li>
 * </ul>
 * Images must be at least 11x11. Values lie in [-1, 1]; identical images give exactly 1. Computation is in FLOAT64
 * whatever the input type, in a sub-manager closed before returning.
 */
public final class Ssim {

    /** Side of the square Gaussian window. */
    public static final int WINDOW = 11;
    /** Standard deviation of the Gaussian window, in pixels. */
    public static final double SIGMA = 1.5;
    /** Luminance stabiliser constant {@code K1}. */
    public static final double K1 = 0.01;
    /** Contrast-structure stabiliser constant {@code K2}. */
    public static final double K2 = 0.03;
    /** Dynamic range {@code L} of the mapped images. */
    public static final double L = 1.0;

    private Ssim() {
    }

    /**
     * SSIM of each image pair of two batches.
     *
     * @param x images {@code (N, C, H, W)} or one image {@code (C, H, W)}, values in [-1, 1], floating type,
     *     {@code H, W >= 11}
     * @param y reference images of the same shape
     * @return {@code N} values in [-1, 1]
     * @throws IllegalArgumentException on a shape mismatch, a wrong rank, images smaller than 11x11, a non-floating
     *     type, or NaN / infinite values
     */
    public static double[] perImage(NDArray x, NDArray y) {
        Shape shape = ImagePairs.checkPair("SSIM", x, y);
        long n = shape.get(0);
        long c = shape.get(1);
        long h = shape.get(2);
        long w = shape.get(3);
        if (h < WINDOW || w < WINDOW) {
            throw new IllegalArgumentException("SSIM: images must be at least " + WINDOW + "x" + WINDOW
                    + " for the valid 11x11 Gaussian window, got " + h + "x" + w);
        }
        double c1 = (K1 * L) * (K1 * L);
        double c2 = (K2 * L) * (K2 * L);
        try (NDManager s = x.getManager().newSubManager()) {
            ImagePairs.tempAttach(s, x, y);
            Shape planes = new Shape(n * c, 1, h, w);
            NDArray u = ImagePairs.toUnit(x, shape).reshape(planes);
            NDArray v = ImagePairs.toUnit(y, shape).reshape(planes);
            NDArray g = HostArrays.of(s, gaussianWindow());
            NDArray gRow = g.reshape(1, 1, 1, WINDOW);
            NDArray gCol = g.reshape(1, 1, WINDOW, 1);

            NDArray muX = filter(u, gRow, gCol);
            NDArray muY = filter(v, gRow, gCol);
            NDArray muXX = muX.mul(muX);
            NDArray muYY = muY.mul(muY);
            NDArray muXY = muX.mul(muY);
            NDArray sigmaXX = filter(u.mul(u), gRow, gCol).sub(muXX);
            NDArray sigmaYY = filter(v.mul(v), gRow, gCol).sub(muYY);
            NDArray sigmaXY = filter(u.mul(v), gRow, gCol).sub(muXY);

            NDArray numerator = muXY.mul(2).add(c1).mul(sigmaXY.mul(2).add(c2));
            NDArray denominator = muXX.add(muYY).add(c1).mul(sigmaXX.add(sigmaYY).add(c2));
            NDArray ssimMap = numerator.div(denominator);
            // equal-size channel maps: mean over (C, H', W') = mean over channels of per-channel means
            return ssimMap.reshape(n, -1).mean(new int[] {1}).toDoubleArray();
        }
    }

    /** Mean ± sample std of {@link #perImage} over the batch. */
    public static MeanStd batch(NDArray x, NDArray y) {
        return MeanStd.of(perImage(x, y));
    }

    /**
     * The normalised 1-D Gaussian window {@code g_i = exp(-(i-5)^2 / (2 sigma^2)) / sum_j exp(-(j-5)^2 / (2 sigma^2))},
     * {@code i = 0..10}; the 2-D window is its outer product.
     */
    public static double[] gaussianWindow() {
        double[] g = new double[WINDOW];
        int r = WINDOW / 2;
        double sum = 0;
        for (int i = 0; i < WINDOW; i++) {
            g[i] = Math.exp(-((i - r) * (double) (i - r)) / (2 * SIGMA * SIGMA));
            sum += g[i];
        }
        for (int i = 0; i < WINDOW; i++) {
            g[i] /= sum;
        }
        return g;
    }

    /** Valid separable filtering of planes {@code (P, 1, H, W)} -> {@code (P, 1, H-10, W-10)}. */
    private static NDArray filter(NDArray planes, NDArray gRow, NDArray gCol) {
        NDArray rows = Conv2d.conv2d(planes, gRow).singletonOrThrow();
        return Conv2d.conv2d(rows, gCol).singletonOrThrow();
    }
}
