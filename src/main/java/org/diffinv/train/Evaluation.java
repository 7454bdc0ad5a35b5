package org.diffinv.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import org.diffinv.data.Captions;
import org.diffinv.data.FashionMnist;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.diffusion.NoiseSource;
import org.diffinv.diffusion.TimeGrid;
import org.diffinv.nn.Checkpoints;
import org.diffinv.nn.FeatureClassifier;
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
 *   <li>autoencoder: the reconstruction PSNR ({@link org.diffinv.metrics.Psnr}: images clipped and mapped to
 *       [0, 1]) per image of the whole test split (deterministic encoding), mean over images; the statistics of the
 *       scaled test latents (the latent prior expects unit standard deviation); and the latent floors below. The
 *       scale factor is <em>read</em> from the sidecar, where training put it ({@link AutoencoderTask#measureScale}):
 *       evaluation never changes what {@link KlAutoencoderModel#load} returns;</li>
 *   <li>diffusion priors: FD-kit of {@code n} DDIM samples against the whole test split beside the floor
 *       FD-kit(first {@code n} validation images, test split), the classifier's class histogram of the samples,
 *       and for the latent prior the prompt-match share (samples from "a photo of a X" classified as X) and the
 *       latent floors. Each prior is sampled on one grid, the one notebooks/01-priors uses
 *       ({@link #samplingGrid}), named on the card. Images are clipped to [-1, 1] before the classifier; latents are
 *       never clipped (they have unit standard deviation: a clip to [-1, 1] cut 27% of the entries of the shipped
 *       latent prior's samples).</li>
 *   <li>latent floors (latent prior and autoencoder): FD-kit of the autoencoder's reconstructions {@code D(E(x))} of
 *       the whole test split against the test split ({@code fdKitAutoencoderTest}), and of the reconstructions of the
 *       same {@code n} validation images as the real floor ({@code fdKitLatentFloor}, directly comparable with
 *       {@code fdKit} and {@code fdKitFloor}): the best a latent prior can do through this decoder; and the
 *       prompt-match ceiling ({@code promptMatchCeiling}, per class too): the classifier's accuracy on the test
 *       split's reconstructions, what a perfect prompt-conditioned latent prior would score.</li>
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
        JsonObject before = ModelFiles.readSidecar(dir, name);
        before.remove("quality");
        JsonObject q = measure(dir, name, opt);
        JsonObject side = ModelFiles.readSidecar(dir, name);
        JsonObject after = side.deepCopy();
        after.remove("quality");
        if (!after.equals(before)) {
            throw new IllegalStateException("the sidecar of " + name + " changed during its evaluation; evaluation "
                    + "writes only \"quality\" and the card");
        }
        side.add("quality", q);
        try {
            Files.writeString(ModelFiles.sidecarFile(dir, name), ModelFiles.GSON.toJson(side) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ModelCard.write(dir, name);
        System.out.println("quality of " + name + ": " + q);
    }

    /**
     * Measures checkpoint {@code name} in {@code dir} as {@link #evaluate} does and returns the quality block, writing
     * nothing: for measuring at other sample seeds than the card's without touching the card.
     */
    public static JsonObject measure(Path dir, String name, Options opt) {
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
                case "kl-autoencoder" -> evaluateAutoencoder(m, dir, name, test, opt, q);
                case "pixel-eps-unet" -> {
                    UNetEpsPrior prior = UNetEpsPrior.load(m, dir, name);
                    sampleQuality(m, prior, null, samplingGrid(kind, prior.schedule(), opt.ddimSteps()), test,
                            opt, q);
                }
                case "latent-eps-unet" -> {
                    LatentEpsPrior prior = LatentEpsPrior.load(m, dir, name);
                    KlAutoencoderModel ae = KlAutoencoderModel.load(m, dir, prior.autoencoderName());
                    TimeGrid grid = samplingGrid(kind, prior.schedule(), opt.ddimSteps());
                    sampleQuality(m, prior.withPrompt(""), ae, grid, test, opt, q);
                    latentFloors(m, ae, test, opt.samples(), q);
                    promptMatch(m, prior, ae, grid, opt, 1.0, "promptMatch", q);
                    if (opt.guidance() != 1.0) {
                        promptMatch(m, prior, ae, grid, opt, opt.guidance(), "promptMatchGuided", q);
                        q.addProperty("guidanceScale", opt.guidance());
                    }
                }
                case "consistency-unet" -> evaluateConsistency(m, dir, name, side, test, opt, q);
                default -> throw new IllegalArgumentException("no evaluation for kind " + kind);
            }
        }
        q.addProperty("evaluationSeconds", (System.nanoTime() - t0) / 1e9);
        return q;
    }

    static int[] range(int n) {
        int[] r = new int[n];
        for (int i = 0; i < n; i++) {
            r[i] = i;
        }
        return r;
    }

    /**
     * The sampling grid of a diffusion prior of sidecar kind {@code kind}, the one notebooks/01-priors uses for
     * it: the DDIM reference's uniform grid for the pixel prior ({@link TimeGrid#ddimUniform}) and latent
     * diffusion's grid for the latent prior ({@link TimeGrid#ldm}).
     */
    public static TimeGrid samplingGrid(String kind, NoiseSchedule schedule, int steps) {
        return switch (kind) {
            case "pixel-eps-unet" -> TimeGrid.ddimUniform(schedule, steps);
            case "latent-eps-unet" -> TimeGrid.ldm(schedule, steps);
            default -> throw new IllegalArgumentException("no sampling grid for kind " + kind);
        };
    }

    private static void evaluateAutoencoder(NDManager m, Path dir, String name, FashionMnist test, Options opt,
                                            JsonObject q) {
        // the scale factor comes from the sidecar (measured once, at export by training); nothing here writes it
        KlAutoencoderModel ae = KlAutoencoderModel.load(m, dir, name);
        int n = test.size();
        double psnrSum = 0;
        double sum = 0;
        double sumSq = 0;
        long count = 0;
        for (int from = 0; from < n; from += 250) {
            int c = Math.min(250, n - from);
            try (NDManager s = m.newSubManager()) {
                NDArray x = test.images(s, from, c);
                NDArray z = ae.encode(x);
                for (float v : z.toFloatArray()) {
                    sum += v;
                    sumSq += (double) v * v;
                    count++;
                }
                NDArray xHat = ae.decode(z);
                for (double p : org.diffinv.metrics.Psnr.perImage(xHat, x)) {
                    psnrSum += p;
                }
            }
        }
        double mean = sum / count;
        q.addProperty("testPsnrDb", psnrSum / n);
        q.addProperty("testImages", n);
        q.addProperty("scaleFactor", ae.scaleFactor());
        q.addProperty("testLatentMean", mean);
        q.addProperty("testLatentStd", Math.sqrt(sumSq / count - mean * mean));
        latentFloors(m, ae, test, opt.samples(), q);
    }

    /**
     * The latent floors: FD-kit of {@code D(E(x))} over the whole test split against the test split, and of the
     * reconstructions of the first {@code n} validation images (the real floor's images) against the test split,
     * beside the real floor itself.
     */
    private static void latentFloors(NDManager m, KlAutoencoderModel ae, FashionMnist test, int n, JsonObject q) {
        FeatureClassifier clf = Checkpoints.loadClassifier(m);
        FashionMnist val = FashionMnist.load(FashionMnist.Split.VALIDATION);
        int nv = Math.min(n, val.size());
        double[][] ft = Quality.features(clf, m, test, range(test.size()));
        double[][] fv = Quality.features(clf, m, val, range(nv));
        Reconstructions rTest = reconstructions(m, clf, ae, test, test.size());
        double[][] frVal = reconstructions(m, clf, ae, val, nv).features();
        q.addProperty("fdKitAutoencoderTest", org.diffinv.metrics.FrechetDistance.of(rTest.features(), ft));
        q.addProperty("fdKitLatentFloor", org.diffinv.metrics.FrechetDistance.of(frVal, ft));
        promptMatchCeiling(test, rTest.predicted(), q);
        if (!q.has("fdKitFloor")) {
            q.addProperty("fdKitFloor", org.diffinv.metrics.FrechetDistance.of(fv, ft));
        }
        q.addProperty("floorImages", nv);
    }

    /**
     * The classifier's features of {@code D(E(x))} (clipped to [-1, 1]) for the first {@code n} images of
     * {@code data}, and its top-1 class for each.
     */
    private record Reconstructions(double[][] features, int[] predicted) {
    }

    private static Reconstructions reconstructions(NDManager m, FeatureClassifier clf, KlAutoencoderModel ae,
                                                   FashionMnist data, int n) {
        double[][] out = new double[n][];
        int[] predicted = new int[n];
        for (int from = 0; from < n; from += 250) {
            int c = Math.min(250, n - from);
            try (NDManager s = m.newSubManager()) {
                NDArray xHat = ae.decode(ae.encode(data.images(s, from, c))).clip(-1, 1);
                System.arraycopy(Quality.features(clf, xHat), 0, out, from, c);
                System.arraycopy(Quality.predict(clf, xHat), 0, predicted, from, c);
            }
        }
        return new Reconstructions(out, predicted);
    }

    /**
     * The prompt-match ceiling: the share of the test split's reconstructions {@code D(E(x))} that the classifier
     * puts in their true class, overall and per class (out of each class's test images). A latent prior whose
     * samples from "a photo of a X" were exactly the encoded test images of class X would score this share through
     * this decoder and classifier; the classifier's own accuracy on real test images is on its card.
     */
    private static void promptMatchCeiling(FashionMnist test, int[] predicted, JsonObject q) {
        int[] right = new int[10];
        int[] total = new int[10];
        for (int i = 0; i < predicted.length; i++) {
            int label = test.label(i);
            total[label]++;
            right[label] += predicted[i] == label ? 1 : 0;
        }
        JsonArray perClass = new JsonArray();
        int sum = 0;
        for (int c = 0; c < 10; c++) {
            if (total[c] == 0) {
                throw new IllegalStateException("the test split has no image of class " + c);
            }
            perClass.add((double) right[c] / total[c]);
            sum += right[c];
        }
        q.addProperty("promptMatchCeiling", (double) sum / predicted.length);
        q.add("promptMatchCeilingPerClass", perClass);
    }

    private static void sampleQuality(NDManager m, EpsPrior prior, KlAutoencoderModel ae, TimeGrid grid,
                                      FashionMnist test, Options opt, JsonObject q) {
        FeatureClassifier clf = Checkpoints.loadClassifier(m);
        int n = opt.samples();
        NoiseSource noise = NoiseSource.seeded(opt.seed());
        NDArray samples = null;
        for (int from = 0; from < n; from += 100) {
            int c = Math.min(100, n - from);
            try (NDManager s = m.newSubManager()) {
                NDArray x = ae == null
                        ? Quality.sampleImages(prior, s, c, new Shape(1, 32, 32), grid, noise)
                        : Quality.sampleDecoded(prior, ae, s, c, grid, noise);
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
        q.addProperty("samplingGrid", grid.toString());
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

    /** The VE noise level of the second step of two-step consistency sampling (Song et al. 2023 use about 0.8). */
    public static final double CONSISTENCY_SECOND_SIGMA = 0.8;

    /**
     * A consistency model's card: FD-kit of one-step samples (from the largest distillation boundary) and of two-step
     * samples (re-noised to the index nearest sigma = {@value #CONSISTENCY_SECOND_SIGMA}), beside the same for its
     * teacher's network taken as it was before distillation (the student's starting point: one Tweedie step from noise,
     * and two), with the same seeds, and the real floor. The teacher's own DDIM FD-kit is on its card.
     */
    private static void evaluateConsistency(NDManager m, Path dir, String name, JsonObject side, FashionMnist test,
                                            Options opt, JsonObject q) {
        org.diffinv.priors.ConsistencyModel cm = org.diffinv.priors.ConsistencyModel.load(m, dir, name);
        JsonObject d = side.getAsJsonObject("distillation");
        JsonArray b = d.getAsJsonArray("boundaries");
        int top = b.get(b.size() - 1).getAsInt();
        int second = cm.schedule().nearestVeSigmaIndex(CONSISTENCY_SECOND_SIGMA);
        String teacherName = d.get("teacher").getAsString();
        org.diffinv.priors.ConsistencyModel start = new org.diffinv.priors.ConsistencyModel(
                UNetEpsPrior.load(m, dir, teacherName), cm.sigmaData());
        FeatureClassifier clf = Checkpoints.loadClassifier(m);
        double[][] ft = Quality.features(clf, m, test, range(test.size()));
        FashionMnist val = FashionMnist.load(FashionMnist.Split.VALIDATION);
        int n = opt.samples();
        q.addProperty("samples", n);
        q.addProperty("sampleSeed", opt.seed());
        q.addProperty("oneStepTime", top);
        q.addProperty("twoStepTimes", top + ", " + second);
        q.addProperty("fdKitOneStep", consistencyFd(m, clf, cm, ft, n, opt.seed(), top));
        q.addProperty("fdKitTwoStep", consistencyFd(m, clf, cm, ft, n, opt.seed(), top, second));
        q.addProperty("fdKitUndistilledOneStep", consistencyFd(m, clf, start, ft, n, opt.seed(), top));
        q.addProperty("fdKitUndistilledTwoStep", consistencyFd(m, clf, start, ft, n, opt.seed(), top, second));
        q.addProperty("fdKitFloor", org.diffinv.metrics.FrechetDistance.of(
                Quality.features(clf, m, val, range(Math.min(n, val.size()))), ft));
        JsonObject teacherQuality = ModelFiles.readSidecar(dir, teacherName).getAsJsonObject("quality");
        if (teacherQuality != null && teacherQuality.has("fdKit")) {
            q.addProperty("teacherFdKit", teacherQuality.get("fdKit").getAsDouble());
            q.addProperty("teacherSamplingGrid", teacherQuality.get("samplingGrid").getAsString());
        }
    }

    private static double consistencyFd(NDManager m, FeatureClassifier clf, org.diffinv.priors.ConsistencyFunction f,
                                        double[][] testFeatures, int n, long seed, int... times) {
        NoiseSource noise = NoiseSource.seeded(seed);
        double[][] out = new double[n][];
        for (int from = 0; from < n; from += 100) {
            int c = Math.min(100, n - from);
            try (NDManager s = m.newSubManager()) {
                NDArray x = f.sample(s, c, new Shape(1, 32, 32), noise, times).clip(-1, 1);
                System.arraycopy(Quality.features(clf, x), 0, out, from, c);
            }
        }
        return org.diffinv.metrics.FrechetDistance.of(out, testFeatures);
    }

    /** Prompt-match share of {@code "a photo of a X"} samples under guidance scale {@code guidance}, stored as KEY*. */
    private static void promptMatch(NDManager m, LatentEpsPrior prior, KlAutoencoderModel ae, TimeGrid grid,
                                    Options opt, double guidance, String key, JsonObject q) {
        FeatureClassifier clf = Checkpoints.loadClassifier(m);
        int per = Math.max(1, opt.samples() / 10 / 4);
        int match = 0;
        JsonArray perClass = new JsonArray();
        NoiseSource noise = NoiseSource.seeded(opt.seed() + 1);
        for (int c = 0; c < 10; c++) {
            try (NDManager s = m.newSubManager()) {
                EpsPrior p = prior.withPrompt(Captions.classPrompt(c), guidance);
                NDArray x = Quality.sampleDecoded(p, ae, s, per, grid, noise);
                int k = 0;
                for (int pr : Quality.predict(clf, x)) {
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
