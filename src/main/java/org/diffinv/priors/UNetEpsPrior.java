package org.diffinv.priors;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import com.google.gson.JsonObject;
import org.diffinv.data.DataPaths;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.nn.Checkpoints;
import org.diffinv.nn.ModelFiles;
import org.diffinv.nn.Precision;
import org.diffinv.nn.UNet;
import org.diffinv.nn.UNetConfig;
import org.diffinv.nn.ScheduleSpec;

import java.nio.file.Path;

/**
 * The kit's trained pixel-space prior: an unconditional eps-prediction {@link UNet} as an {@link EpsPrior}
 * (Ho et al. 2020, Eq. 11: {@code eps_theta(x_t, t)} with {@code x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps}).
 *
 * <p>Input {@code x_t (N, C, S, S)} (C = 1, S = 32 for the shipped {@code pixel-unet}); FLOAT32 or FLOAT64 (a
 * FLOAT64 input runs through a FLOAT64 twin of the network whose weights are the trained FLOAT32 weights,
 * widened exactly; see {@link org.diffinv.nn.Precision}). {@link #eps} is
 * differentiable with respect to {@code x_t} when the caller records gradients; the weights themselves never
 * record gradients. The result lives on {@code x_t}'s manager.
 */
public final class UNetEpsPrior implements EpsPrior {
    private final UNet net;
    private final NoiseSchedule schedule;
    private final ParameterStore ps;
    private final String name;
    private final NDManager manager;
    private UNet net64;

    private UNetEpsPrior(UNet net, NoiseSchedule schedule, NDManager manager, String name) {
        if (net.config().conditioned()) {
            throw new IllegalArgumentException("checkpoint " + name + " is conditioned ("
                    + net.config().conditioning() + "); use LatentEpsPrior / ConditionalEpsPrior");
        }
        this.net = net;
        this.schedule = schedule;
        this.ps = new ParameterStore(manager, false);
        this.name = name;
        this.manager = manager;
    }

    /** The shipped pixel prior {@code data/checkpoints/pixel-unet}, its weights on {@code manager}. */
    public static UNetEpsPrior load(NDManager manager) {
        return load(manager, DataPaths.checkpointsDir(), "pixel-unet");
    }

    /**
     * The pixel prior checkpoint {@code name} in {@code dir} (sidecar kind {@code pixel-eps-unet}), SHA-256
     * checked.
     */
    public static UNetEpsPrior load(NDManager manager, Path dir, String name) {
        UNet net = Checkpoints.loadUNet(manager, dir, name, "pixel-eps-unet");
        JsonObject side = ModelFiles.readSidecar(dir, name);
        NoiseSchedule schedule = ModelFiles.GSON.fromJson(side.get("schedule"), ScheduleSpec.class).build();
        return new UNetEpsPrior(net, schedule, manager, name);
    }

    /** Wraps an in-memory network (e.g. straight from training) with its schedule. */
    public static UNetEpsPrior of(UNet net, NoiseSchedule schedule, NDManager manager) {
        return new UNetEpsPrior(net, schedule, manager, "(in memory)");
    }

    /** The network's architecture. */
    public UNetConfig config() {
        return net.config();
    }

    @Override
    public NoiseSchedule schedule() {
        return schedule;
    }

    @Override
    public NDArray eps(NDArray xt, int t) {
        UNetConfig cfg = net.config();
        Shape s = xt.getShape();
        if (s.dimension() != 4 || s.get(1) != cfg.inChannels() || s.get(2) != cfg.imageSize()
                || s.get(3) != cfg.imageSize()) {
            throw new IllegalArgumentException("prior " + name + " expects x_t of shape (N, " + cfg.inChannels()
                    + ", " + cfg.imageSize() + ", " + cfg.imageSize() + "), got " + s);
        }
        if (t < 0 || t >= schedule.steps()) {
            throw new IllegalArgumentException("time index " + t + " is outside [0, " + (schedule.steps() - 1)
                    + "]");
        }
        DataType type = xt.getDataType();
        if (type != DataType.FLOAT32 && type != DataType.FLOAT64) {
            throw new IllegalArgumentException("x_t must be FLOAT32 or FLOAT64, got " + type);
        }
        NDArray tt = xt.getManager().full(new Shape(s.get(0)), (float) t, type);
        return network(type).forward(ps, new NDList(xt, tt), false).singletonOrThrow();
    }

    /**
     * The float32 network itself (its parameters are the shipped weights): for export and inspection, such as the
     * PyTorch comparison of {@code kit bench --only torch-export}. Do not train or modify it.
     */
    public UNet network() {
        return net;
    }

    private synchronized UNet network(DataType type) {
        if (type == DataType.FLOAT32) {
            return net;
        }
        if (net64 == null) {
            UNetConfig cfg = net.config();
            UNet twin = new UNet(cfg);
            twin.setInitializer(ai.djl.training.initializer.Initializer.ZEROS, ai.djl.nn.Parameter.Type.WEIGHT);
            twin.initialize(manager, DataType.FLOAT64, new Shape(1, cfg.inChannels(), cfg.imageSize(),
                    cfg.imageSize()), new Shape(1));
            Precision.copyParameters(net, twin);
            net64 = twin;
        }
        return net64;
    }

    @Override
    public String toString() {
        return "UNetEpsPrior(" + name + ", " + net.config() + ", " + schedule + ")";
    }
}
