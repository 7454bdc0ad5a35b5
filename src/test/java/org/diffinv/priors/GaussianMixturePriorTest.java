package org.diffinv.priors;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.ArrayRealVector;
import org.apache.commons.math3.linear.LUDecomposition;
import org.apache.commons.math3.linear.MatrixUtils;
import org.apache.commons.math3.linear.RealMatrix;
import org.apache.commons.math3.linear.RealVector;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.diffusion.NoiseSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The exact Gaussian-mixture prior against independent double-precision formulas: the score by explicit
 * densities (LU inverses and determinants), Tweedie = the mixture posterior mean, the posterior weights by
 * brute force, moments, samples and numerical stability far from every component.
 */
class GaussianMixturePriorTest {

    private static final Shape IMAGE = new Shape(1, 2, 4);
    private static final int D = 8;

    private final NoiseSchedule schedule = NoiseSchedule.ddpmLinear();
    private final GaussianMixturePrior mixture = mixture();
    private NDManager manager;

    private GaussianMixturePrior mixture() {
        NoiseSource noise = NoiseSource.seeded(5);
        GaussianMixturePrior.Builder b = GaussianMixturePrior.builder().setSchedule(schedule).setImageShape(IMAGE);
        double[] weights = {0.5, 0.3, 0.2};
        for (int k = 0; k < 3; k++) {
            b.addComponent(weights[k], TestPriors.randomVector(D, -1, 1, noise), TestPriors.randomCovariance(D, 0.02, 0.3, noise));
        }
        return b.build();
    }

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    private NDArray batch(long seed, int n, double scale) {
        return NoiseSource.seeded(seed).normal(manager, new Shape(n, 1, 2, 4), DataType.FLOAT64).mul(scale);
    }

    private static double[] row(NDArray batch, int n) {
        double[] all = batch.toDoubleArray();
        double[] out = new double[D];
        System.arraycopy(all, n * D, out, 0, D);
        return out;
    }

