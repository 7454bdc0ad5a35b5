package org.diffinv.metrics;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.ParameterStore;
import org.diffinv.nn.FeatureClassifier;

/**
 * "perceptual-kit": an LPIPS-style feature distance (Zhang et al. 2018, Eq. 1, without the learned channel weights)
 * on the kit's own feature network ({@link FeatureClassifier}), since LPIPS's AlexNet / VGG weights cannot be
 * downloaded here. Comparable between methods inside the kit, not with the papers' LPIPS values.
 * <pre>
 *   d(x, y) = sum_k  mean_{h,w} || f_k(x)_{hw} / |f_k(x)_{hw}| - f_k(y)_{hw} / |f_k(y)_{hw}| ||^2
 * </pre>
 * over the three stages {@code k} of {@link FeatureClassifier#convFeatures}, the channel vector at each pixel
 * normalised to unit length. 0 for identical images; larger is less alike.
 */
public final class PerceptualKit {

    private PerceptualKit() {
    }

    /** The distance of each image pair of {@code x} and {@code y} ({@code (N, 1, 32, 32)} in [-1, 1]). */
    public static double[] perImage(FeatureClassifier net, NDArray x, NDArray y) {
        ImagePairs.checkPair("perceptual-kit", x, y);
        NDManager parent = x.getManager();
        try (NDManager s = parent.newSubManager()) {
            ParameterStore ps = new ParameterStore(s, false);
            NDArray xs = x.toType(DataType.FLOAT32, true);
            NDArray ys = y.toType(DataType.FLOAT32, true);
            xs.attach(s);
            ys.attach(s);
            NDList fx = net.convFeatures(ps, xs, false);
            NDList fy = net.convFeatures(ps, ys, false);
            NDArray total = null;
            for (int k = 0; k < fx.size(); k++) {
                NDArray a = unit(fx.get(k));
                NDArray b = unit(fy.get(k));
                NDArray sq = a.sub(b).square().sum(new int[] {1});
                NDArray d = sq.reshape(sq.getShape().get(0), -1).mean(new int[] {1});
                total = total == null ? d : total.add(d);
            }
            return total.toType(DataType.FLOAT64, false).toDoubleArray();
        }
    }

    private static NDArray unit(NDArray f) {
        NDArray norm = f.square().sum(new int[] {1}, true).sqrt().add(1e-10);
        return f.div(norm);
    }
}
