package org.diffinv.bench;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.metrics.Cost;
import org.diffinv.metrics.ProcessMemory;
import org.diffinv.notebook.RunMode;
import org.diffinv.priors.EpsPrior;
import org.diffinv.priors.GaussianPrior;
import org.diffinv.solvers.Dps;
import org.diffinv.solvers.SolverRegistry;
import org.diffinv.solvers.TaskKind;
import org.diffinv.util.ThreadPolicy;
import org.junit.jupiter.api.Test;
import tech.tablesaw.api.Table;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bench harness measures what it says: counts, budgets, formulas and options (no timing assertions). */
class BenchTest {

    @Test
    void opProfileCountsTopLevelEventsPerThread() throws Exception {
        Path trace = Files.createTempFile("trace", ".json");
        // thread 1: linear [0,10] containing t [1,2] and addmm [3,9]; then add [11,12]; thread 2: mul [0,5]
        Files.writeString(trace, "[{\"name\":\"aten::linear\",\"ph\":\"X\",\"ts\":0,\"dur\":10,\"tid\":1},"
                + "{\"name\":\"aten::t\",\"ph\":\"X\",\"ts\":1,\"dur\":1,\"tid\":1},"
                + "{\"name\":\"aten::addmm\",\"ph\":\"X\",\"ts\":3,\"dur\":6,\"tid\":1},"
                + "{\"name\":\"aten::add\",\"ph\":\"X\",\"ts\":11,\"dur\":1,\"tid\":1},"
                + "{\"name\":\"aten::mul\",\"ph\":\"X\",\"ts\":0,\"dur\":5,\"tid\":2},"
                + "{\"name\":\"meta\",\"ph\":\"M\",\"ts\":0,\"tid\":1}]");
        OpProfile p = OpProfile.parse(trace);
        Files.delete(trace);
        assertEquals(3, p.topLevel());
        assertEquals(5, p.all());
        assertEquals(1, p.byName().get("linear"));
        assertEquals(null, p.byName().get("addmm"));
    }

    @Test
    void opProfileOfARealCallSeesItsOperations() {
        try (NDManager m = NDManager.newBaseManager()) {
            var x = m.ones(new Shape(4));
            OpProfile p = OpProfile.of(() -> x.add(1).mul(x).exp());
            assertTrue(p.topLevel() >= 3, "add, mul, exp at least: " + p);
            assertTrue(p.byName().containsKey("exp"), p.toString());
        }
    }

    @Test
    void threadPairTimesBothCountsInEveryPairAndRestoresTheThreadCount() {
        NoiseSchedule s = NoiseSchedule.ddpmLinear();
        // a network with a known gradient: eps(x) = 2x
        EpsPrior doubling = EpsPrior.of(s, (x, t) -> x.mul(2));
        int before;
        try (NDManager m = NDManager.newBaseManager()) {
            before = ai.djl.pytorch.jni.JniUtils.getNumThreads();
            Table t = NetworkBench.threadTable(doubling, new Shape(1, 8, 8), new int[] {1, 3}, 2, 1, 5, m);
            assertEquals(4, t.rowCount(), "two calls x two batch sizes");
            for (int r = 0; r < t.rowCount(); r++) {
                assertEquals(1, t.intColumn("threads A").getInt(r));
                assertEquals(2, t.intColumn("threads B").getInt(r));
                assertEquals(5, t.intColumn("pairs").getInt(r));
                assertTrue(t.doubleColumn("median ms A").getDouble(r) > 0);
                assertTrue(t.doubleColumn("median ms B").getDouble(r) > 0);
                assertTrue(t.doubleColumn("median ratio B/A").getDouble(r) > 0);
                double share = t.doubleColumn("share B faster").getDouble(r);
                // five pairs: the share is a multiple of 1/5 in [0, 1]
                assertEquals(Math.rint(share * 5), share * 5, 1e-9, "share " + share);
                assertTrue(share >= 0 && share <= 1);
            }
            assertEquals(before, ai.djl.pytorch.jni.JniUtils.getNumThreads(), "thread count restored");
            assertThrows(IllegalArgumentException.class,
                    () -> NetworkBench.threadPair(doubling, new Shape(1, 8, 8), NetworkBench.Call.FORWARD, 1, 1, 0, 0,
                            3, m));
            assertThrows(IllegalArgumentException.class,
                    () -> Bench.forMode(RunMode.SMOKE).withThreads(1).threadPolicy(doubling, m));
        }
    }