    /** -sqrt(1-abar) grad log p_t(x) from explicit component densities, responsibilities by log-sum-exp. */
    private double[] directEps(double[] x, int t) {
        double abar = schedule.alphaBar(t);
        int k = mixture.size();
        double[] logw = new double[k];
        RealVector[] scores = new RealVector[k];
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < k; c++) {
            GaussianPrior comp = mixture.components().get(c);
            RealMatrix cov = new Array2DRowRealMatrix(comp.covariance()).scalarMultiply(abar)
                    .add(MatrixUtils.createRealIdentityMatrix(D).scalarMultiply(1 - abar));
            LUDecomposition lu = new LUDecomposition(cov);
            RealVector diff = new ArrayRealVector(x).subtract(new ArrayRealVector(comp.mean()).mapMultiply(Math.sqrt(abar)));
            RealVector solved = lu.getSolver().solve(diff);
            logw[c] = Math.log(mixture.weights()[c]) - 0.5 * Math.log(lu.getDeterminant()) - 0.5 * diff.dotProduct(solved);
            scores[c] = solved.mapMultiply(-1);
            max = Math.max(max, logw[c]);
        }
        double total = 0;
        for (int c = 0; c < k; c++) {
            total += Math.exp(logw[c] - max);
        }
        RealVector score = new ArrayRealVector(D);
        for (int c = 0; c < k; c++) {
            score = score.add(scores[c].mapMultiply(Math.exp(logw[c] - max) / total));
        }
        return score.mapMultiply(-Math.sqrt(1 - abar)).toArray();
    }

    @Test
    void epsIsTheExactMixtureScore() {
        NDArray xt = batch(1, 6, 1.0);
        for (int t : new int[] {0, 20, 300, 800, 999}) {
            NDArray eps = mixture.eps(xt, t);
            for (int n = 0; n < 6; n++) {
                // Cov_{k,t} has condition number <= 1/0.02 = 50: two double routes agree to ~1e-13
                assertArrayEquals(directEps(row(xt, n), t), row(eps, n), 1e-11, "t = " + t + ", n = " + n);
            }
            double[] r = mixture.responsibilities(xt, t).toDoubleArray();
            for (int n = 0; n < 6; n++) {
                assertEquals(1.0, r[3 * n] + r[3 * n + 1] + r[3 * n + 2], 1e-14);
            }
        }
    }

    @Test
    void epsIsTheAutogradScoreOfTheLogDensity() {
        // independently of the closed form: eps = -sqrt(1-abar) d/dx log p_t(x), with log p_t written as a DJL
        // log-sum-exp of component log-densities and differentiated by the engine
        int t = 150;
        double abar = schedule.alphaBar(t);
        NDArray xt = batch(2, 4, 1.0);
        xt.setRequiresGradient(true);
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray logp = null;
            for (int c = 0; c < mixture.size(); c++) {
                GaussianPrior comp = mixture.components().get(c);
                RealMatrix cov = new Array2DRowRealMatrix(comp.covariance()).scalarMultiply(abar)
                        .add(MatrixUtils.createRealIdentityMatrix(D).scalarMultiply(1 - abar));
                LUDecomposition lu = new LUDecomposition(cov);
                NDArray inverse = manager.create(flatten(lu.getSolver().getInverse()), new Shape(D, D));
                double[] m = comp.mean();
                for (int i = 0; i < D; i++) {
                    m[i] *= Math.sqrt(abar);
                }
                NDArray diff = xt.reshape(4, D).sub(manager.create(m));
                NDArray logComponent = diff.matMul(inverse).mul(diff).sum(new int[] {1}).mul(-0.5)
                        .add(Math.log(mixture.weights()[c]) - 0.5 * Math.log(lu.getDeterminant()));
                logp = logp == null ? logComponent.exp() : logp.add(logComponent.exp());
            }
            gc.backward(logp.log().sum());
        }
        NDArray expected = xt.getGradient().mul(-Math.sqrt(1 - abar));
        assertArrayEquals(expected.toDoubleArray(), mixture.eps(xt, t).toDoubleArray(), 1e-11);
    }

    private static double[] flatten(RealMatrix m) {
        double[] out = new double[m.getRowDimension() * m.getColumnDimension()];
        for (int i = 0; i < m.getRowDimension(); i++) {
            for (int j = 0; j < m.getColumnDimension(); j++) {
                out[i * m.getColumnDimension() + j] = m.getEntry(i, j);
            }
        }
        return out;
    }

    @Test
    void tweedieIsTheMixturePosteriorMean() {
        // E[x0 | x_t] = mean of the posterior mixture under x_t = sqrt(abar) x0 + sqrt(1-abar) n
        for (int t : new int[] {5, 250, 700}) {
            double abar = schedule.alphaBar(t);
            TestMatrixOperator a = TestMatrixOperator.scaledIdentity(Math.sqrt(abar), IMAGE);
            NDArray xt = batch(10 + t, 3, 1.0);
            NDArray x0Hat = mixture.x0Hat(xt, t);
            for (int n = 0; n < 3; n++) {
                GaussianMixturePrior posterior = mixture.posterior(a, xt.get(n + ":" + (n + 1)).reshape(1, D),
                        Math.sqrt(1 - abar));
                assertArrayEquals(posterior.mean(), row(x0Hat, n), 1e-10, "t = " + t);
            }
        }
    }

    @Test
    void posteriorWeightsAreTheEvidenceWeights() {
        TestMatrixOperator a = TestMatrixOperator.random(3, IMAGE, NoiseSource.seeded(20));
        RealMatrix am = new Array2DRowRealMatrix(a.matrix());
        double sigmaY = 0.2;
        NDArray y = NoiseSource.seeded(21).normal(manager, new Shape(1, 3), DataType.FLOAT64);
        GaussianMixturePrior posterior = mixture.posterior(a, y, sigmaY);
        double[] brute = new double[3];
        double total = 0;
        for (int c = 0; c < 3; c++) {
            GaussianPrior comp = mixture.components().get(c);
            RealMatrix s = am.multiply(new Array2DRowRealMatrix(comp.covariance())).multiply(am.transpose())
                    .add(MatrixUtils.createRealIdentityMatrix(3).scalarMultiply(sigmaY * sigmaY));
            RealVector r = new ArrayRealVector(y.toDoubleArray()).subtract(am.operate(new ArrayRealVector(comp.mean())));
            LUDecomposition lu = new LUDecomposition(s);
            brute[c] = mixture.weights()[c] * Math.exp(-0.5 * r.dotProduct(lu.getSolver().solve(r)))
                    / Math.sqrt(Math.pow(2 * Math.PI, 3) * lu.getDeterminant());
            total += brute[c];
        }
        for (int c = 0; c < 3; c++) {
            brute[c] /= total;
        }
        assertArrayEquals(brute, posterior.weights(), 1e-12);
        for (int c = 0; c < 3; c++) {
            assertEquals(mixture.components().get(c).posterior(a, y, sigmaY), posterior.components().get(c));
        }
    }

    @Test
    void aOneComponentMixtureIsTheGaussianPrior() {
        GaussianPrior g = mixture.components().get(1);
        GaussianMixturePrior single = GaussianMixturePrior.of(new double[] {1}, List.of(g));
        NDArray xt = batch(30, 5, 1.0);
        for (int t : new int[] {0, 500, 999}) {
            assertArrayEquals(g.eps(xt, t).toDoubleArray(), single.eps(xt, t).toDoubleArray(), 1e-13);
        }
        assertArrayEquals(g.mean(), single.mean(), 0);
        assertArrayEquals(g.covariance()[2], single.covariance()[2], 1e-15);
    }

    @Test
    void epsIsFiniteAndGradientsAreFiniteFarFromEveryComponent() {
        // squared distances ~1e8: naive exp underflows, the log-sum-exp softmax must not produce NaN
        NDArray far = batch(40, 3, 1e4);
        far.setRequiresGradient(true);
        NDArray eps;
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            eps = mixture.eps(far, 0);
            gc.backward(eps.sum());
        }
        for (double v : eps.toDoubleArray()) {
            assertTrue(Double.isFinite(v), "eps far away must be finite, got " + v);
        }
        for (double v : far.getGradient().toDoubleArray()) {
            assertFalse(Double.isNaN(v), "gradient far away must not be NaN");
        }
        double[] direct = directEps(row(far, 0), 0);
        assertArrayEquals(direct, row(eps, 0), 1e-9 * 1e4 * 50);
    }

    @Test
    void momentsAndSamplesAgree() {
        // d = 8, n = 4000 samples; standard errors from the samples themselves (the mixture is not Gaussian):
        // SE(mean_i) = sd_i / sqrt(n), SE(C_ij) = sd((x_i - m_i)(x_j - m_j)) / sqrt(n); bound 4.5 SE per entry
        int n = 4000;
        double[] x = mixture.sample(manager, n, DataType.FLOAT64, NoiseSource.seeded(50)).toDoubleArray();
        double[] mu = mixture.mean();
        double[][] cov = mixture.covariance();
        double[] m = new double[D];
        for (int k = 0; k < n; k++) {
            for (int i = 0; i < D; i++) {
                m[i] += x[k * D + i] / n;
            }
        }
        for (int i = 0; i < D; i++) {
            for (int j = 0; j <= i; j++) {
                double sum = 0;
                double sumSquares = 0;
                for (int k = 0; k < n; k++) {
                    double p = (x[k * D + i] - m[i]) * (x[k * D + j] - m[j]);
                    sum += p;
                    sumSquares += p * p;
                }
                double c = sum / n;
                double se = Math.sqrt((sumSquares / n - c * c) / n);
                assertEquals(cov[i][j], c, 4.5 * se, "covariance " + i + "," + j);
                if (i == j) {
                    assertEquals(mu[i], m[i], 4.5 * Math.sqrt(c / n), "mean " + i);
                }
            }
        }
    }

    @Test
    void badMixturesAreRejected() {
        GaussianPrior g = mixture.components().get(0);
        assertThrows(IllegalArgumentException.class, () -> GaussianMixturePrior.of(new double[] {0.5, 0.6}, List.of(g, g)));
        assertThrows(IllegalArgumentException.class, () -> GaussianMixturePrior.of(new double[] {-0.5, 1.5}, List.of(g, g)));
        assertThrows(IllegalArgumentException.class, () -> GaussianMixturePrior.of(new double[] {1}, List.of(g, g)));
        GaussianPrior other = GaussianPrior.isotropic(NoiseSchedule.cosine(1000), IMAGE, new double[D], 1);
        assertThrows(IllegalArgumentException.class, () -> GaussianMixturePrior.of(new double[] {0.5, 0.5}, List.of(g, other)));
        assertThrows(IllegalArgumentException.class, () -> GaussianMixturePrior.builder().setImageShape(IMAGE).build());
        assertThrows(IllegalArgumentException.class,
                () -> GaussianMixturePrior.builder().setSchedule(schedule).setImageShape(IMAGE).build());
    }
}
