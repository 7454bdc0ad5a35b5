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
import org.diffinv.data.FashionMnist;
import org.diffinv.data.ShuffledBatches;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.diffusion.NoiseSource;
import org.diffinv.nn.ModelFiles;
import org.diffinv.nn.SeededInitializer;
import org.diffinv.nn.UNet;
import org.diffinv.nn.ScheduleSpec;
import org.diffinv.nn.UNetConfig;
import org.diffinv.util.HostArrays;

/**
 * Training of a pixel-space eps-prediction UNet on Fashion-MNIST with DDPM's simple loss (Ho et al. 2020,
 * Algorithm 1, Eq. 14): {@code L = E_{x_0, t, eps} ||eps - eps_theta(sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps, t)||^2}
 * with {@code t ~ U{0..T-1}} and {@code eps ~ N(0, I)}, averaged over pixels.
 */
public final class PixelDiffusionTask implements TrainTask {
    private final TrainConfig config;
    private final UNetConfig unetConfig;
    private final NoiseSchedule schedule;
    private final FashionMnist data;
    private final ShuffledBatches batches;

    /** The task of {@code config} on data split {@code data}. */
    public PixelDiffusionTask(TrainConfig config, FashionMnist data) {
        if (config.unet() == null || config.schedule() == null) {
            throw new IllegalArgumentException("config " + config.name() + " needs 'unet' and 'schedule'");
        }
        this.config = config;
        this.unetConfig = config.unet();
        this.schedule = config.schedule().build();
        this.data = data;
        this.batches = new ShuffledBatches(data.size(), config.batchSize(), config.seed());
    }

    /** Builds and initialises a UNet from {@code cfg} with weights drawn from {@code seed}. */
    public static UNet newUNet(UNetConfig cfg, NDManager manager, long seed) {
        UNet net = new UNet(cfg);
        net.setInitializer(new SeededInitializer(NoiseSource.seeded(seed), 1.0), Parameter.Type.WEIGHT);
        if (cfg.conditioned()) {
            net.initialize(manager, DataType.FLOAT32, new Shape(1, cfg.inChannels(), cfg.imageSize(),
                    cfg.imageSize()), new Shape(1), new Shape(1, 1, cfg.contextDim()));
        } else {
            net.initialize(manager, DataType.FLOAT32, new Shape(1, cfg.inChannels(), cfg.imageSize(),
                    cfg.imageSize()), new Shape(1));
        }
        return net;
    }

    @Override
    public Block newModel(NDManager manager, long seed) {
        return newUNet(unetConfig, manager, seed);
    }

    @Override
    public NDArray loss(Block model, ParameterStore ps, NDManager manager, long step, NoiseSource rng) {
        int[] idx = batches.batch(step);
        NDArray x0 = data.images(manager, idx);
        return epsLoss(model, ps, manager, x0, null, schedule, rng);
    }

    /**
     * DDPM's simple loss for one batch {@code x0 (N, C, H, W)} (and optional context), {@code t} and {@code eps}
     * drawn from {@code rng}.
     */
    static NDArray epsLoss(Block model, ParameterStore ps, NDManager manager, NDArray x0, NDArray context,
                           NoiseSchedule schedule, NoiseSource rng) {
        int n = (int) x0.getShape().get(0);
        float[] t = new float[n];
        float[] sqrtAlphaBar = new float[n];
        float[] sqrtOneMinusAlphaBar = new float[n];
        for (int i = 0; i < n; i++) {
            int ti = rng.nextInt(schedule.steps());
            double alphaBar = schedule.alphaBar(ti);
            t[i] = ti;
            sqrtAlphaBar[i] = (float) Math.sqrt(alphaBar);
            sqrtOneMinusAlphaBar[i] = (float) Math.sqrt(1 - alphaBar);
        }
        NDArray eps = rng.normal(manager, x0.getShape(), DataType.FLOAT32);
        NDArray a = HostArrays.of(manager, sqrtAlphaBar, new Shape(n, 1, 1, 1));
        NDArray b = HostArrays.of(manager, sqrtOneMinusAlphaBar, new Shape(n, 1, 1, 1));
        NDArray xt = x0.mul(a).add(eps.mul(b));
        NDList in = context == null ? new NDList(xt, HostArrays.of(manager, t)) : new NDList(xt, HostArrays.of(manager, t), context);
        NDArray epsHat = model.forward(ps, in, true).singletonOrThrow();
        return epsHat.sub(eps).square().mean();
    }

    @Override
    public JsonObject describe() {
        JsonObject o = new JsonObject();
        o.addProperty("kind", "pixel-eps-unet");
        o.add("unet", ModelFiles.GSON.toJsonTree(unetConfig));
        o.add("schedule", ModelFiles.GSON.toJsonTree(config.schedule()));
        return o;
    }
}
