package org.diffinv.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import com.google.gson.JsonObject;
import org.diffinv.data.FashionMnist;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.diffusion.NoiseSource;
import org.diffinv.nn.ScheduleSpec;
import org.diffinv.nn.NetworkEngine;
import org.diffinv.nn.UNetConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Tests of the training loop: loss decrease, determinism, exact resume. */
class TrainerTest {

    static final UNetConfig TINY = new UNetConfig(1, 1, 16, 8, new int[] {1, 2}, 1, new int[] {8}, 1, 4,
            "none", 0);

    /** The centre 16x16 crop of four fixed test images (a small, real batch). */
    static NDArray batch(FashionMnist data, NDManager manager) {
        return data.images(manager, new int[] {0, 1, 2, 3}).get(":, :, 8:24, 8:24");
    }

    static TrainConfig config(int steps) {
        return new TrainConfig("tiny", "pixel-eps", 99, steps, 4, 2e-3, 2, 1.0, 0.9, 2, 100, TINY,
                new ScheduleSpec("linear", 1e-4, 0.02, 1000), 0, null, "constant");
    }

    /** A task on four fixed test images; each step's t and eps come from the trainer's per-step source. */
    static final class FixedBatchTask implements TrainTask {
        private final FashionMnist data = FashionMnist.load(FashionMnist.Split.TEST);
        private final NoiseSchedule schedule = NoiseSchedule.ddpmLinear();

        @Override
        public Block newModel(NDManager manager, long seed) {
            return PixelDiffusionTask.newUNet(TINY, manager, seed);
        }

        @Override
        public NDArray loss(Block model, ParameterStore ps, NDManager manager, long step, NoiseSource rng) {
            return PixelDiffusionTask.epsLoss(model, ps, manager, batch(data, manager), null,
                    schedule, rng);
        }

        @Override
        public JsonObject describe() {
            return new JsonObject();
        }
    }

    /** Losses of {@code steps} Adam steps on one fixed draw of (x0, t, eps). */
    private static double[] lossesOnFixedDraw(int steps) {
        return lossesOnFixedDraw(steps, NetworkEngine.current(), null);
    }

    /**
     * Losses of {@code steps} Adam steps on one fixed draw of (x0, t, eps) with the UNet on {@code engine}; the final
     * weights go to {@code weights} when it is not null.
     */
    private static double[] lossesOnFixedDraw(int steps, NetworkEngine engine, List<float[]> weights) {
        FashionMnist data = FashionMnist.load(FashionMnist.Split.TEST);
        try (NDManager m = NDManager.newBaseManager(); NetworkEngine.Restore r = NetworkEngine.use(engine)) {
            Block net = PixelDiffusionTask.newUNet(TINY, m, 5);
            List<Parameter> params = new ArrayList<>();
            net.getParameters().forEach(p -> params.add(p.getValue()));
            Adam adam = new Adam(m, params, 3e-3, 1, 0);
            ParameterStore ps = new ParameterStore(m, false);
            double[] losses = new double[steps];
            for (int k = 0; k < steps; k++) {
                try (NDManager s = m.newSubManager();
                     GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray loss = PixelDiffusionTask.epsLoss(net, ps, s, batch(data, s),
                            null, NoiseSchedule.ddpmLinear(), NoiseSource.seeded(17));
                    gc.backward(loss);
                    losses[k] = loss.getFloat();
                }
                adam.update();
            }
            if (weights != null) {
                params.forEach(p -> weights.add(p.getArray().toFloatArray()));
            }
            return losses;
        }
    }

    @Test
    void theTorchScriptEngineTrainsLikeTheBlocks() {
        List<float[]> wScript = new ArrayList<>();
        List<float[]> wBlocks = new ArrayList<>();
        double[] script = lossesOnFixedDraw(6, NetworkEngine.TORCHSCRIPT, wScript);
        double[] blocks = lossesOnFixedDraw(6, NetworkEngine.BLOCKS, wBlocks);
        for (int k = 0; k < script.length; k++) {
            assertEquals(blocks[k], script[k], 1e-5 * Math.max(1, Math.abs(blocks[k])), "loss at step " + k);
        }
        assertEquals(wBlocks.size(), wScript.size(), "parameter count");
        double worst = 0;
        for (int i = 0; i < wBlocks.size(); i++) {
            for (int j = 0; j < wBlocks.get(i).length; j++) {
                worst = Math.max(worst, Math.abs(wBlocks.get(i)[j] - wScript.get(i)[j]));
            }
        }
        // six Adam steps of lr 3e-3 move each weight by up to 1.8e-2; the engines' float rounding must not show
        assertTrue(worst <= 1e-4, "largest weight difference after 6 steps: " + worst);
        assertTrue(script[5] < script[0], "the TorchScript run learns: " + java.util.Arrays.toString(script));
    }

