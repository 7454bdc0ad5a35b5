package org.diffinv.priors;

import ai.djl.ndarray.types.Shape;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.diffusion.NoiseSource;

/**
 * Exact Gaussian-mixture priors shaped like small grey images, for benchmarks whose posterior is closed form
 * (the exact-posterior benchmark of {@code org.diffinv.experiments.ExactPosteriorBenchmark}).
 *
 * <p>Component {@code k} has a smooth random mean (a random field blurred by the component's kernel, scaled to
 * about 0.5 in amplitude) and the squared-exponential covariance
 * {@code Sigma_k(p, q) = s_k^2 exp(-|p - q|^2 / (2 l_k^2)) + nugget I} over pixel positions {@code p, q}, with
 * length scales {@code l_k} from 1 to 3 pixels: strongly correlated neighbours as in natural images, and a small
 * nugget so every covariance is positive definite. Seeded: the same seed gives the same prior.
 */
public final class ImageLikeMixtures {

    private static final double[] LENGTH_SCALES = {1.0, 2.0, 3.0, 1.5, 2.5};
    private static final double[] SCALES = {0.35, 0.45, 0.55, 0.4, 0.5};
    private static final double NUGGET = 1e-2;

    private ImageLikeMixtures() {
    }

    /**
     * A mixture of {@code components} (1 to 5) image-like Gaussians on images of shape {@code (1, H, W)}, with
     * weights proportional to {@code 1, 2, ..., K} (normalised, largest last).
     */
    public static GaussianMixturePrior of(NoiseSchedule schedule, int height, int width, int components, long seed) {
        if (components < 1 || components > LENGTH_SCALES.length) {
            throw new IllegalArgumentException("an image-like mixture has 1 to " + LENGTH_SCALES.length
                    + " components, got " + components);
        }
        if (height < 2 || width < 2 || (long) height * width > 1024) {
            throw new IllegalArgumentException("image-like mixtures are for small images (2x2 to 32x32 pixels in "
                    + "total at most 1024), got " + height + "x" + width);
        }
        NoiseSource noise = NoiseSource.seeded(seed);
        int d = height * width;
        GaussianMixturePrior.Builder b = GaussianMixturePrior.builder().setSchedule(schedule)
                .setImageShape(new Shape(1, height, width));
        double total = components * (components + 1) / 2.0;
        for (int k = 0; k < components; k++) {
            double[][] cov = squaredExponential(height, width, LENGTH_SCALES[k], SCALES[k]);
            double[] field = new double[d];
            for (int i = 0; i < d; i++) {
                field[i] = noise.nextGaussian();
            }
            double[] mean = smooth(field, height, width, LENGTH_SCALES[k]);
            double max = 1e-12;
            for (double v : mean) {
                max = Math.max(max, Math.abs(v));
            }
            for (int i = 0; i < d; i++) {
                mean[i] *= 0.5 / max;
            }
            b.addComponent((k + 1) / total, mean, cov);
        }
        return b.build();
    }

    private static double[][] squaredExponential(int h, int w, double length, double scale) {
        int d = h * w;
        double[][] c = new double[d][d];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                double dy = i / w - j / w;
                double dx = i % w - j % w;
                c[i][j] = scale * scale * Math.exp(-(dx * dx + dy * dy) / (2 * length * length));
            }
            c[i][i] += NUGGET;
        }
        return c;
    }

    private static double[] smooth(double[] field, int h, int w, double length) {
        double[] out = new double[field.length];
        for (int i = 0; i < field.length; i++) {
            double s = 0;
            for (int j = 0; j < field.length; j++) {
                double dy = i / w - j / w;
                double dx = i % w - j % w;
                s += field[j] * Math.exp(-(dx * dx + dy * dy) / (2 * length * length));
            }
            out[i] = s;
        }
        return out;
    }
}
