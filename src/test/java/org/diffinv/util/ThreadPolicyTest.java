package org.diffinv.util;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.diffusion.NoiseSource;
import org.diffinv.operators.Inpainting;
import org.diffinv.operators.Masks;
import org.diffinv.operators.MeasurementNoise;
import org.diffinv.operators.Operator;
import org.diffinv.priors.EpsPrior;
import org.diffinv.priors.TestPriors;
import org.diffinv.solvers.Problem;
import org.diffinv.solvers.Run;
import org.diffinv.solvers.SolveContext;
import org.diffinv.solvers.Solver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The batch-size thread policy: its rule, setting and restoring the count, suspension and the off switch. */
class ThreadPolicyTest {
    private int before;

    @BeforeEach
    void remember() {
        Engine.getInstance();
        before = JniUtils.getNumThreads();
        JniUtils.setNumThreads(2);
    }

    @AfterEach
    void restore() {
        JniUtils.setNumThreads(before);
        System.clearProperty("diffinv.threadPolicy");
    }

    @Test
    void smallBatchesRunOnOneThreadAndLargeOnesOnTheConfiguredCount() {
        assertEquals(1, ThreadPolicy.threadsFor(1, 2));
        assertEquals(1, ThreadPolicy.threadsFor(ThreadPolicy.SMALL_BATCH - 1, 4));
        assertEquals(4, ThreadPolicy.threadsFor(ThreadPolicy.SMALL_BATCH, 4));
        assertEquals(1, ThreadPolicy.threadsFor(64, 1), "a configured count of 1 is never raised");
        assertThrows(IllegalArgumentException.class, () -> ThreadPolicy.threadsFor(0, 2));
        assertThrows(IllegalArgumentException.class, () -> ThreadPolicy.threadsFor(1, 0));
    }

    @Test
    void aScopeSetsTheCountForItsBatchAndRestoresIt() {
        try (ThreadPolicy.Scope s = ThreadPolicy.forBatch(1)) {
            assertEquals(1, JniUtils.getNumThreads());
        }
        assertEquals(2, JniUtils.getNumThreads());
        try (ThreadPolicy.Scope s = ThreadPolicy.forBatch(16)) {
            assertEquals(2, JniUtils.getNumThreads());
        }
        assertEquals(2, JniUtils.getNumThreads());
    }

    @Test
    void everySolveRunsUnderThePolicyForItsBatch() {
        int[] seen = new int[1];
        Solver<Operator> probe = new Solver<>() {
            @Override
            public String name() {
                return "thread-probe";
            }

            @Override
            public String citation() {
                return "test";
            }

            @Override
            public Class<Operator> tier() {
                return Operator.class;
            }

            @Override
            public NDArray reconstruct(SolveContext<Operator> ctx) {
                seen[0] = JniUtils.getNumThreads();
                return ctx.y().duplicate();
            }
        };
        NoiseSchedule schedule = NoiseSchedule.ddpmLinear();
        EpsPrior prior = TestPriors.randomGaussian(schedule, new Shape(1, 4, 4), NoiseSource.seeded(1));
        Operator a = new Inpainting(Masks.centeredBox(4, 4, 2, 2));
        try (NDManager m = NDManager.newBaseManager()) {
            for (int[] batchAndThreads : new int[][] {{3, 1}, {ThreadPolicy.SMALL_BATCH, 2}}) {
                NDArray x = m.zeros(new Shape(batchAndThreads[0], 1, 4, 4), DataType.FLOAT64);
                Problem<Operator> p = Problem.measure(a, x, MeasurementNoise.NONE, NoiseSource.seeded(2));
                probe.solve(p, prior, Run.seeded(1)).close();
                assertEquals(batchAndThreads[1], seen[0], "threads inside a solve of batch " + batchAndThreads[0]);
                assertEquals(2, JniUtils.getNumThreads(), "restored after the solve");
            }
        }
    }

    @Test
    void suspendedOrSwitchedOffItLeavesTheCountAlone() {
        try (ThreadPolicy.Scope explicit = ThreadPolicy.suspend()) {
            assertFalse(ThreadPolicy.active());
            try (ThreadPolicy.Scope s = ThreadPolicy.forBatch(1)) {
                assertEquals(2, JniUtils.getNumThreads());
            }
        }
        assertTrue(ThreadPolicy.active());
        System.setProperty("diffinv.threadPolicy", "off");
        try (ThreadPolicy.Scope s = ThreadPolicy.forBatch(1)) {
            assertEquals(2, JniUtils.getNumThreads());
        }
        System.setProperty("diffinv.threadPolicy", "fast");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, ThreadPolicy::active);
        assertTrue(e.getMessage().contains("'fast'"), e.getMessage());
    }
}
