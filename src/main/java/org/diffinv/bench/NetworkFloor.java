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
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.priors.ConditionalEpsPrior;
import org.diffinv.solvers.LatentPrior;
import org.diffinv.solvers.LatentSolver;
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
 * inner counts; CG tolerances change operator calls, not network calls). Latent methods are counted the same way
 * on the latent prior with its noise predictor replaced by an analytic Gaussian on the latents and its own
 * autoencoder kept ({@link #analytic}), and priced at the latent UNet's, the decoder's and the encoder's per-image
 * times (plain calls and VJPs each at their own, as the solver bench prices them). ReSample, whose inner optimisation
 * stops on its loss, is not counted; it, latent methods without a latent prior, and methods that refuse a task (a
 * tier the task's operator lacks) get a row with the reason in {@code note} and no floor.
 */
public final class NetworkFloor {

    private NetworkFloor() {
    }

    /**
     * The per-image network times, in milliseconds, that the floor prices counts at: the pixel UNet's forward and
     * forward + backward passes, and the latent UNet's, the decoder's and the encoder's (NaN when no latent prior was
     * measured).
     */
    public record UnitTimes(int batch, int threads, double forwardMs, double vjpMs, double latentForwardMs,
                            double latentVjpMs, double decoderMs, double decoderVjpMs, double encoderMs,
                            double encoderVjpMs) {
        /** Pixel times only. */
        public UnitTimes(int batch, int threads, double forwardMs, double vjpMs) {
            this(batch, threads, forwardMs, vjpMs, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
                    Double.NaN);
        }

        /** Whether the latent networks were measured. */
        public boolean hasLatent() {
            return !Double.isNaN(latentForwardMs);
        }

        SolverBench.UnitCosts pixel() {
            return new SolverBench.UnitCosts(forwardMs, vjpMs);
        }

        SolverBench.UnitCosts latent() {
            return new SolverBench.UnitCosts(latentForwardMs, latentVjpMs, decoderMs, decoderVjpMs, encoderMs,
                    encoderVjpMs, 0, 0);
        }
    }

    /**
     * Measures the per-image forward and forward + backward times of {@code pixel} (and of {@code latent}'s UNet,
     * decoder and encoder when it is not null) at a batch of {@code images}, at the policy's thread count for it out
     * of {@code configuredThreads}: medians of {@code repeat} calls after {@code warmup}, divided by the batch.
     */
    public static UnitTimes measure(EpsPrior pixel, LatentPrior latent, Shape single, int images, int configuredThreads,
            int warmup, int repeat, NDManager manager) {
        int threads = ThreadPolicy.threadsFor(images, configuredThreads);
        double f = NetworkBench.time(pixel, single, NetworkBench.Call.FORWARD, images, threads, warmup, repeat, manager)
                .medianMs();
        double v = NetworkBench.time(pixel, single, NetworkBench.Call.FORWARD_BACKWARD, images, threads, warmup, repeat,
                manager).medianMs();
        if (latent == null) {
            return new UnitTimes(images, threads, f / images, v / images);
        }
        int before = JniUtils.getNumThreads();
        JniUtils.setNumThreads(threads);
        try (ThreadPolicy.Scope explicit = ThreadPolicy.suspend()) {
            LatentCosts c = LatentCosts.measure(latent, images, warmup, repeat, manager);
            return new UnitTimes(images, threads, f / images, v / images, c.unetMs() / images,
                    c.unetVjpMs() / images, c.decoderMs() / images, c.decoderVjpMs() / images, c.encoderMs() / images,
                    c.encoderVjpMs() / images);
        } finally {
            JniUtils.setNumThreads(before);
        }
    }

    /**
     * One row per (task, method): task, method, nfe and vjp per solve, the floor in seconds for {@code images}
     * images at {@code units}, and a note (empty, or why a row has no floor).
     *
     * @param single one image's shape, {@code (C, H, W)}, of the pixel prior
     * @throws IllegalArgumentException for an unknown method, naming the known ones, or {@code images < 1}
     */
    public static Table table(EpsPrior pixel, LatentPrior latent, Shape single, List<Task> tasks, List<String> methods,
            int images, UnitTimes units, NDManager manager) {
        if (images < 1) {
            throw new IllegalArgumentException("images must be >= 1, got " + images);
        }
        requireKnown(methods);
        GaussianPrior counting = GaussianPrior.isotropic(pixel.schedule(), single, new double[(int) single.size()],
                1.0);
        LatentPrior latentCounting = latent == null || !units.hasLatent() ? null : analytic(latent);
        Table t = Table.create("network-time floor, " + images + " images per task (batch " + units.batch() + ", "
                        + units.threads() + " threads)",
                StringColumn.create("task"), StringColumn.create("method"), LongColumn.create("nfe"),
                LongColumn.create("vjp"), LongColumn.create("decoder calls"), LongColumn.create("encoder calls"),
                DoubleColumn.create("floor seconds"), StringColumn.create("note"));
        for (Task task : tasks) {
            for (String name : methods) {
                t.stringColumn("task").append(task.name());
                t.stringColumn("method").append(name);
                boolean isLatent = LatentSolverRegistry.contains(name);
                if (isLatent && latentCounting == null) {
                    missing(t, "latent method: not counted (no latent prior given)");
                    continue;
                }
                if (DATA_DEPENDENT.contains(name)) {
                    missing(t, "not counted: its inner loop stops on its own loss, so its count depends on the data");
                    continue;
                }
                Cost c;
                try {
                    c = isLatent
                            ? count(LatentSolverRegistry.paper(name, latent.eps().schedule(), task.kind()), task,
                                    latentCounting, single, manager)
                            : count(SolverRegistry.paper(name, pixel.schedule(), task.kind()), task, counting,
                                    single, manager);
                } catch (IllegalArgumentException e) {
                    missing(t, "refused: " + e.getMessage());
                    continue;
                }
                t.longColumn("nfe").append(c.nfe());
                t.longColumn("vjp").append(c.vjp());
                t.longColumn("decoder calls").append(c.decoderCalls());
                t.longColumn("encoder calls").append(c.encoderCalls());
                t.doubleColumn("floor seconds").append(images * (isLatent ? units.latent() : units.pixel())
                        .expectedMs(c) / 1e3);
                t.stringColumn("note").append("");
            }
        }
        return t;
    }

    /**
     * Refuses a name that is neither a pixel nor a latent method of the registries, naming it and the known ones.
     */
    public static void requireKnown(List<String> methods) {
        for (String m : methods) {
            if (!SolverRegistry.names().contains(m) && !LatentSolverRegistry.contains(m)) {
                throw new IllegalArgumentException("no method named '" + m + "'; known: " + SolverRegistry.names()
                        + " and latent " + LatentSolverRegistry.names());
            }
        }
    }

    /** The sum of the table's floors, in seconds (rows without one left out). */
    public static double total(Table floor) {
        return floor.doubleColumn("floor seconds").sum();
    }

    private static void missing(Table t, String note) {
        for (String c : List.of("nfe", "vjp", "decoder calls", "encoder calls")) {
            t.longColumn(c).appendMissing();
        }
        t.doubleColumn("floor seconds").appendMissing();
        t.stringColumn("note").append(note);
    }

    /** Methods whose network calls depend on the data (an inner loop that stops on its loss): not counted. */
    static final java.util.Set<String> DATA_DEPENDENT = java.util.Set.of("resample");

    /**
     * {@code latent} with its noise predictor replaced by an analytic one (a standard Gaussian on the latents, the
     * condition ignored; same schedule): the autoencoder stays, so the ledger counts its calls as a run does.
     */
    static LatentPrior analytic(LatentPrior latent) {
        Shape z = latent.ae().latentShape();
        GaussianPrior g = GaussianPrior.isotropic(latent.eps().schedule(), z, new double[(int) z.size()], 1.0);
        ConditionalEpsPrior eps = new ConditionalEpsPrior() {
            @Override
            public NoiseSchedule schedule() {
                return g.schedule();
            }

            @Override
            public long[] conditionShape() {
                return latent.eps().conditionShape();
            }

            @Override
            public NDArray eps(NDArray zt, int t, NDArray condition) {
                return g.eps(zt, t);
            }
        };
        return new LatentPrior(eps, latent.ae(), latent.c(), latent.cNull());
    }

    /** The ledger of one solve of one seeded image on {@code prior} (counts only). */
    static Cost count(LatentSolver<?> solver, Task task, LatentPrior prior, Shape single, NDManager manager) {
        return count(task, single, manager, p -> solver.solveAny(p, prior, Run.seeded(1)));
    }

    /** The ledger of one solve of one seeded image on {@code prior} (counts only). */
    static Cost count(Solver<?> solver, Task task, EpsPrior prior, Shape single, NDManager manager) {
        return count(task, single, manager, p -> solver.solveAny(p, prior, Run.seeded(1)));
    }

    private static Cost count(Task task, Shape single, NDManager manager,
            java.util.function.Function<Problem<Operator>, Reconstruction> solve) {
        try (NDManager s = manager.newSubManager()) {
            NDArray x = NoiseSource.seeded(1).normal(s, new Shape(1).addAll(single), DataType.FLOAT32).clip(-1, 1);
            Problem<Operator> p = Problem.measure(task.operator().apply(1), x, task.noise(), NoiseSource.seeded(1));
            try (Reconstruction r = solve.apply(p)) {
                return r.cost();
            }
        }
    }
}
