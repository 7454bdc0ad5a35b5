package org.diffinv.priors;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import com.google.gson.JsonObject;
import org.diffinv.data.DataPaths;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.diffusion.NoiseSource;
import org.diffinv.nn.Checkpoints;
import org.diffinv.nn.LatentDiffusionModel;
import org.diffinv.nn.ModelFiles;
import org.diffinv.nn.PromptEncoder;
import org.diffinv.nn.ScheduleSpec;
import org.diffinv.nn.SeededInitializer;
import org.diffinv.nn.UNet;
import org.diffinv.nn.UNetConfig;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.diffinv.util.Scalars;

/**
 * The kit's prompt-conditioned latent prior (Rombach et al. 2022, Eq. 3): {@code eps_theta(z_t, t, c)} on the
 * latents of the kit's {@link Autoencoder}, with {@code c = tau(prompt) (N, L, D)} from the jointly trained
 * {@link PromptEncoder}. {@link #promptEmbedding} gives the conditioning tensor of a prompt (P2L's initial C; ""
 * gives the null conditioning, which has its own learned embedding); {@link #eps} takes any tensor of that shape,
 * differentiably in {@code z_t} and {@code c} (FLOAT32). Schedule: LDM scaled-linear betas 0.0015 .. 0.0195, T = 1000.
 */
public final class LatentEpsPrior implements ConditionalEpsPrior {
    private final LatentDiffusionModel model;
    private final NoiseSchedule schedule;
    private final ParameterStore ps;
    private final String autoencoderName;

    private LatentEpsPrior(LatentDiffusionModel model, NoiseSchedule schedule, NDManager manager,
                           String autoencoderName) {
        this.model = model;
        this.schedule = schedule;
        this.ps = new ParameterStore(manager, false);
        this.autoencoderName = autoencoderName;
    }

    /** The shipped latent prior {@code data/checkpoints/latent-unet}. */
    public static LatentEpsPrior load(NDManager manager) {
        return load(manager, DataPaths.checkpointsDir(), "latent-unet");
    }

    /** The latent prior checkpoint {@code name} in {@code dir} (sidecar kind {@code latent-eps-unet}). */
    public static LatentEpsPrior load(NDManager manager, Path dir, String name) {
        JsonObject side = Checkpoints.sidecar(dir, name, "latent-eps-unet");
        UNetConfig u = ModelFiles.GSON.fromJson(side.get("unet"), UNetConfig.class);
        List<String> vocab = Arrays.asList(ModelFiles.GSON.fromJson(side.get("vocabulary"), String[].class));
        if (!vocab.equals(PromptEncoder.VOCABULARY)) {
            throw new ModelFiles.CheckpointException("checkpoint " + ModelFiles.sidecarFile(dir, name)
                    + " was trained with a different prompt vocabulary than this kit's PromptEncoder", null);
        }
        PromptEncoder enc = new PromptEncoder(side.get("promptLength").getAsInt(), u.contextDim(),
                side.get("promptHeads").getAsInt());
        LatentDiffusionModel model = new LatentDiffusionModel(enc, new UNet(u));
        model.setInitializer(new SeededInitializer(NoiseSource.seeded(0), 1.0), Parameter.Type.WEIGHT);
        model.initialize(manager, DataType.FLOAT32, new Shape(1, u.inChannels(), u.imageSize(), u.imageSize()));
        ModelFiles.load(model, manager, dir, name, side.get("sha256").getAsString());
        NoiseSchedule schedule = ModelFiles.GSON.fromJson(side.get("schedule"), ScheduleSpec.class).build();
        return new LatentEpsPrior(model, schedule, manager, side.get("autoencoder").getAsString());
    }

    /** Wraps an in-memory model (e.g. straight from training). */
    public static LatentEpsPrior of(LatentDiffusionModel model, NoiseSchedule schedule, NDManager manager,
                                    String autoencoderName) {
        return new LatentEpsPrior(model, schedule, manager, autoencoderName);
    }

    /** The name of the autoencoder checkpoint whose latents this prior models. */
    public String autoencoderName() {
        return autoencoderName;
    }

    /** The latent shape {@code (C, h, w)}. */
    public Shape latentShape() {
        UNetConfig u = model.unet().config();
        return new Shape(u.inChannels(), u.imageSize(), u.imageSize());
    }

    @Override
    public NoiseSchedule schedule() {
        return schedule;
    }

    @Override
    public long[] conditionShape() {
        return new long[] {model.promptEncoder().length(), model.promptEncoder().dim()};
    }

