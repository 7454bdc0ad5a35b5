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
import org.diffinv.sampling.Sampler;
import org.diffinv.diffusion.TimeGrid;
import org.diffinv.diffusion.NoiseSource;
import org.diffinv.nn.FeatureClassifier;
import org.diffinv.priors.EpsPrior;


/**
 * Quality measurements of trained networks for the model cards: classifier accuracy, the feature network's
 * features (fed to {@link org.diffinv.metrics.FrechetDistance} for "FD-kit"), and evaluation samples drawn with
 * the shared DDIM {@link Sampler}.
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

    /**
     * Deterministic DDIM samples (Song et al. 2021, Eq. 12, eta = 0) from {@code prior} on {@code grid}, by the
     * kit's shared {@link Sampler}. Returns the sampler's output {@code (n, shape...)} FLOAT32 on {@code manager}
     * <b>unclipped</b>: the same sampler draws images and latents, and latents (unit standard deviation) must never
     * be clipped; clip images with {@link #sampleImages}.
     */
    public static NDArray sampleDdim(EpsPrior prior, NDManager manager, int n, Shape itemShape, TimeGrid grid,
                                     NoiseSource noise) {
        long[] dims = new long[itemShape.dimension() + 1];
        dims[0] = n;
        System.arraycopy(itemShape.getShape(), 0, dims, 1, itemShape.dimension());
        Sampler ddim = Sampler.ddim(grid, 0.0);
        return ddim.sample(prior, manager, new Shape(dims), DataType.FLOAT32, noise);
    }

    /**
     * Images {@code (n, 1, 32, 32)} from a pixel prior: {@link #sampleDdim} clipped to [-1, 1] (images leave the
     * data range only by a sampler's overshoot).
     */
    public static NDArray sampleImages(EpsPrior prior, NDManager manager, int n, Shape itemShape, TimeGrid grid,
                                       NoiseSource noise) {
        NDArray x = sampleDdim(prior, manager, n, itemShape, grid, noise);
        NDArray clipped = x.clip(-1, 1);
        x.close();
        return clipped;
    }

    /**
     * Images from a latent prior: latents {@code (n, latentShape)} by {@link #sampleDdim} (never clipped),
     * decoded by {@code ae}, and only the decoded images clipped to [-1, 1].
     */
    public static NDArray sampleDecoded(EpsPrior prior, org.diffinv.priors.Autoencoder ae, NDManager manager, int n,
                                        TimeGrid grid, NoiseSource noise) {
        NDArray z = sampleDdim(prior, manager, n, ae.latentShape(), grid, noise);
        NDArray x = ae.decode(z);
        NDArray clipped = x.clip(-1, 1);
        z.close();
        x.close();
        return clipped;
    }
}
