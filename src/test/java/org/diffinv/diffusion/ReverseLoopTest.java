package org.diffinv.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.diffinv.metrics.ProcessMemory;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The shared reverse loop: order of steps, snapshots, memory, interruption. */
class ReverseLoopTest {

    private final NoiseSchedule schedule = NoiseSchedule.ddpmLinear();

    /** A step rule x -> x + 1 whose x0Hat is 10 x, making temporaries on the long-lived constant's manager. */
    private static ReverseLoop.StepRule addOne(NDArray constant) {
        return (i, step, xt) -> {
            NDArray leftover = constant.add(1);          // lands on the constant's (long-lived) manager
            NDArray next = xt.add(leftover).sub(constant).sub(1).add(1);
            return new StepResult(next, xt.mul(10));
        };
    }

    @Test
    void walksTheGridAndRecordsTheAskedSnapshots() {
        TimeGrid grid = TimeGrid.ddimUniform(schedule, 10);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray constant = m.zeros(new Shape(1), DataType.FLOAT64);
            NDArray x0 = m.zeros(new Shape(1, 1, 2, 2), DataType.FLOAT64);
            List<Integer> seen = new ArrayList<>();
            ReverseLoop.Result r = ReverseLoop.run(grid, x0, addOne(constant),
                    (i, n, step, res) -> seen.add(step.t()), ReverseLoop.recordEvenly(3, 10));
            assertEquals(10.0, r.x().getDouble(0, 0, 0, 0));
            assertEquals(List.of(900, 800, 700, 600, 500, 400, 300, 200, 100, 0), seen);
            assertEquals(3, r.trajectory().size());
            assertEquals(List.of(0, 5, 9), r.trajectory().stream().map(ReverseLoop.Snapshot::index).toList());
            ReverseLoop.Snapshot s = r.trajectory().get(1);
            assertEquals(400, s.t());
            assertEquals(5.0, s.xt().getDouble(0, 0, 0, 0));
            assertEquals(50.0, s.x0Hat().getDouble(0, 0, 0, 0));
            assertEquals(0.0, x0.getDouble(0, 0, 0, 0), "the start point must not be modified");
        }
    }

    /** A thousand steps leave exactly the iterate and the snapshots behind, even with temporaries on the parent. */
    @Test
    void onlyTheIterateAndSnapshotsSurviveTheSteps() {
        TimeGrid grid = TimeGrid.ddpm(schedule);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray constant = m.zeros(new Shape(1), DataType.FLOAT64);
            NDArray x0 = m.zeros(new Shape(1, 1, 2, 2), DataType.FLOAT64);
            int before = ProcessMemory.liveArrays(m);
            ReverseLoop.Result r = ReverseLoop.run(grid, x0, addOne(constant), SamplerListener.none(),
                    ReverseLoop.recordEvenly(4, grid.size()));
            assertEquals(1000.0, r.x().getDouble(0, 0, 0, 0));
            assertEquals(before + 1 + 2 * 4, ProcessMemory.liveArrays(m));
        }
    }

    @Test
    void anInterruptStopsBetweenStepsAndReleasesThePartialIterate() {
        TimeGrid grid = TimeGrid.ddimUniform(schedule, 10);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray constant = m.zeros(new Shape(1), DataType.FLOAT64);
            NDArray x0 = m.zeros(new Shape(1, 1, 2, 2), DataType.FLOAT64);
            int before = ProcessMemory.liveArrays(m);
            SamplingInterruptedException e = assertThrows(SamplingInterruptedException.class, () ->
                    ReverseLoop.run(grid, x0, addOne(constant), (i, n, step, res) -> {
                        if (i == 3) {
                            Thread.currentThread().interrupt();
                        }
                    }, ReverseLoop.recordEvenly(2, 10)));
            assertTrue(Thread.interrupted(), "the interrupt flag must stay set");
            assertEquals(4, e.completedSteps());
            assertEquals(before, ProcessMemory.liveArrays(m));
        }
    }
}
