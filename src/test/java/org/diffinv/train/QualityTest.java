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
        NoiseSchedule schedule = NoiseSchedule.ddpmLinear();
        return EpsPrior.of(schedule, (xt, t) -> {
            double alphaBar = schedule.alphaBar(t);
            return xt.mul(Math.sqrt(1 - alphaBar) / (alphaBar * s * s + 1 - alphaBar));
        });
    }

    @Test
    void ddimSamplerWithTheExactGaussianEpsRecoversTheDataVariance() {
        try (NDManager m = NDManager.newBaseManager()) {
            double s = 0.4;
            NDArray x = Quality.sampleDdim(gaussian(s), m, 400, new Shape(1, 4, 4), 100, NoiseSource.seeded(3));
            assertEquals(new Shape(400, 1, 4, 4), x.getShape());
            double var = x.square().mean().getFloat();
            // 6400 draws: the sample variance has relative standard error sqrt(2/6400) = 1.8%; DDIM with the
            // exact eps of a Gaussian is exact up to the (small) discretisation error at 100 steps -> allow 8%
            assertEquals(s * s, var, 0.08 * s * s, "variance " + var);
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
