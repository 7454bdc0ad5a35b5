package org.diffinv.priors;

import ai.djl.ndarray.types.Shape;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.QRDecomposition;
import org.apache.commons.math3.linear.RealMatrix;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.diffusion.NoiseSource;

/** Seeded random test priors: random orthogonal eigenvectors and log-uniform eigenvalues. */
public final class TestPriors {

    private TestPriors() {
    }

    /** A random SPD {@code d x d} matrix {@code Q diag(lambda) Q^T}, {@code lambda} log-uniform in {@code [lo, hi]}. */
    public static double[][] randomCovariance(int d, double lo, double hi, NoiseSource noise) {
        double[][] g = new double[d][d];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                g[i][j] = noise.nextGaussian();
            }
        }
        RealMatrix q = new QRDecomposition(new Array2DRowRealMatrix(g, false)).getQ();
        double[][] c = new double[d][d];
        double[] lambda = new double[d];
        for (int k = 0; k < d; k++) {
            lambda[k] = lo * Math.pow(hi / lo, noise.nextDouble());
        }
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                double s = 0;
                for (int k = 0; k < d; k++) {
                    s += q.getEntry(i, k) * lambda[k] * q.getEntry(j, k);
                }
                c[i][j] = s;
            }
        }
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < i; j++) {
                c[i][j] = c[j][i];
            }
        }
        return c;
    }

    /** A vector with entries uniform in {@code [lo, hi)}. */
    public static double[] randomVector(int d, double lo, double hi, NoiseSource noise) {
        double[] v = new double[d];
        for (int i = 0; i < d; i++) {
            v[i] = lo + (hi - lo) * noise.nextDouble();
        }
        return v;
    }

    /** A Gaussian prior on {@code shape} with mean in [-0.5, 0.5) and eigenvalues in [0.05, 1]. */
    public static GaussianPrior randomGaussian(NoiseSchedule schedule, Shape shape, NoiseSource noise) {
        int d = Math.toIntExact(shape.size());
        return GaussianPrior.of(schedule, shape, randomVector(d, -0.5, 0.5, noise),
                randomCovariance(d, 0.05, 1.0, noise));
    }
}
