package org.diffinv.solvers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.ArrayRealVector;
import org.apache.commons.math3.linear.RealMatrix;
import org.apache.commons.math3.linear.RealVector;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.diffusion.NoiseSource;
import org.diffinv.metrics.Cost;
import org.diffinv.metrics.CostMeter;
import org.diffinv.operators.Inpainting;
import org.diffinv.operators.Masks;
import org.diffinv.priors.GaussianPrior;
import org.diffinv.priors.TestPriors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The guidance fragment against closed forms on an exact Gaussian prior (FLOAT64), where {@code x0Hat} is affine in
 * {@code x_t} with the symmetric Jacobian {@code J_t} ({@link GaussianPrior#tweedieJacobian}): for the squared
 * residual {@code L = ||y - M x0Hat||^2} with a mask {@code M}, {@code grad L = -2 J_t M (y - M x0Hat)}; for the plain
 * norm it is that divided by {@code 2 ||y - M x0Hat||}; for {@code <m, x0Hat>} it is {@code J_t m}.
 */
class GuidanceTest {

    private static final int D = 16;
    private final NoiseSchedule schedule = NoiseSchedule.ddpmLinear();
    private final GaussianPrior prior = TestPriors.randomGaussian(schedule, new Shape(1, 4, 4), NoiseSource.seeded(8));
    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    @Test
    void residualGradientsMatchTheClosedForm() {
        Inpainting a = new Inpainting(Masks.randomPixels(1, 4, 4, 0.5, NoiseSource.seeded(2)));
        NDArray mask = a.apply(manager.ones(new Shape(1, 1, 4, 4), DataType.FLOAT64));
        NDArray y = NoiseSource.seeded(3).normal(manager, new Shape(1, 1, 4, 4), DataType.FLOAT64).mul(mask);
        NDArray xt = NoiseSource.seeded(4).normal(manager, new Shape(1, 1, 4, 4), DataType.FLOAT64);
        int t = 300;
        RealMatrix j = new Array2DRowRealMatrix(prior.tweedieJacobian(t), false);
        RealVector m = new ArrayRealVector(mask.toDoubleArray());
        for (double p : new double[] {1, 2}) {
            try (CostMeter meter = CostMeter.start()) {
                Guidance.Result g = Guidance.evaluate(prior, xt, t, Guidance.residualNorm(a, y, p, false), meter);
                RealVector x0 = new ArrayRealVector(g.x0Hat().toDoubleArray());
                RealVector r = new ArrayRealVector(y.toDoubleArray()).subtract(m.ebeMultiply(x0));
                RealVector expected = j.operate(m.ebeMultiply(r)).mapMultiply(-2);
                if (p == 1) {
                    expected = expected.mapDivide(2 * r.getNorm());
                }
                assertArrayEquals(expected.toArray(), g.gradient().toDoubleArray(), 1e-10, "p = " + p);
                assertEquals(Math.pow(r.getNorm(), p), g.loss(), 1e-10);
                assertArrayEquals(prior.x0Hat(xt, t).toDoubleArray(), g.x0Hat().toDoubleArray(), 1e-12);
                Cost c = meter.stop();
                assertEquals(1, c.vjp());
                assertEquals(1, c.operatorVjps());
            }
        }
    }

    @Test
    void innerProductGivesTheJacobianTransposeProduct() {
        NDArray xt = NoiseSource.seeded(5).normal(manager, new Shape(2, 1, 4, 4), DataType.FLOAT64);
        NDArray v = NoiseSource.seeded(6).normal(manager, new Shape(2, 1, 4, 4), DataType.FLOAT64);
        int t = 700;
        Guidance.Result g = Guidance.evaluate(prior, xt, t, Guidance.innerProduct(x0 -> v), null);
        RealMatrix j = new Array2DRowRealMatrix(prior.tweedieJacobian(t), false);
        double[] all = v.toDoubleArray();
        double[] got = g.gradient().toDoubleArray();
        for (int n = 0; n < 2; n++) {
            double[] vn = java.util.Arrays.copyOfRange(all, n * D, (n + 1) * D);
            double[] gn = java.util.Arrays.copyOfRange(got, n * D, (n + 1) * D);
            assertArrayEquals(j.transpose().operate(vn), gn, 1e-10, "sample " + n);
        }
    }
}
