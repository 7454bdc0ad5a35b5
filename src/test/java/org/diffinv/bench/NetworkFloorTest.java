package org.diffinv.bench;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.experiments.Tasks;
import org.diffinv.metrics.Cost;
import org.diffinv.priors.EpsPrior;
import org.diffinv.priors.GaussianPrior;
import org.diffinv.solvers.SolverRegistry;
import org.junit.jupiter.api.Test;
import tech.tablesaw.api.Table;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NetworkFloorTest {
    private static final Shape IMAGE = new Shape(1, 32, 32);

    /**
     * The floor is images x ((NFE - VJP) t_fwd + VJP t_vjp) with the ledger's counts: ΠGDM at its paper defaults makes
     * 100 network calls, each a VJP; DDRM 20 forward calls; latent methods and refused tiers get a note, no floor.
     */
    @Test
    void floorPricesTheLedgersCountsAtTheUnitTimes() {
        NoiseSchedule s = NoiseSchedule.ddpmLinear();
        EpsPrior pixel = GaussianPrior.isotropic(s, IMAGE, new double[1024], 1.0);
        NetworkFloor.UnitTimes units = new NetworkFloor.UnitTimes(10, 2, 3.0, 7.0);
        try (NDManager m = NDManager.newBaseManager()) {
            Table t = NetworkFloor.table(pixel, null, IMAGE, List.of(Tasks.get("sr4-bicubic"), Tasks.get("motion-deblur")),
                    List.of("pigdm", "ddrm", "ldps"), 10, units, m);
            assertEquals(6, t.rowCount());
            assertEquals(100L, t.longColumn("nfe").get(0));
            assertEquals(100L, t.longColumn("vjp").get(0));
            assertEquals(10 * 100 * 7.0 / 1e3, t.doubleColumn("floor seconds").get(0), 1e-9);
            assertEquals(20L, t.longColumn("nfe").get(1));
            assertEquals(0L, t.longColumn("vjp").get(1));
            assertEquals(10 * 20 * 3.0 / 1e3, t.doubleColumn("floor seconds").get(1), 1e-9);
            assertTrue(t.stringColumn("note").get(2).startsWith("latent method: not counted (no latent prior given)"),
                    t.stringColumn("note").get(2));
            assertTrue(t.doubleColumn("floor seconds").isMissing(2));
            // motion blur is linear, not SVD: ΠGDM and DDRM refuse it, naming the tier
            assertTrue(t.stringColumn("note").get(4).startsWith("refused: ddrm needs an operator of tier"),
                    t.stringColumn("note").get(4));
            assertTrue(t.stringColumn("note").get(3).startsWith("refused: pigdm needs an operator of tier"),
                    t.stringColumn("note").get(3));
            assertEquals(7.0 + 0.6, NetworkFloor.total(t), 1e-9, "refused and latent rows add nothing");
            assertThrows(IllegalArgumentException.class, () -> NetworkFloor.table(pixel, null, IMAGE,
                    List.of(Tasks.get("sr4-bicubic")), List.of("dsp"), 10, units, m));
            assertThrows(IllegalArgumentException.class, () -> NetworkFloor.table(pixel, null, IMAGE,
                    List.of(Tasks.get("sr4-bicubic")), List.of("dps"), 0, units, m));
            assertEquals(0, org.diffinv.metrics.ProcessMemory.liveArrays(m), "counting leaves no array behind");
        }
    }

    /**
     * The counts do not depend on the prior that answers the calls: pixel methods of every kind of loop (guided
     * DDPM, SVD-space DDIM, ΠGDM's VJP steps and the conjugate integrator, DDS's CG steps, DiffPIR, ADMM, DCDP's
     * rounds) give the same NFE and VJP on a Gaussian prior and on an affine noise predictor that answers every call
     * differently (what lets an analytic prior count for the network). The long ones at paper defaults (DAPS's 100
     * Langevin steps per level, DCDP V1's purifications) take minutes even on analytic priors and are left out.
     */
    @Test
    void countsAreThePriorsWhateverPriorAnswers() {
        NoiseSchedule s = NoiseSchedule.ddpmLinear();
        EpsPrior gaussian = GaussianPrior.isotropic(s, IMAGE, new double[1024], 1.0);
        EpsPrior other = EpsPrior.of(s, (x, t) -> x.mul(0.3).add(0.1)); // another answer at every call, cheaply
        try (NDManager m = NDManager.newBaseManager()) {
            for (String name : List.of("dps", "ddrm", "pigdm", "c-pigdm", "dds", "diffpir", "pnp-admm", "dcdp-v2")) {
                var task = Tasks.get("sr4-avgpool");
                Cost a = NetworkFloor.count(SolverRegistry.paper(name, s, task.kind()), task, gaussian, IMAGE, m);
                Cost b = NetworkFloor.count(SolverRegistry.paper(name, s, task.kind()), task, other, IMAGE, m);
                assertEquals(a.nfe(), b.nfe(), name + ": NFE");
                assertEquals(a.vjp(), b.vjp(), name + ": VJP");
            }
        }
    }

    /**
     * Latent methods are counted on the shipped latent prior with an analytic noise predictor and the real
     * autoencoder, and priced per call kind: PSLD at its paper defaults makes 1,000 latent-UNet VJPs and back-propagates
     * the decoder at each (and the encoder for its gluing term); ReSample, which stops on its loss, is not counted.
     */
    @Test
    void latentMethodsArePricedPerCallKindAndReSampleIsNotCounted() {
        try (NDManager m = NDManager.newBaseManager()) {
            org.diffinv.solvers.LatentPrior latent = org.diffinv.solvers.LatentPrior.shipped(m, "");
            EpsPrior pixel = GaussianPrior.isotropic(NoiseSchedule.ddpmLinear(), IMAGE, new double[1024], 1.0);
            NetworkFloor.UnitTimes units = new NetworkFloor.UnitTimes(10, 2, 3.0, 7.0, 1.0, 2.0, 0.5, 1.5, 0.25, 0.75);
            Table t = NetworkFloor.table(pixel, latent, IMAGE, List.of(Tasks.get("sr4-bicubic")),
                    List.of("psld", "resample"), 10, units, m);
            Cost c = NetworkFloor.count(org.diffinv.solvers.LatentSolverRegistry.paper("psld", latent.eps().schedule(),
                    Tasks.get("sr4-bicubic").kind()), Tasks.get("sr4-bicubic"), NetworkFloor.analytic(latent), IMAGE, m);
            assertEquals(1000L, c.nfe());
            assertEquals(1000L, c.vjp());
            assertTrue(c.decoderVjps() >= 1000 && c.encoderCalls() >= 1000, c.toString());
            double expected = 10 * new SolverBench.UnitCosts(1.0, 2.0, 0.5, 1.5, 0.25, 0.75, 0, 0).expectedMs(c) / 1e3;
            assertEquals(expected, t.doubleColumn("floor seconds").get(0), 1e-9);
            assertEquals(c.decoderCalls(), t.longColumn("decoder calls").get(0));
            assertTrue(t.stringColumn("note").get(1).startsWith("not counted: its inner loop stops"),
                    t.stringColumn("note").get(1));
        }
    }
}
