package org.diffinv.solvers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.diffusion.NoiseSource;
import org.diffinv.diffusion.TimeGrid;
import org.diffinv.metrics.Cost;
import org.diffinv.metrics.ProcessMemory;
import org.diffinv.operators.Inpainting;
import org.diffinv.operators.Masks;
import org.diffinv.operators.MeasurementNoise;
import org.diffinv.operators.MotionBlur;
import org.diffinv.operators.MotionKernels;
import org.diffinv.operators.SuperResolution;
import org.diffinv.operators.SvdOperator;
import org.diffinv.priors.GaussianPrior;
import org.diffinv.priors.TestPriors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.diffinv.solvers.SolverTestSupport.rms;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * DPS, DDRM and PiGDM against exact answers on an exact Gaussian prior (FLOAT64, 1 x 4 x 4 images): the posterior
 * mean, the measurement consistency each method guarantees, determinism, the cost ledger, flat memory over a long
 * run, and the refusal of bad input.
 */
class SolversExactTest {

    private static final Shape IMAGE = new Shape(1, 4, 4);
    private static final int M = 200;

    private final NoiseSchedule schedule = NoiseSchedule.ddpmLinear();
    private final GaussianPrior prior = TestPriors.randomGaussian(schedule, IMAGE, NoiseSource.seeded(3));
    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    private SvdOperator inpainting() {
        return new Inpainting(Masks.randomPixels(1, 4, 4, 0.5, NoiseSource.seeded(5)));
    }

    /** A measurement of one prior draw, tiled to a batch of {@code M}; returns {problem, exact posterior}. */
    private Object[] problem(SvdOperator a, MeasurementNoise noise) {
        NDArray x = prior.sample(manager, 1, DataType.FLOAT64, NoiseSource.seeded(21));
        Problem<SvdOperator> single = Problem.measure(a, x, noise, NoiseSource.seeded(22));
        GaussianPrior posterior = noise.sigma() > 0 ? prior.posterior(a, single.y(), noise.sigma()) : null;
        Problem<SvdOperator> batch = Problem.of(a, single.y().repeat(0, M), noise, new Shape(M, 1, 4, 4));
        return new Object[] {batch, posterior};
    }

    private static double[] sampleMean(NDArray batch) {
        return batch.mean(new int[] {0}).toDoubleArray();
    }

    /**
     * The solvers under test. MCG runs at alpha = 0.01: the reference's alpha = 1 belongs to clipped image priors
     * (the clip zeroes the gradient where x0Hat saturates); on this unbounded exact prior, whose Tweedie Jacobian is
     * about 1/sqrt(abar_t) ~ 150 near t = T, it overshoots (measured posterior-mean error 0.55 at alpha = 1, 0.15 at
     * 0.1, 0.067 at 0.01, against the prior mean's 0.515).
     */
    private List<Solver<?>> solvers() {
        return List.of(
                new Dps(Dps.Params.paper(schedule, TaskKind.INPAINTING).withClipX0(false).withZeta(1.0)),
                new Ddrm(Ddrm.Params.paper(schedule, TaskKind.INPAINTING)),
                new Pigdm(Pigdm.Params.paper(schedule, TaskKind.INPAINTING)
                        .withGrid(TimeGrid.ddimUniform(schedule, 20))),
                new Mcg(Mcg.Params.paper(schedule, TaskKind.INPAINTING).withClipX0(false).withAlpha(0.01)),
                new ScoreSdeProjection(ScoreSdeProjection.Params.paper(schedule, TaskKind.INPAINTING)),
                new DiffPir(DiffPir.Params.paper(schedule, TaskKind.GAUSSIAN_DEBLUR).withClipX0(false)),
                new Dds(Dds.Params.paper(schedule, TaskKind.INPAINTING)),
                new TweediePseudoInverse(TweediePseudoInverse.Params.paper(schedule, TaskKind.INPAINTING)));
    }

    /**
     * The sample mean of M = 200 draws is far closer to the exact posterior mean than the prior mean is: each method
     * uses the measurement. The bound, a third of the prior mean's error, leaves room for the known biases (DPS's
     * likelihood approximation, PiGDM's isotropic r_t, DDRM's 20 steps) and for the Monte-Carlo error of 200 samples
     * (posterior standard deviation / sqrt(200), under a tenth of the prior mean's error here).
     */
    @Test
    void posteriorMeanErrorIsWellBelowThePriorMeans() {
        Object[] pp = problem(inpainting(), MeasurementNoise.ofWorkingRange(0.1));
        @SuppressWarnings("unchecked")
        Problem<SvdOperator> p = (Problem<SvdOperator>) pp[0];
        GaussianPrior posterior = (GaussianPrior) pp[1];
        double priorError = rms(prior.mean(), posterior.mean());
        assertTrue(priorError > 0.1, "the measurement must move the posterior mean, got " + priorError);
        for (Solver<?> s : solvers()) {
            if (s instanceof TweediePseudoInverse) {
                continue; // one denoising of A^+ y is a baseline, not a posterior sampler
            }
            try (Reconstruction r = s.solveAny(p, prior, Run.seeded(1))) {
                double error = rms(sampleMean(r.xHat()), posterior.mean());
                System.out.printf("%s: posterior-mean RMS error %.4f (prior mean %.4f)%n", s.name(), error, priorError);
                assertTrue(error < priorError / 3, s + ": posterior-mean error " + error + " is not below a third of "
                        + "the prior mean's " + priorError);
            }
        }
    }

