package org.diffinv.solvers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.diffusion.NoiseSource;
import org.diffinv.diffusion.TimeGrid;
import org.diffinv.linalg.CgOptions;
import org.diffinv.metrics.Cost;
import org.diffinv.metrics.ProcessMemory;
import org.diffinv.operators.Denoising;
import org.diffinv.operators.FiniteDifference;
import org.diffinv.operators.Inpainting;
import org.diffinv.operators.Masks;
import org.diffinv.operators.MeasurementNoise;
import org.diffinv.operators.NonlinearBlur;
import org.diffinv.operators.GaussianBlur;
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
 * PnP-ADMM, ADMM-TV and DAPS against exact answers: on an exact Gaussian prior (FLOAT64, 1 x 4 x 4 images, random
 * inpainting, sigma_y = 0.1) PnP-ADMM's estimate and DAPS's posterior mean are far closer to the exact posterior mean
 * than the prior mean is; ADMM-TV reaches the TV minimiser computed independently by Chambolle and Pock's
 * primal-dual algorithm on plain Java arrays; determinism, the cost ledger, flat memory over long runs, bad input.
 */
class AdmmAndDapsTest {

    private static final Shape IMAGE = new Shape(1, 4, 4);
    private static final int M = 200;
    private static final double SIGMA_Y = 0.1;

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

    private Problem<SvdOperator> single;
    private GaussianPrior posterior;

    /** A measurement of one prior draw through a random inpainting mask, tiled to a batch of {@code batch}. */
    private Problem<SvdOperator> problem(int batch) {
        SvdOperator a = new Inpainting(Masks.randomPixels(1, 4, 4, 0.5, NoiseSource.seeded(5)));
        MeasurementNoise noise = MeasurementNoise.ofWorkingRange(SIGMA_Y);
        NDArray x = prior.sample(manager, 1, DataType.FLOAT64, NoiseSource.seeded(21));
        single = Problem.measure(a, x, noise, NoiseSource.seeded(22));
        posterior = prior.posterior(a, single.y(), noise.sigma());
        return Problem.of(a, single.y().repeat(0, batch), noise, new Shape(batch, 1, 4, 4));
    }

    /**
     * DAPS on the exact prior with the likelihood's own temperature, {@code tau = sqrt(2) sigma_y} (the reference's
     * Langevin target {@code ||A w - y||^2 / tau^2} is then the Gaussian likelihood), 50 levels x 2 Euler steps,
     * 50 Langevin steps at lr 1e-3 (stable: lr (2/tau^2 + 1/sigma_min^2) = 0.2 < 2).
     */
    private Daps exactDaps() {
        return new Daps(Daps.Params.paper(schedule, TaskKind.INPAINTING).withBudget(50, 2).withLangevinSteps(50)
                .withLr(1e-3).withTau(Math.sqrt(2) * SIGMA_Y));
    }

    /** PnP-ADMM on the exact prior: unclipped, 20 iterations, noise levels 1 -> 0.1, rho = sigma_y^2 / sd_end^2 = 1. */
    private PnpAdmm exactPnp() {
        return new PnpAdmm(PnpAdmm.Params.paper(schedule, TaskKind.INPAINTING).withClip(false).withIterations(20)
                .withNoiseLevels(1.0, 0.1).withRho(1.0));
    }

