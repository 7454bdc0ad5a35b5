package org.diffinv.solvers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.diffusion.NoiseSource;
import org.diffinv.metrics.Cost;
import org.diffinv.metrics.CostMeter;
import org.diffinv.metrics.ProcessMemory;
import org.diffinv.operators.GaussianBlur;
import org.diffinv.operators.Inpainting;
import org.diffinv.operators.Masks;
import org.diffinv.operators.MeasurementNoise;
import org.diffinv.operators.MotionBlur;
import org.diffinv.operators.MotionKernels;
import org.diffinv.operators.NonlinearBlur;
import org.diffinv.operators.Operator;
import org.diffinv.operators.SuperResolution;
import org.diffinv.priors.GaussianPrior;
import org.diffinv.priors.TestPriors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fused inner loops ({@link FusedLoops}) are the eager loops, bit for bit up to the native kernels' own last-bit
 * noise ({@link #assertSame}): heavy-ball data consistency on its own and whole DCDP, DCDP-CM and DAPS solves with the
 * fusion on and off; the ledger counts the same applications and VJPs; the eager loop takes over where no fused form
 * applies; repeated calls leave no arrays behind.
 */
class FusedLoopsTest {

    private final NoiseSchedule schedule = NoiseSchedule.ddpmLinear();
    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
        System.clearProperty(FusedLoops.PROPERTY);
    }

    private NDArray randn(Shape shape, DataType type, long seed) {
        return NoiseSource.seeded(seed).normal(manager, shape, type);
    }

    private static NDArray eager(Operator a, NDArray x, NDArray y, int tau, double lr) {
        return DcdpRounds.dataConsistency(x, xs -> Dcdp.mseGradient(a, xs, y), tau, lr);
    }

    @Test
    void heavyBallIsTheEagerLoopBitForBit() {
        List<Supplier<Operator>> ops = List.of(() -> SuperResolution.bicubic(4), () -> GaussianBlur.ddrm(9, 1.0),
                () -> new Inpainting(Masks.randomPixels(3, 32, 32, 0.5, NoiseSource.seeded(5))),
                () -> new MotionBlur(MotionKernels.generate(9, 0.5, NoiseSource.seeded(7))));
        int checked = 0;
        int exact = 0;
        for (Supplier<Operator> op : ops) {
            for (DataType type : new DataType[] {DataType.FLOAT32, DataType.FLOAT64}) {
                for (int batch : new int[] {1, 3}) {
                    if (batch == 1 && op.get() instanceof Inpainting) {
                        continue; // a per-image mask of 3 needs a batch of 3
                    }
                    Operator a = op.get();
                    NDArray x = randn(new Shape(batch, 1, 32, 32), type, 1);
                    NDArray y = a.apply(randn(new Shape(batch, 1, 32, 32), type, 2));
                    for (int tau : new int[] {1, 2, 7}) {
                        NDArray fused = FusedLoops.heavyBall(a, x, y, tau, 0.8, DcdpRounds.MOMENTUM).orElseThrow();
                        NDArray reference = eager(a, x, y, tau, 0.8);
                        assertEquals(reference.getShape(), fused.getShape());
                        assertEquals(type, fused.getDataType());
                        assertSame(a.name() + " " + type + " batch " + batch + " tau " + tau, reference, fused);
                        checked++;
                        exact += reference.contentEquals(fused) ? 1 : 0;
                    }
                }
            }
        }
        assertEquals(42, checked);
        System.out.println("fused heavy ball: " + exact + " of " + checked + " cases equal to the last bit");
    }

    /**
     * {@code got} is {@code want} up to the native kernels' last bits: equal, or within a relative RMS difference of
     * 1e-12 (FLOAT64) / 1e-6 (FLOAT32). MKL's GEMM may round a last bit differently between two calls of the same
     * computation in one JVM even with {@code MKL_CBWR=AUTO,STRICT} (see {@code SolversExactTest.sameSeedGivesTheSameOutput});
     * a wrong step (a missing momentum term, a wrong scale) moves the result by order 1e-2 or more.
     */
    static void assertSame(String what, NDArray want, NDArray got) {
        if (want.contentEquals(got)) {
            return;
        }
        double[] w = want.toType(DataType.FLOAT64, false).toDoubleArray();
        double[] g = got.toType(DataType.FLOAT64, false).toDoubleArray();
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < w.length; i++) {
            diff += (w[i] - g[i]) * (w[i] - g[i]);
            norm += w[i] * w[i];
        }
        double rel = Math.sqrt(diff / Math.max(norm, Double.MIN_NORMAL));
        double bound = want.getDataType() == DataType.FLOAT64 ? 1e-12 : 1e-6;
        System.out.println(what + ": not equal to the last bit, relative RMS difference " + rel);
        assertTrue(rel <= bound, what + ": fused and eager differ by " + rel + " (relative RMS), bound " + bound);
    }

    /**
     * The fused CG of DDS and P2L ({@link FusedLoops#regularisedCg}; operators outside the SVD tier) against the eager
     * one, through {@link DdsStep} and {@link P2lProjection} with the fusion on and off: budgets that end the solve (DDS's 5 iterations) and a
     * tolerance that freezes samples one by one (P2L's options, run to convergence), with and without the Tikhonov
     * weight, FLOAT32 and FLOAT64; the ledger's applications and adjoints agree.
     */
    @Test
    void conjugateGradientsAreTheEagerOnes() {
        long longest = 0;
        List<Supplier<Operator>> ops = List.of(() -> new MotionBlur(MotionKernels.generate(9, 0.5, NoiseSource.seeded(7))),
                () -> new MotionBlur(MotionKernels.generate(5, 0.8, NoiseSource.seeded(8))));
        int checked = 0;
        for (Supplier<Operator> op : ops) {
            for (DataType type : new DataType[] {DataType.FLOAT32, DataType.FLOAT64}) {
                org.diffinv.operators.LinearOperator bare = (org.diffinv.operators.LinearOperator) op.get();
                NDArray x0 = randn(new Shape(3, 1, 32, 32), type, 1);
                NDArray y = bare.apply(randn(new Shape(3, 1, 32, 32), type, 2));
                for (double gamma : new double[] {0, 0.3}) {
                    for (int mode = 0; mode < 2; mode++) {
                        NDArray[] out = new NDArray[2];
                        Cost[] cost = new Cost[2];
                        for (int fused = 0; fused < 2; fused++) {
                            if (fused == 0) {
                                System.setProperty(FusedLoops.PROPERTY, "false");
                            } else {
                                System.clearProperty(FusedLoops.PROPERTY);
                            }
                            long calls = FusedLoops.calls();
                            CostMeter meter = CostMeter.start();
                            org.diffinv.operators.LinearOperator a =
                                    (org.diffinv.operators.LinearOperator) meter.wrapOperator((Operator) bare);
                            out[fused] = mode == 0 ? DdsStep.update(a, y, x0, gamma, 5)
                                    : P2lProjection.regularisedSolveFrom("test", a, y, x0, gamma,
                                            new org.diffinv.linalg.CgOptions(400, type == DataType.FLOAT64 ? 1e-10 : 1e-4));
                            cost[fused] = meter.snapshot();
                            assertEquals(fused == 1, FusedLoops.calls() > calls, "fused only when switched on");
                        }
                        String what = bare.name() + " " + type + " gamma " + gamma + (mode == 0 ? " DDS" : " P2L");
                        assertSame(what, out[0], out[1]);
                        assertEquals(cost[0].operatorCalls(), cost[1].operatorCalls(), what + " applications");
                        assertEquals(cost[0].adjointCalls(), cost[1].adjointCalls(), what + " adjoints");
                        assertTrue(cost[1].operatorCalls() >= 2, what + ": no CG iteration ran: " + cost[1]);
                        longest = Math.max(longest, cost[1].operatorCalls() - 1);
                        checked++;
                    }
                }
            }
        }
        System.clearProperty(FusedLoops.PROPERTY);
        assertEquals(16, checked);
        assertTrue(longest >= 20, "no case ran a long CG (at most " + longest + " iterations)");
        System.out.println("fused CG: longest solve " + longest + " iterations");
    }

    @Test
    void theLedgerCountsTheApplicationsAndVjpsTheLoopReplaces() {
        Operator bare = SuperResolution.averagePool(4);
        NDArray x = randn(new Shape(2, 1, 32, 32), DataType.FLOAT32, 1);
        NDArray y = bare.apply(randn(new Shape(2, 1, 32, 32), DataType.FLOAT32, 2));
        CostMeter fusedMeter = CostMeter.start();
        FusedLoops.heavyBall(fusedMeter.wrapOperator(bare), x, y, 9, 0.5, 0.9).orElseThrow();
        CostMeter eagerMeter = CostMeter.start();
        eager(eagerMeter.wrapOperator(bare), x, y, 9, 0.5);
        Cost fused = fusedMeter.snapshot();
        Cost reference = eagerMeter.snapshot();
        assertEquals(9, fused.operatorCalls());
        assertEquals(9, fused.operatorVjps());
        assertEquals(reference.operatorCalls(), fused.operatorCalls());
        assertEquals(reference.operatorVjps(), fused.operatorVjps());
        assertEquals(reference.adjointCalls(), fused.adjointCalls());
    }

    @Test
    void theEagerLoopTakesOverWhereNoFusedFormApplies() {
        NDArray x = randn(new Shape(1, 1, 16, 16), DataType.FLOAT32, 1);
        Operator nonlinear = new NonlinearBlur(GaussianBlur.reflect(3, 1.0));
        Operator denoising = new org.diffinv.operators.Denoising();
        Operator sr = SuperResolution.bicubic(2);
        for (Operator a : List.of(nonlinear, denoising)) {
            assertTrue(FusedLoops.heavyBall(a, x, a.apply(x), 3, 0.1, 0.9).isEmpty(), a.name() + " has no form");
        }
        NDArray y = sr.apply(x);
        assertTrue(FusedLoops.heavyBall(sr, x, y, 0, 0.1, 0.9).isEmpty(), "tau = 0 is the eager copy");
        try (GradientCollector ignored = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
            assertTrue(FusedLoops.heavyBall(sr, x, y, 3, 0.1, 0.9).isEmpty(), "recording: eager");
        }
        System.setProperty(FusedLoops.PROPERTY, "false");
        assertTrue(FusedLoops.heavyBall(sr, x, y, 3, 0.1, 0.9).isEmpty(), "switched off: eager");
        System.clearProperty(FusedLoops.PROPERTY);
        assertTrue(FusedLoops.heavyBall(sr, x, y, 3, 0.1, 0.9).isPresent());
    }

    @Test
    void repeatedCallsWriteOneModuleAndLeaveNoArraysBehind() {
        Operator a = SuperResolution.bicubic(4);
        NDArray x = randn(new Shape(1, 1, 32, 32), DataType.FLOAT32, 1);
        NDArray y = a.apply(randn(new Shape(1, 1, 32, 32), DataType.FLOAT32, 2));
        FusedLoops.heavyBall(a, x, y, 11, 0.5, 0.9).orElseThrow().close();
        int modules = FusedLoops.moduleCount();
        int before = ProcessMemory.liveArrays(manager);
        for (int i = 0; i < 50; i++) {
            FusedLoops.heavyBall(a, x, y, 11, 0.5 + i, 0.9).orElseThrow().close();
        }
        assertEquals(before, ProcessMemory.liveArrays(manager), "live arrays after 50 fused loops");
        assertEquals(modules, FusedLoops.moduleCount(), "one module per source, not per call");
    }

    /** Whole solves on an exact Gaussian prior, fusion off then on: the same estimate and the same cost. */
    @Test
    void dcdpDapsAndDdsSolvesAreTheEagerOnes() {
        Shape image = new Shape(1, 8, 8);
        GaussianPrior prior = TestPriors.randomGaussian(schedule, image, NoiseSource.seeded(3));
        NDArray x = prior.sample(manager, 2, DataType.FLOAT64, NoiseSource.seeded(21));
        MeasurementNoise noise = MeasurementNoise.ofWorkingRange(0.1);
        List<Operator> ops = List.of(SuperResolution.bicubic(2),
                new Inpainting(Masks.randomPixels(2, 8, 8, 0.5, NoiseSource.seeded(5))),
                new MotionBlur(MotionKernels.generate(5, 0.5, NoiseSource.seeded(6))));
        List<Solver<Operator>> solvers = List.of(
                new Dcdp(Dcdp.Params.paper(schedule, TaskKind.SUPER_RESOLUTION, Dcdp.Version.DDIM).withClip(false)
                        .withLr(1.0).withTau(20).withRounds(4)),
                new Dcdp(Dcdp.Params.paper(schedule, TaskKind.SUPER_RESOLUTION, Dcdp.Version.TWEEDIE).withClip(false)
                        .withLr(1.0).withTau(20).withRounds(4)),
                DcdpCm.withOdeConsistency(DcdpCm.Params.paper(schedule, TaskKind.SUPER_RESOLUTION).withClip(false)
                        .withLr(1.0).withTau(20).withRounds(4), 3),
                new Daps(Daps.Params.paper(schedule, TaskKind.INPAINTING).withBudget(6, 2).withLangevinSteps(15)
                        .withLr(1e-3).withTau(0.15)));
        List<Solver<?>> all = new java.util.ArrayList<>(solvers);
        all.add(new Dds(Dds.Params.paper(schedule, TaskKind.SUPER_RESOLUTION).withGrid(
                org.diffinv.diffusion.TimeGrid.ddimUniform(schedule, 8))));
        for (Operator a : ops) {
            Problem<Operator> p = Problem.measure(a, x, noise, NoiseSource.seeded(22));
            for (Solver<?> s : all) {
                System.setProperty(FusedLoops.PROPERTY, "false");
                long before = FusedLoops.calls();
                try (Reconstruction off = s.solveAny(p, prior, Run.seeded(4))) {
                    assertEquals(before, FusedLoops.calls(), "switched off, yet fused");
                    System.clearProperty(FusedLoops.PROPERTY);
                    try (Reconstruction on = s.solveAny(p, prior, Run.seeded(4))) {
                        boolean fuses = !(s instanceof Dds) || !(a instanceof org.diffinv.operators.SvdOperator);
                        assertEquals(fuses, FusedLoops.calls() > before, s.name() + " on " + a.name()
                                + (fuses ? " did not fuse its loop" : " fused a CG on the SVD tier"));
                        String what = s.name() + " on " + a.name();
                        assertSame(what, off.xHat(), on.xHat());
                        assertEquals(off.cost().operatorCalls(), on.cost().operatorCalls(), what + " operator calls");
                        assertEquals(off.cost().operatorVjps(), on.cost().operatorVjps(), what + " operator VJPs");
                        assertEquals(off.cost().nfe(), on.cost().nfe(), what + " NFE");
                        assertEquals(off.cost().adjointCalls(), on.cost().adjointCalls(), what + " adjoints");
                        assertTrue(on.cost().operatorVjps() + on.cost().adjointCalls() > 0, what + " ran no data steps");
                    }
                }
            }
        }
    }
}
