package org.diffinv.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import org.diffinv.data.FashionMnist;
import org.diffinv.data.ShuffledBatches;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.diffusion.NoiseSource;
import org.diffinv.nn.Checkpoints;
import org.diffinv.nn.ModelFiles;
import org.diffinv.nn.UNet;
import org.diffinv.priors.ConsistencyFunction;
import org.diffinv.priors.ConsistencyModel;
import org.diffinv.priors.ConsistencyParametrization;
import org.diffinv.priors.EpsPrior;
import org.diffinv.priors.UNetEpsPrior;
import org.diffinv.util.Scalars;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Training of a consistency model by distillation from a trained pixel prior ({@link ConsistencyDistillation}, the
 * consistency-model paper's Algorithm 2). The student starts as a copy of the teacher's network (the paper
 * initialises from the teacher too); the target network {@code theta^-} is a second copy updated after every
 * optimizer step with decay {@code targetDecay} (the paper's {@code mu}, 0.95 for its CIFAR-10 distillation) and kept
 * in the resumable checkpoint. Config {@code model}: {@code teacher} (checkpoint name, default {@code pixel-unet}),
 * {@code boundaries} (N, default 18, the paper's CIFAR-10 value), {@code rho} (7), {@code sigmaMax} (80, the paper's),
 * {@code targetDecay} (0.95),
 * {@code sigmaData} (0.5). The exported weights are the trainer's EMA of the student.
 */
public final class ConsistencyDistillationTask implements TrainTask {

    private final TrainConfig config;
    private final FashionMnist data;
    private final ShuffledBatches batches;
    private final Path checkpoints;
    private final String teacherName;
    private final String teacherSha;
    private final UNetEpsPrior teacher;
    private final NoiseSchedule schedule;
    private final int[] boundaries;
    private final double rho;
    private final double sigmaMax;
    private final double targetDecay;
    private final double sigmaData;
    private final NDManager own;
    private UNet target;

    /** The task of {@code config} on data split {@code data}, reading the teacher from {@code checkpoints}. */
    public ConsistencyDistillationTask(TrainConfig config, FashionMnist data, Path checkpoints) {
        this.config = config;
        this.data = data;
        this.checkpoints = checkpoints;
        this.batches = new ShuffledBatches(data.size(), config.batchSize(), config.seed());
        this.teacherName = config.model() != null && config.model().has("teacher")
                ? config.model().get("teacher").getAsString() : "pixel-unet";
        this.own = NDManager.newBaseManager();
        this.teacher = UNetEpsPrior.load(own, checkpoints, teacherName);
        this.teacherSha = ModelFiles.readSidecar(checkpoints, teacherName).get("sha256").getAsString();
        this.schedule = teacher.schedule();
        this.rho = config.modelDouble("rho", 7);
        this.sigmaMax = config.modelDouble("sigmaMax", ConsistencyDistillation.SIGMA_MAX);
        this.boundaries = ConsistencyDistillation.boundaries(schedule, config.modelInt("boundaries", 18), rho, sigmaMax);
        this.targetDecay = config.modelDouble("targetDecay", 0.95);
        this.sigmaData = config.modelDouble("sigmaData", ConsistencyParametrization.SIGMA_DATA);
        if (!(targetDecay >= 0 && targetDecay < 1)) {
            throw new IllegalArgumentException("config " + config.name() + ": targetDecay must be in [0, 1), got "
                    + targetDecay);
        }
    }

    /** The student: a copy of the teacher's network (weights and architecture). */
    @Override
    public Block newModel(NDManager manager, long seed) {
        UNet net = Checkpoints.loadUNet(manager, checkpoints, teacherName, "pixel-eps-unet");
        net.getParameters().forEach(p -> p.getValue().getArray().setRequiresGradient(true));
        return net;
    }

    private UNet target(Block model) {
        if (target == null) {
            target = Checkpoints.loadUNet(own, checkpoints, teacherName, "pixel-eps-unet");
            copy(params(model), params(target));
        }
        return target;
    }

    private static List<NDArray> params(Block b) {
        List<NDArray> out = new ArrayList<>();
        b.getParameters().forEach(p -> out.add(p.getValue().getArray()));
        return out;
    }

    private static void copy(List<NDArray> from, List<NDArray> to) {
        for (int i = 0; i < from.size(); i++) {
            to.get(i).set(from.get(i).toFloatArray());
        }
    }

    private ConsistencyFunction function(Block net, ParameterStore ps, boolean training) {
        EpsPrior f = EpsPrior.of(schedule, (xt, t) -> {
            NDArray tt = xt.getManager().full(new ai.djl.ndarray.types.Shape(xt.getShape().get(0)), (float) t,
                    DataType.FLOAT32);
            return net.forward(ps, new NDList(xt, tt), training).singletonOrThrow();
        });
        return new ConsistencyModel(f, sigmaData);
    }

    @Override
    public NDArray loss(Block model, ParameterStore ps, NDManager manager, long step, NoiseSource rng) {
        int[] idx = batches.batch(step);
        NDArray x0 = data.images(manager, idx);
        int n = rng.nextInt(boundaries.length - 1);
        NDArray z = rng.normal(manager, x0.getShape(), DataType.FLOAT32);
        UNet tgt = target(model);
        return ConsistencyDistillation.loss(function(model, ps, true), function(tgt, new ParameterStore(manager, false),
                false), teacher, x0, z, boundaries[n], boundaries[n + 1]);
    }

    /** {@code theta^- <- mu theta^- + (1 - mu) theta}. */
    @Override
    public void afterUpdate(Block model) {
        List<NDArray> theta = params(model);
        List<NDArray> minus = params(target(model));
        for (int i = 0; i < theta.size(); i++) {
            try (NDManager s = minus.get(i).getManager().newSubManager()) {
                NDArray inc = Scalars.mul(theta.get(i), 1 - targetDecay);
                inc.attach(s);
                minus.get(i).muli(targetDecay).addi(inc);
            }
        }
    }

    @Override
    public NDList state(Block model) {
        return new NDList(params(target(model)).toArray(new NDArray[0]));
    }

    @Override
    public void restore(Block model, NDList state) {
        List<NDArray> minus = params(target(model));
        if (state.size() != minus.size()) {
            throw new IllegalArgumentException("consistency target state has " + state.size() + " arrays, expected "
                    + minus.size());
        }
        copy(state, minus);
    }

    @Override
    public JsonObject describe() {
        JsonObject o = new JsonObject();
        o.addProperty("kind", ConsistencyModel.KIND);
        o.add("unet", ModelFiles.GSON.toJsonTree(teacher.config()));
        JsonObject sched = ModelFiles.readSidecar(checkpoints, teacherName).getAsJsonObject("schedule");
        o.add("schedule", sched);
        JsonObject p = new JsonObject();
        p.addProperty("form", "f = c_skip x/sqrt(abar_t) + (1 - c_skip) Tweedie(F), c_skip = sd^2/((sigma_t - "
                + "sigma_0)^2 + sd^2)");
        p.addProperty("sigmaData", sigmaData);
        o.add("parametrization", p);
        JsonObject d = new JsonObject();
        d.addProperty("teacher", teacherName);
        d.addProperty("teacherSha256", teacherSha);
        JsonArray b = new JsonArray();
        for (int t : boundaries) {
            b.add(t);
        }
        d.add("boundaries", b);
        d.addProperty("rho", rho);
        d.addProperty("sigmaMax", sigmaMax);
        d.addProperty("targetDecay", targetDecay);
        d.addProperty("teacherStep", "deterministic DDIM (eta = 0)");
        d.addProperty("distance", "squared L2, mean over pixels");
        o.add("distillation", d);
        return o;
    }
}
