package org.diffinv.solvers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.diffusion.NoiseSource;
import org.diffinv.diffusion.PurificationSchedule;
import org.diffinv.metrics.Cost;
import org.diffinv.metrics.ProcessMemory;
import org.diffinv.operators.Inpainting;
import org.diffinv.operators.Masks;
import org.diffinv.operators.MeasurementNoise;
import org.diffinv.operators.SvdOperator;
import org.diffinv.priors.ConditionalEpsPrior;
import org.diffinv.priors.GaussianPrior;
import org.diffinv.priors.LinearAutoencoder;
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
 * DCDP (pixel Versions 1 and 2, the constant-schedule variant) and latent DCDP (approaches I and II) against exact
 * answers: on an exact Gaussian prior (1 x 4 x 4, random inpainting, sigma_y = 0.1) and on the exact latent setting
 * (linear autoencoder, Gaussian latent prior), the sample mean over 200 runs is far closer to the exact posterior mean
 * than the prior mean is; the schedules, the NFE ledger, determinism, flat memory and refusals.
 */
class DcdpTest {

    private static final Shape IMAGE = new Shape(1, 4, 4);
    private static final Shape LATENT = new Shape(1, 2, 4);
    private static final int M = 200;

    private final NoiseSchedule schedule = NoiseSchedule.ddpmLinear();
    private final GaussianPrior prior = TestPriors.randomGaussian(schedule, IMAGE, NoiseSource.seeded(3));
    private final GaussianPrior latentPrior = TestPriors.randomGaussian(schedule, LATENT, NoiseSource.seeded(3));
    private final LinearAutoencoder ae = LinearAutoencoder.orthonormal(IMAGE, LATENT, NoiseSource.seeded(4));
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

    /**
     * DCDP on the exact prior: unclipped, K = 10 rounds of tau = 50 steps at lr 1 on the mean squared error (effective
     * step 2 lr / m = 0.125 with m = 16), T0 = 400 -> 1.
     */
    private Dcdp.Params exact(Dcdp.Version v) {
        return Dcdp.Params.paper(schedule, TaskKind.SUPER_RESOLUTION, v).withClip(false).withLr(1.0).withTau(50);
    }

    private LatentDcdp.Params exactLatent(LatentDcdp.Approach approach, Dcdp.Version v) {
        return LatentDcdp.Params.paper(schedule, TaskKind.SUPER_RESOLUTION, approach, v).withLr(1.0)
                .withRounds(10, 50);
    }

    /**
     * The sample mean over 200 draws is within a third of the prior mean's error of the exact posterior mean: the
     * rounds fit the data, the purifications pull towards the prior (measured errors are printed). The bound leaves room
     * for DCDP not being a posterior sampler (its data steps fit y, noise included) and for 200 draws.
     */
    @Test
    void estimatesAreFarCloserToThePosteriorMeanThanThePriorMeanIs() {
        NDArray x = prior.sample(manager, 1, DataType.FLOAT64, NoiseSource.seeded(21));
        Problem<SvdOperator> single = Problem.measure(a, x, noise, NoiseSource.seeded(22));
        double[] postMean = prior.posterior(a, single.y(), noise.sigma()).mean();
        double priorError = rms(prior.mean(), postMean);
        Problem<SvdOperator> p = Problem.of(a, single.y().repeat(0, M), noise, new Shape(M, 1, 4, 4));
        for (Dcdp.Version v : Dcdp.Version.values()) {
            try (Reconstruction r = new Dcdp(exact(v)).solve(p, prior, Run.seeded(1))) {
                double error = rms(r.xHat().mean(new int[] {0}).toDoubleArray(), postMean);
                System.out.printf("dcdp %s: posterior-mean RMS error %.4f (prior mean %.4f)%n", v, error, priorError);
                assertTrue(error < priorError / 3, v + ": error " + error + " vs prior mean's " + priorError);
            }
        }
        NDArray xl = ae.decode(latentPrior.sample(manager, 1, DataType.FLOAT64, NoiseSource.seeded(21)));
        Problem<SvdOperator> singleLatent = Problem.measure(a, xl, noise, NoiseSource.seeded(22));
        GaussianPrior posterior = latentPrior.posterior(ae.decoderOperator().then(a), singleLatent.y(), noise.sigma());
        double[] latentPostMean = ae.decode(manager.create(posterior.mean(), new Shape(1).addAll(LATENT))).toDoubleArray();
        double latentPriorError = rms(ae.decode(manager.create(latentPrior.mean(), new Shape(1).addAll(LATENT)))
                .toDoubleArray(), latentPostMean);
        Problem<SvdOperator> pl = Problem.of(a, singleLatent.y().repeat(0, M), noise, new Shape(M, 1, 4, 4));
        NDArray c = manager.zeros(new Shape(1, 1, 1), DataType.FLOAT64);
        LatentPrior lp = new LatentPrior(ConditionalEpsPrior.ignoringCondition(latentPrior), ae, c, c);
        for (LatentDcdp.Approach approach : LatentDcdp.Approach.values()) {
            for (Dcdp.Version v : Dcdp.Version.values()) {
                LatentDcdp s = new LatentDcdp(exactLatent(approach, v));
                try (Reconstruction r = s.solve(pl, lp, Run.seeded(1))) {
                    double error = rms(r.xHat().mean(new int[] {0}).toDoubleArray(), latentPostMean);
                    System.out.printf("%s: posterior-mean RMS error %.4f (prior mean %.4f)%n", s.name(), error,
                            latentPriorError);
                    assertTrue(error < latentPriorError / 3, s.name() + ": error " + error + " vs prior mean's "
                            + latentPriorError);
                }
            }
        }
    }