    /**
     * The per-solver memory check runs each solver's budgeted solve the asked number of times and reads a flat live
     * count for a solver that frees what it makes, and a count grown by one per network call for a prior that keeps one
     * tensor per call on the problem's manager (so the check can fail).
     */
    @Test
    void solverMemoryKeepsAFlatLiveCountAndSeesALeak() {
        NoiseSchedule s = NoiseSchedule.ddpmLinear();
        org.diffinv.data.FashionMnist test = org.diffinv.data.FashionMnist.load(org.diffinv.data.FashionMnist.Split.TEST);
        org.diffinv.experiments.Task task = org.diffinv.experiments.Tasks.get("sr4-avgpool");
        try (NDManager m = NDManager.newBaseManager()) {
            SolverBench flat = new SolverBench(EpsPrior.of(s, (x, t) -> x.mul(0.5)), null, test, task, 4, 0, 1)
                    .withThreads(1);
            Table t = flat.memory(List.of("dps", "ddrm"), 1, 10, m);
            assertEquals(2, t.rowCount());
            for (int r = 0; r < 2; r++) {
                assertEquals(10, t.intColumn("solves").getInt(r));
                assertEquals(4, t.longColumn("nfe per solve").getLong(r), "the 4-step budget");
                assertEquals(t.intColumn("live arrays after warm-up").getInt(r),
                        t.intColumn("live arrays at the end").getInt(r), t.row(r).toString());
                assertTrue(t.doubleColumn("RSS MB at the end").getDouble(r) > 0);
            }
            // a prior that keeps a copy of every input on the manager directly under m: the problem's
            EpsPrior leaking = EpsPrior.of(s, (x, t2) -> {
                NDManager owner = x.getManager();
                while (owner.getParentManager() != m) {
                    owner = owner.getParentManager();
                }
                x.duplicate().attach(owner);
                return x.mul(0.5);
            });
            Table leak = new SolverBench(leaking, null, test, task, 4, 0, 1).withThreads(1)
                    .memory(List.of("ddrm"), 1, 10, m);
            assertEquals(10 * 4, leak.intColumn("live arrays at the end").getInt(0)
                    - leak.intColumn("live arrays after warm-up").getInt(0), "one array per network call");
            assertThrows(IllegalArgumentException.class, () -> flat.memory(List.of("dps"), 1, 9, m));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> flat.memory(List.of("psld"), 1, 10, m));
            assertTrue(e.getMessage().contains("latent"), e.getMessage());
        }
    }

    @Test
    void profileCountsTheEngineCallsOutsideTheNetwork() {
        NoiseSchedule s = NoiseSchedule.ddpmLinear();
        EpsPrior doubling = EpsPrior.of(s, (x, t) -> x.mul(0.5));
        SolverBench bench = new SolverBench(doubling, null,
                org.diffinv.data.FashionMnist.load(org.diffinv.data.FashionMnist.Split.TEST),
                org.diffinv.experiments.Tasks.get("sr4-avgpool"), 4, 0, 1).withThreads(1);
        try (NDManager m = NDManager.newBaseManager()) {
            Table t = bench.profile(List.of("ddrm", "pinv"), 1, m);
            assertEquals(2, t.rowCount());
            assertEquals(4, t.longColumn("nfe").getLong(0), "DDRM on the 4-step budget");
            long outside = t.longColumn("outside network").getLong(0);
            assertTrue(outside > 0 && outside < t.longColumn("engine calls").getLong(0), "outside " + outside);
            assertEquals(0, t.longColumn("nfe").getLong(1));
            assertTrue(Double.isNaN(t.doubleColumn("per NFE").getDouble(1)), "no network calls: no per-NFE figure");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> bench.profile(List.of("psld"), 1, m));
            assertTrue(e.getMessage().contains("latent"), e.getMessage());
        }
    }

    /**
     * The engine table times both engines on a real network and counts their engine calls: the shipped decoder's
     * TorchScript forward is a handful of top-level calls, its block forward one per operation.
     */
    @Test
    void engineTableTimesBothEnginesAndCountsTheirCalls() {
        try (NDManager m = NDManager.newBaseManager()) {
            org.diffinv.priors.KlAutoencoderModel ae = org.diffinv.priors.KlAutoencoderModel.load(m);
            NetworkBench.Network dec = new NetworkBench.Network("decoder", ae.latentShape(), ae::decode);
            Table t = NetworkBench.engineTable(java.util.List.of(dec), new int[] {1}, new int[] {1}, 1, 3, m);
            assertEquals(2, t.rowCount(), "forward and forward + backward");
            for (int r = 0; r < 2; r++) {
                assertTrue(t.doubleColumn("blocks ms").getDouble(r) > 0 && t.doubleColumn("torchscript ms").getDouble(r) > 0);
                assertEquals(3, t.intColumn("pairs").getInt(r));
            }
            int blocks = t.intColumn("engine ops blocks").getInt(0);
            int script = t.intColumn("engine ops torchscript").getInt(0);
            assertTrue(script <= 5 && blocks > 10 * script, "forward engine calls: blocks " + blocks + ", TorchScript "
                    + script);
        }
    }

    /** Whole solves on both engines, paired: one row per solver and batch, both medians from timed solves. */
    @Test
    void enginePairsTimeWholeSolvesOnBothEngines() {
        NoiseSchedule s = NoiseSchedule.ddpmLinear();
        SolverBench bench = new SolverBench(EpsPrior.of(s, (x, t) -> x.mul(0.5)), null,
                org.diffinv.data.FashionMnist.load(org.diffinv.data.FashionMnist.Split.TEST),
                org.diffinv.experiments.Tasks.get("sr4-avgpool"), 4, 0, 1);
        try (NDManager m = NDManager.newBaseManager()) {
            Table t = bench.enginePairs(java.util.List.of("dps", "ddrm"), new int[] {1, 2}, 0, 3, m);
            assertEquals(4, t.rowCount());
            assertEquals("dps", t.stringColumn("solver").get(0));
            assertEquals(2, t.intColumn("batch").getInt(1));
            for (int r = 0; r < 4; r++) {
                assertTrue(t.doubleColumn("blocks s").getDouble(r) > 0 && t.doubleColumn("torchscript s").getDouble(r) > 0);
                assertEquals(3, t.intColumn("pairs").getInt(r));
            }
        }
    }

    /**
     * Whole solves with the loops eager and fused, paired: one row per solver and batch, and the fusion setting is back
     * to what it was afterwards.
     */
    @Test
    void fusedPairsTimeWholeSolvesBothWaysAndRestoreTheSetting() {
        NoiseSchedule s = NoiseSchedule.ddpmLinear();
        SolverBench bench = new SolverBench(EpsPrior.of(s, (x, t) -> x.mul(0.5)), null,
                org.diffinv.data.FashionMnist.load(org.diffinv.data.FashionMnist.Split.TEST),
                org.diffinv.experiments.Tasks.get("sr4-avgpool"), 4, 0, 1);
        try (NDManager m = NDManager.newBaseManager()) {
            Table t = bench.fusedPairs(java.util.List.of("dcdp-v2", "dds"), new int[] {1, 2}, 0, 2, m);
            assertEquals(4, t.rowCount());
            assertEquals("dds", t.stringColumn("solver").get(2));
            for (int r = 0; r < 4; r++) {
                assertTrue(t.doubleColumn("eager s").getDouble(r) > 0 && t.doubleColumn("fused s").getDouble(r) > 0);
                assertEquals(2, t.intColumn("pairs").getInt(r));
            }
        }
        assertTrue(org.diffinv.solvers.FusedLoops.enabled(), "the fusion must be on again after the bench");
        assertEquals(null, System.getProperty(org.diffinv.solvers.FusedLoops.PROPERTY));
    }

    @Test
    void scalarTableTimesBothPathsForEveryBatch() {
        try (NDManager m = NDManager.newBaseManager()) {
            int before = ai.djl.pytorch.jni.JniUtils.getNumThreads();
            tech.tablesaw.api.Table t = ScalarBench.table(new int[] {1, 16}, 2, 1, 3, m);
            assertEquals(4, t.rowCount(), "two ops at two batches");
            assertEquals(before, ai.djl.pytorch.jni.JniUtils.getNumThreads(), "the thread count is restored");
            assertEquals(1, t.intColumn("threads").getInt(0), "a batch-1 solve runs on one thread");
            assertEquals(2, t.intColumn("threads").getInt(2), "batch 16 at the configured count");
            for (int r = 0; r < t.rowCount(); r++) {
                double djl = t.doubleColumn("djl us").getDouble(r);
                double kit = t.doubleColumn("kit us").getDouble(r);
                assertTrue(djl > 0 && kit > 0, "row " + r + ": " + djl + ", " + kit);
                assertEquals(djl / kit, t.doubleColumn("djl / kit").getDouble(r), 1e-12);
            }
        }
    }

    @Test
    void overheadRatioDividesByTheNetworkCostOfTheLedger() {
        SolverBench.UnitCosts u = new SolverBench.UnitCosts(10, 25, 4, 9, 3, 7, 0, 0);
        // 100 NFE of which 40 VJPs; 50 decoder calls of which 45 back-propagated (40 in the guided steps, 5 in a
        // data-consistency loop); 5 encoder calls of which 2 back-propagated
        Cost c = new Cost(100, 40, 0, 0, 0, 0, 0, 5, 50, 2, 45, 2.0, 1.5, 0, 0, -1, ProcessMemory.Source.PROC_STATUS);
        assertEquals(60 * 10 + 40 * 25 + 5 * 4 + 45 * 9 + 3 * 3 + 2 * 7, u.expectedMs(c), 1e-9);
        // the in-solve ratio's backward parts: a VJP less a forward call, for the network, decoder and encoder
        assertEquals(40 * (25 - 10) + 45 * (9 - 4) + 2 * (7 - 3), u.backwardMs(c), 1e-9);
        assertEquals(0, u.operatorMs(c), 0, "no operator unit costs: no operator time");
    }

    @Test
    void operatorTimeCountsApplicationsAtOneCostAndAdjointsAndVjpsAtTheOther() {
        SolverBench.UnitCosts u = new SolverBench.UnitCosts(10, 25).withOperator(0.5, 0.75);
        // 7 applications, 3 adjoints, 11 operator VJPs, 2 CG solves and 9 basis changes (not counted)
        Cost c = new Cost(20, 0, 7, 3, 11, 2, 9, 0, 0, 0, 0, 1.0, 0.5, 0, 0, -1, ProcessMemory.Source.PROC_STATUS);
        assertEquals(7 * 0.5 + (3 + 11) * 0.75, u.operatorMs(c), 1e-12);
        assertEquals(20 * 10, u.expectedMs(c), 1e-12, "the network part is unchanged by the operator costs");
    }

    /**
     * Rows run where solves of their batch size run: at batch 1 on one thread (the solver API's batch-size policy),
     * at batch 8 on the configured two; {@code atExactThreads} measures both at two. The calling thread's count is
     * restored after each row.
     */
    @Test
    void rowsRunAtThePolicysThreadCountForTheirBatch() {
        NoiseSchedule s = NoiseSchedule.ddpmLinear();
        SolverBench bench = new SolverBench(EpsPrior.of(s, (x, t) -> x), null,
                org.diffinv.data.FashionMnist.load(org.diffinv.data.FashionMnist.Split.TEST),
                org.diffinv.experiments.Tasks.get("sr4-avgpool"), 5, 0, 1).withThreads(2);
        assertEquals(1, bench.threadsAt(1));
        assertEquals(1, bench.threadsAt(ThreadPolicy.SMALL_BATCH - 1));
        assertEquals(2, bench.threadsAt(ThreadPolicy.SMALL_BATCH));
        assertEquals(2, bench.atExactThreads().threadsAt(1));
        assertEquals(2, bench.atExactThreads().threads());
        Object pinv = SolverRegistry.paper("pinv", s, TaskKind.SUPER_RESOLUTION);
        int before;
        try (NDManager m = NDManager.newBaseManager()) {
            before = ai.djl.pytorch.jni.JniUtils.getNumThreads();
            Table t = SolverBench.newTable();
            bench.append(t, "pinv", pinv, 1, m);
            bench.append(t, "pinv", pinv, ThreadPolicy.SMALL_BATCH, m);
            bench.atExactThreads().append(t, "pinv", pinv, 1, m);
            assertEquals(1, t.intColumn("threads").getInt(0));
            assertEquals(2, t.intColumn("threads").getInt(1));
            assertEquals(2, t.intColumn("threads").getInt(2));
        }
        assertEquals(before, ai.djl.pytorch.jni.JniUtils.getNumThreads(), "the caller's thread count is restored");
    }

    /**
     * With several (unit costs, solve) pairs per row, each decimal cell is the median of the pairs' values, the
     * counts are the first pair's, and the ratios' range is kept: three pairs with overhead ratios 1.0, 1.6, 1.1 give
     * 1.1 with range 1.0-1.6; a ratio missing in one pair is the median of the others.
     */
    @Test
    void severalPairsPerRowGiveMediansAndTheRatiosRange() {
        Table pairs = SolverBench.newTable();
        double[] overhead = {1.0, 1.6, 1.1};
        double[] inSolve = {1.2, Double.NaN, 1.1};
        double[] seconds = {3.0, 5.0, 4.0};
        for (int k = 0; k < 3; k++) {
            appendRow(pairs, "dds", 1, 2.0, overhead[k]);
            pairs.doubleColumn("in-solve ratio").set(k, inSolve[k]);
            pairs.doubleColumn("seconds").set(k, seconds[k]);
            pairs.longColumn("nfe").set(k, 25L);
        }
        Table row = SolverBench.newTable();
        SolverBench.medianRow(row, pairs);
        assertEquals(1, row.rowCount());
        assertEquals(1.1, row.doubleColumn("overhead ratio").getDouble(0), 0.0);
        assertEquals(1.0, row.doubleColumn("overhead ratio min").getDouble(0), 0.0);
        assertEquals(1.6, row.doubleColumn("overhead ratio max").getDouble(0), 0.0);
        assertEquals(1.15, row.doubleColumn("in-solve ratio").getDouble(0), 1e-15, "median of the two present");
        assertEquals(1.1, row.doubleColumn("in-solve ratio min").getDouble(0), 0.0);
        assertEquals(1.2, row.doubleColumn("in-solve ratio max").getDouble(0), 0.0);
        assertEquals(4.0, row.doubleColumn("seconds").getDouble(0), 0.0);
        assertEquals(25L, row.longColumn("nfe").getLong(0));
        assertEquals(3, row.intColumn("solves").getInt(0));
        assertEquals("dds", row.stringColumn("solver").get(0));
        assertThrows(IllegalArgumentException.class, () -> SolverBench.medianRow(SolverBench.newTable(),
                SolverBench.newTable()));
    }

    /** A row measured with three pairs says so, and its ratio lies within the range it reports. */
    @Test
    void aRowOfThreePairsReportsItsCountAndRange() {
        NoiseSchedule s = NoiseSchedule.ddpmLinear();
        SolverBench bench = new SolverBench(GaussianPrior.isotropic(s, new Shape(1, 32, 32), new double[1024], 1.0),
                null, org.diffinv.data.FashionMnist.load(org.diffinv.data.FashionMnist.Split.TEST),
                org.diffinv.experiments.Tasks.get("sr4-avgpool"), 5, 0, 1).withSolves(3);
        assertEquals(3, bench.solves());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> bench.withSolves(0)).getMessage()
                .contains("solves must be >= 1 (pairs of unit costs and a solve per row), got 0"));
        try (NDManager m = NDManager.newBaseManager()) {
            Table t = SolverBench.newTable();
            bench.append(t, "ddrm", SolverRegistry.paper("ddrm", s, TaskKind.SUPER_RESOLUTION), 1, m);
            assertEquals(1, t.rowCount());
            assertEquals(3, t.intColumn("solves").getInt(0));
            double r = t.doubleColumn("overhead ratio").getDouble(0);
            assertTrue(t.doubleColumn("overhead ratio min").getDouble(0) <= r
                    && r <= t.doubleColumn("overhead ratio max").getDouble(0), t.print());
            assertEquals(0, org.diffinv.metrics.ProcessMemory.liveArrays(m), "the pairs leave no array behind");
        }
    }

    @Test
    void stepBudgetShortensGridsAndStepParametersOnly() {
        NoiseSchedule s = NoiseSchedule.ddpmLinear();
        SolverBench bench = new SolverBench(EpsPrior.of(s, (x, t) -> x), null,
                org.diffinv.data.FashionMnist.load(org.diffinv.data.FashionMnist.Split.TEST),
                org.diffinv.experiments.Tasks.get("sr4-avgpool"), 50, 0, 1);
        Dps dps = (Dps) SolverRegistry.paper("dps", s, TaskKind.SUPER_RESOLUTION);
        assertEquals(1000, dps.params().grid().size());
        Dps capped = bench.budget(dps, s);
        assertEquals(50, capped.params().grid().size());
        assertEquals(dps.params().zeta(), capped.params().zeta(), 0.0);
        assertEquals("grid 50", SolverBench.describe(capped));
        Object daps = bench.budget(SolverRegistry.paper("daps", s, TaskKind.SUPER_RESOLUTION), s);
        assertTrue(SolverBench.describe(daps).contains("levels 50"), SolverBench.describe(daps));
        Object pinv = SolverRegistry.paper("pinv", s, TaskKind.SUPER_RESOLUTION);
        assertSame(pinv, bench.budget(pinv, s));
    }

    @Test
    void speedupsPairTheSmallestAndLargestBatch() {
        Table t = SolverBench.newTable();
        appendRow(t, "dps", 1, 2.0);
        appendRow(t, "dps", 16, 8.0);
        appendRow(t, "ddrm", 1, 10.0);
        appendRow(t, "ddrm", 16, 20.0);
        Table sp = Bench.speedups(t);
        assertEquals(4.0, sp.doubleColumn("speed-up").get(0), 1e-12);
        assertEquals("yes", sp.stringColumn(">= 3.0x?").get(0));
        assertEquals(2.0, sp.doubleColumn("speed-up").get(1), 1e-12);
        assertEquals("no", sp.stringColumn(">= 3.0x?").get(1));
    }

    @Test
    void overheadChartLeavesOutSolversWithoutNetworkCalls() {
        Table t = SolverBench.newTable();
        appendRow(t, "dps", 1, 2.0);
        appendRow(t, "pinv", 1, 100.0, Double.NaN); // no network call: no ratio (a missing value in the table)
        appendRow(t, "dps", 16, 8.0);
        appendRow(t, "pinv", 16, 900.0, Double.NaN);
        org.knowm.xchart.CategoryChart c = Bench.overheadChart(t);
        assertEquals(java.util.Set.of("batch 1", "batch 16"), c.getSeriesMap().keySet());
        assertEquals(List.of("dps"), c.getSeriesMap().get("batch 1").getXData());
        assertTrue(org.diffinv.notebook.Charts.toImage(c).getWidth() > 0);
    }

    private static void appendRow(Table t, String solver, int batch, double imagesPerSecond) {
        appendRow(t, solver, batch, imagesPerSecond, 1.0);
    }

    private static void appendRow(Table t, String solver, int batch, double imagesPerSecond, double ratio) {
        t.stringColumn("solver").append(solver);
        t.stringColumn("space").append("pixel");
        t.intColumn("batch").append(batch);
        t.intColumn("threads").append(2);
        for (String c : List.of("nfe", "vjp", "operator calls", "encoder calls", "decoder calls", "encoder VJPs", "decoder VJPs")) {
            t.longColumn(c).append(1);
        }
        for (String c : List.of("seconds", "network seconds", "operator seconds", "forward seconds in solve",
                "in-solve ratio", "peak RSS MB", "psnr")) {
            t.doubleColumn(c).append(1.0);
        }
        t.doubleColumn("overhead ratio").append(ratio);
        t.doubleColumn("ratio beyond operator").append(ratio);
        t.doubleColumn("images per second").append(imagesPerSecond);
        t.stringColumn("steps").append("-");
        t.intColumn("solves").append(1);
        for (String c : List.of("overhead ratio min", "overhead ratio max")) {
            t.doubleColumn(c).append(ratio);
        }
        for (String c : List.of("in-solve ratio min", "in-solve ratio max")) {
            t.doubleColumn(c).append(1.0);
        }
    }

    @Test
    void timeToTableReadsEachNotebooksRunMetadata() throws Exception {
        Path dir = Files.createTempDirectory("notebooks");
        Files.writeString(dir.resolve("01-a.ipynb"), "{\"cells\": [], \"metadata\": {\"diffinv\": {\"run\": "
                + "{\"date\": \"d\", \"mode\": \"quick\", \"seconds\": 728.5}}}}");
        Files.writeString(dir.resolve("02-b.ipynb"), "{\"cells\": [], \"metadata\": {}}");
        Table t = Bench.timeToTable(dir);
        assertEquals(List.of("01-a.ipynb", "02-b.ipynb"), t.stringColumn("notebook").asList());
        assertEquals(728.5, t.doubleColumn("seconds").get(0), 0.0);
        assertEquals("no", t.stringColumn("met?").get(0), "728.5 s is over the 600 s quick target");
        assertEquals("-", t.stringColumn("mode").get(1));
        assertThrows(IllegalArgumentException.class, () -> Bench.timeToTable(dir.resolve("missing")));
    }

    @Test
    void badOptionsAreRefusedNamingTheValue() {
        Bench smoke = Bench.forMode(RunMode.SMOKE);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> smoke.withBatches(0)).getMessage()
                .contains("[0]"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> smoke.withSolvers(List.of("dsp")))
                .getMessage().contains("'dsp'"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> smoke.withRepeats(1, 0)).getMessage()
                .contains("repeat must be >= 1, got 0"));
        assertThrows(IllegalArgumentException.class, () -> smoke.withTask("sr5"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> smoke.withMaxSteps(-1)).getMessage()
                .contains("-1"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> smoke.withMemorySteps(9)).getMessage()
                .contains("memorySteps must be >= 10, got 9"));
        assertEquals(4000, smoke.withMemorySteps(4000).memorySteps());
        assertEquals(smoke.maxSteps(), smoke.withMemorySteps(4000).maxSteps(), "only the memory steps change");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> smoke.withSolves(0)).getMessage()
                .contains("solves must be >= 1 (pairs of unit costs and a solve per row), got 0"));
        assertEquals(5, smoke.withSolves(5).solves());
        assertEquals(1, smoke.solves(), "one pair per row by default");
        assertEquals(smoke.memorySteps(), smoke.withSolves(5).memorySteps(), "only the pairs change");
    }

    @Test
    void networkTimingRunsAndRestoresTheThreadCount() {
        try (NDManager m = NDManager.newBaseManager()) {
            EpsPrior g = GaussianPrior.isotropic(NoiseSchedule.ddpmLinear(), new Shape(1, 4, 4), new double[16], 1.0);
            int before = ai.djl.pytorch.jni.JniUtils.getNumThreads();
            NetworkBench.Timing f = NetworkBench.time(g, new Shape(1, 4, 4), NetworkBench.Call.FORWARD, 2, 1, 1, 3, m);
            NetworkBench.Timing v = NetworkBench.time(g, new Shape(1, 4, 4), NetworkBench.Call.FORWARD_BACKWARD, 2, 1,
                    1, 3, m);
            assertEquals(before, ai.djl.pytorch.jni.JniUtils.getNumThreads());
            assertTrue(f.medianMs() > 0 && f.minMs() <= f.medianMs(), f.toString());
            assertTrue(v.medianMs() > 0, v.toString());
            assertEquals(0, org.diffinv.metrics.ProcessMemory.liveArrays(m), "timing leaves no array behind");
        }
    }
}