    @Test
    void adamStepsReduceTheLossOnAFixedBatchDeterministically() {
        double[] a = lossesOnFixedDraw(8);
        double[] b = lossesOnFixedDraw(3);
        assertArrayEquals(java.util.Arrays.copyOf(a, 3), b, 0.0, "same seed, same losses");
        // the same (x0, t, eps) every step: plain descent on a fixed function must lower it substantially
        assertTrue(a[7] < 0.7 * a[0], "losses " + java.util.Arrays.toString(a));
    }

    /** The number of live resources (arrays, sub-managers) attached directly to {@code manager}. */
    private static int liveResources(NDManager manager) throws ReflectiveOperationException {
        java.lang.reflect.Field f = ai.djl.ndarray.BaseNDManager.class.getDeclaredField("resources");
        f.setAccessible(true);
        return ((java.util.Map<?, ?>) f.get(manager)).size();
    }

    @Test
    void trainingStepsLeaveNoArraysOnTheLongLivedManager() throws ReflectiveOperationException {
        FashionMnist data = FashionMnist.load(FashionMnist.Split.TEST);
        try (NDManager m = NDManager.newBaseManager()) {
            Block net = PixelDiffusionTask.newUNet(TINY, m, 5);
            List<Parameter> params = new ArrayList<>();
            net.getParameters().forEach(p -> params.add(p.getValue()));
            Adam adam = new Adam(m, params, 1e-3, 1, 1.0);
            Ema ema = new Ema(m, params, 0.9);
            ParameterStore ps = new ParameterStore(m, false);
            int[] counts = new int[4];
            for (int k = 0; k < 4; k++) {
                try (NDManager s = m.newSubManager();
                     GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    gc.backward(PixelDiffusionTask.epsLoss(net, ps, s, batch(data, s), null,
                            NoiseSchedule.ddpmLinear(), NoiseSource.seeded(k)));
                }
                adam.update();
                ema.update(adam.step());
                counts[k] = liveResources(m);
            }
            // a leak of even one array per step (e.g. an intermediate of the Adam update left on the state's
            // manager) shows up as a growing count; the first step may create lazily allocated state
            assertEquals(counts[1], counts[3], "live resources per step: " + java.util.Arrays.toString(counts));
        }
    }

    @Test
    void aStopFileEndsTheRunAfterTheCurrentStepWithAResumableCheckpoint(@TempDir Path dir) throws Exception {
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
        Path work = dir.resolve("work");
        java.nio.file.Files.createDirectories(work);
        java.nio.file.Files.writeString(work.resolve(Trainer.STOP_FILE), "");
        try (NDManager m = NDManager.newBaseManager()) {
            Trainer.Result stopped = new Trainer(config(5), new FixedBatchTask(), work, quiet).run(m, false);
            assertEquals(1, stopped.steps(), "stopped after the first step");
            assertTrue(!java.nio.file.Files.exists(work.resolve(Trainer.STOP_FILE)), "the stop file is consumed");
            assertTrue(java.nio.file.Files.readString(work.resolve("state.json")).contains("\"step\": 1"),
                    "checkpoint at step 1");
            Trainer.Result resumed = new Trainer(config(5), new FixedBatchTask(), work, quiet).run(m, true);
            assertEquals(5, resumed.steps(), "resumed to the configured 5 steps");
        }
    }

    @Test
    void resumedRunEqualsUninterruptedRun(@TempDir Path dir) {
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
        try (NDManager m = NDManager.newBaseManager()) {
            Trainer.Result full = new Trainer(config(4), new FixedBatchTask(), dir.resolve("full"), quiet)
                    .run(m, false);
            new Trainer(config(2), new FixedBatchTask(), dir.resolve("split"), quiet).run(m, false);
            Trainer.Result resumed = new Trainer(config(4), new FixedBatchTask(), dir.resolve("split"), quiet)
                    .run(m, true);
            assertEquals(4, resumed.steps());
            var pf = full.emaModel().getParameters();
            var pr = resumed.emaModel().getParameters();
            for (int i = 0; i < pf.size(); i++) {
                float[] wf = pf.get(i).getValue().getArray().toFloatArray();
                float[] wr = pr.get(i).getValue().getArray().toFloatArray();
                // same draws, same Adam moments and step count: equal up to float32 kernel rounding
                assertArrayEquals(wf, wr, 1e-6f, "EMA parameter " + pf.get(i).getKey());
            }
        }
    }

