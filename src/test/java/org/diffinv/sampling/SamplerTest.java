package org.diffinv.sampling;

import org.diffinv.diffusion.*;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.EigenDecomposition;
import org.apache.commons.math3.linear.RealMatrix;
import org.diffinv.priors.GaussianMixturePrior;
import org.diffinv.priors.GaussianPrior;
import org.diffinv.priors.TestPriors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The sampler against exact answers: DDPM and DDIM runs from the exact Gaussian and Gaussian-mixture priors
 * reproduce the priors' moments (and the mixture's weights); plus seeding, the progress hook, interruption
 * and memory discipline.
 *
 * <p>Tolerances. Every comparison of a Monte-Carlo moment with its target allows 4.5 standard errors, the
 * standard error estimated from the samples themselves ({@code sd / sqrt(n)} for means,
 * {@code sd((x_i - m_i)(x_j - m_j)) / sqrt(n)} for covariance entries, {@code sqrt(pi (1 - pi) / n)} for
 * weights), so the per-entry false-alarm rate is 7e-6, about 1e-3 over the 152 entries of a 16-dimensional
 * check (and the seeded runs are deterministic). On top comes a discretisation allowance, because a
 * finite-step sampler from {@code x_T ~ N(0, I)} does not sample the prior exactly:
 * <ul>
 *   <li>Gaussian prior: the sampler is affine in {@code x_T} and the step noise, so the law of its output is
 *       exactly Gaussian; {@link #exactLaw} propagates its mean and covariance through the grid in double (an
 *       independent scalar implementation per eigendirection of Sigma). The test checks (a) the samples
 *       against that law within 4.5 SE, (b) that law against the prior within the allowance, and (c) the
 *       samples against the prior within 4.5 SE plus the allowance. The exact biases (max entry over mean and
 *       covariance) are 5.7e-3 for DDPM-1000, 2.2e-2 for DDIM-100 with eta = 0 and 4.8e-2 for DDIM-100 with
 *       eta = 1 (the coarse reverse kernel lacks the Var(x0 | x_t) term); the allowances are those rounded up
 *       by a factor of about 1.7: 0.01, 0.04, 0.08.</li>
 *   <li>Mixture: no closed form. Development runs with 40,000 samples per sampler measured deviations from
 *       the exact moments of at most 0.0056 (means), 0.0096 (covariances) and 0.0045 (weights), Monte-Carlo
 *       noise included; the allowances are 0.02 for means and covariances and 0.01 for weights.</li>
 * </ul>
 */
class SamplerTest {

    private static final Shape IMAGE = new Shape(1, 4, 4);
    private static final int D = 16;
    private static final int N = 4000;
    private static final double SE = 4.5;

