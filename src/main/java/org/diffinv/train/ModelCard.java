package org.diffinv.train;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import org.diffinv.data.FashionMnist;
import org.diffinv.nn.ModelFiles;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * Writes a checkpoint's model card {@code NAME.md} from its sidecar {@code NAME.json}: architecture, config, data
 * split, steps, wall time, measured quality and SHA-256. Only facts recorded in the sidecar are written.
 */
public final class ModelCard {

    private ModelCard() {
    }

    /** Writes {@code dir/NAME.md}. */
    public static void write(Path dir, String name) {
        JsonObject s = ModelFiles.readSidecar(dir, name);
        StringBuilder b = new StringBuilder();
        String kind = s.get("kind").getAsString();
        b.append("# Model card: ").append(name).append("\n\n");
        b.append("- Kind: ").append(kind).append(" (").append(describe(kind)).append(")\n");
        b.append("- Files: `").append(name).append(".params` (DJL `Block.saveParameters`, ")
                .append(s.get("paramsBytes").getAsLong()).append(" bytes), `").append(name)
                .append(".json` (config, training facts, quality)\n");
        b.append("- SHA-256 of `").append(name).append(".params`: `").append(s.get("sha256").getAsString())
                .append("` (checked at load)\n");
        b.append("- Data: Fashion-MNIST, train split = first 55,000 upstream training images (28x28 padded to "
                + "32x32 with -1, values in [-1, 1]); evaluation on the test split (10,000) / validation split "
                + "(last 5,000 upstream training images); see data/README.md\n");
        if (s.has("training")) {
            JsonObject t = s.getAsJsonObject("training");
            b.append("- Training: ").append(t.get("steps").getAsLong()).append(" optimizer steps (Adam) of batch ")
                    .append(t.get("batchSize").getAsInt()).append(", seed ").append(t.get("seed").getAsLong())
                    .append(", wall time ").append(hours(t.get("wallSeconds").getAsDouble()))
                    .append(" (").append(t.has("machine") ? t.get("machine").getAsString() : "machine not recorded")
                    .append("; PyTorch threads ").append(t.has("torchThreads") ? t.get("torchThreads").getAsString()
                            : "not recorded").append("), final running loss ")
                    .append(Evaluation.fmt(t.get("finalAvgLoss").getAsDouble())).append("; exported weights: ")
                    .append(t.get("weights").getAsString()).append("\n");
            if (t.has("warmStartFrom")) {
                b.append("- Warm start: from ").append(t.get("warmStartFrom").getAsString()).append("; the step count"
                        + " and wall time above include that run's (`TrainMain NAME --warm-start FROM`, see Trainer)\n");
            }
            JsonObject cfg = t.getAsJsonObject("config");
            int planned = cfg.get("steps").getAsInt();
            if (planned != t.get("steps").getAsLong()) {
                b.append("- Note: the config plans ").append(planned).append(" steps; this export is at step ")
                        .append(t.get("steps").getAsLong()).append(".\n");
            }
            b.append("- Config (environment/configs/").append(name).append(".json at training time):\n\n```json\n")
                    .append(ModelFiles.GSON.toJson(cfg)).append("\n```\n");
        }
        b.append("\n## Architecture\n\n```json\n");
        JsonObject arch = s.deepCopy();
        for (String k : new String[] {"training", "quality", "sha256", "paramsBytes", "paramsFile", "name"}) {
            arch.remove(k);
        }
        b.append(ModelFiles.GSON.toJson(arch)).append("\n```\n");
        b.append("\n## Measured quality\n\n");
        if (s.has("quality")) {
            JsonObject q = s.getAsJsonObject("quality");
            for (Map.Entry<String, JsonElement> e : q.entrySet()) {
                b.append("- ").append(e.getKey()).append(": ").append(render(e.getKey(), e.getValue())).append("\n");
            }
            if (q.has("fdKit") || q.has("fdKitLatentFloor") || q.has("fdKitOneStep")) {
                b.append("\nFD-kit is the Frechet distance on the kit's feature classifier's penultimate features "
                        + "(128-d), not FID: comparable within the kit only. The floor (fdKitFloor) is the same "
                        + "distance between real images (validation vs test) of the same count.\n");
            }
            if (q.has("samplingGrid")) {
                b.append("\nSamples: deterministic DDIM (eta = 0) with ").append(q.get("ddimSteps").getAsInt())
                        .append(" steps on the grid `").append(q.get("samplingGrid").getAsString())
                        .append("`, the grid notebooks/01-priors uses for this prior. ")
                        .append(kind.equals("latent-eps-unet")
                                ? "Latents are never clipped (they have unit standard deviation); the decoded images "
                                        + "are clipped to [-1, 1] before the classifier.\n"
                                : "The samples are clipped to [-1, 1] before the classifier.\n");
            }
            if (q.has("fdKitOneStep")) {
                b.append("\nSamples: consistency sampling (the consistency-model paper's Algorithm 1): one step "
                        + "f(z, t) from t = oneStepTime, and two steps (re-noised to the second of twoStepTimes, the "
                        + "index nearest VE sigma 0.8); clipped to [-1, 1] before the classifier. The undistilled "
                        + "rows are the same sampler with the teacher's network in the same parametrization (the "
                        + "student before training: one Tweedie step from noise, then one more); teacherFdKit is the "
                        + "teacher's own multi-step DDIM figure from its card.\n");
            }
            if (q.has("fdKitLatentFloor")) {
                b.append("\nLatent floors: fdKitAutoencoderTest is the FD-kit of the autoencoder's reconstructions "
                        + "D(E(x)) of the whole test split against the test split (the decoder's own distortion); "
                        + "fdKitLatentFloor is the FD-kit of the reconstructions of the same ")
                        .append(q.has("floorImages") ? q.get("floorImages").getAsInt() : 0)
                        .append(" validation images as the real floor against the test split: what a latent prior "
                                + "that matched the encoded data exactly would score through this decoder at this "
                                + "sample count, to be read beside fdKitFloor (real images).\n");
            }
            if (q.has("promptMatchCeiling")) {
                b.append("\nPrompt-match ceiling: promptMatchCeiling is the share of the test split's reconstructions "
                        + "D(E(x)) that the classifier puts in their true class (promptMatchCeilingPerClass: per "
                        + "class, T-shirt/top first): the prompt-match share a latent prior whose samples for \"a photo "
                        + "of a X\" were exactly the encoded test images of class X would reach through this decoder "
                        + "and classifier. The classifier's accuracy on the real test images is on its own card.\n");
            }
        } else {
            b.append("Not measured yet (run `TrainMain ").append(name).append(" --evaluate`).\n");
        }
        Path notes = dir.resolve(name + ".notes.md");
        if (Files.isRegularFile(notes)) {
            try {
                b.append("\n## Notes\n\n").append(Files.readString(notes));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + notes, e);
            }
        }
        try {
            Files.writeString(dir.resolve(name + ".md"), b.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write model card for " + name, e);
        }
    }

    private static String render(String key, JsonElement v) {
        if (key.equals("sampleClassHistogram") && v.isJsonArray()) {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < v.getAsJsonArray().size(); i++) {
                b.append(i == 0 ? "" : ", ").append(FashionMnist.CLASS_NAMES.get(i)).append(" ")
                        .append(v.getAsJsonArray().get(i).getAsInt());
            }
            return b.toString();
        }
        if (v.isJsonPrimitive() && v.getAsJsonPrimitive().isNumber()) {
            return Evaluation.fmt(v.getAsDouble());
        }
        return v.toString();
    }

    private static String hours(double seconds) {
        return String.format(Locale.ROOT, "%.0f s (%.2f h)", seconds, seconds / 3600);
    }

    private static String describe(String kind) {
        return switch (kind) {
            case "feature-classifier" -> "the kit's feature network for FD-kit / perceptual-kit";
            case "kl-autoencoder" -> "KL autoencoder, 32x32x1 -> 8x8xL latents";
            case "pixel-eps-unet" -> "pixel-space eps-prediction UNet prior";
            case "latent-eps-unet" -> "prompt-conditioned latent eps-prediction UNet prior";
            case "consistency-unet" -> "consistency model distilled from the pixel prior";
            default -> kind;
        };
    }
}