    /**
     * Trains {@code config(2)} under {@code dir/first} and exports its EMA weights to {@code dir/export/tiny.*} with
     * a sidecar that records {@code wallSeconds} of training, as {@code TrainMain} exports; returns the folder.
     */
    private static Path exportTwoSteps(Path dir, NDManager m, PrintStream log, double wallSeconds) {
        Trainer.Result first = new Trainer(config(2), new FixedBatchTask(), dir.resolve("first"), log).run(m, false);
        JsonObject meta = new JsonObject();
        JsonObject training = new JsonObject();
        training.addProperty("steps", first.steps());
        training.addProperty("wallSeconds", wallSeconds);
        training.add("config", config(2).toJson());
        meta.add("training", training);
        Path export = dir.resolve("export");
        org.diffinv.nn.ModelFiles.save(first.emaModel(), export, "tiny", meta);
        return export;
    }

    /**
     * A warm-started cosine run decays over its own updates: warm-started at step 2 of 8 with a warm-up of 2, its
     * six updates follow {@code lr min(1, k/2)} then the cosine over updates 3..6, ending at exactly 0 (the bug this
     * guards against decayed over all 8 loop steps, leaving a quarter of the peak rate at the end).
     */
    @Test
    void aWarmStartedCosineRunDecaysToZeroOverItsOwnUpdates(@TempDir Path dir) throws Exception {
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
        try (NDManager m = NDManager.newBaseManager()) {
            Path export = exportTwoSteps(dir, m, quiet, 1.0);
            TrainConfig c = config(8);
            TrainConfig cosine = new TrainConfig(c.name(), c.task(), c.seed(), 8, c.batchSize(), c.lr(), c.warmup(),
                    c.clipNorm(), c.emaDecay(), c.saveEvery(), 1, c.unet(), c.schedule(), 0, null, "cosine");
            ByteArrayOutputStream logged = new ByteArrayOutputStream();
            new Trainer(cosine, new FixedBatchTask(), dir.resolve("run"), new PrintStream(logged, true))
                    .withWarmStart(TrainMain.warmStart(export, "tiny", cosine)).run(m, false);
            java.util.regex.Matcher lr = java.util.regex.Pattern.compile("step (\\d+)/8 .* lr (\\S+) ")
                    .matcher(logged.toString());
            double[] expected = new double[9];
            for (int k = 1; k <= 6; k++) {
                double warm = Math.min(1.0, k / 2.0);
                double cos = k > 2 ? 0.5 * (1 + Math.cos(Math.PI * (k - 2) / 4.0)) : 1.0;
                expected[k + 2] = 2e-3 * warm * cos;
            }
            int seen = 0;
            while (lr.find()) {
                int step = Integer.parseInt(lr.group(1));
                assertEquals(expected[step], Double.parseDouble(lr.group(2)), 1e-2 * 2e-3 + 1e-12,
                        "learning rate logged at step " + step);
                seen++;
            }
            assertEquals(6, seen, "one log line per update of the warm-started run:\n" + logged);
        }
    }

