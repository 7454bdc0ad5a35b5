package org.diffinv.metrics;

import org.diffinv.diffusion.NoiseSource;

import java.util.Arrays;

/**
 * The sliced Wasserstein-2 distance between two equally sized sample sets in {@code R^d} (Rabin, Peyre, Delon and
 * Bernot 2011; Bonneel et al. 2015):
 * <pre>
 *   SW_2(P, Q) = sqrt( E_theta [ W_2^2(theta^T P, theta^T Q) ] ),   theta uniform on the unit sphere
 * </pre>
 * estimated with {@code L} random directions from a seeded source; for equally sized 1-D sets, {@code W_2^2} is the
 * mean squared difference of the sorted projections. Two independent sets from one distribution give a positive
 * value (the finite-sample floor); report it beside every distance.
 */
public final class SlicedWasserstein {

    private SlicedWasserstein() {
    }

    /**
     * {@code SW_2} between the rows of {@code a} and {@code b} ({@code n x d} each) over {@code directions} random
     * directions drawn from {@code noise}.
     */
    public static double distance(double[][] a, double[][] b, int directions, NoiseSource noise) {
        if (a.length == 0 || a.length != b.length) {
            throw new IllegalArgumentException("sliced Wasserstein needs two non-empty sets of equal size, got "
                    + a.length + " and " + b.length + " samples");
        }
        int d = a[0].length;
        for (double[][] set : new double[][][] {a, b}) {
            for (double[] row : set) {
                if (row.length != d) {
                    throw new IllegalArgumentException("every sample must have dimension " + d + ", got " + row.length);
                }
                for (double v : row) {
                    if (!Double.isFinite(v)) {
                        throw new IllegalArgumentException("samples must be finite, got " + v);
                    }
                }
            }
        }
        if (directions < 1) {
            throw new IllegalArgumentException("need at least one direction, got " + directions);
        }
        int n = a.length;
        double total = 0;
        double[] theta = new double[d];
        double[] pa = new double[n];
        double[] pb = new double[n];
        for (int l = 0; l < directions; l++) {
            double norm = 0;
            for (int i = 0; i < d; i++) {
                theta[i] = noise.nextGaussian();
                norm += theta[i] * theta[i];
            }
            norm = Math.sqrt(norm);
            for (int s = 0; s < n; s++) {
                double u = 0;
                double v = 0;
                for (int i = 0; i < d; i++) {
                    u += a[s][i] * theta[i];
                    v += b[s][i] * theta[i];
                }
                pa[s] = u / norm;
                pb[s] = v / norm;
            }
            Arrays.sort(pa);
            Arrays.sort(pb);
            double w = 0;
            for (int s = 0; s < n; s++) {
                double diff = pa[s] - pb[s];
                w += diff * diff;
            }
            total += w / n;
        }
        return Math.sqrt(total / directions);
    }
}
