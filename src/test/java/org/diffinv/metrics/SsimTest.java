package org.diffinv.metrics;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SSIM (Wang et al. 2004) against hand-computed cases and an independent plain-Java double loop.
 *
 * <p>Tolerances: everything runs in FLOAT64; a window sum has 121 terms of size <= 1 (rounding ~1e-16 each), and
 * the variance {@code E[x^2] - mu^2} subtracts numbers <= 1, so each statistic is off by ~1e-15; the SSIM ratio
 * has denominators >= C1 * C2 = 9e-8, which amplifies this to at most ~1e-11 in the worst case. 1e-10 is used for
 * comparisons with the loop; equalities that hold structurally (identical inputs, symmetry) use 1e-12 or exact.
 */
class SsimTest {
    private static final double C1 = 1e-4; // (0.01 * 1)^2
    private static final double C2 = 9e-4; // (0.03 * 1)^2

    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    @Test
    void identicalImagesGiveOne() {
        NDArray x = randomImages(3, 2, 16, 16, 1);
        double[] s = Ssim.perImage(x, x.duplicate());
        assertArrayEquals(new double[] {1, 1, 1}, s, 1e-12);
    }

    @Test
    void constantImagesReduceToTheLuminanceTerm() {
        // u = (0 + 1)/2 = 0.5, v = (-0.5 + 1)/2 = 0.25; all variances and the covariance are 0, so
        // SSIM = (2 * 0.5 * 0.25 + C1) / (0.5^2 + 0.25^2 + C1) * (C2 / C2) = 0.2501 / 0.3126 = 0.80006397952655...
        NDArray x = manager.zeros(new Shape(1, 1, 12, 13), DataType.FLOAT64);
        NDArray y = manager.full(new Shape(1, 1, 12, 13), -0.5f, DataType.FLOAT64);
        assertEquals(0.2501 / 0.3126, Ssim.perImage(x, y)[0], 1e-12);
        assertEquals(0.80006397952655, Ssim.perImage(x, y)[0], 1e-12);
    }

    @Test
    void agreesWithAnIndependentDoubleLoop() {
        NDArray x = randomImages(2, 2, 13, 15, 7);
        NDArray y = x.add(randomImages(2, 2, 13, 15, 8).mul(0.3)).clip(-1, 1);
        double[] expected = loopSsim(x.toDoubleArray(), y.toDoubleArray(), 2, 2, 13, 15);
        assertArrayEquals(expected, Ssim.perImage(x, y), 1e-10);
        // a sanity range for this moderately noisy pair, so the comparison is not between two trivial values
        assertTrue(expected[0] > 0.2 && expected[0] < 0.99, "ssim " + expected[0]);
    }

    @Test
    void isSymmetric() {
        NDArray x = randomImages(2, 3, 16, 16, 11);
        NDArray y = randomImages(2, 3, 16, 16, 12);
        assertArrayEquals(Ssim.perImage(x, y), Ssim.perImage(y, x), 1e-14);
    }

    @Test
    void liesInMinusOneToOneAndDecreasesWithNoise() {
        NDArray x = randomImages(1, 1, 24, 24, 21);
        NDArray noise = randomImages(1, 1, 24, 24, 22);
        double previous = 1.0;
        for (double level : new double[] {0.05, 0.2, 0.5, 1.0}) {
            double s = Ssim.perImage(x, x.add(noise.mul(level)))[0];
            assertTrue(s < previous && s > -1, "ssim " + s + " at noise " + level);
            previous = s;
        }
        // a negated zero-mean pattern is anti-correlated: sigma_xy < 0, so SSIM < 0 (and >= -1)
        double neg = Ssim.perImage(x.mul(0.5), x.mul(-0.5))[0];
        assertTrue(neg < 0 && neg >= -1, "ssim of negated image " + neg);
    }

