package org.diffinv.solvers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.diffusion.NoiseSource;
import org.diffinv.metrics.ProcessMemory;
import org.diffinv.operators.Inpainting;
import org.diffinv.operators.Masks;
import org.diffinv.operators.MeasurementNoise;
import org.diffinv.operators.SvdOperator;
import org.diffinv.priors.ConsistencyFunction;
import org.diffinv.priors.GaussianPrior;
import org.diffinv.priors.OdeConsistency;
import org.diffinv.priors.TestPriors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.diffinv.solvers.SolverTestSupport.rms;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * DCDP-CM against exact answers: on the exact Gaussian prior (1 x 4 x 4, random inpainting, sigma_y = 0.1) with the
 * prior's exact consistency function ({@link GaussianPrior#consistencyFunction}), and with the ODE map of the prior
 * ({@link OdeConsistency}) that approximates it; the level schedule, the ledger, determinism, flat memory, refusals.
 */
class DcdpCmTest {

    private static final int M = 200;
    private final NoiseSchedule schedule = NoiseSchedule.ddpmLinear();
    private final GaussianPrior prior = TestPriors.randomGaussian(schedule, new Shape(1, 4, 4), NoiseSource.seeded(3));
    private final SvdOperator a = new Inpainting(Masks.randomPixels(1, 4, 4, 0.5, NoiseSource.seeded(5)));
    private final MeasurementNoise noise = MeasurementNoise.ofWorkingRange(0.1);
    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    /** As DcdpTest's exact settings: unclipped, K = 10, tau = 50, lr 1; levels sigma(399) -> sigma(0). */
    private DcdpCm.Params exact() {
        return DcdpCm.Params.paper(schedule, TaskKind.SUPER_RESOLUTION).withClip(false).withLr(1.0).withTau(50);
    }

    /**
     * The exact consistency function is the limit of the ODE map: at up to 200 DDIM steps they agree to 5e-3 at every
     * level DCDP-CM uses, and ten times fewer steps are at least twice as far (the ODE map's first-order
     * discretisation error; measured 2.4e-3 at t = 100 with 100 steps).
     */
    @Test
    void odeMapApproachesTheExactConsistencyFunction() {
        ConsistencyFunction exact = prior.consistencyFunction();
        ConsistencyFunction ode = new OdeConsistency(prior, 200);
        ConsistencyFunction coarse = new OdeConsistency(prior, 20);
        NDArray x = NoiseSource.seeded(6).normal(manager, new Shape(50, 1, 4, 4), DataType.FLOAT64);
        for (int t : new int[] {100, 399}) {
            double[] e = exact.x0(x, t).toDoubleArray();
            double d = rms(e, ode.x0(x, t).toDoubleArray());
            double dCoarse = rms(e, coarse.x0(x, t).toDoubleArray());
            assertTrue(d < 5e-3, "t = " + t + ": ODE map differs from the exact consistency function by " + d);
            assertTrue(dCoarse > 2 * d, "t = " + t + ": 20 steps " + dCoarse + " vs more steps " + d);
        }
        // at index 0 (sigma_0 = 0.01) the exact function is the identity up to sigma_0^2 / lambda
        assertArrayEquals(x.div(Math.sqrt(schedule.alphaBar(0))).toDoubleArray(), exact.x0(x, 0).toDoubleArray(), 5e-3);
    }

    /**
     * The sample mean over 200 draws is within a third of the prior mean's error of the exact posterior mean (the bound
     * of DCDP V1 / V2 in DcdpTest, for the same reason: DCDP's data steps fit y, noise included), with the exact
     * consistency function and with the ODE map; NFE: one per round with the consistency function, up to 20 per round
     * with the ODE map.
     */
    @Test
    void estimatesAreFarCloserToThePosteriorMeanThanThePriorMeanIs() {
        NDArray x = prior.sample(manager, 1, DataType.FLOAT64, NoiseSource.seeded(21));
        Problem<SvdOperator> single = Problem.measure(a, x, noise, NoiseSource.seeded(22));
        double[] postMean = prior.posterior(a, single.y(), noise.sigma()).mean();
        double priorError = rms(prior.mean(), postMean);
        Problem<SvdOperator> p = Problem.of(a, single.y().repeat(0, M), noise, new Shape(M, 1, 4, 4));
        for (DcdpCm solver : new DcdpCm[] {new DcdpCm(exact(), prior.consistencyFunction()),
            DcdpCm.withOdeConsistency(exact(), 20)}) {
            try (Reconstruction r = solver.solve(p, prior, Run.seeded(1))) {
                double error = rms(r.xHat().mean(new int[] {0}).toDoubleArray(), postMean);
                System.out.printf("%s: posterior-mean RMS error %.4f (prior mean %.4f), nfe %d%n", solver.name(), error,
                        priorError, r.cost().nfe());
                assertTrue(error < priorError / 3, solver.name() + ": error " + error + " vs prior mean's " + priorError);
                assertEquals(0, r.cost().vjp());
                if (solver.consistency() != null) {
                    assertEquals(10, r.cost().nfe());
                } else {
                    assertTrue(r.cost().nfe() > 10 && r.cost().nfe() <= 200, "nfe " + r.cost().nfe());
                }
            }
        }
    }

