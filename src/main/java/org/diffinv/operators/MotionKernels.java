package org.diffinv.operators;

import org.diffinv.diffusion.NoiseSource;

import java.util.Locale;

/**
 * A seeded generator of random camera-shake (motion blur) kernels, written for the kit after the idea of
 * LeviBorodenko/motionblur that DPS, DCDP and P2L use (61x61, intensity 0.5 at 256 px): a random camera path
 * of random steps with jittered angles is drawn as a line, smoothed, resized to the kernel size and
 * normalised to sum 1. The Python generator is not bit-reproducible outside Python; this one is reproducible
 * from its {@link NoiseSource} seed.
 *
 * <p>Algorithm (all lengths on a canvas supersampled {@code S = 4} times, {@code L = S K} pixels a side):
 * <ol>
 *   <li>path: {@code T = 12 + U{0..11}} steps; total length
 *       {@code ell = L (0.3 + 0.6 intensity)(0.7 + 0.3 u)}; step lengths proportional to {@code 0.2 + u_t},
 *       scaled to sum {@code ell};</li>
 *   <li>angles: {@code theta_0 ~ U(0, 2 pi)}; per step {@code theta_t = theta_{t-1} + (2u - 1) pi (0.05 + 0.55
 *       intensity)}, and with probability {@code 0.1 intensity} a sharp reversal {@code + pi};</li>
 *   <li>the polyline is centred on its bounding box and shrunk, if needed, to fit the canvas minus one
 *       output pixel of margin;</li>
 *   <li>drawn as a line: points every {@code 1/4} canvas pixel along each segment are splatted bilinearly with
 *       weight equal to the arc length they stand for;</li>
 *   <li>smoothed with a Gaussian of standard deviation {@code S/2} canvas pixels, averaged over {@code S x S}
 *       blocks down to {@code K x K}, and normalised to sum 1 ({@link BlurKernel#of}).</li>
 * </ol>
 * Intensity 0 gives short, nearly straight strokes; intensity 1 long, shaky paths with turns.
 */
public final class MotionKernels {

    private static final int SUPERSAMPLE = 4;

    private MotionKernels() {
    }

    /**
     * A random motion kernel.
     *
     * @param size odd kernel size {@code K >= 3}
     * @param intensity shake intensity in [0, 1] (the papers use 0.5)
     * @param noise the source of every random draw
     * @return a {@code K x K} kernel summing to 1
     */
    public static BlurKernel generate(int size, double intensity, NoiseSource noise) {
        if (size < 3 || size % 2 == 0) {
            throw new IllegalArgumentException("motion kernel size must be odd and at least 3, got " + size);
        }
        if (!(intensity >= 0 && intensity <= 1)) {
            throw new IllegalArgumentException("motion blur intensity must be in [0, 1], got " + intensity);
        }
        int canvas = SUPERSAMPLE * size;
        // 1-2. random path
        int steps = 12 + noise.nextInt(12);
        double ell = canvas * (0.3 + 0.6 * intensity) * (0.7 + 0.3 * noise.nextDouble());
        double[] stepLength = new double[steps];
        double total = 0;
        for (int t = 0; t < steps; t++) {
            stepLength[t] = 0.2 + noise.nextDouble();
            total += stepLength[t];
        }
        double maxTurn = Math.PI * (0.05 + 0.55 * intensity);
        double theta = 2 * Math.PI * noise.nextDouble();
        double[] py = new double[steps + 1];
        double[] px = new double[steps + 1];
        for (int t = 1; t <= steps; t++) {
            theta += (2 * noise.nextDouble() - 1) * maxTurn;
            if (noise.nextDouble() < 0.1 * intensity) {
                theta += Math.PI;
            }
            double len = stepLength[t - 1] / total * ell;
            py[t] = py[t - 1] + len * Math.sin(theta);
            px[t] = px[t - 1] + len * Math.cos(theta);
        }
        // 3. centre and fit
        double minY = Double.MAX_VALUE;
        double maxY = -Double.MAX_VALUE;
        double minX = Double.MAX_VALUE;
        double maxX = -Double.MAX_VALUE;
        for (int t = 0; t <= steps; t++) {
            minY = Math.min(minY, py[t]);
            maxY = Math.max(maxY, py[t]);
            minX = Math.min(minX, px[t]);
            maxX = Math.max(maxX, px[t]);
        }
        double usable = canvas - 2.0 * SUPERSAMPLE;
        double extent = Math.max(maxY - minY, maxX - minX);
        double scale = extent > usable ? usable / extent : 1.0;
        double centre = (canvas - 1) / 2.0;
        double cy = (minY + maxY) / 2;
        double cx = (minX + maxX) / 2;
        for (int t = 0; t <= steps; t++) {
            py[t] = centre + (py[t] - cy) * scale;
            px[t] = centre + (px[t] - cx) * scale;
        }
        // 4. draw the line
        double[][] img = new double[canvas][canvas];
        for (int t = 0; t < steps; t++) {
            double dy = py[t + 1] - py[t];
            double dx = px[t + 1] - px[t];
            double segment = Math.hypot(dy, dx);
            int samples = Math.max(1, (int) Math.ceil(segment * 4));
            for (int q = 0; q < samples; q++) {
                double f = (q + 0.5) / samples;
                splat(img, py[t] + f * dy, px[t] + f * dx, Math.max(segment / samples, 1e-3));
            }
        }
        // 5. smooth, downsample, normalise
        double[][] smooth = gaussianSmooth(img, SUPERSAMPLE / 2.0);
        double[][] k = new double[size][size];
        for (int i = 0; i < canvas; i++) {
            for (int j = 0; j < canvas; j++) {
                k[i / SUPERSAMPLE][j / SUPERSAMPLE] += smooth[i][j];
            }
        }
        return BlurKernel.of(k, String.format(Locale.ROOT, "motion(size=%d, intensity=%.2f, seed=%d)", size, intensity,
                noise.seed()));
    }

    private static void splat(double[][] img, double y, double x, double weight) {
        int n = img.length;
        int i0 = (int) Math.floor(y);
        int j0 = (int) Math.floor(x);
        double fy = y - i0;
        double fx = x - j0;
        for (int a = 0; a <= 1; a++) {
            for (int b = 0; b <= 1; b++) {
                int i = i0 + a;
                int j = j0 + b;
                if (i >= 0 && i < n && j >= 0 && j < n) {
                    img[i][j] += weight * (a == 0 ? 1 - fy : fy) * (b == 0 ? 1 - fx : fx);
                }
            }
        }
    }

    /** Separable Gaussian smoothing with zero padding (the path stays inside the canvas margin). */
    private static double[][] gaussianSmooth(double[][] img, double sigma) {
        int radius = (int) Math.ceil(3 * sigma);
        double[] g = Kernels.gaussian(2 * radius + 1, sigma);
        int n = img.length;
        double[][] tmp = new double[n][n];
        double[][] out = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int t = -radius; t <= radius; t++) {
                    int jj = j + t;
                    if (jj >= 0 && jj < n) {
                        s += g[t + radius] * img[i][jj];
                    }
                }
                tmp[i][j] = s;
            }
        }
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int t = -radius; t <= radius; t++) {
                    int ii = i + t;
                    if (ii >= 0 && ii < n) {
                        s += g[t + radius] * tmp[ii][j];
                    }
                }
                out[i][j] = s;
            }
        }
        return out;
    }
}