    private final NoiseSchedule schedule = NoiseSchedule.ddpmLinear();
    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    /** The exact mean and covariance of a sampler's output for a Gaussian prior, from x_T ~ N(0, I). */
    private static double[][][] exactLaw(GaussianPrior prior, TimeGrid grid, boolean ddpm, double eta) {
        NoiseSchedule s = grid.schedule();
        EigenDecomposition eigen = new EigenDecomposition(new Array2DRowRealMatrix(prior.covariance()));
        RealMatrix v = eigen.getV();
        double[] lambda = eigen.getRealEigenvalues();
        double[] nu = v.transpose().operate(prior.mean());
        double[] m = new double[D];
        double[] p = new double[D];
        java.util.Arrays.fill(p, 1.0);
        for (TimeGrid.Step step : grid.steps()) {
            double a = s.alphaBar(step.t());
            double b = step.tPrev() < 0 ? 1.0 : s.alphaBar(step.tPrev());
            for (int k = 0; k < D; k++) {
                // eps = e1 u + e0,  x0 = (u - sqrt(1-a) eps)/sqrt(a) = g1 u + g0
                double e1 = Math.sqrt(1 - a) / (a * lambda[k] + 1 - a);
                double e0 = -e1 * Math.sqrt(a) * nu[k];
                double g1 = (1 - Math.sqrt(1 - a) * e1) / Math.sqrt(a);
                double g0 = -Math.sqrt(1 - a) * e0 / Math.sqrt(a);
                double h1;
                double h0;
                double noiseVariance;
                if (ddpm) {
                    // Ho et al. Eq. 7 on the pair (t, s): q(x_s | x_t, x0)
                    double betaTS = 1 - a / b;
                    double c0 = Math.sqrt(b) * betaTS / (1 - a);
                    double c1 = Math.sqrt(a / b) * (1 - b) / (1 - a);
                    h1 = c0 * g1 + c1;
                    h0 = c0 * g0;
                    noiseVariance = (1 - b) / (1 - a) * betaTS;
                } else {
                    // Song et al. Eqs. 12 and 16
                    double sigma2 = eta * eta * (1 - b) / (1 - a) * (1 - a / b);
                    double direction = Math.sqrt(Math.max(0, 1 - b - sigma2));
                    h1 = Math.sqrt(b) * g1 + direction * e1;
                    h0 = Math.sqrt(b) * g0 + direction * e0;
                    noiseVariance = sigma2;
                }
                m[k] = h1 * m[k] + h0;
                p[k] = h1 * h1 * p[k] + noiseVariance;
            }
        }
        double[] mean = v.operate(m);
        double[][] cov = new double[D][D];
        for (int i = 0; i < D; i++) {
            for (int j = 0; j < D; j++) {
                double c = 0;
                for (int k = 0; k < D; k++) {
                    c += v.getEntry(i, k) * p[k] * v.getEntry(j, k);
                }
                cov[i][j] = c;
            }
        }
        return new double[][][] {{mean}, cov};
    }

    /** Sample mean, covariance (1/n) and their data-driven standard errors. */
    private record Moments(double[] mean, double[] meanSe, double[][] cov, double[][] covSe) {
        static Moments of(double[] x, int n, int d) {
            double[] m = new double[d];
            for (int k = 0; k < n; k++) {
                for (int i = 0; i < d; i++) {
                    m[i] += x[k * d + i] / n;
                }
            }
            double[] mSe = new double[d];
            double[][] c = new double[d][d];
            double[][] cSe = new double[d][d];
            for (int i = 0; i < d; i++) {
                for (int j = 0; j <= i; j++) {
                    double sum = 0;
                    double sumSquares = 0;
                    for (int k = 0; k < n; k++) {
                        double prod = (x[k * d + i] - m[i]) * (x[k * d + j] - m[j]);
                        sum += prod;
                        sumSquares += prod * prod;
                    }
                    c[i][j] = c[j][i] = sum / n;
                    cSe[i][j] = cSe[j][i] = Math.sqrt(Math.max(0, sumSquares / n - c[i][j] * c[i][j]) / n);
                }
                mSe[i] = Math.sqrt(c[i][i] / n);
            }
            return new Moments(m, mSe, c, cSe);
        }

        void assertMatches(double[] mu, double[][] sigma, double meanAllowance, double covAllowance, String what) {
            for (int i = 0; i < mu.length; i++) {
                assertEquals(mu[i], mean[i], SE * meanSe[i] + meanAllowance, what + ": mean " + i);
                for (int j = 0; j < mu.length; j++) {
                    assertEquals(sigma[i][j], cov[i][j], SE * covSe[i][j] + covAllowance, what + ": covariance " + i + "," + j);
                }
            }
        }
    }

    private static double maxDifference(double[] a, double[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    private static double maxDifference(double[][] a, double[][] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, maxDifference(a[i], b[i]));
        }
        return m;
    }

    /** N samples in one batch. */
    private double[] sampleBatch(Sampler sampler, org.diffinv.priors.EpsPrior prior, long seed) {
        try (NDManager batch = manager.newSubManager()) {
            return sampler.sample(prior, batch, new Shape(N, 1, 4, 4), DataType.FLOAT64, NoiseSource.seeded(seed))
                    .toDoubleArray();
        }
    }