    @Test
    void float32AgreesWithFloat64() {
        NDArray x = randomImages(2, 1, 16, 16, 31);
        NDArray y = randomImages(2, 1, 16, 16, 32);
        double[] d = Ssim.perImage(x, y);
        // rounding the inputs to float32 (relative 6e-8) moves SSIM by ~1e-7 at most for these sizes
        double[] f = Ssim.perImage(x.toType(DataType.FLOAT32, true), y.toType(DataType.FLOAT32, true));
        assertArrayEquals(d, f, 1e-5);
    }

    @Test
    void windowIsTheNormalisedGaussian() {
        double[] g = Ssim.gaussianWindow();
        double sum = 0;
        for (int i = 0; i < 11; i++) {
            sum += g[i];
            assertEquals(g[i], g[10 - i], 0);
        }
        assertEquals(1, sum, 1e-15);
        assertEquals(Math.exp(-25 / 4.5) / Math.exp(0), g[0] / g[5], 1e-15);
    }

    @Test
    void rejectsImagesSmallerThanTheWindowAndBadShapes() {
        NDArray small = manager.zeros(new Shape(1, 1, 10, 32), DataType.FLOAT64);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Ssim.perImage(small, small)).getMessage()
                .contains("10x32"));
        NDArray a = manager.zeros(new Shape(1, 1, 16, 16), DataType.FLOAT64);
        NDArray b = manager.zeros(new Shape(1, 3, 16, 16), DataType.FLOAT64);
        assertThrows(IllegalArgumentException.class, () -> Ssim.perImage(a, b));
    }

    /** Uniform values in [-1, 1) from a seeded java.util.Random, FLOAT64. */
    private NDArray randomImages(int n, int c, int h, int w, long seed) {
        Random r = new Random(seed);
        double[] d = new double[n * c * h * w];
        for (int i = 0; i < d.length; i++) {
            d[i] = 2 * r.nextDouble() - 1;
        }
        return manager.create(d, new Shape(n, c, h, w));
    }

    /**
     * Textbook SSIM by direct double loops: 2-D window exp(-(a^2 + b^2) / (2 * 1.5^2)) normalised, centred moments
     * sum w (x - mu_x)(y - mu_y) at every valid position, mean per channel, then mean over channels.
     */
    private static double[] loopSsim(double[] xs, double[] ys, int n, int c, int h, int w) {
        double[][] win = new double[11][11];
        double total = 0;
        for (int a = 0; a < 11; a++) {
            for (int b = 0; b < 11; b++) {
                win[a][b] = Math.exp(-((a - 5) * (a - 5) + (b - 5) * (b - 5)) / (2 * 1.5 * 1.5));
                total += win[a][b];
            }
        }
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            double channelSum = 0;
            for (int ch = 0; ch < c; ch++) {
                int base = (i * c + ch) * h * w;
                double mapSum = 0;
                int positions = 0;
                for (int r = 0; r + 11 <= h; r++) {
                    for (int q = 0; q + 11 <= w; q++) {
                        double muX = 0;
                        double muY = 0;
                        for (int a = 0; a < 11; a++) {
                            for (int b = 0; b < 11; b++) {
                                double wt = win[a][b] / total;
                                muX += wt * unit(xs[base + (r + a) * w + q + b]);
                                muY += wt * unit(ys[base + (r + a) * w + q + b]);
                            }
                        }
                        double vx = 0;
                        double vy = 0;
                        double cxy = 0;
                        for (int a = 0; a < 11; a++) {
                            for (int b = 0; b < 11; b++) {
                                double wt = win[a][b] / total;
                                double dx = unit(xs[base + (r + a) * w + q + b]) - muX;
                                double dy = unit(ys[base + (r + a) * w + q + b]) - muY;
                                vx += wt * dx * dx;
                                vy += wt * dy * dy;
                                cxy += wt * dx * dy;
                            }
                        }
                        mapSum += (2 * muX * muY + C1) * (2 * cxy + C2)
                                / ((muX * muX + muY * muY + C1) * (vx + vy + C2));
                        positions++;
                    }
                }
                channelSum += mapSum / positions;
            }
            out[i] = channelSum / c;
        }
        return out;
    }

    private static double unit(double v) {
        return Math.min(1, Math.max(0, (v + 1) / 2));
    }
}