    @Test
    void schedulesAndTheLedgerAreTheReferences() {
        assertArrayEquals(new int[] {400, 356, 311, 267, 222, 178, 133, 89, 44, 1},
                exact(Dcdp.Version.DDIM).schedule(schedule).strengths());
        assertArrayEquals(new int[] {400, 400, 400}, PurificationSchedule.constant(schedule, 3, 400).strengths());
        Dcdp constant = new Dcdp(exact(Dcdp.Version.DDIM).withConstantSchedule());
        assertEquals("dcdp-v1-constant", constant.name());
        NDArray x = prior.sample(manager, 1, DataType.FLOAT64, NoiseSource.seeded(21));
        Problem<SvdOperator> p = Problem.measure(a, x, noise, NoiseSource.seeded(22));
        Cost v1 = new Dcdp(exact(Dcdp.Version.DDIM)).solve(p, prior, Run.seeded(1)).cost();
        assertEquals(9 * 20 + 1, v1.nfe()); // min(T_k, 20) per round: 20 for T_k >= 20, 1 for the last
        assertEquals(0, v1.vjp());
        assertEquals(10 * 50, v1.operatorCalls());
        Cost v2 = new Dcdp(exact(Dcdp.Version.TWEEDIE)).solve(p, prior, Run.seeded(1)).cost();
        assertEquals(10, v2.nfe());
        Cost c = constant.solve(p, prior, Run.seeded(1)).cost();
        assertEquals(10 * 20, c.nfe());
    }

    @Test
    void sameSeedGivesTheSameOutputAndMemoryStaysFlat() {
        NDArray x = prior.sample(manager, 2, DataType.FLOAT64, NoiseSource.seeded(21));
        Problem<SvdOperator> p = Problem.measure(a, x, noise, NoiseSource.seeded(22));
        for (Dcdp.Version v : Dcdp.Version.values()) {
            try (Reconstruction r1 = new Dcdp(exact(v)).solve(p, prior, Run.seeded(9));
                 Reconstruction r2 = new Dcdp(exact(v)).solve(p, prior, Run.seeded(9));
                 Reconstruction r3 = new Dcdp(exact(v)).solve(p, prior, Run.seeded(10))) {
                double[] a1 = r1.xHat().toDoubleArray();
                assertTrue(rms(a1, r2.xHat().toDoubleArray()) <= 1e-12, v + ": same seed, different output");
                assertTrue(rms(a1, r3.xHat().toDoubleArray()) > 1e-4, v + " ignores the seed");
            }
        }
        // 100 rounds of Version 2: the live arrays after rounds 10, 50 and 90 (seen through the purification's
        // network calls) are the same
        List<Integer> live = new ArrayList<>();
        int[] calls = new int[1];
        org.diffinv.priors.EpsPrior probing = org.diffinv.priors.EpsPrior.of(schedule, (xt, t) -> {
            calls[0]++;
            if (calls[0] == 10 || calls[0] == 50 || calls[0] == 90) {
                live.add(ProcessMemory.liveArrays(manager));
            }
            return prior.eps(xt, t);
        });
        int before = ProcessMemory.liveArrays(manager);
        try (Reconstruction r = new Dcdp(exact(Dcdp.Version.TWEEDIE).withRounds(100)).solve(p, probing, Run.seeded(1))) {
            assertEquals(3, live.size());
            assertEquals(live.get(0), live.get(1), "live arrays grew between rounds 10 and 50: " + live);
            assertEquals(live.get(1), live.get(2), "live arrays grew between rounds 50 and 90: " + live);
        }
        assertEquals(before, ProcessMemory.liveArrays(manager), "the solve left arrays behind");
    }

    /**
     * The round observer sees every round; the convergence trace has both phases of each round, and each data
     * consistency lowers the residual the previous purification left (tau = 50 steps of a convergent iteration).
     */
    @Test
    void convergenceTraceRecordsEveryRound() {
        NDArray x = prior.sample(manager, 2, DataType.FLOAT64, NoiseSource.seeded(21));
        Problem<SvdOperator> p = Problem.measure(a, x, noise, NoiseSource.seeded(22));
        tech.tablesaw.api.Table t = org.diffinv.experiments.DcdpConvergence.trace("linear decay",
                exact(Dcdp.Version.TWEEDIE), p, x, prior, 1);
        assertEquals(20, t.rowCount());
        for (int k = 1; k < 10; k++) {
            double purified = t.doubleColumn("dcError").get(2 * k - 1);
            double consistent = t.doubleColumn("dcError").get(2 * k);
            assertTrue(consistent < purified, "round " + k + ": data consistency " + consistent + " vs " + purified);
        }
    }

    @Test
    void badValuesAreRefusedWithTheirValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> exact(Dcdp.Version.DDIM).withStrengths(100, 200));
        assertTrue(e.getMessage().contains("T0 = 100") && e.getMessage().contains("Tend = 200"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> exact(Dcdp.Version.DDIM).withLr(-1));
        assertTrue(e.getMessage().contains("lr") && e.getMessage().contains("-1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Dcdp(exact(Dcdp.Version.DDIM).withStrengths(2000, 0))
                .solve(Problem.measure(a, prior.sample(manager, 1, DataType.FLOAT64, NoiseSource.seeded(1)), noise,
                        NoiseSource.seeded(2)), prior, Run.seeded(1)));
        assertTrue(e.getMessage().contains("2000"), e.getMessage());
    }
}
