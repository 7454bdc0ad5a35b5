package org.diffinv.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.ndarray.NDList;
import com.google.gson.JsonObject;
import org.diffinv.data.FashionMnist;
import org.diffinv.data.ShuffledBatches;
import org.diffinv.diffusion.NoiseSource;
import org.diffinv.nn.FeatureClassifier;
import org.diffinv.nn.SeededInitializer;
import org.diffinv.util.HostArrays;

/**
 * Supervised training of the {@link FeatureClassifier} on Fashion-MNIST with the cross-entropy
 * {@code L = -mean_n log softmax(f(x_n))_{y_n}}, plus a random horizontal flip (drawn from the step's
 * {@link NoiseSource}, applied per batch) as the only augmentation.
 *
 * <p>Config {@code model}: {@code width} (base channels, default 32), {@code featureDim} (default 128).
 */
public final class ClassifierTask implements TrainTask {
    private final TrainConfig config;
    private final FashionMnist data;
    private final ShuffledBatches batches;

    /** The task of {@code config} on {@code data}. */
    public ClassifierTask(TrainConfig config, FashionMnist data) {
        this.config = config;
        this.data = data;
        this.batches = new ShuffledBatches(data.size(), config.batchSize(), config.seed());
    }

    /** Builds and initialises the classifier of {@code config} with weights from {@code seed}. */
    public static FeatureClassifier newClassifier(int width, int featureDim, NDManager manager, long seed) {
        FeatureClassifier net = new FeatureClassifier(1, width, featureDim, FashionMnist.CLASS_NAMES.size());
        net.setInitializer(new SeededInitializer(NoiseSource.seeded(seed), 1.0), Parameter.Type.WEIGHT);
        net.initialize(manager, DataType.FLOAT32, new Shape(1, 1, FashionMnist.SIZE, FashionMnist.SIZE));
        return net;
    }

    @Override
    public Block newModel(NDManager manager, long seed) {
        return newClassifier(config.modelInt("width", 32), config.modelInt("featureDim", 128), manager, seed);
    }

    @Override
    public NDArray loss(Block model, ParameterStore ps, NDManager manager, long step, NoiseSource rng) {
        int[] idx = batches.batch(step);
        NDArray x = data.images(manager, idx);
        if (rng.nextDouble() < 0.5) {
            x = x.flip(3);
        }
        NDArray y = HostArrays.of(manager, data.labels(idx)).oneHot(FashionMnist.CLASS_NAMES.size());
        NDList out = model.forward(ps, new NDList(x), true);
        NDArray logp = out.get(0).logSoftmax(1);
        return logp.mul(y).sum(new int[] {1}).mean().neg();
    }

    @Override
    public JsonObject describe() {
        JsonObject o = new JsonObject();
        o.addProperty("kind", "feature-classifier");
        o.addProperty("width", config.modelInt("width", 32));
        o.addProperty("featureDim", config.modelInt("featureDim", 128));
        o.addProperty("classes", FashionMnist.CLASS_NAMES.size());
        return o;
    }
}
