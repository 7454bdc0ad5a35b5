package org.diffinv.train;

import org.diffinv.util.Scalars;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import com.google.gson.JsonObject;
import org.diffinv.data.FashionMnist;
import org.diffinv.data.ShuffledBatches;
import org.diffinv.diffusion.NoiseSource;
import org.diffinv.nn.KlAutoencoder;
import org.diffinv.nn.SeededInitializer;

/**
 * Training of the {@link KlAutoencoder} (Rombach et al. 2022, Section 3, without the adversarial term) with
 * {@code L = mean|x - D(z)| + mean (x - D(z))^2 + beta * mean_j KL_j}, where
 * {@code z = mu + sigma * eps} (reparameterisation, eps from the step's {@link NoiseSource}) and
 * {@code KL_j = (mu_j^2 + sigma_j^2 - 1 - log sigma_j^2) / 2} per latent entry.
 *
 * <p>Config {@code model}: {@code width} (default 32), {@code latentChannels} (default 4), {@code klWeight}
 * (beta, default 1e-4).
 */
public final class AutoencoderTask implements TrainTask {
    private final TrainConfig config;
    private final FashionMnist data;
    private final ShuffledBatches batches;
    private final double beta;

    /** The task of {@code config} on {@code data}. */
    public AutoencoderTask(TrainConfig config, FashionMnist data) {
        this.config = config;
        this.data = data;
        this.batches = new ShuffledBatches(data.size(), config.batchSize(), config.seed());
        this.beta = config.modelDouble("klWeight", 1e-4);
    }

    /** Builds and initialises an autoencoder with weights drawn from {@code seed}. */
    public static KlAutoencoder newAutoencoder(int width, int latentChannels, NDManager manager, long seed) {
        KlAutoencoder ae = new KlAutoencoder(1, width, latentChannels);
        ae.setInitializer(new SeededInitializer(NoiseSource.seeded(seed), 1.0), Parameter.Type.WEIGHT);
        ae.initialize(manager, DataType.FLOAT32, new Shape(1, 1, FashionMnist.SIZE, FashionMnist.SIZE));
        return ae;
    }

    @Override
    public Block newModel(NDManager manager, long seed) {
        return newAutoencoder(config.modelInt("width", 32), config.modelInt("latentChannels", 4), manager, seed);
    }

    @Override
    public NDArray loss(Block model, ParameterStore ps, NDManager manager, long step, NoiseSource rng) {
        KlAutoencoder ae = (KlAutoencoder) model;
        NDArray x = data.images(manager, batches.batch(step));
        NDList post = ae.encode(ps, x, true);
        NDArray mu = post.get(0);
        NDArray logVar = post.get(1);
        NDArray sigma = Scalars.mul(logVar, 0.5).exp();
        NDArray z = mu.add(sigma.mul(rng.normal(manager, mu.getShape(), DataType.FLOAT32)));
        NDArray xHat = ae.decode(ps, z, true);
        NDArray diff = xHat.sub(x);
        NDArray kl = Scalars.mul(Scalars.sub(mu.square().add(logVar.exp()), 1).sub(logVar), 0.5).mean();
        // a float, not a double: a FLOAT64 scalar would promote the 0-d loss to FLOAT64
        return diff.abs().mean().add(diff.square().mean()).add(Scalars.mul(kl, (float) beta));
    }

    /** Training images the latent scale factor is measured on: the first {@value} of the training split. */
    public static final int SCALE_IMAGES = 5000;

    /**
     * The latent scale factor {@code 1 / std(mu)} of {@code net} (Rombach et al. 2022, Appendix G: latents are
     * rescaled to unit standard deviation before the diffusion model sees them), with {@code mu} the deterministic
     * encodings of the first {@value #SCALE_IMAGES} images of {@code train} and the standard deviation taken over
     * every latent entry. Returns {@code scaleFactor} and {@code scaleFactorMeasurement} (images, raw mean and
     * standard deviation) for the sidecar's top level; {@link org.diffinv.priors.KlAutoencoderModel#load} reads
     * {@code scaleFactor} from there.
     */
    public static JsonObject measureScale(KlAutoencoder net, FashionMnist train, NDManager manager) {
        ParameterStore ps = new ParameterStore(manager, false);
        double sum = 0;
        double sumSq = 0;
        long count = 0;
        int n = Math.min(SCALE_IMAGES, train.size());
        for (int from = 0; from < n; from += 250) {
            try (NDManager s = manager.newSubManager()) {
                NDArray mu = net.encode(ps, train.images(s, from, Math.min(250, n - from)), false).get(0);
                for (float v : mu.toFloatArray()) {
                    sum += v;
                    sumSq += (double) v * v;
                    count++;
                }
            }
        }
        double mean = sum / count;
        double std = Math.sqrt(sumSq / count - mean * mean);
        JsonObject how = new JsonObject();
        how.addProperty("images", n);
        how.addProperty("split", "train, first " + n + " images, deterministic encoding mu");
        how.addProperty("rawLatentMean", mean);
        how.addProperty("rawLatentStd", std);
        how.addProperty("rule", "scaleFactor = 1 / std over all latent entries; measured at export, never changed by evaluation");
        JsonObject o = new JsonObject();
        o.addProperty("scaleFactor", 1 / std);
        o.add("scaleFactorMeasurement", how);
        return o;
    }

    @Override
    public JsonObject exportFacts(Block exported, NDManager manager) {
        try (NDManager s = manager.newSubManager()) {
            return measureScale((KlAutoencoder) exported, data, s);
        }
    }

    @Override
    public JsonObject describe() {
        JsonObject o = new JsonObject();
        o.addProperty("kind", "kl-autoencoder");
        o.addProperty("channels", 1);
        o.addProperty("width", config.modelInt("width", 32));
        o.addProperty("latentChannels", config.modelInt("latentChannels", 4));
        o.addProperty("downsampling", 4);
        o.addProperty("klWeight", beta);
        return o;
    }
}
