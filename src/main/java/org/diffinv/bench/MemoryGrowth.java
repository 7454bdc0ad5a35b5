package org.diffinv.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.diffinv.data.FashionMnist;
import org.diffinv.diffusion.NoiseSource;
import org.diffinv.diffusion.TimeGrid;
import org.diffinv.experiments.ExperimentRunner;
import org.diffinv.experiments.Task;
import org.diffinv.metrics.ProcessMemory;
import org.diffinv.operators.Operator;
import org.diffinv.priors.EpsPrior;
import org.diffinv.solvers.Dps;
import org.diffinv.solvers.Problem;
import org.diffinv.solvers.Reconstruction;
import org.diffinv.solvers.Run;

/**
 * Whether a long solve grows native memory: DPS (one network VJP per step, the heaviest graph of the pixel solvers)
 * on a {@code steps}-step grid at batch 1, with the process's resident memory read at step {@code steps / 10} and at
 * the last step. Resident memory counts every native tensor; the Java heap is bounded by {@code -Xmx} and settles
 * early, so a growth between the two readings is native memory kept per step.
 *
 * @param steps the solve's steps
 * @param earlyStep the step of the first reading
 * @param earlyRssMb resident memory at {@code earlyStep}, MB
 * @param finalRssMb resident memory at the last step, MB
 * @param seconds the solve's wall time
 * @param traceSteps the steps at which resident memory was also read (every {@code steps / 50} steps)
 * @param traceRssMb resident memory at those steps, MB
 */
public record MemoryGrowth(int steps, int earlyStep, double earlyRssMb, double finalRssMb, double seconds,
                           int[] traceSteps, double[] traceRssMb) {

    /** {@code final / early - 1}: the relative growth from the early to the last reading. */
    public double growth() {
        return finalRssMb / earlyRssMb - 1;
    }

    /** Runs the check on {@code task} with {@code prior}. */
    public static MemoryGrowth measure(EpsPrior prior, FashionMnist test, Task task, int steps, NDManager manager) {
        if (steps < 10) {
            throw new IllegalArgumentException("the memory check needs at least 10 steps, got " + steps);
        }
        int early = steps / 10;
        int every = Math.max(1, steps / 50);
        double[] rss = new double[2];
        int[] traceSteps = new int[steps / every];
        double[] traceRss = new double[steps / every];
        try (NDManager s = manager.newSubManager()) {
            NDArray x = test.images(s, new int[] {ExperimentRunner.interleaved(test)[0]});
            Operator a = task.operator().apply(1);
            Problem<Operator> problem = Problem.measure(a, x, task.noise(), NoiseSource.seeded(1));
            Dps dps = new Dps(Dps.Params.paper(prior.schedule(), task.kind())
                    .withGrid(TimeGrid.ddimUniform(prior.schedule(), steps)));
            Run run = Run.seeded(1).listen((index, total, step, result) -> {
                if ((index + 1) % every == 0 && (index + 1) / every <= traceSteps.length) {
                    traceSteps[(index + 1) / every - 1] = index + 1;
                    traceRss[(index + 1) / every - 1] = ProcessMemory.rssMb();
                }
                if (index + 1 == early) {
                    rss[0] = ProcessMemory.rssMb();
                } else if (index + 1 == total) {
                    rss[1] = ProcessMemory.rssMb();
                }
            });
            long t0 = System.nanoTime();
            Reconstruction r = dps.solveAny(problem, prior, run);
            double seconds = (System.nanoTime() - t0) / 1e9;
            r.close();
            return new MemoryGrowth(steps, early, rss[0], rss[1], seconds, traceSteps, traceRss);
        }
    }
}
