package org.diffinv.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.diffinv.diffusion.NoiseSource;
import org.diffinv.nn.ModelFiles;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The kit's training loop: Adam with warm-up, EMA weights, a console progress bar (loss, it/s, ETA), periodic
 * log lines, resumable checkpoints and the export of the EMA weights with a JSON sidecar.
 *
 * <p>Reproducibility: the randomness of step {@code s} is {@code NoiseSource.seeded(seed).fork(s)} and the
 * batches come from {@code (seed, s)}, so a run resumed from a checkpoint at step {@code s} (weights, EMA, Adam
 * moments and step count restored) continues exactly as the uninterrupted run would have (up to floating-point
 * non-determinism of the engine's kernels).
 *
 * <p>Work directory layout: {@code model.params} (DJL format), {@code ema.ndlist} and {@code adam.ndlist} (DJL's
 * NDList encoding), {@code task.ndlist} (a task's own state, such as a consistency target network, if it has one), {@code state.json} (step, seed, config, wall seconds so far).
 *
 * <p>Stopping early: create the file {@code STOP} in the work directory ({@code touch data/cache/train/NAME/STOP});
 * the trainer saves a checkpoint after the current step, deletes the file and returns (the caller exports as after
 * a complete run). {@code --resume} continues later from that step.
 *
 * <p>Warm start ({@link #withWarmStart}): a new run that begins from an exported checkpoint's EMA weights instead of
 * a fresh initialisation, for continuing a training whose resumable state is gone (the work directory is not
 * committed; the exported weights are). It is not a resume: the weights and their EMA start from the exported EMA
 * weights, Adam's moments start at zero and its step count (bias correction, learning-rate warm-up, EMA warm-up)
 * starts again at 0, while the loop's step index, which seeds the batches and the noise, continues at the exported
 * step count, so the continuation sees the data schedule the original run would have seen next.
 */
public final class Trainer {
    private final TrainConfig config;
    private final TrainTask task;
    private final Path workDir;
    private final PrintStream log;

    /**
     * Where a warm-started run begins.
     *
     * @param dir the directory of the exported checkpoint
     * @param name its name ({@code NAME.params} and {@code NAME.json})
     * @param sha256 the expected SHA-256 of its parameters file
     * @param step the optimizer steps it was trained for: the loop's first step index
     * @param wallSeconds its training wall time, added to this run's
     */
    public record WarmStart(Path dir, String name, String sha256, long step, double wallSeconds) {
    }

    private WarmStart warmStart;
    /** The loop step at which Adam's own step count was 0 (a warm start's first step; 0 otherwise). */
    private long adamStepOffset;
    /** Where this run was warm-started from, in words (kept in the resumable state); null for a fresh run. */
    private String warmStartFrom;

    /** Where the last {@link #run} was warm-started from, in words, also after a resume; null for a fresh run. */
    public String warmStartFrom() {
        return warmStartFrom;
    }

    /** This trainer, starting a new run from {@code from} (see the class comment); a resume takes precedence. */
    public Trainer withWarmStart(WarmStart from) {
        this.warmStart = from;
        return this;
    }

    /** A trainer for {@code task} that keeps its resumable state in {@code workDir} and logs to {@code log}. */
    public Trainer(TrainConfig config, TrainTask task, Path workDir, PrintStream log) {
        this.config = config;
        this.task = task;
        this.workDir = workDir;
        this.log = log;
    }

    /** The file whose presence in the work directory stops a run after the current step. */
    public static final String STOP_FILE = "STOP";

    /** The outcome of a run. */
    public record Result(long steps, double finalLoss, double wallSeconds, Block emaModel) {
    }

    /**
     * Trains up to {@code config.steps()} steps (resuming from {@code workDir} when {@code resume} and a checkpoint
     * exists) and returns the EMA model (attached to {@code manager}).
     */
    public Result run(NDManager manager, boolean resume) {
        Block model = task.newModel(manager, config.seed());
        List<Parameter> params = new ArrayList<>();
        model.getParameters().forEach(p -> params.add(p.getValue()));
        Adam adam = new Adam(manager, params, config.lr(), config.warmup(), config.clipNorm());
        boolean resuming = resume && Files.isRegularFile(workDir.resolve("state.json"));
        long start = 0;
        double priorWall = 0;
        if (warmStart != null && !resuming) {
            if (warmStart.step() >= config.steps()) {
                throw new IllegalArgumentException("warm start from " + warmStart.name() + " at step "
                        + warmStart.step() + " leaves nothing to train: the run " + config.name() + " has "
                        + config.steps() + " steps (give --steps above " + warmStart.step() + ")");
            }
            ModelFiles.load(model, manager, warmStart.dir(), warmStart.name(), warmStart.sha256());
            model.getParameters().forEach(p -> p.getValue().getArray().setRequiresGradient(true));
            start = warmStart.step();
            priorWall = warmStart.wallSeconds();
            adamStepOffset = start;
            warmStartFrom = warmStart.name() + " (sha256 " + warmStart.sha256() + ", " + warmStart.step()
                    + " steps): its EMA weights, fresh Adam moments and warm-up";
            log.printf("warm start of %s from the exported EMA weights of %s (%d steps, %.0f s): fresh Adam moments "
                    + "and warm-up, data schedule from step %d%n", config.name(), warmStart.name(), start, priorWall,
                    start);
        }
        Ema ema = new Ema(manager, params, config.emaDecay());
        double avgLoss = Double.NaN;
        if (resuming) {
            JsonObject state = readState();
            start = state.get("step").getAsLong();
            priorWall = state.get("wallSeconds").getAsDouble();
            if (state.has("avgLoss") && !state.get("avgLoss").isJsonNull()) {
                avgLoss = state.get("avgLoss").getAsDouble();
            }
            if (state.get("seed").getAsLong() != config.seed()) {
                throw new IllegalStateException("checkpoint in " + workDir + " was made with seed "
                        + state.get("seed") + ", the config says " + config.seed());
            }
            ModelFiles.load(model, manager, workDir, "model", state.get("modelSha256").getAsString());
            // DJL's loadParameters replaces the arrays with ones that do not record gradients
            model.getParameters().forEach(p -> p.getValue().getArray().setRequiresGradient(true));
            ema.restore(readList(manager, workDir.resolve("ema.ndlist")));
            // a warm-started run's Adam counts from its own first step, not from the loop's step index
            long adamOffset = state.has("adamOffset") ? state.get("adamOffset").getAsLong() : 0;
            adamStepOffset = adamOffset;
            warmStartFrom = state.has("warmStartFrom") ? state.get("warmStartFrom").getAsString() : null;
            adam.restore(readList(manager, workDir.resolve("adam.ndlist")), start - adamOffset);
            if (Files.isRegularFile(workDir.resolve("task.ndlist"))) {
                task.restore(model, readList(manager, workDir.resolve("task.ndlist")));
            }
            log.printf("resumed %s at step %d (%.0f s of training so far)%n", config.name(), start, priorWall);
        }
        if (config.lrSchedule().equals("cosine")) {
            // Adam counts this run's own updates (from its warm start, if any), so the decay spans exactly those
            adam.withCosineDecay(config.steps() - adamStepOffset);
        }
        ParameterStore ps = new ParameterStore(manager, false);
        long total = config.steps();
        long t0 = System.nanoTime();
        double lastLoss = Double.NaN;
        long windowStart = System.nanoTime();
        long windowSteps = 0;
        long reached = start;
        Path stopFile = workDir.resolve(STOP_FILE);
        ProgressBar bar = System.console() == null ? null : new ProgressBarBuilder().setTaskName(config.name())
                .setInitialMax(total).setStyle(ProgressBarStyle.ASCII).showSpeed().setUnit(" it", 1)
                .setUpdateIntervalMillis(500).build();
        try {
            if (bar != null) {
                bar.stepTo(start);
            }
            for (long step = start; step < total; step++) {
                NoiseSource rng = NoiseSource.seeded(config.seed()).fork(step);
                try (NDManager s = manager.newSubManager()) {
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDArray loss = task.loss(model, ps, s, step, rng);
                        gc.backward(loss);
                        lastLoss = loss.toFloatArray()[0];
                    }
                }
                if (!Double.isFinite(lastLoss)) {
                    throw new IllegalStateException("loss became " + lastLoss + " at step " + step + " of "
                            + config.name() + "; lower lr (now " + config.lr() + ")");
                }
                adam.update();
                ema.update(adam.step());
                task.afterUpdate(model);
                avgLoss = Double.isNaN(avgLoss) ? lastLoss : 0.98 * avgLoss + 0.02 * lastLoss;
                windowSteps++;
                reached = step + 1;
                boolean stop = Files.exists(stopFile);
                if (bar != null) {
                    bar.stepTo(step + 1);
                    bar.setExtraMessage(String.format(" loss %.4f", avgLoss));
                }
                if ((step + 1) % config.logEvery() == 0 || step + 1 == total) {
                    double secs = (System.nanoTime() - windowStart) / 1e9;
                    double rate = windowSteps / Math.max(secs, 1e-9);
                    long eta = (long) ((total - step - 1) / Math.max(rate, 1e-9));
                    log.printf("%s step %d/%d loss %.5f (avg %.5f) lr %.2e %.3f it/s (%.2f s/it) ETA %s%n",
                            config.name(), step + 1, total, lastLoss, avgLoss, adam.learningRate(adam.step()), rate,
                            1 / rate, format(Duration.ofSeconds(eta)));
                    log.flush();
                    windowStart = System.nanoTime();
                    windowSteps = 0;
                }
                if ((step + 1) % config.saveEvery() == 0 || step + 1 == total || stop) {
                    save(model, ema, adam, step + 1, priorWall + (System.nanoTime() - t0) / 1e9, avgLoss);
                }
                if (stop) {
                    deleteStopFile(stopFile);
                    log.printf("found %s: stopped %s at step %d of %d and saved a resumable checkpoint%n",
                            stopFile, config.name(), step + 1, total);
                    log.flush();
                    break;
                }
            }
        } finally {
            if (bar != null) {
                bar.close();
            }
        }
        double wall = priorWall + (System.nanoTime() - t0) / 1e9;
        Block emaModel = task.newModel(manager, config.seed());
        List<Parameter> emaParams = new ArrayList<>();
        emaModel.getParameters().forEach(p -> emaParams.add(p.getValue()));
        ema.copyInto(emaParams);
        long done = reached;
        if (start >= total) {
            avgLoss = readState().has("avgLoss") ? readState().get("avgLoss").getAsDouble() : Double.NaN;
        }
        return new Result(done, avgLoss, wall, emaModel);
    }

    private static void deleteStopFile(Path stopFile) {
        try {
            Files.deleteIfExists(stopFile);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete the stop file " + stopFile
                    + " (delete it by hand before resuming)", e);
        }
    }

    private static String format(Duration d) {
        return String.format("%dh%02dm%02ds", d.toHours(), d.toMinutesPart(), d.toSecondsPart());
    }

    private JsonObject readState() {
        try {
            return JsonParser.parseString(Files.readString(workDir.resolve("state.json"))).getAsJsonObject();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + workDir.resolve("state.json"), e);
        }
    }

    private void save(Block model, Ema ema, Adam adam, long step, double wall, double avgLoss) {
        try {
            Files.createDirectories(workDir);
            String sha = ModelFiles.save(model, workDir, "model", new JsonObject());
            writeList(new NDList(ema.values().toArray(new NDArray[0])), workDir.resolve("ema.ndlist"));
            writeList(adam.state(), workDir.resolve("adam.ndlist"));
            NDList taskState = task.state(model);
            if (!taskState.isEmpty()) {
                writeList(taskState, workDir.resolve("task.ndlist"));
            }
            JsonObject state = new JsonObject();
            state.addProperty("step", step);
            state.addProperty("seed", config.seed());
            state.addProperty("wallSeconds", wall);
            state.addProperty("avgLoss", avgLoss);
            state.addProperty("modelSha256", sha);
            state.addProperty("adamOffset", adamStepOffset);
            if (warmStartFrom != null) {
                state.addProperty("warmStartFrom", warmStartFrom);
            }
            state.add("config", config.toJson());
            Path tmp = workDir.resolve("state.json.tmp");
            Files.writeString(tmp, ModelFiles.GSON.toJson(state) + "\n");
            Files.move(tmp, workDir.resolve("state.json"), StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write checkpoint into " + workDir, e);
        }
    }

    private static void writeList(NDList list, Path file) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp))) {
            list.encode(out);
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static NDList readList(NDManager manager, Path file) {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
            return NDList.decode(manager, in);
        } catch (IOException | RuntimeException e) {
            throw new ModelFiles.CheckpointException("training checkpoint file " + file.toAbsolutePath()
                    + " is missing or corrupt: " + e.getMessage(), e);
        }
    }
}
