package org.diffinv.priors;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.nn.Checkpoints;
import org.diffinv.nn.ModelFiles;
import org.diffinv.nn.ScheduleSpec;
import org.diffinv.nn.UNet;
import org.diffinv.data.DataPaths;

import java.nio.file.Path;

/**
 * A consistency model (Song et al. 2023): a noise-prediction network {@code F} turned into a consistency function by
 * {@link ConsistencyParametrization}. The kit's is distilled from the pixel prior ({@code environment/kit train
 * consistency-unet}, consistency distillation, the paper's Algorithm 2; {@code data/checkpoints/consistency-unet.md}).
 *
 * <p>Sampling: {@link ConsistencyFunction#sample}, the paper's Algorithm 1.
 */
public final class ConsistencyModel implements ConsistencyFunction {

    /** The sidecar kind of a consistency checkpoint. */
    public static final String KIND = "consistency-unet";

    private final EpsPrior network;
    private final double sigmaData;

    /** The consistency function of noise predictor {@code network} with {@code sigma_data}. */
    public ConsistencyModel(EpsPrior network, double sigmaData) {
        if (network == null) {
            throw new IllegalArgumentException("a consistency model needs a network, got null");
        }
        if (!(sigmaData > 0) || Double.isInfinite(sigmaData)) {
            throw new IllegalArgumentException("sigma_data must be positive and finite, got " + sigmaData);
        }
        this.network = network;
        this.sigmaData = sigmaData;
    }

    /** The shipped consistency model {@code data/checkpoints/consistency-unet}, its weights on {@code manager}. */
    public static ConsistencyModel load(NDManager manager) {
        return load(manager, DataPaths.checkpointsDir(), "consistency-unet");
    }

    /** The consistency checkpoint {@code name} in {@code dir} (sidecar kind {@value #KIND}), SHA-256 checked. */
    public static ConsistencyModel load(NDManager manager, Path dir, String name) {
        UNet net = Checkpoints.loadUNet(manager, dir, name, KIND);
        JsonObject side = ModelFiles.readSidecar(dir, name);
        NoiseSchedule schedule = ModelFiles.GSON.fromJson(side.get("schedule"), ScheduleSpec.class).build();
        double sigmaData = side.getAsJsonObject("parametrization").get("sigmaData").getAsDouble();
        return new ConsistencyModel(UNetEpsPrior.of(net, schedule, manager), sigmaData);
    }

    private static ConsistencyModel shipped;

    /**
     * The shipped consistency model, loaded once (on a manager of its own) at the first use of the returned function:
     * what the solver registry's {@code dcdp-cm} purifies with, so that listing solvers loads nothing.
     */
    public static ConsistencyFunction shippedLazily() {
        return new ConsistencyFunction() {
            @Override
            public NoiseSchedule schedule() {
                return shipped().schedule();
            }

            @Override
            public NDArray x0(NDArray xt, int t) {
                return shipped().x0(xt, t);
            }

            @Override
            public String toString() {
                return "shipped consistency-unet";
            }
        };
    }

    private static synchronized ConsistencyModel shipped() {
        if (shipped == null) {
            shipped = load(NDManager.newBaseManager());
        }
        return shipped;
    }

    /** The network {@code F} (as a noise predictor). */
    public EpsPrior network() {
        return network;
    }

    /** {@code sigma_data} of the parametrization. */
    public double sigmaData() {
        return sigmaData;
    }

    @Override
    public NoiseSchedule schedule() {
        return network.schedule();
    }

    @Override
    public NDArray x0(NDArray xt, int t) {
        return ConsistencyParametrization.apply(schedule(), xt, network.eps(xt, t), t, sigmaData);
    }

    @Override
    public String toString() {
        return "consistency-model(sigma_data " + sigmaData + ", " + schedule() + ")";
    }
}