    /**
     * Score-SDE's projection and MCG end with a projection onto {x : A x = y_0} with y_0 = y (abar_{-1} = 1): on the
     * SVD tier the noiseless result satisfies A x_hat = y to rounding.
     */
    @Test
    void projectionSamplersEndOnTheMeasurement() {
        Object[] pp = problem(inpainting(), MeasurementNoise.NONE);
        @SuppressWarnings("unchecked")
        Problem<SvdOperator> p = (Problem<SvdOperator>) pp[0];
        TimeGrid grid = TimeGrid.ddimUniform(schedule, 50);
        for (Solver<?> s : List.of(new ScoreSdeProjection(ScoreSdeProjection.Params.paper(schedule,
                TaskKind.INPAINTING).withGrid(grid)), new Mcg(Mcg.Params.paper(schedule, TaskKind.INPAINTING)
                .withGrid(grid).withClipX0(false)))) {
            try (Reconstruction r = s.solveAny(p, prior, Run.seeded(4))) {
                assertArrayEquals(p.y().toDoubleArray(), p.a().apply(r.xHat()).toDoubleArray(), 1e-9, s.name());
            }
        }
    }

    /** The pseudo-inverse baseline is A^+ y itself (clipped): on a mask, the observed pixels of y and zeros. */
    @Test
    void pseudoInverseBaselineIsThePseudoInverse() {
        Object[] pp = problem(inpainting(), MeasurementNoise.ofWorkingRange(0.1));
        @SuppressWarnings("unchecked")
        Problem<SvdOperator> p = (Problem<SvdOperator>) pp[0];
        try (Reconstruction r = PseudoInverse.paper().solveAny(p, prior, Run.seeded(1))) {
            assertArrayEquals(p.a().pinv(p.y()).clip(-1, 1).toDoubleArray(), r.xHat().toDoubleArray(), 0.0);
            assertEquals(0, r.cost().nfe());
            assertEquals(1, r.cost().operatorSolves());
        }
    }

    /** DiffPIR's quadratic grid matches the reference's list (N = 20: 999, 770, 675, 602, ..., 82, 54, 26, 0). */
    @Test
    void diffPirGridIsTheReferences() {
        TimeGrid g = DiffPir.quadraticGrid(schedule, 20);
        assertEquals(19, g.size());
        int[] t = g.times();
        assertEquals(List.of(999, 770, 675, 602), List.of(t[0], t[1], t[2], t[3]));
        assertEquals(List.of(82, 54, 26), List.of(t[16], t[17], t[18]));
        assertEquals(0, g.finalPrev());
        TimeGrid g100 = DiffPir.quadraticGrid(schedule, 100);
        assertEquals(List.of(999, 899, 857, 825, 798), List.of(g100.t(0), g100.t(1), g100.t(2), g100.t(3), g100.t(4)));
        assertEquals(List.of(15, 10, 5), List.of(g100.t(96), g100.t(97), g100.t(98)));
    }

    /**
     * Noiseless DDRM with eta_b = 1 ends every observed spectral coefficient on ybar = S^+ U^T y (the paper's
     * Eq. 8 at sigma_0 = 0), so A x_hat = y to rounding.
     */
    @Test
    void noiselessDdrmReproducesTheMeasurement() {
        for (SvdOperator a : List.of(inpainting(), SuperResolution.averagePool(2))) {
            Object[] pp = problem(a, MeasurementNoise.NONE);
            @SuppressWarnings("unchecked")
            Problem<SvdOperator> p = (Problem<SvdOperator>) pp[0];
            try (Reconstruction r = new Ddrm(Ddrm.Params.paper(schedule, TaskKind.INPAINTING)).solve(p, prior,
                    Run.seeded(2))) {
                double[] ax = a.apply(r.xHat()).toDoubleArray();
                assertArrayEquals(p.y().toDoubleArray(), ax, 1e-9, a.name());
            }
        }
    }