    /**
     * The sample mean of M = 200 DAPS draws, and PnP-ADMM's one estimate, are within a third of the prior mean's
     * error of the exact posterior mean. The bound leaves room for DAPS's Gaussian approximation of p(x0 | x_k) and
     * its short Langevin chains, for PnP's MMSE-for-MAP substitution and for the Monte-Carlo error of 200 draws.
     */
    @Test
    void estimatesAreFarCloserToThePosteriorMeanThanThePriorMeanIs() {
        Problem<SvdOperator> p = problem(M);
        double priorError = rms(prior.mean(), posterior.mean());
        assertTrue(priorError > 0.1, "the measurement must move the posterior mean, got " + priorError);
        try (Reconstruction r = exactDaps().solve(p, prior, Run.seeded(1))) {
            double error = rms(r.xHat().mean(new int[] {0}).toDoubleArray(), posterior.mean());
            System.out.printf("daps: posterior-mean RMS error %.4f (prior mean %.4f)%n", error, priorError);
            assertTrue(error < priorError / 3, "DAPS posterior-mean error " + error + " vs prior mean's " + priorError);
        }
        try (Reconstruction r = exactPnp().solve(problem(1), prior, Run.seeded(1))) {
            double error = rms(r.xHat().toDoubleArray(), posterior.mean());
            System.out.printf("pnp-admm: RMS error to the posterior mean %.4f (prior mean %.4f)%n", error, priorError);
            assertTrue(error < priorError / 3, "PnP-ADMM error " + error + " vs prior mean's " + priorError);
        }
    }

    @Test
    void dapsIsDeterministicPerSeedAndPnpIsDeterministic() {
        Problem<SvdOperator> p = problem(4);
        try (Reconstruction a = exactDaps().solve(p, prior, Run.seeded(9));
             Reconstruction b = exactDaps().solve(p, prior, Run.seeded(9));
             Reconstruction c = exactDaps().solve(p, prior, Run.seeded(10))) {
            double[] va = a.xHat().toDoubleArray();
            assertTrue(rms(va, b.xHat().toDoubleArray()) <= 1e-12, "DAPS: same seed, different output");
            assertTrue(rms(va, c.xHat().toDoubleArray()) > 1e-3, "DAPS ignores the seed");
        }
        // PnP-ADMM draws no noise: any two seeds give the same estimate
        try (Reconstruction a = exactPnp().solve(p, prior, Run.seeded(9));
             Reconstruction b = exactPnp().solve(p, prior, Run.seeded(10))) {
            assertTrue(rms(a.xHat().toDoubleArray(), b.xHat().toDoubleArray()) <= 1e-12, "PnP-ADMM is not deterministic");
        }
    }

    @Test
    void theLedgerCountsWhatEachMethodDoes() {
        Problem<SvdOperator> p = problem(2);
        Cost pnp = exactPnp().solve(p, prior, Run.seeded(1)).cost();
        assertEquals(20, pnp.nfe());
        assertEquals(0, pnp.vjp());
        assertEquals(20, pnp.operatorSolves());
        Cost tv = new AdmmTv(AdmmTv.Params.paper(TaskKind.INPAINTING).withIterations(7)).solve(p, prior,
                Run.seeded(1)).cost();
        assertEquals(0, tv.nfe());
        assertEquals(7, tv.operatorSolves());
        Daps daps = new Daps(Daps.Params.paper(schedule, TaskKind.INPAINTING).withBudget(10, 3).withLangevinSteps(4));
        Cost dc = daps.solve(p, prior, Run.seeded(1)).cost();
        assertTrue(dc.nfe() <= 30 && dc.nfe() >= 25, "DAPS 10 levels x 3 Euler steps: NFE " + dc.nfe());
        assertEquals(0, dc.vjp());
        assertEquals(40, dc.operatorVjps());
        assertEquals(40, dc.operatorCalls());
    }

    @Test
    void dapsAnnealingLevelsAreTheReferencesSnappedToTheSchedule() {
        Daps daps = new Daps(Daps.Params.paper(schedule, TaskKind.SUPER_RESOLUTION));
        TimeGrid grid = daps.annealingGrid(schedule);
        assertEquals(200, grid.size());
        assertEquals(100.0, Daps.poly7(100, 0.1, 0), 1e-12);
        assertEquals(0.1, Daps.poly7(100, 0.1, 1), 1e-12);
        for (int k : new int[] {0, 50, 100, 199}) {
            double sigma = Daps.poly7(100, 0.1, k / 200.0);
            double snapped = schedule.veSigma(grid.t(k));
            assertTrue(Math.abs(Math.log(snapped / sigma)) < 0.02, "level " + k + ": " + sigma + " snapped to " + snapped);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Daps(Daps.Params.paper(schedule, TaskKind.SUPER_RESOLUTION).withBudget(2000, 5))
                        .annealingGrid(schedule));
        assertTrue(e.getMessage().contains("snap to indices") && e.getMessage().contains("fewer levels"), e.getMessage());
    }

