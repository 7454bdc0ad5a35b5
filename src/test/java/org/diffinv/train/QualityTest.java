package org.diffinv.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import org.diffinv.data.Captions;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.diffusion.NoiseSource;
import org.diffinv.diffusion.TimeGrid;
import org.diffinv.priors.Autoencoder;
import org.diffinv.priors.EpsPrior;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Closed-form checks of the Frechet distance, the evaluation sampler, Adam and the captions. */
class QualityTest {

    private static double[][] randomSet(int n, int d, long seed) {
        NoiseSource rng = NoiseSource.seeded(seed);
        double[][] a = new double[n][d];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                a[i][j] = rng.nextGaussian() * (1 + j) + 0.3 * (j > 0 ? a[i][j - 1] : 0);
            }
        }
        return a;
    }

    @Test
    void frechetDistanceMatchesClosedForms() {
        double[][] a = randomSet(300, 4, 1);
        assertEquals(0.0, org.diffinv.metrics.FrechetDistance.of(a, a), 1e-8, "identical sets");
        // translation: equal covariances, FD = |shift|^2
        double[] shift = {1, -2, 0.5, 3};
        double[][] b = new double[a.length][4];
        double[][] c = new double[a.length][4];
        double[] mu = new double[4];
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < 4; j++) {
                b[i][j] = a[i][j] + shift[j];
                c[i][j] = 2 * a[i][j];
                mu[j] += a[i][j] / a.length;
            }
        }
        assertEquals(1 + 4 + 0.25 + 9, org.diffinv.metrics.FrechetDistance.of(a, b), 1e-8);
        // scaling by 2: S_c = 4 S, Tr(S + 4S - 2 (4 S^2)^{1/2}) = Tr(S); mean term |mu|^2
        double trS = 0;
        for (int j = 0; j < 4; j++) {
            double v = 0;
            for (double[] row : a) {
                v += (row[j] - mu[j]) * (row[j] - mu[j]);
            }
            trS += v / (a.length - 1);
        }
        double mu2 = 0;
        for (double v : mu) {
            mu2 += v * v;
        }
        assertEquals(mu2 + trS, org.diffinv.metrics.FrechetDistance.of(a, c), 1e-8 * (mu2 + trS));
        assertThrows(IllegalArgumentException.class, () -> org.diffinv.metrics.FrechetDistance.of(a, new double[][] {{1}}));
    }

    /** The exact eps of Gaussian data x_0 ~ N(0, s^2 I): eps = sqrt(1 - abar) x_t / (abar s^2 + 1 - abar). */
    private static EpsPrior gaussian(double s) {
        return gaussian(s, NoiseSchedule.ddpmLinear());
    }

    private static EpsPrior gaussian(double s, NoiseSchedule schedule) {
        return EpsPrior.of(schedule, (xt, t) -> {
            double alphaBar = schedule.alphaBar(t);
            return xt.mul(Math.sqrt(1 - alphaBar) / (alphaBar * s * s + 1 - alphaBar));
        });
    }

    @Test
    void ddimSamplerWithTheExactGaussianEpsRecoversTheDataVariance() {
        try (NDManager m = NDManager.newBaseManager()) {
            double s = 0.4;
            EpsPrior prior = gaussian(s);
            NDArray x = Quality.sampleDdim(prior, m, 400, new Shape(1, 4, 4),
                    TimeGrid.ddimUniform(prior.schedule(), 100), NoiseSource.seeded(3));
            assertEquals(new Shape(400, 1, 4, 4), x.getShape());
            double var = x.square().mean().getFloat();
            // 6400 draws: the sample variance has relative standard error sqrt(2/6400) = 1.8%; DDIM with the
            // exact eps of a Gaussian is exact up to the (small) discretisation error at 100 steps -> allow 8%
            assertEquals(s * s, var, 0.08 * s * s, "variance " + var);
        }
    }

    /**
     * An autoencoder stand-in that records the latents it is asked to decode and "decodes" them to images
     * {@code 3 z} (upsampled), far outside [-1, 1], so the test also sees that images are clipped.
     */
    private static final class RecordingAutoencoder implements Autoencoder {
        final List<float[]> decoded = new ArrayList<>();

        @Override
        public Shape imageShape() {
            return new Shape(1, 32, 32);
        }

        @Override
        public Shape latentShape() {
            return new Shape(4, 8, 8);
        }

        @Override
        public double scaleFactor() {
            return 1;
        }

        @Override
        public NDArray encode(NDArray x) {
            throw new UnsupportedOperationException();
        }

        @Override
        public NDArray encodeSample(NDArray x, NoiseSource noise) {
            throw new UnsupportedOperationException();
        }

        @Override
        public NDArray decode(NDArray z) {
            decoded.add(z.toFloatArray());
            long n = z.getShape().get(0);
            return z.get(":, 0:1, :, :").repeat(2, 4).repeat(3, 4).mul(3f).reshape(n, 1, 32, 32);
        }
    }

    /**
     * The evaluation's latent path on unit-variance latents (exact eps of N(0, I) latents on the latent prior's
     * schedule and its 20-step grid): the latents that reach the decoder must keep their variance and their tails,
     * and only the decoded images are clipped. With the exact eps of N(0, I) every deterministic DDIM step from
     * {@code t} to {@code s} multiplies {@code x} by {@code c = sqrt(abar_s abar_t) + sqrt((1 - abar_s)(1 - abar_t))}
     * (the cosine of the step's angle), so the sample is exactly {@code N(0, (prod c)^2 I)}: about 0.83 for 20 LDM
     * steps (the discretisation's shrinkage). A clip to [-1, 1] anywhere before decoding leaves no entry beyond 1
     * (instead of about 27%) and cuts the variance to about 0.55.
     */
    @Test
    void latentSamplesAreNeverClippedOnlyTheDecodedImages() {
        try (NDManager m = NDManager.newBaseManager()) {
            NoiseSchedule schedule = NoiseSchedule.ldmScaledLinear();
            EpsPrior prior = gaussian(1.0, schedule);
            TimeGrid grid = Evaluation.samplingGrid("latent-eps-unet", schedule, 20);
            assertEquals(TimeGrid.ldm(schedule, 20), grid, "the latent prior samples on latent diffusion's grid");
            double gain = 1;
            for (TimeGrid.Step st : grid.steps()) {
                double a = schedule.alphaBar(st.t());
                double b = st.tPrev() < 0 ? 1 : schedule.alphaBar(st.tPrev());
                gain *= Math.sqrt(a * b) + Math.sqrt((1 - a) * (1 - b));
            }
            double expectedVar = gain * gain;
            RecordingAutoencoder ae = new RecordingAutoencoder();
            NDArray x = Quality.sampleDecoded(prior, ae, m, 100, grid, NoiseSource.seeded(5));
            assertEquals(new Shape(100, 1, 32, 32), x.getShape());
            assertEquals(1, ae.decoded.size());
            float[] z = ae.decoded.get(0);
            assertEquals(100 * 4 * 8 * 8, z.length);
            double sumSq = 0;
            int beyondOne = 0;
            double maxAbs = 0;
            for (float v : z) {
                sumSq += (double) v * v;
                beyondOne += Math.abs(v) > 1 ? 1 : 0;
                maxAbs = Math.max(maxAbs, Math.abs(v));
            }
            double var = sumSq / z.length;
            double expectedBeyond = 2 * (1 - new org.apache.commons.math3.distribution.NormalDistribution(0,
                    Math.sqrt(expectedVar)).cumulativeProbability(1));
            assertTrue(expectedVar > 0.75 && expectedBeyond > 0.2, "premise: unit-scale latents, var " + expectedVar);
            // 25,600 draws: the sample variance has relative sd sqrt(2 / 25600) = 0.9%, the share beyond 1 sd 0.3%
            assertEquals(expectedVar, var, 0.05 * expectedVar, "latent variance " + var);
            assertEquals(expectedBeyond, (double) beyondOne / z.length, 0.02, "share of latent entries beyond +-1");
            assertTrue(maxAbs > 3, "largest |latent| " + maxAbs);
            // the decoded images (3 z, far outside the range) are clipped
            assertEquals(1f, x.abs().max().getFloat(), 0f, "decoded images are clipped to [-1, 1]");
        }
    }

    @Test
    void pixelSamplesAreClippedToTheImageRange() {
        try (NDManager m = NDManager.newBaseManager()) {
            EpsPrior prior = gaussian(1.0);
            TimeGrid grid = Evaluation.samplingGrid("pixel-eps-unet", prior.schedule(), 20);
            assertEquals(TimeGrid.ddimUniform(prior.schedule(), 20), grid, "the pixel prior's grid");
            NDArray raw = Quality.sampleDdim(prior, m, 50, new Shape(1, 4, 4), grid, NoiseSource.seeded(6));
            NDArray img = Quality.sampleImages(prior, m, 50, new Shape(1, 4, 4), grid, NoiseSource.seeded(6));
            assertTrue(raw.abs().max().getFloat() > 2, "the sampler's raw output is not clipped");
            assertEquals(0f, img.sub(raw.clip(-1, 1)).abs().max().getFloat(), 0f, "images are the clipped output");
        }
    }

    @Test
    void firstAdamStepIsLearningRateTimesGradientSign() {
        try (NDManager m = NDManager.newBaseManager()) {
            Parameter p = Parameter.builder().setName("w").setType(Parameter.Type.WEIGHT)
                    .optShape(new Shape(3)).build();
            p.setInitializer(ai.djl.training.initializer.Initializer.ZEROS);
            p.initialize(m, ai.djl.ndarray.types.DataType.FLOAT32);
            p.getArray().set(new float[] {1, 2, 3});
            Adam adam = new Adam(m, List.of(p), 0.1, 1, 0);
            NDArray w = p.getArray();
            try (var gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(w.mul(m.create(new float[] {2, -5, 0.5f})).sum());
            }
            adam.update();
            // k = 1: mHat = g, vHat = g^2, step = lr g / (|g| + 1e-8) = lr sign(g)
            float[] after = p.getArray().toFloatArray();
            assertEquals(0.9f, after[0], 1e-6f);
            assertEquals(2.1f, after[1], 1e-6f);
            assertEquals(2.9f, after[2], 1e-6f);
            assertEquals(0f, p.getArray().getGradient().abs().sum().getFloat(), 0f, "gradient zeroed");
        }
    }

    @Test
    void captionsAreSeededAndDropoutGivesTheNullPrompt() {
        assertEquals("a photo of an ankle boot", Captions.classPrompt(9));
        assertEquals("a photo of a sneaker", Captions.classPrompt(7));
        NoiseSource a = NoiseSource.seeded(1);
        NoiseSource b = NoiseSource.seeded(1);
        Set<String> seen = new HashSet<>();
        int nulls = 0;
        List<String> first = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            String c = Captions.sample(8, a, 0.1);
            assertEquals(c, Captions.sample(8, b, 0.1));
            seen.add(c);
            if (c.isEmpty()) {
                nulls++;
            }
            first.add(c);
        }
        assertTrue(seen.contains("a high quality photo of a bag") && seen.contains(Captions.QUALITY_PROMPT)
                && seen.contains(""), seen.toString());
        // Binomial(2000, 0.1): mean 200, sd 13.4 -> 5 sd bounds
        assertTrue(nulls > 133 && nulls < 267, "null prompts " + nulls);
        assertThrows(IllegalArgumentException.class, () -> Captions.sample(10, a, 0.1));
    }
}
