package org.diffinv.priors;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.diffusion.NoiseSource;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Classifier-free guidance against a closed form. For the conditional family {@code p(x_0 | c) = N(c, Sigma)}
 * (the condition is the mean), every {@code eps(x_t, t, c)} is affine in {@code c}, so the guided
 * {@code eps(c_null) + s (eps(c) - eps(c_null))} must equal exactly the eps of the Gaussian with mean
 * {@code c_null + s (c - c_null)} at every t.
 */
class ClassifierFreeGuidanceTest {

    private static final Shape IMAGE = new Shape(1, 3, 3);
    private static final int D = 9;

    private final NoiseSchedule schedule = NoiseSchedule.ddpmLinear();
    private final NoiseSource noise = NoiseSource.seeded(31);
    private final double[][] sigma = TestPriors.randomCovariance(D, 0.05, 1.0, noise);

    /** {@code eps(x_t, t, c)} of {@code N(c, Sigma)}; {@code c} is {@code (1, 1, D)}. */
    private final ConditionalEpsPrior family = new ConditionalEpsPrior() {
        @Override
        public NoiseSchedule schedule() {
            return schedule;
        }

        @Override
        public long[] conditionShape() {
            return new long[] {1, D};
        }

        @Override
        public NDArray eps(NDArray xt, int t, NDArray c) {
            return GaussianPrior.of(schedule, IMAGE, c.toDoubleArray(), sigma).eps(xt, t);
        }
    };

    @Test
    void guidedEpsIsTheEpsOfTheExtrapolatedGaussian() {
        try (NDManager m = NDManager.newBaseManager()) {
            double[] muNull = TestPriors.randomVector(D, -0.5, 0.5, noise);
            double[] muC = TestPriors.randomVector(D, -0.5, 0.5, noise);
            NDArray cNull = m.create(muNull, new Shape(1, 1, D));
            NDArray c = m.create(muC, new Shape(1, 1, D));
            NDArray xt = NoiseSource.seeded(5).normal(m, new Shape(4, 1, 3, 3), DataType.FLOAT64);
            for (double s : new double[] {0, 0.5, 1, 2.5, 7.5}) {
                double[] muS = new double[D];
                for (int i = 0; i < D; i++) {
                    muS[i] = muNull[i] + s * (muC[i] - muNull[i]);
                }
                GaussianPrior exact = GaussianPrior.of(schedule, IMAGE, muS, sigma);
                EpsPrior guided = family.withGuidance(c, cNull, s);
                for (int t : new int[] {0, 10, 250, 999}) {
                    double err = guided.eps(xt, t).sub(exact.eps(xt, t)).abs().max().getDouble();
                    assertTrue(err < 1e-10, "s=" + s + " t=" + t + ": |eps_guided - eps_exact| = " + err);
                }
            }
        }
    }

    @Test
    void rejectsNegativeAndNonFiniteScalesNamingThem() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray c = m.zeros(new Shape(1, 1, D), DataType.FLOAT64);
            for (double s : new double[] {-0.5, Double.NaN, Double.POSITIVE_INFINITY}) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> family.withGuidance(c, c, s));
                assertTrue(e.getMessage().contains(String.valueOf(s)), e.getMessage());
            }
            assertEquals(schedule, family.withGuidance(c, c, 3).schedule());
        }
    }
}
