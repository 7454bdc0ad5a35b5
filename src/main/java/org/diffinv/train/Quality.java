package org.diffinv.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.EigenDecomposition;
import org.apache.commons.math3.linear.RealMatrix;
import org.diffinv.data.FashionMnist;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.diffusion.NoiseSource;
import org.diffinv.nn.FeatureClassifier;
import org.diffinv.priors.EpsPrior;


/**
 * Quality measurements of trained networks for the model cards: classifier accuracy, feature extraction and the
 * Frechet distance on the kit's feature network ("FD-kit"), and a DDIM sampler used only to draw evaluation
 * samples.
 *
 * <p>Frechet distance (Heusel et al. 2017, Eq. 6, FID's formula on the kit's own features):
 * {@code FD = ||mu_1 - mu_2||^2 + Tr(S_1 + S_2 - 2 (S_1 S_2)^{1/2})}, computed in double precision with
 * {@code Tr((S_1 S_2)^{1/2}) = sum_i sqrt(lambda_i(S_1^{1/2} S_2 S_1^{1/2}))} (a symmetric PSD matrix, so the
 * eigenvalues are real; tiny negative rounding is clipped to 0).
 */
public final class Quality {

    private Quality() {
    }

    /** Runs {@code fn} over {@code [0, n)} in chunks of {@code batch}, each in its own sub-manager. */
    private static void chunks(int n, int batch, java.util.function.BiConsumer<Integer, Integer> fn) {
        for (int from = 0; from < n; from += batch) {
            fn.accept(from, Math.min(batch, n - from));
        }
    }

    /** The classifier's top-1 accuracy on images {@code idx} of {@code data}. */
    public static double accuracy(FeatureClassifier net, NDManager manager, FashionMnist data, int[] idx) {
        int[] pred = predict(net, manager, data, idx);
        int correct = 0;
        for (int i = 0; i < idx.length; i++) {
            if (pred[i] == data.label(idx[i])) {
                correct++;
            }
        }
        return (double) correct / idx.length;
    }

    /** The classifier's predicted class of images {@code idx} of {@code data}. */
    public static int[] predict(FeatureClassifier net, NDManager manager, FashionMnist data, int[] idx) {
        int n = idx.length;
        int[] out = new int[n];
        ParameterStore ps = new ParameterStore(manager, false);
        chunks(n, 200, (from, count) -> {
            try (NDManager s = manager.newSubManager()) {
                int[] sub = java.util.Arrays.copyOfRange(idx, from, from + count);
                NDArray logits = net.forward(ps, new NDList(data.images(s, sub)), false).get(0);
                long[] am = logits.argMax(1).toLongArray();
                for (int i = 0; i < count; i++) {
                    out[from + i] = (int) am[i];
                }
            }
        });
        return out;
    }

    /** The classifier's predicted class of each image in {@code images (N, 1, 32, 32)}. */
    public static int[] predict(FeatureClassifier net, NDArray images) {
        NDManager manager = images.getManager();
        int n = (int) images.getShape().get(0);
        int[] out = new int[n];
        ParameterStore ps = new ParameterStore(manager, false);
        chunks(n, 200, (from, count) -> {
            try (NDManager s = manager.newSubManager()) {
                NDArray x = images.get(from + ":" + (from + count));
                x.attach(s);
                long[] am = net.forward(ps, new NDList(x), false).get(0).argMax(1).toLongArray();
                for (int i = 0; i < count; i++) {
                    out[from + i] = (int) am[i];
                }
            }
        });
        return out;
    }

    /** The penultimate features {@code phi} of every image in {@code images (N, 1, 32, 32)}, as {@code [N][D]}. */
    public static double[][] features(FeatureClassifier net, NDArray images) {
        NDManager manager = images.getManager();
        int n = (int) images.getShape().get(0);
        double[][] out = new double[n][];
        ParameterStore ps = new ParameterStore(manager, false);
        chunks(n, 200, (from, count) -> {
            try (NDManager s = manager.newSubManager()) {
                NDArray x = images.get(from + ":" + (from + count));
                x.attach(s);
                NDArray phi = net.forward(ps, new NDList(x), false).get(1).toType(DataType.FLOAT64, false);
                double[] flat = phi.toDoubleArray();
                int d = (int) phi.getShape().get(1);
                for (int i = 0; i < count; i++) {
                    out[from + i] = java.util.Arrays.copyOfRange(flat, i * d, (i + 1) * d);
                }
            }
        });
        return out;
    }

    /** The features of images {@code idx} of {@code data}. */
    public static double[][] features(FeatureClassifier net, NDManager manager, FashionMnist data, int[] idx) {
        try (NDManager s = manager.newSubManager()) {
            return features(net, data.images(s, idx));
        }
    }

    /** The Frechet distance between the Gaussians fitted to two feature sets (see the class comment). */
    public static double frechetDistance(double[][] a, double[][] b) {
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

    /**
     * Deterministic DDIM samples (Song et al. 2021, Eq. 12 with eta = 0) from {@code prior}, for evaluation only:
     * grid {@code tau_i = i c}, {@code c = T / steps}; {@code x0Hat = (x_t - sqrt(1 - abar_t) eps) / sqrt(abar_t)}
     * clipped to [-1, 1]; {@code x_prev = sqrt(abar_prev) x0Hat + sqrt(1 - abar_prev) eps}, {@code abar_prev = 1}
     * after the last step. Returns {@code (n, shape...)} on {@code manager}.
     */
    public static NDArray sampleDdim(EpsPrior prior, NDManager manager, int n, Shape itemShape, int steps,
                                     NoiseSource noise) {
        NoiseSchedule schedule = prior.schedule();
        int bigT = schedule.steps();
        if (steps < 1 || steps > bigT) {
            throw new IllegalArgumentException("DDIM steps must be in [1, " + bigT + "], got " + steps);
        }
        int c = bigT / steps;
        long[] dims = new long[itemShape.dimension() + 1];
        dims[0] = n;
        System.arraycopy(itemShape.getShape(), 0, dims, 1, itemShape.dimension());
        NDArray x = noise.normal(manager, new Shape(dims), DataType.FLOAT32);
        for (int i = steps - 1; i >= 0; i--) {
            int t = i * c;
            double alphaBar = schedule.alphaBar(t);
            double alphaBarPrev = i == 0 ? 1.0 : schedule.alphaBar((i - 1) * c);
            try (NDManager s = manager.newSubManager()) {
                NDArray xt = x;
                NDArray eps = prior.eps(xt, t);
                eps.attach(s);
                NDArray x0Hat = xt.sub(eps.mul(Math.sqrt(1 - alphaBar))).div(Math.sqrt(alphaBar)).clip(-1, 1);
                x0Hat.attach(s);
                NDArray epsDir = xt.sub(x0Hat.mul(Math.sqrt(alphaBar))).div(Math.sqrt(1 - alphaBar));
                epsDir.attach(s);
                NDArray next = x0Hat.mul(Math.sqrt(alphaBarPrev)).add(epsDir.mul(Math.sqrt(1 - alphaBarPrev)));
                next.attach(manager);
                x.close();
                x = next;
            }
        }
        return x;
    }
}
