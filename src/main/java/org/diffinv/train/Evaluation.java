package org.diffinv.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import org.diffinv.data.Captions;
import org.diffinv.data.FashionMnist;
import org.diffinv.diffusion.NoiseSource;
import org.diffinv.nn.Checkpoints;
import org.diffinv.nn.FeatureClassifier;
import org.diffinv.nn.KlAutoencoder;
import org.diffinv.nn.ModelFiles;
import org.diffinv.priors.EpsPrior;
import org.diffinv.priors.KlAutoencoderModel;
import org.diffinv.priors.LatentEpsPrior;
import org.diffinv.priors.UNetEpsPrior;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Measures an exported checkpoint's quality, stores it under {@code "quality"} in its sidecar (the parameter file
 * and its hash are unchanged) and writes the model card {@code NAME.md}. Every number comes from this run.
 *
 * <ul>
 *   <li>classifier: top-1 accuracy on the whole test and validation splits;</li>
 *   <li>autoencoder: the latent scale factor {@code 1 / std(mu)} on 5,000 training images, and the
 *       reconstruction PSNR ({@link org.diffinv.metrics.Psnr}: images clipped and mapped to [0, 1]) per image of the first {@code n} test
 *       images (deterministic encoding), mean over images;</li>
 *   <li>diffusion priors: FD-kit of {@code n} DDIM samples against the whole test split beside the floor
 *       FD-kit(first {@code n} validation images, test split), the classifier's class histogram of the samples,
 *       and for the latent prior the prompt-match share (samples from "a photo of a X" classified as X).</li>
 * </ul>
 */
public final class Evaluation {

    private Evaluation() {
    }

    /**
     * Options: sample / image count, DDIM steps, sampling seed, and the classifier-free guidance scale of the
     * second prompt-match measurement of a latent prior (the first is always unguided, scale 1).
     */
    public record Options(int samples, int ddimSteps, long seed, double guidance) {
        /** Checks the values. */
        public Options {
            if (samples < 1 || ddimSteps < 1) {
                throw new IllegalArgumentException("need samples >= 1 and ddim steps >= 1, got " + samples + " / "
                        + ddimSteps);
            }
            org.diffinv.priors.ConditionalEpsPrior.requireGuidanceScale(guidance); // fail before minutes of sampling
        }
    }