    /**
     * The conditioning tensors {@code tau(prompt) (N, L, D)} of {@code prompts}: only the result is left on
     * {@code target} (the encoder's temporaries live in a scope closed before returning).
     */
    public NDArray promptEmbedding(NDManager target, String... prompts) {
        if (prompts.length == 0) {
            throw new IllegalArgumentException("give at least one prompt (\"\" is the null prompt)");
        }
        for (String p : prompts) {
            if (p == null) {
                throw new IllegalArgumentException("a prompt must not be null (\"\" is the null prompt)");
            }
        }
        try (NDManager scope = target.newSubManager()) {
            NDArray tokens = model.promptEncoder().tokenize(scope, Arrays.asList(prompts));
            NDArray c = model.encodePrompt(ps, tokens, false);
            c.attach(target);
            return c;
        }
    }

    /**
     * An unconditional view with the prompt fixed. The view holds no arrays: each {@code eps} call encodes the
     * prompt in the caller's scope ({@code z_t}'s manager; a small fraction of a UNet evaluation), so views can be
     * made in a loop over prompts without growing the prior's long-lived manager.
     */
    public EpsPrior withPrompt(String prompt) {
        return withPrompt(prompt, 1.0);
    }

    /**
     * The prompt-fixed view under classifier-free guidance with scale {@code s} (see
     * {@link ConditionalEpsPrior#withGuidance}; {@code s = 1} equals {@link #withPrompt(String)}). The prior is
     * trained with prompt dropout, so the null prompt "" gives the unconditional model that guidance needs. Like
     * {@link #withPrompt(String)} the view holds no arrays; the embeddings it needs are made in each call's scope.
     */
    public EpsPrior withPrompt(String prompt, double s) {
        ConditionalEpsPrior.requireGuidanceScale(s);
        if (prompt == null) {
            throw new IllegalArgumentException("a prompt must not be null (\"\" is the null prompt)");
        }
        return EpsPrior.of(schedule, (zt, t) -> {
            NDManager scope = zt.getManager();
            NDArray c = s == 0 ? null : promptEmbedding(scope, prompt);
            NDArray cNull = s == 1 ? null : promptEmbedding(scope, "");
            return withGuidance(c, cNull, s).eps(zt, t);
        });
    }

    @Override
    public NDArray eps(NDArray zt, int t, NDArray condition) {
        Shape s = zt.getShape();
        Shape expected = latentShape();
        if (s.dimension() != 4 || !new Shape(s.get(1), s.get(2), s.get(3)).equals(expected)) {
            throw new IllegalArgumentException("latent prior expects z_t (N, " + expected.get(0) + ", "
                    + expected.get(1) + ", " + expected.get(2) + "), got " + s);
        }
        if (t < 0 || t >= schedule.steps()) {
            throw new IllegalArgumentException("time index " + t + " is outside [0, " + (schedule.steps() - 1)
                    + "]");
        }
        long[] cs = conditionShape();
        Shape c = condition.getShape();
        if (c.dimension() != 3 || c.get(1) != cs[0] || c.get(2) != cs[1] || (c.get(0) != 1 && c.get(0) != s.get(0))) {
            throw new IllegalArgumentException("condition must be (" + s.get(0) + " or 1, " + cs[0] + ", " + cs[1]
                    + "), got " + c);
        }
        if (zt.getDataType() != DataType.FLOAT32 || condition.getDataType() != DataType.FLOAT32) {
            throw new IllegalArgumentException("the latent prior runs in FLOAT32 (a cast would cut gradients), got "
                    + zt.getDataType() + " / " + condition.getDataType());
        }
        NDArray z32 = zt;
        NDArray c32 = condition;
        NDManager scope = zt.getManager();
        // every array of this call must land on z_t's manager (the caller's scope): an op's result goes to its
        // first operand's manager, so a condition held elsewhere (the prior's manager, P2L's optimised C) would
        // collect the broadcast copy and the network's attention temporaries at every call
        if (c.get(0) == 1 && s.get(0) > 1) {
            c32 = condition.repeat(0, s.get(0));
        } else if (condition.getManager() != scope) {
            c32 = Scalars.mul(condition, 1f); // a differentiable copy
        }
        if (c32 != condition) {
            c32.attach(scope);
        }
        NDArray tt = zt.getManager().full(new Shape(s.get(0)), (float) t, DataType.FLOAT32);
        return model.eps(ps, z32, tt, c32, false);
    }
}
