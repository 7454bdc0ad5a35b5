package org.diffinv.solvers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.diffinv.diffusion.ContinuousTimeGrid;
import org.diffinv.diffusion.ContinuousVpSchedule;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.diffusion.NoiseSource;
import org.diffinv.operators.Inpainting;
import org.diffinv.operators.Masks;
import org.diffinv.operators.MeasurementNoise;
import org.diffinv.operators.SvdOperator;
import org.diffinv.priors.GaussianPrior;
import org.diffinv.priors.TestPriors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.diffinv.solvers.SolverTestSupport.rms;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The continuous PiGDM baseline: its coefficient against the closed form, the exact DDIM identity at w = 0 (the same
 * step as C-PiGDM's there), the posterior mean on an exact Gaussian prior, the ledger, determinism and refusals.
 */
class PigdmVpTest {

    private final ContinuousVpSchedule s = ContinuousVpSchedule.standard();
    private final NoiseSchedule schedule = NoiseSchedule.ddpmLinear();
    private final GaussianPrior prior = TestPriors.randomGaussian(schedule, new Shape(1, 4, 4), NoiseSource.seeded(3));
    private final SvdOperator h = new Inpainting(Masks.randomPixels(1, 4, 4, 0.5, NoiseSource.seeded(5)));
    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    /**
     * With lambda = 0 and eps_num = 0, {@code phi = beta e^{b/2} / (2 sig)} is the derivative of
     * {@code sig/mu = sqrt(e^b - 1)}: each {@code dPhi} is the change of {@code sig/mu} over its interval (1e-12).
     */
    @Test
    void coefficientIsTheChangeOfSigmaOverMu() {
        PigdmVp.Params p = new PigdmVp.Params(10, 6, 0, 0);
        ContinuousTimeGrid grid = ContinuousTimeGrid.cPigdm(s, 10);
        double[] d = PigdmVp.coefficients(grid, p);
        for (int n = 0; n < 10; n++) {
            double expected = s.sigma(grid.time(n + 1)) / s.mu(grid.time(n + 1)) - s.sigma(grid.time(n)) / s.mu(grid.time(n));
            assertEquals(expected, d[n], 1e-12 * Math.abs(expected), "interval " + n);
        }
    }

    /**
     * With w = 0, lambda = 0 and eps_num = 0 the continuous PiGDM and C-PiGDM take the same DDIM step:
     * {@code x_1 = mu_1 (x_0 / mu_0 + (sig_1/mu_1 - sig_0/mu_0) eps(x_0))}, here over 3 steps, to 1e-12.
     */
    @Test
    void withoutGuidanceItIsDdimAndEqualsCPigdm() {
        NDArray x = prior.sample(manager, 2, DataType.FLOAT64, NoiseSource.seeded(21));
        Problem<SvdOperator> p = Problem.measure(h, x, MeasurementNoise.NONE, NoiseSource.seeded(22));
        ContinuousTimeGrid grid = ContinuousTimeGrid.cPigdm(s, 3);
        NDArray z = NoiseSource.seeded(4).normal(manager, p.xShape(), DataType.FLOAT64);
        NDArray xt = h.pinv(p.y()).mul(s.mu(grid.time(0))).add(z.mul(s.sigma(grid.time(0))));
        for (int n = 0; n < 3; n++) {
            double t0 = grid.time(n);
            double t1 = grid.time(n + 1);
            NDArray e = prior.eps(xt, grid.networkIndex(n));
            xt = xt.div(s.mu(t0)).add(e.mul(s.sigma(t1) / s.mu(t1) - s.sigma(t0) / s.mu(t0))).mul(s.mu(t1));
        }
        try (Reconstruction vp = new PigdmVp(new PigdmVp.Params(3, 0, 0, 0)).solve(p, prior, Run.seeded(4));
             Reconstruction c = new CPigdm(new CPigdm.Params(3, 0, 0, 0)).solve(p, prior, Run.seeded(4))) {
            assertTrue(rms(xt.toDoubleArray(), vp.xHat().toDoubleArray()) < 1e-12,
                    "w = 0 is not DDIM: " + rms(xt.toDoubleArray(), vp.xHat().toDoubleArray()));
            assertTrue(rms(c.xHat().toDoubleArray(), vp.xHat().toDoubleArray()) < 1e-12);
        }
    }

    /**
     * On the exact Gaussian prior with noiseless random inpainting, 200 draws at N = 20 and w = 6 (the reference's
     * batch setting): the sample mean is within a third of the prior mean's error of the posterior mean, and guidance
     * helps over w = 0. The ledger counts one forward and one VJP per step; runs are deterministic per seed.
     */
    @Test
    void posteriorMeanErrorIsWellBelowThePriorMeansAndRunsAreDeterministic() {
        NDArray x = prior.sample(manager, 1, DataType.FLOAT64, NoiseSource.seeded(21));
        Problem<SvdOperator> single = Problem.measure(h, x, MeasurementNoise.NONE, NoiseSource.seeded(22));
        double[] postMean = prior.posterior(h, single.y(), 1e-3).mean();
        double priorError = rms(prior.mean(), postMean);
        Problem<SvdOperator> p = Problem.of(h, single.y().repeat(0, 200), MeasurementNoise.NONE, new Shape(200, 1, 4, 4));
        double unguided = Double.NaN;
        for (double w : new double[] {0, 6}) {
            try (Reconstruction r = new PigdmVp(PigdmVp.Params.reference().withW(w)).solve(p, prior, Run.seeded(1))) {
                double error = rms(r.xHat().mean(new int[] {0}).toDoubleArray(), postMean);
                System.out.printf("pigdm-vp w=%.0f N=20: posterior-mean error %.4f (prior mean %.4f)%n", w, error,
                        priorError);
                if (w == 0) {
                    unguided = error;
                } else {
                    assertTrue(error < priorError / 3, "w = " + w + ": " + error + " vs " + priorError);
                    assertTrue(error < unguided / 2, "guidance must help: " + error + " vs unguided " + unguided);
                }
                assertEquals(20, r.cost().nfe());
                assertEquals(20, r.cost().vjp());
            }
        }
        Problem<SvdOperator> small = Problem.of(h, single.y().repeat(0, 3), MeasurementNoise.NONE, new Shape(3, 1, 4, 4));
        PigdmVp solver = new PigdmVp(PigdmVp.Params.reference().withSteps(5));
        try (Reconstruction a = solver.solve(small, prior, Run.seeded(9));
             Reconstruction b = solver.solve(small, prior, Run.seeded(9));
             Reconstruction c = solver.solve(small, prior, Run.seeded(10))) {
            assertEquals(0, rms(a.xHat().toDoubleArray(), b.xHat().toDoubleArray()), 0);
            assertTrue(rms(a.xHat().toDoubleArray(), c.xHat().toDoubleArray()) > 1e-4);
        }
    }

    @Test
    void badValuesAndIntegerParametersAreHandled() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new PigdmVp.Params(0, 6, 0, 1e-6));
        assertTrue(e.getMessage().contains("got 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new PigdmVp.Params(5, Double.NaN, 0, 1e-6));
        assertTrue(e.getMessage().contains("w NaN"), e.getMessage());
        PigdmVp ten = (PigdmVp) SolverRegistry.withParameter(new PigdmVp(PigdmVp.Params.reference()), "steps", 10);
        assertEquals(10, ten.params().steps());
        e = assertThrows(IllegalArgumentException.class,
                () -> SolverRegistry.withParameter(new PigdmVp(PigdmVp.Params.reference()), "steps", 2.5));
        assertTrue(e.getMessage().contains("integer, got 2.5"), e.getMessage());
        org.diffinv.operators.NonlinearBlur nonlinear = new org.diffinv.operators.NonlinearBlur(
                org.diffinv.operators.GaussianBlur.reflect(3, 1.0));
        NDArray x = prior.sample(manager, 1, DataType.FLOAT64, NoiseSource.seeded(1));
        Problem<?> forwardOnly = Problem.measure(nonlinear, x, MeasurementNoise.NONE, NoiseSource.seeded(1));
        e = assertThrows(IllegalArgumentException.class,
                () -> new PigdmVp(PigdmVp.Params.reference()).solveAny(forwardOnly, prior, Run.seeded(1)));
        assertTrue(e.getMessage().contains("tier 'SVD'") && e.getMessage().contains(nonlinear.name()), e.getMessage());
    }
}