    private void checkGaussian(Sampler sampler, double allowance, long seed) {
        GaussianPrior prior = TestPriors.randomGaussian(schedule, IMAGE, NoiseSource.seeded(7));
        boolean ddpm = sampler.method() == Sampler.Method.DDPM;
        double[][][] law = exactLaw(prior, sampler.grid(), ddpm, sampler.eta());
        double[] lawMean = law[0][0];
        double[][] lawCov = law[1];
        double bias = Math.max(maxDifference(lawMean, prior.mean()), maxDifference(lawCov, prior.covariance()));
        System.out.printf("%s: exact discretisation bias mean %.2e, covariance %.2e (allowance %.1e)%n", sampler,
                maxDifference(lawMean, prior.mean()), maxDifference(lawCov, prior.covariance()), allowance);
        assertTrue(bias <= allowance, sampler + ": exact bias " + bias + " exceeds the allowance " + allowance);

        Moments moments = Moments.of(sampleBatch(sampler, prior, seed), N, D);
        moments.assertMatches(lawMean, lawCov, 0, 0, sampler + " vs its exact output law");
        moments.assertMatches(prior.mean(), prior.covariance(), allowance, allowance, sampler + " vs the prior");
    }

    // discretisation allowances (class Javadoc): exact Gaussian biases x ~1.7, and the mixture's measured ones x ~2
    private static final double ALLOW_DDPM_1000 = 0.01;
    private static final double ALLOW_DDIM_100_ETA0 = 0.04;
    private static final double ALLOW_DDIM_100_ETA1 = 0.08;
    private static final double ALLOW_MIXTURE_MOMENTS = 0.02;
    private static final double ALLOW_MIXTURE_WEIGHTS = 0.01;

    @Test
    void ddpmSamplesTheGaussianPrior() {
        checkGaussian(Sampler.ddpm(TimeGrid.ddpm(schedule)), ALLOW_DDPM_1000, 101);
    }

    @Test
    void deterministicDdimSamplesTheGaussianPrior() {
        checkGaussian(Sampler.ddim(TimeGrid.ddimUniform(schedule, 100), 0.0), ALLOW_DDIM_100_ETA0, 102);
    }

    @Test
    void stochasticDdimSamplesTheGaussianPrior() {
        checkGaussian(Sampler.ddim(TimeGrid.ddimUniform(schedule, 100), 1.0), ALLOW_DDIM_100_ETA1, 103);
    }

    private GaussianMixturePrior mixture() {
        // three well separated components: |mu_k - mu_l| >= 2 (checked) against per-direction sd <= sqrt(0.05),
        // so nearest-mean assignment errs with probability below Phi(-1 / 0.224) ~ 4e-6 per sample, i.e. an
        // expected 0.02 misassigned samples of 4000: negligible against the weights' standard error
        NoiseSource noise = NoiseSource.seeded(8);
        GaussianMixturePrior.Builder b = GaussianMixturePrior.builder().setSchedule(schedule).setImageShape(IMAGE);
        double[] weights = {0.5, 0.3, 0.2};
        for (int k = 0; k < 3; k++) {
            b.addComponent(weights[k], TestPriors.randomVector(D, -1, 1, noise),
                    TestPriors.randomCovariance(D, 0.005, 0.05, noise));
        }
        GaussianMixturePrior mixture = b.build();
        for (int k = 0; k < 3; k++) {
            for (int l = 0; l < k; l++) {
                double[] a = mixture.components().get(k).mean();
                double[] c = mixture.components().get(l).mean();
                double d2 = 0;
                for (int i = 0; i < D; i++) {
                    d2 += (a[i] - c[i]) * (a[i] - c[i]);
                }
                assertTrue(Math.sqrt(d2) >= 2, "components " + k + ", " + l + " are too close: " + Math.sqrt(d2));
            }
        }
        return mixture;
    }