    /** Evaluates checkpoint {@code name} in {@code dir} and writes its card. */
    public static void evaluate(Path dir, String name, Options opt) {
        JsonObject side = ModelFiles.readSidecar(dir, name);
        String kind = side.get("kind").getAsString();
        JsonObject q = new JsonObject();
        long t0 = System.nanoTime();
        try (NDManager m = NDManager.newBaseManager()) {
            FashionMnist test = FashionMnist.load(FashionMnist.Split.TEST);
            switch (kind) {
                case "feature-classifier" -> {
                    FeatureClassifier net = Checkpoints.loadClassifier(m, dir, name);
                    FashionMnist val = FashionMnist.load(FashionMnist.Split.VALIDATION);
                    q.addProperty("testAccuracy", Quality.accuracy(net, m, test, range(test.size())));
                    q.addProperty("validationAccuracy", Quality.accuracy(net, m, val, range(val.size())));
                    q.addProperty("testImages", test.size());
                }
                case "kl-autoencoder" -> evaluateAutoencoder(m, dir, name, side, test, opt, q);
                case "pixel-eps-unet" -> {
                    UNetEpsPrior prior = UNetEpsPrior.load(m, dir, name);
                    sampleQuality(m, prior, null, test, opt, q);
                }
                case "latent-eps-unet" -> {
                    LatentEpsPrior prior = LatentEpsPrior.load(m, dir, name);
                    KlAutoencoderModel ae = KlAutoencoderModel.load(m, dir, prior.autoencoderName());
                    sampleQuality(m, prior.withPrompt(""), ae, test, opt, q);
                    promptMatch(m, prior, ae, opt, 1.0, "promptMatch", q);
                    if (opt.guidance() != 1.0) {
                        promptMatch(m, prior, ae, opt, opt.guidance(), "promptMatchGuided", q);
                        q.addProperty("guidanceScale", opt.guidance());
                    }
                }
                default -> throw new IllegalArgumentException("no evaluation for kind " + kind);
            }
        }
        q.addProperty("evaluationSeconds", (System.nanoTime() - t0) / 1e9);
        side = ModelFiles.readSidecar(dir, name);
        side.add("quality", q);
        try {
            Files.writeString(ModelFiles.sidecarFile(dir, name), ModelFiles.GSON.toJson(side) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ModelCard.write(dir, name);
        System.out.println("quality of " + name + ": " + q);
    }

    static int[] range(int n) {
        int[] r = new int[n];
        for (int i = 0; i < n; i++) {
            r[i] = i;
        }
        return r;
    }

    private static void evaluateAutoencoder(NDManager m, Path dir, String name, JsonObject side, FashionMnist test,
                                            Options opt, JsonObject q) {
        // the scale factor is measured on the raw network (scale 1), then stored so load() can apply it
        KlAutoencoder raw = new KlAutoencoder(side.get("channels").getAsInt(), side.get("width").getAsInt(),
                side.get("latentChannels").getAsInt());
        raw.setInitializer(new org.diffinv.nn.SeededInitializer(NoiseSource.seeded(0), 1.0),
                ai.djl.nn.Parameter.Type.WEIGHT);
        raw.initialize(m, ai.djl.ndarray.types.DataType.FLOAT32, new Shape(1, 1, 32, 32));
        ModelFiles.load(raw, m, dir, name, side.get("sha256").getAsString());
        FashionMnist train = FashionMnist.load(FashionMnist.Split.TRAIN);
        ParameterStore ps = new ParameterStore(m, false);
        double sum = 0;
        double sumSq = 0;
        long count = 0;
        for (int from = 0; from < 5000; from += 250) {
            try (NDManager s = m.newSubManager()) {
                NDArray mu = raw.encode(ps, train.images(s, from, 250), false).get(0);
                for (float v : mu.toFloatArray()) {
                    sum += v;
                    sumSq += (double) v * v;
                    count++;
                }
            }
        }
        double mean = sum / count;
        double std = Math.sqrt(sumSq / count - mean * mean);
        double scale = 1 / std;
        KlAutoencoderModel ae = KlAutoencoderModel.of(raw, scale, m, 32);
        int n = Math.min(opt.samples(), test.size());
        double psnrSum = 0;
        for (int from = 0; from < n; from += 250) {
            int c = Math.min(250, n - from);
            try (NDManager s = m.newSubManager()) {
                NDArray x = test.images(s, from, c);
                NDArray xHat = ae.decode(ae.encode(x));
                for (double p : org.diffinv.metrics.Psnr.perImage(xHat, x)) {
                    psnrSum += p;
                }
            }
        }
        q.addProperty("testPsnrDb", psnrSum / n);
        q.addProperty("testImages", n);
        q.addProperty("latentMean", mean);
        q.addProperty("latentStd", std);
        // written at top level too: the loader reads it from there
        JsonObject fresh = ModelFiles.readSidecar(dir, name);
        fresh.addProperty("scaleFactor", scale);
        try {
            Files.writeString(ModelFiles.sidecarFile(dir, name), ModelFiles.GSON.toJson(fresh) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void sampleQuality(NDManager m, EpsPrior prior, KlAutoencoderModel ae, FashionMnist test,
                                      Options opt, JsonObject q) {
        FeatureClassifier clf = Checkpoints.loadClassifier(m);
        int n = opt.samples();
        NoiseSource noise = NoiseSource.seeded(opt.seed());
        Shape item = ae == null ? new Shape(1, 32, 32) : ae.latentShape();
        NDArray samples = null;
        for (int from = 0; from < n; from += 100) {
            int c = Math.min(100, n - from);
            try (NDManager s = m.newSubManager()) {
                NDArray x = Quality.sampleDdim(prior, s, c, item, opt.ddimSteps(), noise);
                if (ae != null) {
                    x = ae.decode(x).clip(-1, 1);
                }
                x.attach(m);
                samples = samples == null ? x : samples.concat(x, 0);
            }
        }
        double[][] fs = Quality.features(clf, samples);
        double[][] ft = Quality.features(clf, m, test, range(test.size()));
        FashionMnist val = FashionMnist.load(FashionMnist.Split.VALIDATION);
        double[][] fv = Quality.features(clf, m, val, range(Math.min(n, val.size())));
        q.addProperty("samples", n);
        q.addProperty("ddimSteps", opt.ddimSteps());
        q.addProperty("sampleSeed", opt.seed());
        q.addProperty("fdKit", org.diffinv.metrics.FrechetDistance.of(fs, ft));
        q.addProperty("fdKitFloor", org.diffinv.metrics.FrechetDistance.of(fv, ft));
        int[] pred = Quality.predict(clf, samples);
        int[] hist = new int[FashionMnist.CLASS_NAMES.size()];
        for (int p : pred) {
            hist[p]++;
        }
        JsonArray h = new JsonArray();
        for (int v : hist) {
            h.add(v);
        }
        q.add("sampleClassHistogram", h);
    }

    /** Prompt-match share of {@code "a photo of a X"} samples under guidance scale {@code guidance}, stored as KEY*. */
    private static void promptMatch(NDManager m, LatentEpsPrior prior, KlAutoencoderModel ae, Options opt,
                                    double guidance, String key, JsonObject q) {
        FeatureClassifier clf = Checkpoints.loadClassifier(m);
        int per = Math.max(1, opt.samples() / 10 / 4);
        int match = 0;
        JsonArray perClass = new JsonArray();
        NoiseSource noise = NoiseSource.seeded(opt.seed() + 1);
        for (int c = 0; c < 10; c++) {
            try (NDManager s = m.newSubManager()) {
                EpsPrior p = prior.withPrompt(Captions.classPrompt(c), guidance);
                NDArray x = ae.decode(Quality.sampleDdim(p, s, per, ae.latentShape(), opt.ddimSteps(), noise));
                int k = 0;
                for (int pr : Quality.predict(clf, x.clip(-1, 1))) {
                    if (pr == c) {
                        k++;
                    }
                }
                match += k;
                perClass.add(k);
            }
        }
        q.addProperty(key + "Share", (double) match / (10 * per));
        q.addProperty(key + "SamplesPerClass", per);
        q.add(key + "PerClass", perClass);
    }

    /** Formats a number for a card. */
    static String fmt(double v) {
        return String.format(Locale.ROOT, "%.4g", v);
    }
}
