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
import org.diffinv.diffusion.Tweedie;
import org.diffinv.linalg.CgOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The exact Gaussian prior against independent closed forms in FLOAT64: the eps formula (by LU, not by the
 * prior's eigendecomposition), Tweedie = E[x0 | x_t] as a linear-Gaussian posterior, the autograd guidance
 * gradient, the exact conditional score by Bayes' rule, the noiseless projection limit, and exact samples.
 */
class GaussianPriorTest {

    private static final Shape IMAGE = new Shape(1, 4, 4);
    private static final int D = 16;

    private final NoiseSchedule schedule = NoiseSchedule.ddpmLinear();
    private final GaussianPrior prior = TestPriors.randomGaussian(schedule, IMAGE, NoiseSource.seeded(11));
    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    private NDArray batch(long seed, int n) {
        return NoiseSource.seeded(seed).normal(manager, new Shape(n, 1, 4, 4), DataType.FLOAT64);
    }

    private static RealMatrix matrix(double[][] m) {
        return new Array2DRowRealMatrix(m, false);
    }

    private static double[] row(NDArray batch, int n) {
        double[] all = batch.toDoubleArray();
        double[] out = new double[D];
        System.arraycopy(all, n * D, out, 0, D);
        return out;
    }

    @Test
    void epsIsTheExactScaledScore() {
        NDArray xt = batch(1, 5);
        RealMatrix sigma = matrix(prior.covariance());
        RealVector mu = new ArrayRealVector(prior.mean());
        for (int t : new int[] {0, 1, 100, 500, 999}) {
            double abar = schedule.alphaBar(t);
            RealMatrix covT = sigma.scalarMultiply(abar).add(MatrixUtils.createRealIdentityMatrix(D).scalarMultiply(1 - abar));
            RealMatrix covInverse = new LUDecomposition(covT).getSolver().getInverse();
            NDArray eps = prior.eps(xt, t);
            assertEquals(xt.getShape(), eps.getShape());
            for (int n = 0; n < 5; n++) {
                RealVector x = new ArrayRealVector(row(xt, n));
                double[] expected = covInverse.operate(x.subtract(mu.mapMultiply(Math.sqrt(abar))))
                        .mapMultiply(Math.sqrt(1 - abar)).toArray();
                // Cov_t has condition number <= 20, so two double routes agree to ~1e-14
                assertArrayEquals(expected, row(eps, n), 1e-12, "t = " + t);
            }
            assertArrayEquals(covT.getData()[3], prior.marginalCovariance(t)[3], 1e-14);
        }
    }

    @Test
    void tweedieWithTheAnalyticEpsIsTheExactPosteriorMean() {
        // E[x0 | x_t] is the posterior mean of x0 under the linear-Gaussian "measurement" x_t = sqrt(abar) x0 +
        // sqrt(1 - abar) n, computed by the prior's posterior (dense A, S = A Sigma A^T + sigma^2 I), a route that
        // shares nothing with eps but the covariance
        for (int t : new int[] {0, 50, 300, 700, 999}) {
            double abar = schedule.alphaBar(t);
            TestMatrixOperator a = TestMatrixOperator.scaledIdentity(Math.sqrt(abar), IMAGE);
            NDArray xt = batch(100 + t, 3);
            NDArray x0Hat = Tweedie.x0FromEps(schedule, xt, prior.eps(xt, t), t);
            assertArrayEquals(x0Hat.toDoubleArray(), prior.x0Hat(xt, t).toDoubleArray(), 0.0);
            for (int n = 0; n < 3; n++) {
                NDArray y = xt.get(n + ":" + (n + 1)).reshape(1, D);
                GaussianPrior posterior = prior.posterior(a, y, Math.sqrt(1 - abar));
                assertArrayEquals(posterior.mean(), row(x0Hat, n), 1e-10, "t = " + t);
                assertArrayEquals(prior.posteriorCovarianceGivenXt(t)[5], posterior.covariance()[5], 1e-10);
            }
        }
    }

    @Test
    void guidanceGradientThroughTheAnalyticEpsIsTheClosedForm() {
        // grad_{x_t} 1/2 ||y - A x0Hat(x_t)||^2 = J^T A^T (A x0Hat - y), J = sqrt(abar) Sigma Cov_t^{-1} (symmetric)
        TestMatrixOperator a = TestMatrixOperator.random(6, IMAGE, NoiseSource.seeded(21));
        RealMatrix aMatrix = matrix(a.matrix());
        NDArray y = batch(22, 1).reshape(1, D).get(":, 0:6");
        for (int t : new int[] {10, 400, 900}) {
            double abar = schedule.alphaBar(t);
            NDArray xt = batch(23 + t, 4);
            xt.setRequiresGradient(true);
            NDArray x0Hat;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                x0Hat = prior.x0Hat(xt, t);
                NDArray residual = y.sub(a.apply(x0Hat));
                NDArray loss = residual.square().sum().mul(0.5);
                gc.backward(loss);
            }
            NDArray grad = xt.getGradient();
            // J from an LU inverse, independently of the prior's eigendecomposition
            RealMatrix sigma = matrix(prior.covariance());
            RealMatrix covT = sigma.scalarMultiply(abar).add(MatrixUtils.createRealIdentityMatrix(D).scalarMultiply(1 - abar));
            RealMatrix j = sigma.multiply(new LUDecomposition(covT).getSolver().getInverse()).scalarMultiply(Math.sqrt(abar));
            assertArrayEquals(j.getData()[7], prior.tweedieJacobian(t)[7], 1e-12);
            double[] yFlat = y.toDoubleArray();
            for (int n = 0; n < 4; n++) {
                RealVector x0 = new ArrayRealVector(row(x0Hat, n));
                RealVector r = aMatrix.operate(x0).subtract(new ArrayRealVector(yFlat));
                double[] expected = j.transpose().operate(aMatrix.transpose().operate(r)).toArray();
                assertArrayEquals(expected, row(grad, n), 1e-11, "t = " + t);
            }
        }
    }

    @Test
    void conditionalScoreClosedFormEqualsBayesRule() {
        // grad log p(y | x_t) = grad log p_t(x_t | y) - grad log p_t(x_t); the posterior p(x0 | y) is Gaussian, so its
        // diffused score is -eps_post / sqrt(1 - abar): (eps_prior - eps_post) / sqrt(1 - abar)
        TestMatrixOperator a = TestMatrixOperator.random(5, IMAGE, NoiseSource.seeded(31));
        NDArray x0 = prior.sample(manager, 1, DataType.FLOAT64, NoiseSource.seeded(32));
        double sigmaY = 0.1;
        NDArray y = a.apply(x0).add(NoiseSource.seeded(33).normal(manager, new Shape(1, 5), DataType.FLOAT64).mul(sigmaY));
        GaussianPrior posterior = prior.posterior(a, y, sigmaY);
        for (int t : new int[] {0, 200, 600, 999}) {
            double abar = schedule.alphaBar(t);
            NDArray xt = batch(34 + t, 3);
            NDArray closed = prior.conditionalScore(a, y, sigmaY, xt, t);
            NDArray bayes = prior.eps(xt, t).sub(posterior.eps(xt, t)).div(Math.sqrt(1 - abar));
            double scale = maxAbs(bayes) + 1;
            assertArrayEquals(bayes.toDoubleArray(), closed.toDoubleArray(), 1e-9 * scale, "t = " + t);
        }
        // and it is not DPS's approximation J^T A^T (y - A x0Hat)/sigma^2, which drops Cov(x0 | x_t)
        NDArray xt = batch(35, 1);
        NDArray dps = a.adjoint(y.sub(a.apply(prior.x0Hat(xt, 300)))).div(sigmaY * sigmaY);
        assertTrue(maxAbs(dps.sub(prior.conditionalScore(a, y, sigmaY, xt, 300))) > 1e-3);
    }

    private static double maxAbs(NDArray a) {
        return a.abs().max().getDouble();
    }

    @Test
    void posteriorCovarianceMatchesTheInformationForm() {
        // (Sigma^{-1} + A^T A / sigma^2)^{-1} and mean = Sigma_post (Sigma^{-1} mu + A^T y / sigma^2)
        TestMatrixOperator a = TestMatrixOperator.random(7, IMAGE, NoiseSource.seeded(41));
        RealMatrix aMatrix = matrix(a.matrix());
        double sigmaY = 0.3;
        NDArray y = NoiseSource.seeded(42).normal(manager, new Shape(1, 7), DataType.FLOAT64);
        GaussianPrior posterior = prior.posterior(a, y, sigmaY);
        RealMatrix sigmaInverse = new LUDecomposition(matrix(prior.covariance())).getSolver().getInverse();
        RealMatrix precision = sigmaInverse.add(aMatrix.transpose().multiply(aMatrix).scalarMultiply(1 / (sigmaY * sigmaY)));
        RealMatrix covariance = new LUDecomposition(precision).getSolver().getInverse();
        RealVector mean = covariance.operate(sigmaInverse.operate(new ArrayRealVector(prior.mean()))
                .add(aMatrix.transpose().operate(new ArrayRealVector(y.toDoubleArray())).mapDivide(sigmaY * sigmaY)));
        for (int i = 0; i < D; i++) {
            assertArrayEquals(covariance.getData()[i], posterior.covariance()[i], 1e-10);
        }
        assertArrayEquals(mean.toArray(), posterior.mean(), 1e-10);
        assertEquals(schedule, posterior.schedule());
        // log evidence against the direct density of N(A mu, A Sigma A^T + sigma^2 I)
        RealMatrix s = aMatrix.multiply(matrix(prior.covariance())).multiply(aMatrix.transpose())
                .add(MatrixUtils.createRealIdentityMatrix(7).scalarMultiply(sigmaY * sigmaY));
        RealVector r = new ArrayRealVector(y.toDoubleArray()).subtract(aMatrix.operate(new ArrayRealVector(prior.mean())));
        double direct = -0.5 * (7 * Math.log(2 * Math.PI) + Math.log(new LUDecomposition(s).getDeterminant())
                + r.dotProduct(new LUDecomposition(s).getSolver().solve(r)));
        assertEquals(direct, prior.logEvidence(a, y, sigmaY), 1e-10);
    }

    @Test
    void projectionOfTheMeanIsTheNoiselessPosteriorMean() {
        // isotropic prior N(m, s^2 I), y = A x*: the posterior mean m + A^T (A A^T + sigma^2/s^2 I)^{-1} (y - A m) tends to
        // the projection m - A^+ (A m - y) onto {A x = y} as sigma -> 0, with an O(sigma^2 / (s^2 s_min(A)^2)) gap
        double s2 = 0.4;
        GaussianPrior iso = GaussianPrior.isotropic(schedule, IMAGE, TestPriors.randomVector(D, -0.5, 0.5,
                NoiseSource.seeded(51)), s2);
        TestMatrixOperator a = TestMatrixOperator.random(6, IMAGE, NoiseSource.seeded(52));
        NDArray xStar = batch(53, 1);
        NDArray y = a.apply(xStar);
        NDArray m = manager.create(iso.mean(), new Shape(1, 1, 4, 4));
        double[] projection = m.sub(a.pinv(a.apply(m).sub(y), CgOptions.EXACT)).toDoubleArray();
        assertArrayEquals(projection, iso.posterior(a, y, 0).mean(), 1e-10, "sigma = 0 exactly");
        double previousGap = Double.POSITIVE_INFINITY;
        for (double sigmaY : new double[] {1e-1, 1e-2, 1e-3}) {
            double gap = maxDifference(projection, iso.posterior(a, y, sigmaY).mean());
            assertTrue(gap < previousGap / 50, "gap " + gap + " at sigma " + sigmaY + " must shrink like sigma^2");
            previousGap = gap;
        }
        assertTrue(previousGap < 1e-4);
        // the projected point is consistent with y
        NDArray projected = manager.create(projection, new Shape(1, 1, 4, 4));
        assertArrayEquals(y.toDoubleArray(), a.apply(projected).toDoubleArray(), 1e-10);
    }

    private static double maxDifference(double[] a, double[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    @Test
    void exactSamplesHaveThePriorMoments() {
        // n = 4000: SE(mean_i) = sqrt(Sigma_ii / n) <= 0.016, SE(S_ij) = sqrt((Sigma_ii Sigma_jj + Sigma_ij^2) / n) <= 0.022;
        // 4.5 standard errors bound every entry (per-entry false alarm 7e-6)
        int n = 4000;
        double[] samples = prior.sample(manager, n, DataType.FLOAT64, NoiseSource.seeded(61)).toDoubleArray();
        double[] mu = prior.mean();
        double[][] sigma = prior.covariance();
        double[] mean = new double[D];
        for (int k = 0; k < n; k++) {
            for (int i = 0; i < D; i++) {
                mean[i] += samples[k * D + i] / n;
            }
        }
        for (int i = 0; i < D; i++) {
            assertEquals(mu[i], mean[i], 4.5 * Math.sqrt(sigma[i][i] / n), "mean " + i);
            for (int j = 0; j < D; j++) {
                double c = 0;
                for (int k = 0; k < n; k++) {
                    c += (samples[k * D + i] - mean[i]) * (samples[k * D + j] - mean[j]);
                }
                c /= n - 1;
                double se = Math.sqrt((sigma[i][i] * sigma[j][j] + sigma[i][j] * sigma[i][j]) / n);
                assertEquals(sigma[i][j], c, 4.5 * se, "covariance " + i + "," + j);
            }
        }
        assertArrayEquals(samples, prior.sample(manager, n, DataType.FLOAT64, NoiseSource.seeded(61)).toDoubleArray(), 0.0);
    }

    @Test
    void float32InputGivesFloat32EpsCloseToFloat64() {
        NDArray xt = batch(71, 4);
        NDArray eps64 = prior.eps(xt, 250);
        NDArray eps32 = prior.eps(xt.toType(DataType.FLOAT32, false), 250);
        assertEquals(DataType.FLOAT32, eps32.getDataType());
        // float32 rounding of inputs and a 16-term product: relative 1e-6 of the entries' scale
        assertArrayEquals(eps64.toDoubleArray(), eps32.toType(DataType.FLOAT64, false).toDoubleArray(),
                1e-5 * (maxAbs(eps64) + 1));
    }

    @Test
    void badInputsAreRejectedWithClearMessages() {
        double[] mean = new double[D];
        double[][] notSymmetric = TestPriors.randomCovariance(D, 0.1, 1, NoiseSource.seeded(81));
        notSymmetric[0][1] += 0.5;
        assertThrows(IllegalArgumentException.class, () -> GaussianPrior.of(schedule, IMAGE, mean, notSymmetric));
        double[][] indefinite = TestPriors.randomCovariance(D, 0.1, 1, NoiseSource.seeded(82));
        indefinite[0][0] -= 5;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GaussianPrior.of(schedule, IMAGE, mean, indefinite));
        assertTrue(e.getMessage().contains("positive semi-definite"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> GaussianPrior.of(schedule, IMAGE, new double[3], indefinite));
        assertThrows(IllegalArgumentException.class, () -> GaussianPrior.isotropic(schedule, new Shape(4, 4), mean, 1));
        assertThrows(IllegalArgumentException.class, () -> prior.eps(batch(83, 2).reshape(2, 16), 5));
        assertThrows(IllegalArgumentException.class, () -> prior.eps(batch(84, 2), 1000));
        TestMatrixOperator a = TestMatrixOperator.random(20, IMAGE, NoiseSource.seeded(85));
        NDArray y = NoiseSource.seeded(86).normal(manager, new Shape(1, 20), DataType.FLOAT64);
        IllegalArgumentException singular = assertThrows(IllegalArgumentException.class,
                () -> GaussianPrior.isotropic(schedule, IMAGE, mean, 1).posterior(a, y, 0),
                "20 measurements of 16 unknowns without noise: A Sigma A^T is singular");
        assertTrue(singular.getMessage().contains("singular"), singular.getMessage());
        assertThrows(IllegalArgumentException.class, () -> prior.posterior(a, y.reshape(2, 10), 0.1));
        assertThrows(IllegalArgumentException.class, () -> prior.posterior(a, y, -0.1));
    }
}
