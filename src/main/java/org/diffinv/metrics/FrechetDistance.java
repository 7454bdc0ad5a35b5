package org.diffinv.metrics;

import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.EigenDecomposition;
import org.apache.commons.math3.linear.RealMatrix;

/**
 * The Frechet distance between Gaussians fitted to two feature sets (Heusel et al. 2017, Eq. 6: FID's formula),
 * computed on the kit's own feature network and therefore reported as "FD-kit": comparable between methods within
 * the kit, not with published FID values.
 *
 * <p>{@code FD = ||mu_1 - mu_2||^2 + Tr(S_1 + S_2 - 2 (S_1 S_2)^{1/2})} in double precision, with
 * {@code Tr((S_1 S_2)^{1/2}) = sum_i sqrt(lambda_i(S_1^{1/2} S_2 S_1^{1/2}))} (a symmetric PSD matrix, so the
 * eigenvalues are real; tiny negative rounding is clipped to 0). Covariances are the unbiased sample covariances.
 */
public final class FrechetDistance {

    private FrechetDistance() {
    }

    /**
     * The Frechet distance between the Gaussians fitted to two feature sets (rows = samples).
     *
     * @throws IllegalArgumentException when a set has fewer than 2 rows or the widths differ
     */
    public static double of(double[][] a, double[][] b) {
        if (a.length < 2 || b.length < 2 || a[0].length != b[0].length) {
            throw new IllegalArgumentException("need two feature sets of >= 2 rows and equal width, got "
                    + a.length + "x" + (a.length > 0 ? a[0].length : 0) + " and " + b.length + "x"
                    + (b.length > 0 ? b[0].length : 0));
        }
        double[] mu1 = mean(a);
        double[] mu2 = mean(b);
        RealMatrix s1 = covariance(a, mu1);
        RealMatrix s2 = covariance(b, mu2);
        double meanTerm = 0;
        for (int i = 0; i < mu1.length; i++) {
            meanTerm += (mu1[i] - mu2[i]) * (mu1[i] - mu2[i]);
        }
        RealMatrix sqrtS1 = psdSqrt(s1);
        RealMatrix inner = sqrtS1.multiply(s2).multiply(sqrtS1);
        inner = inner.add(inner.transpose()).scalarMultiply(0.5);
        double trSqrt = 0;
        for (double lambda : new EigenDecomposition(inner).getRealEigenvalues()) {
            trSqrt += Math.sqrt(Math.max(lambda, 0));
        }
        return meanTerm + s1.getTrace() + s2.getTrace() - 2 * trSqrt;
    }

    private static double[] mean(double[][] x) {
        double[] mu = new double[x[0].length];
        for (double[] row : x) {
            for (int j = 0; j < mu.length; j++) {
                mu[j] += row[j];
            }
        }
        for (int j = 0; j < mu.length; j++) {
            mu[j] /= x.length;
        }
        return mu;
    }

    /** The unbiased sample covariance {@code 1/(n-1) sum (x - mu)(x - mu)^T}. */
    private static RealMatrix covariance(double[][] x, double[] mu) {
        int d = mu.length;
        double[][] c = new double[d][d];
        for (double[] row : x) {
            for (int i = 0; i < d; i++) {
                double di = row[i] - mu[i];
                for (int j = i; j < d; j++) {
                    c[i][j] += di * (row[j] - mu[j]);
                }
            }
        }
        for (int i = 0; i < d; i++) {
            for (int j = i; j < d; j++) {
                c[i][j] /= x.length - 1;
                c[j][i] = c[i][j];
            }
        }
        return new Array2DRowRealMatrix(c, false);
    }

    private static RealMatrix psdSqrt(RealMatrix s) {
        EigenDecomposition e = new EigenDecomposition(s);
        RealMatrix v = e.getV();
        double[] lambda = e.getRealEigenvalues();
        int d = lambda.length;
        RealMatrix sqrtD = new Array2DRowRealMatrix(d, d);
        for (int i = 0; i < d; i++) {
            sqrtD.setEntry(i, i, Math.sqrt(Math.max(lambda[i], 0)));
        }
        return v.multiply(sqrtD).multiply(v.transpose());
    }

}