    /**
     * Noiseless PiGDM's last step is x0Hat + w sqrt(abar_t) J^T (H^+ y - P x0Hat) at t = 0, where
     * sqrt(abar_0) J = Sigma (abar_0 Sigma + beta_0 I)^{-1} differs from the identity by about beta_0 / lambda_min
     * = 1e-4 / 0.05 = 2e-3: the projection onto {A x = y} holds to that relative order, not exactly. The bound 1e-2
     * of ||y|| leaves a factor 5 for the earlier steps' residue.
     */
    @Test
    void noiselessPigdmReproducesTheMeasurementToTheOrderOfItsJacobianGap() {
        Object[] pp = problem(inpainting(), MeasurementNoise.NONE);
        @SuppressWarnings("unchecked")
        Problem<SvdOperator> p = (Problem<SvdOperator>) pp[0];
        try (Reconstruction r = new Pigdm(Pigdm.Params.paper(schedule, TaskKind.INPAINTING)
                .withGrid(TimeGrid.ddimUniform(schedule, 20))).solve(p, prior, Run.seeded(2))) {
            double residual = a(p).apply(r.xHat()).sub(p.y()).norm().getDouble();
            double yNorm = p.y().norm().getDouble();
            assertTrue(residual < 1e-2 * yNorm, "||A x - y|| = " + residual + " vs ||y|| = " + yNorm);
        }
    }

    private static SvdOperator a(Problem<SvdOperator> p) {
        return p.a();
    }

    /**
     * The same seed gives the same draws, so the same output up to the native kernels' last bits: PyTorch's CPU
     * kernels (MKL GEMM among them) may round the last bit differently between two calls in one JVM, measured as
     * 1.3838837160480209 vs 1.3838837160480195 after 1000 DPS steps, about 1e-15 relative; {@code MKL_CBWR=AUTO,STRICT}
     * (set by the pom and the kit script) makes it rarer but not absent. The bound 1e-12 relative is a thousand times
     * that; a different seed moves the output by order 1e-1.
     */
    @Test
    void sameSeedGivesTheSameOutput() {
        Object[] pp = problem(inpainting(), MeasurementNoise.ofWorkingRange(0.1));
        @SuppressWarnings("unchecked")
        Problem<SvdOperator> p = (Problem<SvdOperator>) pp[0];
        for (Solver<?> s : solvers()) {
            try (Reconstruction a = s.solveAny(p, prior, Run.seeded(9));
                 Reconstruction b = s.solveAny(p, prior, Run.seeded(9));
                 Reconstruction c = s.solveAny(p, prior, Run.seeded(10))) {
                double[] va = a.xHat().toDoubleArray();
                double scale = Math.sqrt(java.util.Arrays.stream(va).map(v -> v * v).average().orElse(1));
                double diff = rms(va, b.xHat().toDoubleArray());
                assertTrue(diff <= 1e-12 * scale, s.name() + ": same seed, different output (RMS difference " + diff
                        + " at output RMS " + scale + ")");
                assertTrue(rms(va, c.xHat().toDoubleArray()) > 1e-3 * scale, s.name() + " ignores the seed");
            }
        }
    }

    @Test
    void theLedgerCountsWhatEachMethodDoes() {
        Object[] pp = problem(inpainting(), MeasurementNoise.ofWorkingRange(0.1));
        @SuppressWarnings("unchecked")
        Problem<SvdOperator> p = (Problem<SvdOperator>) pp[0];
        TimeGrid grid = TimeGrid.ddimUniform(schedule, 10);
        Cost dps = new Dps(new Dps.Params(grid, 0.5, 1, false)).solve(p, prior, Run.seeded(1)).cost();
        assertEquals(10, dps.nfe());
        assertEquals(10, dps.vjp());
        assertEquals(10, dps.operatorCalls());
        assertEquals(10, dps.operatorVjps());
        assertEquals(0, dps.operatorSolves());
        Cost ddrm = new Ddrm(new Ddrm.Params(grid, 0.85, 1)).solve(p, prior, Run.seeded(1)).cost();
        assertEquals(10, ddrm.nfe());
        assertEquals(0, ddrm.vjp());
        assertEquals(0, ddrm.operatorSolves());
        assertEquals(2 + 3 * 10, ddrm.basisChanges()); // U^T y and V(start); per step V^T x0, V^T eps, V
        Cost pigdm = new Pigdm(new Pigdm.Params(grid, 1, 1)).solve(p, prior, Run.seeded(1)).cost();
        assertEquals(10, pigdm.nfe());
        assertEquals(10, pigdm.vjp());
        assertEquals(1, pigdm.operatorSolves()); // the warm start's H^+ y
    }