    /**
     * A warm start begins from the exported EMA weights (so it differs from a fresh run), continues the data schedule
     * at the exported step count, and is itself resumable exactly: a warm-started run stopped after its first step and
     * resumed equals the uninterrupted warm-started run, which needs Adam's own step count (warm-up, bias correction)
     * restored relative to the warm start, not to the loop's step index.
     */
    @Test
    void aWarmStartContinuesFromExportedWeightsAndResumesExactly(@TempDir Path dir) throws Exception {
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
        try (NDManager m = NDManager.newBaseManager()) {
            Path export = exportTwoSteps(dir, m, quiet, 1.5);
            Trainer.WarmStart warm = TrainMain.warmStart(export, "tiny", config(5));
            assertEquals(2, warm.step());

            Trainer.Result whole = new Trainer(config(5), new FixedBatchTask(), dir.resolve("whole"), quiet)
                    .withWarmStart(warm).run(m, false);
            assertEquals(5, whole.steps());
            assertTrue(whole.wallSeconds() >= 1.5, "the exported run's wall time is carried");

            Path split = dir.resolve("split");
            java.nio.file.Files.createDirectories(split);
            java.nio.file.Files.writeString(split.resolve(Trainer.STOP_FILE), "");
            Trainer.Result stopped = new Trainer(config(5), new FixedBatchTask(), split, quiet).withWarmStart(warm)
                    .run(m, false);
            assertEquals(3, stopped.steps(), "one step after the warm start at step 2");
            // resumed without naming the warm start again (as `--resume` does): the state carries it
            Trainer resumer = new Trainer(config(5), new FixedBatchTask(), split, quiet);
            Trainer.Result resumed = resumer.run(m, true);
            assertEquals(5, resumed.steps());
            assertNotNull(resumer.warmStartFrom(), "a resumed warm-started run still names its warm start");
            assertTrue(resumer.warmStartFrom().startsWith(warm.name() + " (sha256 " + warm.sha256()),
                    resumer.warmStartFrom());

            Trainer.Result fresh = new Trainer(config(3), new FixedBatchTask(), dir.resolve("fresh"), quiet)
                    .run(m, false);
            var pw = whole.emaModel().getParameters();
            var pr = resumed.emaModel().getParameters();
            var pf = fresh.emaModel().getParameters();
            double freshGap = 0;
            for (int i = 0; i < pw.size(); i++) {
                float[] ww = pw.get(i).getValue().getArray().toFloatArray();
                float[] wr = pr.get(i).getValue().getArray().toFloatArray();
                float[] wf = pf.get(i).getValue().getArray().toFloatArray();
                assertArrayEquals(ww, wr, 1e-6f, "warm-started EMA parameter " + pw.get(i).getKey());
                for (int j = 0; j < ww.length; j++) {
                    freshGap = Math.max(freshGap, Math.abs(ww[j] - wf[j]));
                }
            }
            assertTrue(freshGap > 1e-4, "the warm start loaded the exported weights (largest gap to a fresh run "
                    + freshGap + ")");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new Trainer(config(2), new FixedBatchTask(), dir.resolve("none"), quiet).withWarmStart(warm)
                            .run(m, false));
            assertTrue(e.getMessage().contains("nothing to train"), e.getMessage());
        }
    }

    /**
     * The autoencoder's latent scale factor is measured once, at export, and kept in the sidecar: the loader reads
     * it from there without any evaluation, it is {@code 1 / std} of the exported network's encodings of the first
     * training images ({@link AutoencoderTask#measureScale}), and the scaled latents then have unit variance.
     */
    @Test
    void autoencoderExportKeepsItsMeasuredScaleFactor(@TempDir Path dir) {
        JsonObject model = new JsonObject();
        model.addProperty("width", 8);
        model.addProperty("latentChannels", 2);
        TrainConfig config = new TrainConfig("tiny-ae", "autoencoder", 7, 3, 4, 1e-3, 1, 1.0, 0.5, 100, 100, null,
                null, 0, model, "constant");
        TrainMain.train(config, dir.resolve("work"), dir.resolve("export"), false);
        JsonObject side = org.diffinv.nn.ModelFiles.readSidecar(dir.resolve("export"), "tiny-ae");
        assertTrue(side.has("scaleFactor") && side.has("scaleFactorMeasurement"), side.toString());
        assertTrue(!side.has("quality"), "nothing was evaluated");
        double stored = side.get("scaleFactor").getAsDouble();
        FashionMnist train = FashionMnist.load(FashionMnist.Split.TRAIN);
        try (NDManager m = NDManager.newBaseManager()) {
            org.diffinv.priors.KlAutoencoderModel ae = org.diffinv.priors.KlAutoencoderModel.load(m,
                    dir.resolve("export"), "tiny-ae");
            assertEquals(stored, ae.scaleFactor(), 0.0, "load() returns the scale factor kept at export");
            // the scaled encodings of the measured images have unit standard deviation
            NDArray z = ae.encode(train.images(m, 0, AutoencoderTask.SCALE_IMAGES));
            double mean = z.mean().getFloat();
            double std = Math.sqrt(z.square().mean().getFloat() - mean * mean);
            assertEquals(1.0, std, 1e-3, "std of scaled latents");
        }
    }
}
