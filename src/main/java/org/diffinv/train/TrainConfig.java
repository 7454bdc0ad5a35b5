package org.diffinv.train;

import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import org.diffinv.nn.ModelFiles;
import org.diffinv.nn.ScheduleSpec;
import org.diffinv.nn.UNetConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A training run's configuration, read from {@code environment/configs/NAME.json}.
 *
 * @param name the run (and checkpoint) name
 * @param task "pixel-eps" (the pixel eps-UNet), "classifier", "autoencoder" or "latent-eps"
 * @param seed the root seed of every random draw (batches, timesteps, noise, initial weights)
 * @param steps optimizer steps
 * @param batchSize images per step
 * @param lr peak Adam learning rate
 * @param warmup linear learning-rate warm-up steps
 * @param clipNorm global gradient-norm clip (0 = none)
 * @param emaDecay EMA decay of the exported weights
 * @param saveEvery steps between resumable checkpoints
 * @param logEvery steps between log lines
 * @param unet the UNet architecture (diffusion tasks)
 * @param schedule the noise schedule (diffusion tasks)
 * @param promptDropout probability of replacing the prompt by the null prompt "" (latent task)
 * @param model task-specific architecture settings (classifier, autoencoder, prompt encoder)
 * @param lrSchedule "constant" (default when absent) or "cosine": after warm-up the learning rate follows
 *     {@code lr (1 + cos(pi (k - warmup) / (steps - warmup))) / 2} down to 0 at {@code steps} (so resuming
 *     with a different step count changes the remaining schedule); {@code k} counts this run's own updates, so a
 *     run warm-started at step {@code s0} decays over its {@code steps - s0} updates, reaching 0 at {@code steps}
 */
public record TrainConfig(String name, String task, long seed, int steps, int batchSize, double lr, int warmup,
                          double clipNorm, double emaDecay, int saveEvery, int logEvery, UNetConfig unet,
                          ScheduleSpec schedule, double promptDropout, JsonObject model,
                          String lrSchedule) {

    /** Validates the values. */
    public TrainConfig {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("config needs a name");
        }
        if (task == null) {
            throw new IllegalArgumentException("config " + name + " needs a task");
        }
        if (steps < 1 || batchSize < 1 || !(lr > 0) || warmup < 1 || saveEvery < 1 || logEvery < 1) {
            throw new IllegalArgumentException("config " + name + ": steps, batchSize, warmup, saveEvery, logEvery "
                    + "must be >= 1 and lr > 0");
        }
        if (lrSchedule == null) {
            lrSchedule = "constant";
        }
        if (!lrSchedule.equals("constant") && !lrSchedule.equals("cosine")) {
            throw new IllegalArgumentException("config " + name + ": lrSchedule must be constant or cosine, got "
                    + lrSchedule);
        }
        if (!(emaDecay >= 0 && emaDecay < 1) || !(promptDropout >= 0 && promptDropout < 1) || clipNorm < 0) {
            throw new IllegalArgumentException("config " + name + ": emaDecay and promptDropout must be in [0, 1), "
                    + "clipNorm >= 0");
        }
    }

    /** A copy with a different step count. */
    public TrainConfig withSteps(int newSteps) {
        return new TrainConfig(name, task, seed, newSteps, batchSize, lr, warmup, clipNorm, emaDecay, saveEvery,
                logEvery, unet, schedule, promptDropout, model, lrSchedule);
    }

    /** Reads a config file. */
    public static TrainConfig read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("training config " + file.toAbsolutePath() + " does not exist");
        }
        try {
            return ModelFiles.GSON.fromJson(Files.readString(file), TrainConfig.class);
        } catch (IOException | JsonParseException e) {
            throw new IllegalArgumentException("training config " + file.toAbsolutePath() + " is not valid: "
                    + e.getMessage(), e);
        }
    }

    /** This config as JSON. */
    public JsonObject toJson() {
        return ModelFiles.GSON.toJsonTree(this).getAsJsonObject();
    }

    /** An integer setting from {@link #model()}, or {@code fallback} if absent. */
    public int modelInt(String key, int fallback) {
        return model != null && model.has(key) ? model.get(key).getAsInt() : fallback;
    }

    /** A number setting from {@link #model()}, or {@code fallback} if absent. */
    public double modelDouble(String key, double fallback) {
        return model != null && model.has(key) ? model.get(key).getAsDouble() : fallback;
    }
}
