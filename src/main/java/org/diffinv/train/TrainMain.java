package org.diffinv.train;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import org.diffinv.data.DataPaths;
import org.diffinv.data.FashionMnist;
import org.diffinv.nn.ModelFiles;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.DoubleSummaryStatistics;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The command line {@code TrainMain NAME [--steps N] [--resume]}: trains the run configured in
 * {@code environment/configs/NAME.json}, keeps resumable checkpoints in {@code data/cache/train/NAME/} and exports
 * the EMA weights to {@code data/checkpoints/NAME.params} with the sidecar {@code NAME.json}.
 *
 * <p>{@code TrainMain NAME --evaluate [--samples N] [--ddim S]} measures the exported checkpoint and writes its
 * model card {@code data/checkpoints/NAME.md} (see {@link Evaluation}), by default on 1000 samples of 20 DDIM steps
 * (what every shipped card uses, so cards compare), at sample seed {@value #EVALUATION_SEED}; {@code --guidance W}
 * (default 3) is the classifier-free guidance scale of the latent prior's second prompt-match measurement.
 * {@code TrainMain NAME --measure --seeds 7,11,13} measures the same way at each of those sample seeds and writes
 * nothing (FD-kit on 1000 samples moves with the seed by as much as checkpoints differ: compare over several).
 *
 * <p>{@code --resume} continues from the last checkpoint; with {@code --steps N} at or below the checkpoint's step
 * it only exports what is there. To finish a running training early, create {@code data/cache/train/NAME/STOP}:
 * the run saves after the current step and exports (see {@link Trainer}).
 *
 * <p>{@code --warm-start FROM} begins a new run from the exported checkpoint {@code data/checkpoints/FROM}'s EMA
 * weights (fresh Adam moments and warm-up; the data schedule continues at FROM's step count), for continuing a
 * training whose resumable state is gone: {@code TrainMain pixel-unet-long --warm-start pixel-unet --steps 40000}.
 */
public final class TrainMain {

    private TrainMain() {
    }

    /** Entry point; see the class comment. */
    public static void main(String[] args) {
        if (args.length < 1 || args[0].startsWith("-")) {
            System.err.println("usage: TrainMain NAME [--steps N] [--resume | --warm-start FROM] | NAME --evaluate | NAME"
                    + " --measure --seeds A,B   (config: environment/configs/NAME.json; see the README)");
            System.exit(2);
        }
        String name = args[0];
        Integer steps = null;
        boolean resume = false;
        String warmFrom = null;
        boolean evaluate = false;
        boolean measure = false;
        long[] seeds = {EVALUATION_SEED};
        boolean seedsGiven = false;
        int samples = 1000;
        int ddim = 20;
        double guidance = 3.0;
        for (int i = 1; i < args.length; i++) {
            switch (args[i]) {
                case "--steps" -> {
                    if (i + 1 >= args.length) {
                        throw new IllegalArgumentException("--steps needs a number");
                    }
                    steps = Integer.parseInt(args[++i]);
                }
                case "--resume" -> resume = true;
                case "--warm-start" -> {
                    if (i + 1 >= args.length) {
                        throw new IllegalArgumentException("--warm-start needs the name of an exported checkpoint");
                    }
                    warmFrom = args[++i];
                }
                case "--evaluate" -> evaluate = true;
                case "--measure" -> measure = true;
                case "--seeds" -> {
                    seeds = seeds(value(args, i++, "a comma-separated list of sample seeds"));
                    seedsGiven = true;
                }
                case "--samples" -> samples = Integer.parseInt(value(args, i++, "a sample count"));
                case "--ddim" -> ddim = Integer.parseInt(value(args, i++, "a DDIM step count"));
                case "--guidance" -> guidance = Double.parseDouble(value(args, i++, "a guidance scale"));
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + " (expected --steps N, --resume, --warm-start NAME, --evaluate, --measure, --seeds A,B,"
                        + " --samples N, --ddim S, --guidance W)");
            }
        }
        Path home = DataPaths.home();
        if (evaluate && measure) {
            throw new IllegalArgumentException("--evaluate writes the card at seed " + EVALUATION_SEED
                    + "; --measure writes nothing: give one of them");
        }
        if (seedsGiven && !measure) {
            throw new IllegalArgumentException("--seeds needs --measure (the card is always measured at seed "
                    + EVALUATION_SEED + ")");
        }
        if (evaluate) {
            Evaluation.evaluate(DataPaths.checkpointsDir(), name,
                    new Evaluation.Options(samples, ddim, EVALUATION_SEED, guidance));
            return;
        }
        if (measure) {
            measureSeeds(name, seeds, samples, ddim, guidance);
            return;
        }
        TrainConfig config = TrainConfig.read(home.resolve("environment/configs/" + name + ".json"));
        if (!config.name().equals(name)) {
            throw new IllegalArgumentException("config file " + name + ".json names the run " + config.name());
        }
        if (steps != null) {
            config = config.withSteps(steps);
        }
        Trainer.WarmStart warm = warmFrom == null ? null : warmStart(DataPaths.checkpointsDir(), warmFrom, config);
        train(config, home.resolve("data/cache/train/" + name), DataPaths.checkpointsDir(), resume, warm);
    }

    /** The sample seed of every model card's measurement. */
    public static final long EVALUATION_SEED = 2024;

    /**
     * {@code --measure}: measures the exported checkpoint once per sample seed as {@code --evaluate} does, writing
     * nothing, and prints each seed's quality and the mean, minimum and maximum of its FD-kit (and prompt match).
     */
    static void measureSeeds(String name, long[] seeds, int samples, int ddim, double guidance) {
        Map<String, DoubleSummaryStatistics> byKey = new LinkedHashMap<>();
        for (long seed : seeds) {
            JsonObject q = Evaluation.measure(DataPaths.checkpointsDir(), name,
                    new Evaluation.Options(samples, ddim, seed, guidance));
            System.out.println("quality of " + name + " at seed " + seed + ": " + q);
            for (String key : new String[] {"fdKit", "promptMatchShare", "promptMatchGuidedShare"}) {
                if (q.has(key)) {
                    byKey.computeIfAbsent(key, k -> new DoubleSummaryStatistics()).accept(q.get(key).getAsDouble());
                }
            }
        }
        byKey.forEach((key, v) -> System.out.printf("%s of %s over seeds %s: mean %.4f, min %.4f, max %.4f%n", key,
                name, Arrays.toString(seeds), v.getAverage(), v.getMin(), v.getMax()));
    }

    /** The seeds of {@code --seeds A,B,...}: at least one, distinct. */
    static long[] seeds(String list) {
        String[] parts = list.split(",");
        long[] out = new long[parts.length];
        Set<Long> seen = new HashSet<>();
        for (int i = 0; i < parts.length; i++) {
            try {
                out[i] = Long.parseLong(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--seeds expects comma-separated integers, got '" + parts[i]
                        + "' in '" + list + "'");
            }
            if (!seen.add(out[i])) {
                throw new IllegalArgumentException("--seeds lists seed " + out[i] + " twice in '" + list + "'");
            }
        }
        return out;
    }

    /** The value after option {@code args[i]}, or an error naming the option and what it needs. */
    private static String value(String[] args, int i, String what) {
        if (i + 1 >= args.length) {
            throw new IllegalArgumentException(args[i] + " needs " + what);
        }
        return args[i + 1];
    }

    /**
     * The warm start from the exported checkpoint {@code from}: its SHA-256, step count and wall time from its
     * sidecar; it must have been trained for the same task.
     */
    static Trainer.WarmStart warmStart(Path dir, String from, TrainConfig config) {
        JsonObject side = ModelFiles.readSidecar(dir, from);
        JsonObject training = side.has("training") ? side.getAsJsonObject("training") : null;
        if (training == null || !training.has("steps")) {
            throw new IllegalArgumentException("checkpoint " + from + " in " + dir + " records no training steps in "
                    + "its sidecar; a warm start needs an exported training run");
        }
        String task = training.has("config") && training.getAsJsonObject("config").has("task")
                ? training.getAsJsonObject("config").get("task").getAsString() : null;
        if (task != null && !task.equals(config.task())) {
            throw new IllegalArgumentException("checkpoint " + from + " was trained for task " + task + ", the run "
                    + config.name() + " is " + config.task());
        }
        return new Trainer.WarmStart(dir, from, side.get("sha256").getAsString(), training.get("steps").getAsLong(),
                training.has("wallSeconds") ? training.get("wallSeconds").getAsDouble() : 0);
    }

    private static TrainTask latentTask(TrainConfig config, Path exportDir) {
        String aeName = config.model() != null && config.model().has("autoencoder")
                ? config.model().get("autoencoder").getAsString() : "autoencoder";
        NDManager aeManager = NDManager.newBaseManager();
        org.diffinv.priors.KlAutoencoderModel ae = org.diffinv.priors.KlAutoencoderModel.load(aeManager,
                exportDir, aeName);
        String sha = ModelFiles.readSidecar(exportDir, aeName).get("sha256").getAsString();
        System.out.println("encoding the training split with " + aeName + " (scale " + ae.scaleFactor() + ")");
        return new LatentDiffusionTask(config, FashionMnist.load(FashionMnist.Split.TRAIN), ae, aeName, sha,
                aeManager);
    }

    /** Runs {@code config} with the work directory {@code workDir} and exports into {@code exportDir}. */
    public static void train(TrainConfig config, Path workDir, Path exportDir, boolean resume) {
        train(config, workDir, exportDir, resume, null);
    }

    /** As {@link #train(TrainConfig, Path, Path, boolean)}, warm-started from {@code warm} when not null. */
    public static void train(TrainConfig config, Path workDir, Path exportDir, boolean resume,
                             Trainer.WarmStart warm) {
        TrainTask task = switch (config.task()) {
            case "pixel-eps" -> new PixelDiffusionTask(config, FashionMnist.load(FashionMnist.Split.TRAIN));
            case "classifier" -> new ClassifierTask(config, FashionMnist.load(FashionMnist.Split.TRAIN));
            case "autoencoder" -> new AutoencoderTask(config, FashionMnist.load(FashionMnist.Split.TRAIN));
            case "latent-eps" -> latentTask(config, exportDir);
            case "consistency-distillation" -> new ConsistencyDistillationTask(config,
                    FashionMnist.load(FashionMnist.Split.TRAIN), exportDir);
            default -> throw new IllegalArgumentException("unknown task " + config.task() + " in config "
                    + config.name());
        };
        System.out.println("training " + config.name() + " (" + config.task() + "), " + config.steps()
                + " steps, batch " + config.batchSize() + ", seed " + config.seed() + "; work dir " + workDir);
        try (NDManager manager = NDManager.newBaseManager()) {
            Trainer trainer = new Trainer(config, task, workDir, System.out).withWarmStart(warm);
            Trainer.Result r = trainer.run(manager, resume);
            JsonObject meta = task.describe();
            task.exportFacts(r.emaModel(), manager).entrySet().forEach(e -> meta.add(e.getKey(), e.getValue()));
            JsonObject training = new JsonObject();
            training.addProperty("steps", r.steps());
            training.addProperty("batchSize", config.batchSize());
            training.addProperty("seed", config.seed());
            training.addProperty("finalAvgLoss", r.finalLoss());
            training.addProperty("wallSeconds", r.wallSeconds());
            training.addProperty("weights", "EMA, decay " + config.emaDecay());
            training.addProperty("torchThreads", System.getProperty("ai.djl.pytorch.num_threads", "(engine default)"));
            training.addProperty("machine", Runtime.getRuntime().availableProcessors() + " CPU cores, "
                    + System.getProperty("os.arch") + ", shared with other jobs");
            training.addProperty("exported", Instant.now().toString());
            training.add("config", config.toJson());
            if (trainer.warmStartFrom() != null) { // also when a warm-started run was resumed
                training.addProperty("warmStartFrom", trainer.warmStartFrom());
            }
            meta.add("training", training);
            String sha = ModelFiles.save(r.emaModel(), exportDir, config.name(), meta);
            System.out.printf("exported %s (EMA weights, %d steps, %.0f s) to %s, sha256 %s%n", config.name(),
                    r.steps(), r.wallSeconds(), ModelFiles.paramsFile(exportDir, config.name()), sha);
        }
    }
}
