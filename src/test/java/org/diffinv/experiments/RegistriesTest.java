package org.diffinv.experiments;

import ai.djl.ndarray.types.Shape;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.operators.Operator;
import org.diffinv.solvers.Ddrm;
import org.diffinv.solvers.Dps;
import org.diffinv.solvers.Solver;
import org.diffinv.solvers.SolverRegistry;
import org.diffinv.solvers.TaskKind;
import org.junit.jupiter.api.Test;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The task and solver registries, parameter overrides, and the paper-comparison column. */
class RegistriesTest {

    @Test
    void everyTaskBuildsItsOperatorForAnyBatch() {
        for (Task t : Tasks.all()) {
            for (int n : new int[] {1, 3}) {
                Operator a = t.operator().apply(n);
                Shape out = a.outputShape(new Shape(n, 1, 32, 32));
                assertEquals(n, out.get(0), t.name());
            }
            assertTrue(t.note().length() > 20, t.name() + " needs a note of how it was scaled");
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tasks.get("sr8"));
        assertTrue(e.getMessage().contains("sr8") && e.getMessage().contains("sr4-bicubic"), e.getMessage());
    }

    @Test
    void parametersChangeByNameAndUnknownNamesAreRefused() {
        NoiseSchedule s = NoiseSchedule.ddpmLinear();
        Solver<?> dps = SolverRegistry.withParameter(SolverRegistry.paper("dps", s, TaskKind.INPAINTING), "zeta", 1.5);
        assertEquals(1.5, ((Dps) dps).params().zeta());
        Solver<?> ddrm = SolverRegistry.withParameter(SolverRegistry.paper("ddrm", s, TaskKind.INPAINTING), "eta", 0.5);
        assertEquals(0.5, ((Ddrm) ddrm).params().eta());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SolverRegistry.withParameter(ddrm, "zeta", 1));
        assertTrue(e.getMessage().contains("eta") && e.getMessage().contains("zeta"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> SolverRegistry.withParameter(ddrm, "eta", 2));
        assertTrue(e.getMessage().contains("[0, 1]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SolverRegistry.paper("dpz", s, TaskKind.INPAINTING));
        assertTrue(e.getMessage().contains("dps") && e.getMessage().contains("psld"), e.getMessage());
    }

    @Test
    void latentSolversHaveTheirOwnRegistryAndClearErrors() {
        NoiseSchedule s = NoiseSchedule.ldmScaledLinear();
        assertEquals(java.util.List.of("ldps", "gml-dps", "psld", "ldir", "resample", "latent-dcdp-i-v1",
                "latent-dcdp-i-v2", "latent-dcdp-ii-v1", "latent-dcdp-ii-v2"),
                org.diffinv.solvers.LatentSolverRegistry.names());
        org.diffinv.solvers.LatentSolver<?> psld = org.diffinv.solvers.LatentSolverRegistry.withParameter(
                org.diffinv.solvers.LatentSolverRegistry.paper("psld", s, TaskKind.INPAINTING), "gamma", 0.3);
        assertEquals(0.3, ((org.diffinv.solvers.Psld) psld).params().gamma());
        assertEquals("linear", org.diffinv.solvers.LatentSolverRegistry.entries().get(2).tier());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SolverRegistry.paper("psld", NoiseSchedule.ddpmLinear(), TaskKind.INPAINTING));
        assertTrue(e.getMessage().contains("latent solver") && e.getMessage().contains("latent prior"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> org.diffinv.solvers.LatentSolverRegistry.paper("dps", s, TaskKind.INPAINTING));
        assertTrue(e.getMessage().contains("ldps"), e.getMessage());
        for (String name : SolverRegistry.names()) {
            assertTrue(!org.diffinv.solvers.LatentSolverRegistry.contains(name), name + " is in both registries");
        }
    }

    @Test
    void orderingIsReproducedWhenRanksAgree() {
        Table t = Table.create("t", StringColumn.create("task"), StringColumn.create("method"),
                DoubleColumn.create("psnr"));
        String[][] rows = {{"sr", "a", "20"}, {"sr", "b", "22"}, {"sr", "c", "21"}, {"sr", "d", "19"}};
        for (String[] r : rows) {
            t.stringColumn("task").append(r[0]);
            t.stringColumn("method").append(r[1]);
            t.doubleColumn("psnr").append(Double.parseDouble(r[2]));
        }
        // paper: b best, then a, then c; d has no paper value
        Table out = ExperimentRunner.compareWithPaper(t, "psnr", Map.of("sr/a", 25.0, "sr/b", 27.0, "sr/c", 24.0),
                true);
        assertEquals("no", out.stringColumn("ordering reproduced?").get(0));   // kit: a third, paper: a second
        assertEquals("yes", out.stringColumn("ordering reproduced?").get(1));  // b first in both
        assertEquals("no", out.stringColumn("ordering reproduced?").get(2));
        assertEquals("-", out.stringColumn("ordering reproduced?").get(3));
        assertEquals(27.0, out.doubleColumn("paper psnr").get(1));
        // lower-is-better metrics rank the other way
        Table lpips = ExperimentRunner.compareWithPaper(t, "psnr", Map.of("sr/a", 0.3, "sr/b", 0.1), false);
        assertEquals("no", lpips.stringColumn("ordering reproduced?").get(1));
        // a missing kit value (e.g. FD-kit on too few images) is no rank: "-" beside the paper's number
        t.doubleColumn("psnr").setMissing(0);
        Table missing = ExperimentRunner.compareWithPaper(t, "psnr", Map.of("sr/a", 25.0, "sr/b", 27.0, "sr/c", 24.0),
                true);
        assertEquals("-", missing.stringColumn("ordering reproduced?").get(0));
        assertEquals(25.0, missing.doubleColumn("paper psnr").get(0));
        assertEquals("yes", missing.stringColumn("ordering reproduced?").get(1));
        assertEquals("yes", missing.stringColumn("ordering reproduced?").get(2));   // c second among b, c
    }

    @Test
    void paperClaimsAreCheckedAgainstTheKitsMeans() {
        Table t = Table.create("t", StringColumn.create("task"), StringColumn.create("method"),
                DoubleColumn.create("psnr"), DoubleColumn.create("perceptualKit"));
        String[][] rows = {{"sr", "a", "20", "0.5"}, {"sr", "a", "22", "0.3"}, {"sr", "b", "20.5", "0.2"}};
        for (String[] r : rows) {
            t.stringColumn("task").append(r[0]);
            t.stringColumn("method").append(r[1]);
            t.doubleColumn("psnr").append(Double.parseDouble(r[2]));
            t.doubleColumn("perceptualKit").append(Double.parseDouble(r[3]));
        }
        Table c = new PaperClaims().add("a beats b on PSNR", "sr", "psnr", "a", "b", true)
                .add("a beats b perceptually", "sr", "perceptualKit", "a", "b", false).check(t);
        assertEquals("yes", c.stringColumn("reproduced?").get(0)); // a's mean 21 > 20.5
        assertEquals(21.0, c.doubleColumn("kit (claimed better)").get(0), 1e-12);
        assertEquals("no", c.stringColumn("reproduced?").get(1));  // a's 0.4 is worse than b's 0.2
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new PaperClaims().add("x", "sr", "psnr", "c", "a", true).check(t));
        assertTrue(e.getMessage().contains("'c'") && e.getMessage().contains("'sr'"), e.getMessage());
    }
}
