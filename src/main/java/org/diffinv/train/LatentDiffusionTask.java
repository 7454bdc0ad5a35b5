package org.diffinv.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import com.google.gson.JsonObject;
import org.diffinv.data.Captions;
import org.diffinv.data.FashionMnist;
import org.diffinv.data.ShuffledBatches;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.diffusion.NoiseSource;
import org.diffinv.nn.LatentDiffusionModel;
import org.diffinv.nn.ModelFiles;
import org.diffinv.nn.PromptEncoder;
import org.diffinv.nn.SeededInitializer;
import org.diffinv.nn.UNet;
import org.diffinv.nn.UNetConfig;
import org.diffinv.priors.Autoencoder;
import org.diffinv.util.HostArrays;

import java.util.ArrayList;
import java.util.List;

/**
 * Training of the prompt-conditioned latent prior (Rombach et al. 2022, Eq. 2): DDPM's simple loss on latents
 * {@code z_0 = E(x)} of the autoencoder (its deterministic, scaled encoding), with captions from {@link Captions}
 * (prompt dropout {@code promptDropout} to the null prompt ""), the {@link PromptEncoder} trained jointly.
 *
 * <p>Config {@code model}: {@code promptLength} (default 8), {@code promptDim} (= the UNet's contextDim),
 * {@code promptHeads} (default 2), {@code autoencoder} (checkpoint name, default "autoencoder").
 */
public final class LatentDiffusionTask implements TrainTask {
    private final TrainConfig config;
    private final FashionMnist data;
    private final ShuffledBatches batches;
    private final NoiseSchedule schedule;
    private final float[] latents;
    private final Shape latentShape;
    private final String autoencoderName;
    private final String autoencoderSha;

    /** The task of {@code config}; the training latents are computed once with {@code autoencoder}. */
    public LatentDiffusionTask(TrainConfig config, FashionMnist data, Autoencoder autoencoder, String autoencoderName,
                               String autoencoderSha, NDManager manager) {
        if (config.unet() == null || config.schedule() == null || !config.unet().conditioning().equals("cross")) {
            throw new IllegalArgumentException("config " + config.name() + " needs a cross-attention 'unet' and a "
                    + "'schedule'");
        }
        this.config = config;
        this.data = data;
        this.batches = new ShuffledBatches(data.size(), config.batchSize(), config.seed());
        this.schedule = config.schedule().build();
        this.latentShape = autoencoder.latentShape();
        this.autoencoderName = autoencoderName;
        this.autoencoderSha = autoencoderSha;
        int per = (int) latentShape.size();
        this.latents = new float[data.size() * per];
        for (int from = 0; from < data.size(); from += 500) {
            int count = Math.min(500, data.size() - from);
            try (NDManager s = manager.newSubManager()) {
                float[] z = autoencoder.encode(data.images(s, from, count)).toFloatArray();
                System.arraycopy(z, 0, latents, from * per, z.length);
            }
        }
    }

    /** Builds and initialises the prompt encoder + UNet of {@code config} with weights from {@code seed}. */
    public static LatentDiffusionModel newModel(TrainConfig config, NDManager manager, long seed) {
        UNetConfig u = config.unet();
        PromptEncoder enc = new PromptEncoder(config.modelInt("promptLength", 8), u.contextDim(),
                config.modelInt("promptHeads", 2));
        LatentDiffusionModel model = new LatentDiffusionModel(enc, new UNet(u));
        model.setInitializer(new SeededInitializer(NoiseSource.seeded(seed), 1.0), Parameter.Type.WEIGHT);
        model.initialize(manager, DataType.FLOAT32, new Shape(1, u.inChannels(), u.imageSize(), u.imageSize()));
        return model;
    }

    @Override
    public Block newModel(NDManager manager, long seed) {
        return newModel(config, manager, seed);
    }

    @Override
    public NDArray loss(Block model, ParameterStore ps, NDManager manager, long step, NoiseSource rng) {
        LatentDiffusionModel ldm = (LatentDiffusionModel) model;
        int[] idx = batches.batch(step);
        int per = (int) latentShape.size();
        float[] z = new float[idx.length * per];
        List<String> prompts = new ArrayList<>();
        for (int i = 0; i < idx.length; i++) {
            System.arraycopy(latents, idx[i] * per, z, i * per, per);
            prompts.add(Captions.sample(data.label(idx[i]), rng, config.promptDropout()));
        }
        NDArray z0 = HostArrays.of(manager, z, new Shape(idx.length, latentShape.get(0), latentShape.get(1),
                latentShape.get(2)));
        NDArray c = ldm.encodePrompt(ps, ldm.promptEncoder().tokenize(manager, prompts), true);
        return PixelDiffusionTask.epsLoss(ldm.unet(), ps, manager, z0, c, schedule, rng);
    }

    @Override
    public JsonObject describe() {
        JsonObject o = new JsonObject();
        o.addProperty("kind", "latent-eps-unet");
        o.add("unet", ModelFiles.GSON.toJsonTree(config.unet()));
        o.add("schedule", ModelFiles.GSON.toJsonTree(config.schedule()));
        o.addProperty("promptLength", config.modelInt("promptLength", 8));
        o.addProperty("promptHeads", config.modelInt("promptHeads", 2));
        o.add("vocabulary", ModelFiles.GSON.toJsonTree(PromptEncoder.VOCABULARY));
        o.addProperty("promptDropout", config.promptDropout());
        o.addProperty("autoencoder", autoencoderName);
        o.addProperty("autoencoderSha256", autoencoderSha);
        return o;
    }
}