    @Test
    void trajectoryHoldsTheAskedSnapshots() {
        Object[] pp = problem(inpainting(), MeasurementNoise.ofWorkingRange(0.1));
        @SuppressWarnings("unchecked")
        Problem<SvdOperator> p = (Problem<SvdOperator>) pp[0];
        try (Reconstruction r = new Ddrm(Ddrm.Params.paper(schedule, TaskKind.INPAINTING)).solve(p, prior,
                Run.seeded(1).recordSnapshots(5))) {
            assertEquals(5, r.trajectory().size());
            assertEquals(0, r.trajectory().get(0).index());
            assertEquals(19, r.trajectory().get(4).index());
            assertEquals(950, r.trajectory().get(0).t());
            assertEquals(p.xShape(), r.trajectory().get(2).x0Hat().getShape());
        }
    }

    /** A 200-step DPS run (network VJP every step) keeps the number of live arrays flat. */
    @Test
    void aLongRunKeepsLiveArraysFlat() {
        Object[] pp = problem(inpainting(), MeasurementNoise.ofWorkingRange(0.1));
        @SuppressWarnings("unchecked")
        Problem<SvdOperator> p = (Problem<SvdOperator>) pp[0];
        List<Integer> live = new ArrayList<>();
        Run run = Run.seeded(1).listen((i, total, step, result) -> {
            if (i == 10 || i == 100 || i == 190) {
                live.add(ProcessMemory.liveArrays(manager));
            }
        });
        int before = ProcessMemory.liveArrays(manager);
        try (Reconstruction r = new Dps(new Dps.Params(TimeGrid.ddimUniform(schedule, 200), 0.5, 1, false))
                .solve(p, prior, run)) {
            assertEquals(3, live.size());
            assertEquals(live.get(0), live.get(1), "live arrays grew between steps 10 and 100: " + live);
            assertEquals(live.get(1), live.get(2), "live arrays grew between steps 100 and 190: " + live);
        }
        assertEquals(before, ProcessMemory.liveArrays(manager), "the solve left arrays behind");
    }

    @Test
    void badInputIsRefusedWithItsValueAndExpectation() {
        SvdOperator a = inpainting();
        NDArray wrong = manager.zeros(new Shape(1, 1, 4, 5), DataType.FLOAT64);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Problem.of(a, wrong, MeasurementNoise.NONE, new Shape(1, 1, 4, 4)));
        assertTrue(e.getMessage().contains("(1, 1, 4, 5)") && e.getMessage().contains("(1, 1, 4, 4)"), e.getMessage());

        NDArray nan = manager.zeros(new Shape(1, 1, 4, 4), DataType.FLOAT64);
        nan.set(new ai.djl.ndarray.index.NDIndex("0, 0, 1, 1"), Double.NaN);
        e = assertThrows(IllegalArgumentException.class,
                () -> Problem.of(a, nan, MeasurementNoise.NONE, new Shape(1, 1, 4, 4)));
        assertTrue(e.getMessage().contains("1 NaN") && e.getMessage().contains("finite"), e.getMessage());

        Object[] pp = problem(a, MeasurementNoise.ofWorkingRange(0.1));
        @SuppressWarnings("unchecked")
        Problem<SvdOperator> p = (Problem<SvdOperator>) pp[0];
        Ddrm onOtherSchedule = new Ddrm(Ddrm.Params.paper(NoiseSchedule.ldmScaledLinear(), TaskKind.INPAINTING));
        e = assertThrows(IllegalArgumentException.class, () -> onOtherSchedule.solve(p, prior, Run.seeded(1)));
        assertTrue(e.getMessage().contains("DDRM") && e.getMessage().contains("schedule"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class, () -> org.diffinv.sampling.Sampler.ddim(
                TimeGrid.ddimUniform(schedule, 5), 0).run(prior, nan, null, org.diffinv.diffusion.SamplerListener.none()));
        assertTrue(e.getMessage().contains("start point") && e.getMessage().contains("1 NaN"), e.getMessage());

        MotionBlur blur = new MotionBlur(MotionKernels.generate(3, 0.5, NoiseSource.seeded(1)));
        NDArray x = prior.sample(manager, 1, DataType.FLOAT64, NoiseSource.seeded(1));
        Problem<MotionBlur> linear = Problem.measure(blur, x, MeasurementNoise.NONE, NoiseSource.seeded(1));
        e = assertThrows(IllegalArgumentException.class,
                () -> new Pigdm(Pigdm.Params.paper(schedule, TaskKind.MOTION_DEBLUR)).solveAny(linear, prior,
                        Run.seeded(1)));
        assertTrue(e.getMessage().contains("pigdm") && e.getMessage().contains(blur.name())
                && e.getMessage().contains("'SVD'") && e.getMessage().contains("'linear'"), e.getMessage());
    }
}