    private void checkMixture(Sampler sampler, long seed) {
        GaussianMixturePrior mixture = mixture();
        double[] data = sampleBatch(sampler, mixture, seed);
        Moments.of(data, N, D).assertMatches(mixture.mean(), mixture.covariance(), ALLOW_MIXTURE_MOMENTS,
                ALLOW_MIXTURE_MOMENTS, sampler + " vs the mixture");
        int[] counts = new int[3];
        for (int n = 0; n < N; n++) {
            int best = 0;
            double bestDistance = Double.POSITIVE_INFINITY;
            for (int k = 0; k < 3; k++) {
                double[] mu = mixture.components().get(k).mean();
                double d2 = 0;
                for (int i = 0; i < D; i++) {
                    d2 += (data[n * D + i] - mu[i]) * (data[n * D + i] - mu[i]);
                }
                if (d2 < bestDistance) {
                    bestDistance = d2;
                    best = k;
                }
            }
            counts[best]++;
        }
        double[] weights = mixture.weights();
        for (int k = 0; k < 3; k++) {
            double se = Math.sqrt(weights[k] * (1 - weights[k]) / N);
            System.out.printf("%s: weight %d sampled %.4f, exact %.2f (se %.4f)%n", sampler, k, counts[k] / (double) N,
                    weights[k], se);
            assertEquals(weights[k], counts[k] / (double) N, SE * se + ALLOW_MIXTURE_WEIGHTS,
                    sampler + ": weight of component " + k);
        }
    }

    @Test
    void ddpmSamplesTheMixture() {
        checkMixture(Sampler.ddpm(TimeGrid.ddpm(schedule)), 201);
    }

    @Test
    void deterministicDdimSamplesTheMixture() {
        checkMixture(Sampler.ddim(TimeGrid.ddimUniform(schedule, 100), 0.0), 202);
    }

    @Test
    void stochasticDdimSamplesTheMixture() {
        checkMixture(Sampler.ddim(TimeGrid.ddimUniform(schedule, 100), 1.0), 203);
    }

    @Test
    void sameSeedIsBitIdenticalAndDifferentSeedsDiffer() {
        GaussianPrior prior = TestPriors.randomGaussian(schedule, IMAGE, NoiseSource.seeded(9));
        Sampler sampler = Sampler.ddim(TimeGrid.ddimUniform(schedule, 20), 0.5);
        Shape shape = new Shape(8, 1, 4, 4);
        double[] a = sampler.sample(prior, manager, shape, DataType.FLOAT64, NoiseSource.seeded(42)).toDoubleArray();
        double[] b = sampler.sample(prior, manager, shape, DataType.FLOAT64, NoiseSource.seeded(42)).toDoubleArray();
        double[] c = sampler.sample(prior, manager, shape, DataType.FLOAT64, NoiseSource.seeded(43)).toDoubleArray();
        assertArrayEquals(a, b, 0.0);
        assertTrue(maxDifference(a, c) > 0.1, "different seeds must give different samples");
        float[] f1 = sampler.sample(prior, manager, shape, DataType.FLOAT32, NoiseSource.seeded(42)).toFloatArray();
        float[] f2 = sampler.sample(prior, manager, shape, DataType.FLOAT32, NoiseSource.seeded(42)).toFloatArray();
        assertArrayEquals(f1, f2, 0.0f);
    }

    @Test
    void listenerSeesEveryStepInOrderAndMemoryIsReleased() {
        GaussianPrior prior = TestPriors.randomGaussian(schedule, IMAGE, NoiseSource.seeded(10));
        TimeGrid grid = TimeGrid.ldm(schedule, 25);
        Sampler sampler = Sampler.ddim(grid, 0.0);
        List<Integer> times = new ArrayList<>();
        try (NDManager run = manager.newSubManager()) {
            NDArray out = sampler.sample(prior, run, new Shape(4, 1, 4, 4), DataType.FLOAT32, NoiseSource.seeded(1),
                    (index, total, step, result) -> {
                        assertEquals(times.size(), index);
                        assertEquals(grid.size(), total);
                        assertEquals(grid.step(index), step);
                        assertEquals(new Shape(4, 1, 4, 4), result.x0Hat().getShape());
                        times.add(step.t());
                    });
            assertEquals(DataType.FLOAT32, out.getDataType());
            assertEquals(1, run.getManagedArrays().size(), "only the output may survive the sampling loop");
        }
        assertEquals(grid.size(), times.size());
        assertEquals(961, times.get(0), "LDM grid, 25 steps: c = 40, tau = 0, 40, ..., 960 plus 1");
        assertEquals(1, times.get(times.size() - 1));
    }

