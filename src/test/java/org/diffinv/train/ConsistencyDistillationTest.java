package org.diffinv.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.diffusion.NoiseSource;
import org.diffinv.diffusion.Tweedie;
import org.diffinv.priors.ConsistencyFunction;
import org.diffinv.priors.ConsistencyModel;
import org.diffinv.priors.ConsistencyParametrization;
import org.diffinv.priors.GaussianPrior;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Consistency distillation and consistency sampling against the exact consistency function of a Gaussian prior.
 * For {@code N(m, diag(lambda))} the probability-flow ODE in the VE view {@code x_ve = x_0 + sigma z} keeps
 * {@code (x_ve - m) / sqrt(lambda + sigma^2)} constant per coordinate, so the consistency function is
 * {@code f*(x_t, t) = m + sqrt(lambda / (lambda + sigma_t^2)) (x_t / sqrt(abar_t) - m)} in closed form.
 */
class ConsistencyDistillationTest {

    private final NoiseSchedule schedule = NoiseSchedule.ddpmLinear();
    private final double[] m = {0.3, -0.5, 0.1, 0.7};
    private final double[] lambda = {0.2, 0.05, 0.5, 0.1};
    private final Shape shape = new Shape(1, 2, 2);
    private NDManager manager;
    private GaussianPrior prior;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
        double[][] cov = new double[4][4];
        for (int i = 0; i < 4; i++) {
            cov[i][i] = lambda[i];
        }
        prior = GaussianPrior.of(schedule, shape, m, cov);
    }

    @AfterEach
    void close() {
        manager.close();
    }

    /** The exact consistency function of the diagonal Gaussian prior. */
    private ConsistencyFunction exact() {
        return new ConsistencyFunction() {
            @Override
            public NoiseSchedule schedule() {
                return schedule;
            }

            @Override
            public NDArray x0(NDArray xt, int t) {
                double s2 = schedule.veSigma(t) * schedule.veSigma(t);
                double[] scale = new double[4];
                for (int i = 0; i < 4; i++) {
                    scale[i] = Math.sqrt(lambda[i] / (lambda[i] + s2));
                }
                NDArray mean = xt.getManager().create(m, new Shape(1, 1, 2, 2)).toType(xt.getDataType(), false);
                NDArray k = xt.getManager().create(scale, new Shape(1, 1, 2, 2)).toType(xt.getDataType(), false);
                return xt.div(Math.sqrt(schedule.alphaBar(t))).sub(mean).mul(k).add(mean);
            }
        };
    }

    /** The Tweedie denoiser of the same prior: a one-step estimate, but no consistency function. */
    private ConsistencyFunction tweedie() {
        return new ConsistencyFunction() {
            @Override
            public NoiseSchedule schedule() {
                return schedule;
            }

            @Override
            public NDArray x0(NDArray xt, int t) {
                return Tweedie.x0FromEps(schedule, xt, prior.eps(xt, t), t);
            }
        };
    }

    /**
     * The distillation loss's fixed point: with the exact consistency function as online and target network and the
     * exact prior as teacher, the loss is only the teacher's DDIM discretisation error; summed over the 18-boundary
     * Karras grid it is below a tenth of the loss of the Tweedie denoiser, which is not consistent across levels
     * (measured 0.00098 against 0.0232 at 2,000 samples).
     */
    @Test
    void exactConsistencyFunctionIsTheLossFixedPoint() {
        // the library's exact consistency function of a Gaussian prior agrees with this test's closed form
        NDArray probe = NoiseSource.seeded(9).normal(manager, new Shape(5, 1, 2, 2), DataType.FLOAT64);
        for (int t : new int[] {0, 200, 900}) {
            assertArrayEquals(exact().x0(probe, t).toDoubleArray(), prior.consistencyFunction().x0(probe, t)
                    .toDoubleArray(), 1e-12, "t = " + t);
        }
        int[] b = ConsistencyDistillation.boundaries(schedule, 18, 7);
        NDArray x0 = prior.sample(manager, 2000, DataType.FLOAT64, NoiseSource.seeded(1));
        NDArray z = NoiseSource.seeded(2).normal(manager, x0.getShape(), DataType.FLOAT64);
        double atExact = 0;
        double atTweedie = 0;
        for (int n = 0; n + 1 < b.length; n++) {
            atExact += ConsistencyDistillation.loss(exact(), exact(), prior, x0, z, b[n], b[n + 1]).getDouble();
            atTweedie += ConsistencyDistillation.loss(tweedie(), tweedie(), prior, x0, z, b[n], b[n + 1]).getDouble();
        }
        System.out.printf("CD loss over the grid: exact consistency function %.3g, Tweedie denoiser %.3g%n", atExact,
                atTweedie);
        assertTrue(atExact < 0.1 * atTweedie, "exact " + atExact + " vs Tweedie " + atTweedie);
        // the loss of the exact function falls with the teacher's step: halving the gap between the levels
        double wide = ConsistencyDistillation.loss(exact(), exact(), prior, x0, z, 300, 500).getDouble();
        double narrow = ConsistencyDistillation.loss(exact(), exact(), prior, x0, z, 400, 500).getDouble();
        assertTrue(narrow < 0.5 * wide, "narrow " + narrow + " vs wide " + wide);
    }

    /**
     * Multistep consistency sampling (Algorithm 1) with the exact consistency function draws from the prior in one
     * step and in two: mean within 0.03 and variances within 10% at 20,000 samples; the Tweedie denoiser collapses to
     * the mean instead (variance below a fifth of the prior's).
     */
    @Test
    void oneAndTwoStepSamplesOfTheExactFunctionFollowThePrior() {
        for (int[] times : new int[][] {{999}, {999, 400}}) {
            double[][] stats = moments(exact().sample(manager, 20_000, shape, NoiseSource.seeded(5), times));
            for (int i = 0; i < 4; i++) {
                assertEquals(m[i], stats[0][i], 0.03, "mean " + i + " with times " + java.util.Arrays.toString(times));
                assertEquals(lambda[i], stats[1][i], 0.1 * lambda[i], "variance " + i);
            }
        }
        double[][] collapsed = moments(tweedie().sample(manager, 20_000, shape, NoiseSource.seeded(5), 999));
        for (int i = 0; i < 4; i++) {
            assertTrue(collapsed[1][i] < 0.2 * lambda[i], "Tweedie variance " + collapsed[1][i]);
        }
    }

    private static double[][] moments(NDArray samples) {
        double[] v = samples.toType(DataType.FLOAT64, false).toDoubleArray();
        int n = v.length / 4;
        double[][] out = new double[2][4];
        for (int i = 0; i < 4; i++) {
            double s = 0;
            double s2 = 0;
            for (int k = 0; k < n; k++) {
                s += v[k * 4 + i];
                s2 += v[k * 4 + i] * v[k * 4 + i];
            }
            out[0][i] = s / n;
            out[1][i] = s2 / n - out[0][i] * out[0][i];
        }
        return out;
    }

    /**
     * The parametrization's boundary condition: at index 0, {@code c_skip = 1} and {@code f(x, 0) = x / sqrt(abar_0)}
     * whatever the network says; elsewhere {@code f = c_skip x_ve + (1 - c_skip) x0Hat} with the network's Tweedie
     * estimate {@code x0Hat}, and {@code c_skip} falls below 1e-4 at t = 999.
     */
    @Test
    void parametrizationKeepsTheBoundaryCondition() {
        assertEquals(1.0, ConsistencyParametrization.cSkip(schedule, 0, 0.5), 0);
        assertTrue(ConsistencyParametrization.cSkip(schedule, 999, 0.5) < 1e-4);
        NDArray x = NoiseSource.seeded(3).normal(manager, new Shape(3, 1, 2, 2), DataType.FLOAT64);
        NDArray anything = NoiseSource.seeded(4).normal(manager, new Shape(3, 1, 2, 2), DataType.FLOAT64);
        ConsistencyModel model = new ConsistencyModel(prior, 0.5);
        assertArrayEquals(x.div(Math.sqrt(schedule.alphaBar(0))).toDoubleArray(),
                ConsistencyParametrization.apply(schedule, x, anything, 0, 0.5).toDoubleArray(), 1e-14);
        for (int t : new int[] {1, 250, 999}) {
            double c = ConsistencyParametrization.cSkip(schedule, t, 0.5);
            NDArray tw = Tweedie.x0FromEps(schedule, x, prior.eps(x, t), t);
            NDArray expected = x.div(Math.sqrt(schedule.alphaBar(t))).sub(tw).mul(c).add(tw);
            assertArrayEquals(expected.toDoubleArray(), model.x0(x, t).toDoubleArray(), 1e-9, "t = " + t);
        }
    }

    /** The Karras boundaries: ascending from 0 to T - 1, distinct, denser at low noise; bad values refused. */
    @Test
    void boundariesAndRefusals() {
        int[] b = ConsistencyDistillation.boundaries(schedule, 18, 7);
        assertEquals(0, b[0]);
        assertEquals(schedule.nearestVeSigmaIndex(80), b[b.length - 1]);
        int[] uncapped = ConsistencyDistillation.boundaries(schedule, 18, 7, 1e4);
        assertEquals(999, uncapped[uncapped.length - 1]);
        for (int i = 1; i < b.length; i++) {
            assertTrue(b[i] > b[i - 1]);
        }
        assertTrue(b[1] < 100, "first gap " + b[1]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ConsistencyDistillation.boundaries(schedule, 1, 7));
        assertTrue(e.getMessage().contains("got 1"), e.getMessage());
        NDArray x = manager.zeros(new Shape(1, 1, 2, 2), DataType.FLOAT64);
        e = assertThrows(IllegalArgumentException.class,
                () -> ConsistencyDistillation.loss(exact(), exact(), prior, x, x, 500, 500));
        assertTrue(e.getMessage().contains("500"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> exact().sample(manager, 2, shape, NoiseSource.seeded(1), 400, 999));
        assertTrue(e.getMessage().contains("descend"), e.getMessage());
    }
}