    /**
     * ROF denoising, {@code min 1/2 ||x - y||^2 + lambda TV(x)} on a 6 x 6 image: ADMM-TV (exact CG, 1000 iterations;
     * measured unchanged to 1e-8 from 1000 to 6000) against Chambolle and Pock's accelerated primal-dual algorithm (2011,
     * Algorithm 2, the data term 1-strongly convex) on plain Java arrays with its own finite differences, 400,000
     * iterations (measured 3.8e-7 RMS from its 1.6M-iteration result). The bound 2e-6 is five times that remaining
     * error and far below the solution's scale (about 0.3).
     */
    @Test
    void admmTvReachesTheTvMinimiserComputedIndependently() {
        int h = 6;
        int w = 6;
        double lambda = 0.1;
        double[] yv = new double[h * w];
        NoiseSource noise = NoiseSource.seeded(4);
        for (int i = 0; i < h; i++) {
            for (int j = 0; j < w; j++) {
                yv[i * w + j] = (j < 3 ? 0.4 : -0.3) + (i > 3 ? 0.2 : 0) + 0.1 * noise.nextGaussian();
            }
        }
        double[] expected = rofByChambollePock(yv, h, w, lambda, 400000);
        NDArray y = manager.create(yv, new Shape(1, 1, h, w));
        Problem<Denoising> p = Problem.of(new Denoising(), y, MeasurementNoise.ofWorkingRange(0.1), new Shape(1, 1, h, w));
        AdmmTv tv = new AdmmTv(new AdmmTv.Params(lambda, 1.0, 1000, CgOptions.EXACT));
        try (Reconstruction r = tv.solve(p, prior, Run.seeded(1))) {
            double[] got = r.xHat().toDoubleArray();
            double error = rms(got, expected);
            System.out.printf("admm-tv vs Chambolle-Pock: RMS %.2e%n", error);
            assertTrue(error < 2e-6, "ADMM-TV misses the TV minimiser by " + error);
            assertTrue(rms(got, yv) > 0.05, "the TV term must change the image");
        }
    }

    /** Chambolle-Pock 2011, Algorithm 2 for ROF: K = forward differences (Neumann), G = 1/2||x - y||^2 (gamma = 1). */
    private static double[] rofByChambollePock(double[] y, int h, int w, double lambda, int iterations) {
        int n = h * w;
        double[] x = y.clone();
        double[] xBar = y.clone();
        double[] ph = new double[n];
        double[] pv = new double[n];
        double tau = 0.25;
        double sigma = 0.5; // tau sigma ||K||^2 <= 0.125 * 8 = 1
        for (int it = 0; it < iterations; it++) {
            for (int i = 0; i < h; i++) {
                for (int j = 0; j < w; j++) {
                    int k = i * w + j;
                    double gh = j + 1 < w ? xBar[k + 1] - xBar[k] : 0;
                    double gv = i + 1 < h ? xBar[k + w] - xBar[k] : 0;
                    double qh = ph[k] + sigma * gh;
                    double qv = pv[k] + sigma * gv;
                    double scale = Math.max(1, Math.hypot(qh, qv) / lambda);
                    ph[k] = qh / scale;
                    pv[k] = qv / scale;
                }
            }
            double[] xOld = x.clone();
            for (int i = 0; i < h; i++) {
                for (int j = 0; j < w; j++) {
                    int k = i * w + j;
                    // K^T p = -div p
                    double div = (j + 1 < w ? ph[k] : 0) - (j > 0 ? ph[k - 1] : 0)
                            + (i + 1 < h ? pv[k] : 0) - (i > 0 ? pv[k - w] : 0);
                    double v = x[k] + tau * div;
                    x[k] = (v + tau * y[k]) / (1 + tau);
                }
            }
            double theta = 1 / Math.sqrt(1 + 2 * tau);
            tau *= theta;
            sigma /= theta;
            for (int k = 0; k < n; k++) {
                xBar[k] = x[k] + theta * (x[k] - xOld[k]);
            }
        }
        return x;
    }