    @Test
    void runFromAGivenStartDoesNotConsumeTheStart() {
        GaussianPrior prior = TestPriors.randomGaussian(schedule, IMAGE, NoiseSource.seeded(11));
        NDArray start = NoiseSource.seeded(2).normal(manager, new Shape(2, 1, 4, 4), DataType.FLOAT64);
        double[] before = start.toDoubleArray();
        Sampler sampler = Sampler.ddim(TimeGrid.dcdpInner(schedule, 200, 20), 0.0);
        NDArray a = sampler.run(prior, start, null, SamplerListener.none());
        NDArray b = sampler.run(prior, start, null, SamplerListener.none());
        assertArrayEquals(before, start.toDoubleArray(), 0.0);
        assertArrayEquals(a.toDoubleArray(), b.toDoubleArray(), 0.0);
    }

    @Test
    void interruptionStopsTheLoopWithAClearException() {
        GaussianPrior prior = TestPriors.randomGaussian(schedule, IMAGE, NoiseSource.seeded(12));
        Sampler sampler = Sampler.ddpm(TimeGrid.ddpm(schedule));
        try (NDManager run = manager.newSubManager()) {
            SamplingInterruptedException e = assertThrows(SamplingInterruptedException.class,
                    () -> sampler.sample(prior, run, new Shape(2, 1, 4, 4), DataType.FLOAT64, NoiseSource.seeded(3),
                            (index, total, step, result) -> {
                                if (index == 4) {
                                    Thread.currentThread().interrupt();
                                }
                            }));
            assertTrue(Thread.interrupted(), "the interrupt flag must stay set (and is cleared here)");
            assertEquals(5, e.completedSteps());
            assertEquals(1000, e.totalSteps());
            assertTrue(e.getMessage().contains("interrupted after 5 of 1000"), e.getMessage());
            assertEquals(0, run.getManagedArrays().size(), "an interrupted run must release its arrays");
        }
        assertFalse(Thread.currentThread().isInterrupted());
    }

    @Test
    void mismatchedSchedulesAndMissingNoiseAreRejected() {
        GaussianPrior prior = TestPriors.randomGaussian(NoiseSchedule.cosine(1000), IMAGE, NoiseSource.seeded(13));
        Sampler sampler = Sampler.ddim(TimeGrid.ddimUniform(schedule, 10), 0.0);
        assertThrows(IllegalArgumentException.class,
                () -> sampler.sample(prior, manager, new Shape(1, 1, 4, 4), DataType.FLOAT64, NoiseSource.seeded(1)));
        GaussianPrior ok = TestPriors.randomGaussian(schedule, IMAGE, NoiseSource.seeded(14));
        assertThrows(IllegalArgumentException.class,
                () -> sampler.sample(ok, manager, new Shape(1, 1, 4, 4), DataType.FLOAT64, null));
        NDArray start = manager.zeros(new Shape(1, 1, 4, 4), DataType.FLOAT64);
        assertThrows(IllegalArgumentException.class,
                () -> Sampler.ddpm(TimeGrid.ddpm(schedule)).run(ok, start, null, SamplerListener.none()),
                "DDPM steps are stochastic and need a NoiseSource");
        assertThrows(IllegalArgumentException.class, () -> Sampler.ddim(TimeGrid.ddpm(schedule), -1));
    }
}
