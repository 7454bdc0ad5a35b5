package org.diffinv.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import org.diffinv.diffusion.NoiseSource;
import org.diffinv.experiments.Task;
import org.diffinv.metrics.Cost;
import org.diffinv.operators.Operator;
import org.diffinv.priors.EpsPrior;
import org.diffinv.priors.GaussianPrior;
import org.diffinv.solvers.LatentSolverRegistry;
import org.diffinv.solvers.Problem;
import org.diffinv.solvers.Reconstruction;
import org.diffinv.solvers.Run;
import org.diffinv.solvers.Solver;
import org.diffinv.solvers.SolverRegistry;
import org.diffinv.util.ThreadPolicy;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.LongColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

import java.util.List;

/**
 * A floor on an experiment's wall time, known before running it ({@code environment/kit plan}): for every task and
 * pixel method at its paper defaults ({@link SolverRegistry#paper}), the cost ledger's NFE and VJP counts, priced at
 * the pixel network's per-image forward time {@code t_fwd} and forward + backward time {@code t_vjp} measured now at
 * the batch size the run solves at:
 * <pre>
 *   floor = images x ( (NFE - VJP) t_fwd + VJP t_vjp )
 * </pre>
 * The experiment runner ({@link org.diffinv.experiments.ExperimentRunner}) solves a task's images as one batch, so
 * the unit times are measured at a batch of {@code images}, at the thread count a solve of that batch runs at
 * ({@link ThreadPolicy#threadsFor}). It is a floor: the method's own arithmetic, operator calls and the metrics come on
 * top (the solver bench's overhead ratio, about 1 to 1.3 on this machine).
 *
 * <p>The counts come from one solve of one image on an analytic Gaussian prior with the pixel prior's schedule: the
 * ledger counts every network call of a method whatever prior answers it, and no network is evaluated, so counting
 * costs seconds. They are the network prior's counts for every method whose number of network calls does not depend
 * on the data, which holds for the registered pixel methods at their paper defaults (fixed schedules, rounds and
 * inner counts; CG tolerances change operator calls, not network calls). Latent methods, whose networks an analytic
 * prior cannot stand in for, and methods that refuse a task (a tier the task's operator lacks) get a row with the
 * reason in {@code note} and no floor.
 */
public final class NetworkFloor {

    private NetworkFloor() {
    }

    /** The per-image network times, in milliseconds, that the floor prices counts at. */
    public record UnitTimes(int batch, int threads, double forwardMs, double vjpMs) {
    }

    /**
     * Measures the per-image forward and forward + backward times of {@code pixel} at a batch of {@code images}, at
     * the policy's thread count for it out of {@code configuredThreads}: medians of {@code repeat} calls after
     * {@code warmup}, divided by the batch.
     */
    public static UnitTimes measure(EpsPrior pixel, Shape single, int images, int configuredThreads, int warmup,
            int repeat, NDManager manager) {
        int threads = ThreadPolicy.threadsFor(images, configuredThreads);
        double f = NetworkBench.time(pixel, single, NetworkBench.Call.FORWARD, images, threads, warmup, repeat, manager)
                .medianMs();
        double v = NetworkBench.time(pixel, single, NetworkBench.Call.FORWARD_BACKWARD, images, threads, warmup, repeat,
                manager).medianMs();
        return new UnitTimes(images, threads, f / images, v / images);
    }

    /**
     * One row per (task, method): task, method, nfe and vjp per solve, the floor in seconds for {@code images}
     * images at {@code units}, and a note (empty, or why a row has no floor).
     *
     * @param single one image's shape, {@code (C, H, W)}, of the pixel prior
     * @throws IllegalArgumentException for an unknown method, naming the known ones, or {@code images < 1}
     */
    public static Table table(EpsPrior pixel, Shape single, List<Task> tasks, List<String> methods, int images,
            UnitTimes units, NDManager manager) {
        if (images < 1) {
            throw new IllegalArgumentException("images must be >= 1, got " + images);
        }
        for (String m : methods) {
            if (!SolverRegistry.names().contains(m) && !LatentSolverRegistry.contains(m)) {
                throw new IllegalArgumentException("no method named '" + m + "'; known: " + SolverRegistry.names()
                        + " and latent " + LatentSolverRegistry.names());
            }
        }
        GaussianPrior counting = GaussianPrior.isotropic(pixel.schedule(), single, new double[(int) single.size()],
                1.0);
        Table t = Table.create("network-time floor, " + images + " images per task (batch " + units.batch() + ", "
                        + units.threads() + " threads)",
                StringColumn.create("task"), StringColumn.create("method"), LongColumn.create("nfe"),
                LongColumn.create("vjp"), DoubleColumn.create("floor seconds"), StringColumn.create("note"));
        int before = JniUtils.getNumThreads();
        try {
            for (Task task : tasks) {
                for (String name : methods) {
                    t.stringColumn("task").append(task.name());
                    t.stringColumn("method").append(name);
                    if (LatentSolverRegistry.contains(name)) {
                        missing(t, "latent method: not counted (an analytic prior cannot stand in for its networks)");
                        continue;
                    }
                    Cost c;
                    try {
                        c = count(SolverRegistry.paper(name, pixel.schedule(), task.kind()), task, counting, single,
                                manager);
                    } catch (IllegalArgumentException e) {
                        missing(t, "refused: " + e.getMessage());
                        continue;
                    }
                    t.longColumn("nfe").append(c.nfe());
                    t.longColumn("vjp").append(c.vjp());
                    t.doubleColumn("floor seconds").append(images * ((c.nfe() - c.vjp()) * units.forwardMs()
                            + c.vjp() * units.vjpMs()) / 1e3);
                    t.stringColumn("note").append("");
                }
            }
        } finally {
            JniUtils.setNumThreads(before);
        }
        return t;
    }

    /** The sum of the table's floors, in seconds (rows without one left out). */
    public static double total(Table floor) {
        return floor.doubleColumn("floor seconds").sum();
    }

    private static void missing(Table t, String note) {
        t.longColumn("nfe").appendMissing();
        t.longColumn("vjp").appendMissing();
        t.doubleColumn("floor seconds").appendMissing();
        t.stringColumn("note").append(note);
    }

    /** The ledger of one solve of one seeded image on {@code prior} (counts only). */
    static Cost count(Solver<?> solver, Task task, EpsPrior prior, Shape single, NDManager manager) {
        try (NDManager s = manager.newSubManager()) {
            NDArray x = NoiseSource.seeded(1).normal(s, new Shape(1).addAll(single), DataType.FLOAT32).clip(-1, 1);
            Operator a = task.operator().apply(1);
            Problem<Operator> p = Problem.measure(a, x, task.noise(), NoiseSource.seeded(1));
            try (Reconstruction r = solver.solveAny(p, prior, Run.seeded(1))) {
                return r.cost();
            }
        }
    }
}