    @Test
    void longAdmmRunsAndDapsKeepLiveArraysFlat() {
        Problem<SvdOperator> p = problem(2);
        for (boolean tv : new boolean[] {true, false}) {
            List<Integer> live = new ArrayList<>();
            java.util.function.IntConsumer probe = k -> {
                if (k == 10 || k == 100 || k == 190) {
                    live.add(ProcessMemory.liveArrays(manager));
                }
            };
            int before = ProcessMemory.liveArrays(manager);
            Solver<?> s = tv ? new AdmmTv(AdmmTv.Params.paper(TaskKind.INPAINTING).withIterations(200), probe)
                    : new PnpAdmm(exactPnp().params().withIterations(200), probe);
            try (Reconstruction r = s.solveAny(p, prior, Run.seeded(1))) {
                assertEquals(3, live.size());
                assertEquals(live.get(0), live.get(1), s.name() + ": live arrays grew between iterations 10 and 100: " + live);
                assertEquals(live.get(1), live.get(2), s.name() + ": live arrays grew between 100 and 190: " + live);
            }
            assertEquals(before, ProcessMemory.liveArrays(manager), s.name() + " left arrays behind");
        }
        List<Integer> live = new ArrayList<>();
        Run run = Run.seeded(1).listen((i, total, step, result) -> {
            if (i == 10 || i == 100 || i == 190) {
                live.add(ProcessMemory.liveArrays(manager));
            }
        });
        Daps daps = new Daps(Daps.Params.paper(schedule, TaskKind.INPAINTING).withBudget(200, 1).withLangevinSteps(3));
        try (Reconstruction r = daps.solve(p, prior, run)) {
            assertEquals(3, live.size());
            assertEquals(live.get(0), live.get(2), "DAPS: live arrays grew between levels 10 and 190: " + live);
        }
    }

    @Test
    void badInputAndWrongTiersAreRefusedClearly() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new AdmmTv.Params(-1, 0.5, 10, CgOptions.DEFAULT));
        assertTrue(e.getMessage().contains("lambda") && e.getMessage().contains("-1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> exactPnp().params().withNoiseLevels(0, 0.1));
        assertTrue(e.getMessage().contains("sdStart 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> exactDaps().params().withTau(Double.NaN));
        assertTrue(e.getMessage().contains("tau NaN"), e.getMessage());
        NonlinearBlur nonlinear = new NonlinearBlur(GaussianBlur.reflect(3, 1.0));
        NDArray x = prior.sample(manager, 1, DataType.FLOAT64, NoiseSource.seeded(1));
        Problem<NonlinearBlur> forwardOnly = Problem.measure(nonlinear, x, MeasurementNoise.NONE, NoiseSource.seeded(1));
        for (Solver<?> s : List.of(exactPnp(), new AdmmTv(AdmmTv.Params.paper(TaskKind.NONLINEAR_DEBLUR)))) {
            e = assertThrows(IllegalArgumentException.class, () -> s.solveAny(forwardOnly, prior, Run.seeded(1)));
            assertTrue(e.getMessage().contains("tier 'linear'") && e.getMessage().contains(nonlinear.name()),
                    e.getMessage());
        }
        // DAPS takes the forward tier: a nonlinear operator runs
        try (Reconstruction r = new Daps(Daps.Params.paper(schedule, TaskKind.NONLINEAR_DEBLUR).withBudget(5, 1)
                .withLangevinSteps(2)).solveAny(forwardOnly, prior, Run.seeded(1))) {
            assertEquals(x.getShape(), r.xHat().getShape());
        }
        FiniteDifference d = new FiniteDifference();
        e = assertThrows(IllegalArgumentException.class, () -> d.apply(manager.zeros(new Shape(1, 1, 1, 4))));
        assertTrue(e.getMessage().contains("2 x 2") && e.getMessage().contains("(1, 1, 1, 4)"), e.getMessage());
    }
}
