package org.diffinv.operators;

/**
 * Pure functions building the 1-D kernels and the dense 1-D matrices of the separable operators (no state, no
 * tensors). A separable operator acts per channel as {@code X -> R X C^T} with the boundary handling folded
 * into {@code R} ({@code m x H}) and {@code C} ({@code n x W}).
 */
public final class Kernels {

    private Kernels() {
    }

    /**
     * The normalised 1-D Gaussian {@code g[k] ~ exp(-(k - c)^2 / (2 sigma^2))}, {@code k = 0..size-1},
     * {@code c = (size-1)/2}, summing to 1 (pixel-solvers spec section 4; the 61x61 sigma-3 kernel of DPS is
     * {@code gaussian(61, 3.0)}).
     *
     * @param size odd kernel length
     * @param sigma standard deviation in pixels
     */
    public static double[] gaussian(int size, double sigma) {
        requireOddSize(size, "Gaussian kernel size");
        Checks.requirePositive(sigma, "Gaussian sigma");
        double[] g = new double[size];
        double c = (size - 1) / 2.0;
        double sum = 0;
        for (int k = 0; k < size; k++) {
            g[k] = Math.exp(-(k - c) * (k - c) / (2 * sigma * sigma));
            sum += g[k];
        }
        for (int k = 0; k < size; k++) {
            g[k] /= sum;
        }
        return g;
    }

    /** Checks that a kernel size is odd and positive. */
    static void requireOddSize(int size, String what) {
        if (size < 1 || size % 2 == 0) {
            throw new IllegalArgumentException(what + " must be a positive odd number, got " + size);
        }
    }

    /**
     * The {@code n x n} matrix of the 1-D cross-correlation {@code y[i] = sum_k g[k] x[pad(i + k - p)]},
     * {@code p = (len(g) - 1)/2}, with the padding folded in (same output length as input).
     *
     * @throws IllegalArgumentException when the kernel is longer than the signal
     */
    public static double[][] correlationMatrix(double[] g, int n, Padding padding) {
        requireOddSize(g.length, "kernel length");
        if (g.length > n) {
            throw new IllegalArgumentException("kernel of length " + g.length + " is larger than the image side " + n);
        }
        int p = (g.length - 1) / 2;
        double[][] r = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < g.length; k++) {
                int j = padding.index(i + k - p, n);
                if (j >= 0) {
                    r[i][j] += g[k];
                }
            }
        }
        return r;
    }

    /**
     * The {@code (n + 2p) x n} padding matrix: row {@code i} copies source sample {@code pad(i - p)} (zero row
     * for zero padding). Its transpose folds a padded signal back (sums the mirrored samples).
     */
    public static double[][] paddingMatrix(int n, int p, Padding padding) {
        double[][] m = new double[n + 2 * p][n];
        for (int i = 0; i < n + 2 * p; i++) {
            int j = padding.index(i - p, n);
            if (j >= 0) {
                m[i][j] = 1.0;
            }
        }
        return m;
    }

    /**
     * The {@code (n/k) x n} block-mean matrix of average pooling by {@code k}: entries {@code 1/k} on each
     * block. Per axis its singular values are all {@code 1/sqrt(k)}, so the 2-D pooling {@code R X R^T} has one
     * singular value {@code 1/k} per block (pixel-solvers spec section 4).
     */
    public static double[][] averagePoolMatrix(int n, int k) {
        requireDivisible(n, k);
        double[][] r = new double[n / k][n];
        for (int i = 0; i < n / k; i++) {
            for (int t = 0; t < k; t++) {
                r[i][i * k + t] = 1.0 / k;
            }
        }
        return r;
    }

    private static void requireDivisible(int n, int k) {
        if (k < 1) {
            throw new IllegalArgumentException("downsampling factor must be at least 1, got " + k);
        }
        if (n % k != 0) {
            throw new IllegalArgumentException("image side " + n + " is not divisible by the factor " + k);
        }
    }

    /**
     * Keys' cubic convolution kernel with {@code a = -0.5} (the kernel of MATLAB's {@code imresize} bicubic):
     * {@code (a+2)|t|^3 - (a+3)|t|^2 + 1} for {@code |t| <= 1}, {@code a|t|^3 - 5a|t|^2 + 8a|t| - 4a} for
     * {@code 1 < |t| < 2}, zero beyond.
     */
    public static double cubic(double t) {
        double a = -0.5;
        double x = Math.abs(t);
        if (x <= 1) {
            return (a + 2) * x * x * x - (a + 3) * x * x + 1;
        }
        if (x < 2) {
            return a * x * x * x - 5 * a * x * x + 8 * a * x - 4 * a;
        }
        return 0;
    }

    /**
     * The {@code (n/k) x n} matrix of MATLAB-style antialiased bicubic downsampling by an integer factor
     * {@code k} (scale {@code 1/k}), with symmetric reflection at the borders.
     *
     * <p>Derivation (MATLAB {@code imresize} contributions): output sample {@code j} (0-based) sits at input
     * coordinate {@code u = k (j + 1/2) - 1/2}; with antialiasing the kernel is stretched by {@code k},
     * {@code h(t) = cubic(t / k) / k}, of support {@code |t| < 2k}; input {@code i} gets weight
     * {@code h(u - i)}, the weights are normalised to sum 1, and indices outside {@code [0, n)} are mirrored
     * symmetrically. For {@code k = 4} this gives the 16 taps at {@code i = 4j - 6 + t}, {@code t = 0..15},
     * {@code [-7, -45, -75, -49, 93, 399, 745, 987, 987, 745, 399, 93, -49, -75, -45, -7] / 4096}
     * (pixel-solvers spec section 4; exact, since cubic samples at spacing {@code 1/k} sum to {@code k}).
     */
    public static double[][] bicubicMatrix(int n, int k) {
        requireDivisible(n, k);
        int m = n / k;
        double[][] r = new double[m][n];
        for (int j = 0; j < m; j++) {
            double u = k * (j + 0.5) - 0.5;
            int lo = (int) Math.floor(u - 2 * k);
            int hi = (int) Math.ceil(u + 2 * k);
            double sum = 0;
            double[] w = new double[hi - lo + 1];
            for (int i = lo; i <= hi; i++) {
                w[i - lo] = cubic((u - i) / k) / k;
                sum += w[i - lo];
            }
            for (int i = lo; i <= hi; i++) {
                if (w[i - lo] != 0) {
                    r[j][Padding.SYMMETRIC.index(i, n)] += w[i - lo] / sum;
                }
            }
        }
        return r;
    }
}