    /**
     * The levels fall linearly in sigma from sigma(T0 - 1) to sigma(0), and their indices fall with them; the same seed
     * gives the same output, another seed another; live arrays stay flat over 100 rounds.
     */
    @Test
    void levelsDeterminismAndFlatMemory() {
        DcdpCm.Params p = exact();
        assertEquals(schedule.veSigma(399), p.sigma(0), 1e-12);
        assertEquals(schedule.veSigma(0), p.sigma(p.rounds() - 1), 1e-12);
        int[] idx = new DcdpCm(p, prior.consistencyFunction()).indices(schedule);
        assertEquals(399, idx[0]);
        assertEquals(0, idx[idx.length - 1]);
        for (int k = 1; k < idx.length; k++) {
            assertTrue(idx[k] <= idx[k - 1], "indices must fall: " + java.util.Arrays.toString(idx));
        }
        NDArray x = prior.sample(manager, 2, DataType.FLOAT64, NoiseSource.seeded(21));
        Problem<SvdOperator> prob = Problem.measure(a, x, noise, NoiseSource.seeded(22));
        DcdpCm solver = new DcdpCm(p, prior.consistencyFunction());
        try (Reconstruction r1 = solver.solve(prob, prior, Run.seeded(9));
             Reconstruction r2 = solver.solve(prob, prior, Run.seeded(9));
             Reconstruction r3 = solver.solve(prob, prior, Run.seeded(10))) {
            assertEquals(0, rms(r1.xHat().toDoubleArray(), r2.xHat().toDoubleArray()), 0);
            assertTrue(rms(r1.xHat().toDoubleArray(), r3.xHat().toDoubleArray()) > 1e-4);
        }
        List<Integer> live = new ArrayList<>();
        int[] calls = new int[1];
        ConsistencyFunction exact = prior.consistencyFunction();
        ConsistencyFunction probing = new ConsistencyFunction() {
            @Override
            public NoiseSchedule schedule() {
                return schedule;
            }

            @Override
            public NDArray x0(NDArray xt, int t) {
                calls[0]++;
                if (calls[0] == 10 || calls[0] == 50 || calls[0] == 90) {
                    live.add(ProcessMemory.liveArrays(manager));
                }
                return exact.x0(xt, t);
            }
        };
        int before = ProcessMemory.liveArrays(manager);
        try (Reconstruction r = new DcdpCm(p.withRounds(100).withTau(5), probing).solve(prob, prior, Run.seeded(1))) {
            assertEquals(3, live.size());
            assertEquals(live.get(0), live.get(1), "live arrays grew: " + live);
            assertEquals(live.get(1), live.get(2), "live arrays grew: " + live);
        }
        assertEquals(before, ProcessMemory.liveArrays(manager), "the solve left arrays behind");
    }

    @Test
    void badValuesAreRefusedWithTheirValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> exact().withSigmas(0.1, 1.0));
        assertTrue(e.getMessage().contains("sigmaStart = 0.1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> exact().withLr(Double.NaN));
        assertTrue(e.getMessage().contains("NaN"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new DcdpCm(exact(), null));
        assertTrue(e.getMessage().contains("consistency function"), e.getMessage());
        GaussianPrior other = TestPriors.randomGaussian(NoiseSchedule.ldmScaledLinear(), new Shape(1, 4, 4),
                NoiseSource.seeded(3));
        NDArray x = prior.sample(manager, 1, DataType.FLOAT64, NoiseSource.seeded(21));
        Problem<SvdOperator> prob = Problem.measure(a, x, noise, NoiseSource.seeded(22));
        e = assertThrows(IllegalArgumentException.class,
                () -> new DcdpCm(exact(), other.consistencyFunction()).solve(prob, prior, Run.seeded(1)));
        assertTrue(e.getMessage().contains("schedule"), e.getMessage());
    }
}
