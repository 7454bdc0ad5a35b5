package org.diffinv.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import org.diffinv.data.FashionMnist;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.diffusion.NoiseSource;
import org.diffinv.diffusion.TimeGrid;
import org.diffinv.experiments.ExperimentRunner;
import org.diffinv.experiments.Task;
import org.diffinv.metrics.Cost;
import org.diffinv.metrics.ProcessMemory;
import org.diffinv.nn.NetworkEngine;
import org.diffinv.notebook.Progress;
import org.diffinv.operators.Operator;
import org.diffinv.priors.EpsPrior;
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
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.LongColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

import java.lang.reflect.RecordComponent;
import java.util.List;
import java.util.Set;

/**
 * What each solver costs on top of its network evaluations, on one fixed task: one row per (solver, batch size) with
 * the cost ledger's counts (NFE, network VJPs, operator calls, encoder and decoder calls), the wall time, the peak
 * resident memory, and the <b>overhead ratio</b>
 * <pre>
 *   wall time / ( (NFE - VJP) t_fwd + VJP t_vjp + (D - D_vjp) t_dec + D_vjp t_dec,vjp + (E - E_vjp) t_enc + E_vjp t_enc,vjp )
 * </pre>
 * where {@code t_fwd} is one network forward pass and {@code t_vjp} one forward plus backward pass to the input
 * ({@link NetworkBench}), both measured just before each solve at its batch size; for latent solvers the network is
 * the latent UNet, {@code D} and {@code E} are the ledger's decoder and encoder calls, of which {@code D_vjp} and
 * {@code E_vjp} were back-propagated ({@link Cost#decoderVjps()}, {@link Cost#encoderVjps()}), each at its own
 * measured time ({@link LatentCosts}). A ratio of 1 means the solver costs exactly its network and autoencoder
 * evaluations; the difference is the solver's own arithmetic, operator calls and bookkeeping.
 *
 * <p>Unit costs measured before a solve are medians of a few calls, and at batch 1 a shared machine's speed moves
 * by tens of percent between them and the solve. So the table also has the <b>in-solve ratio</b>
 * <pre>
 *   wall time / ( T_fwd + VJP (t_vjp - t_fwd) + D_vjp (t_dec,vjp - t_dec) + E_vjp (t_enc,vjp - t_enc) )
 * </pre>
 * with {@code T_fwd} the time spent inside the solve's own forward calls of the networks ({@link Cost#forwardSeconds},
 * timed by the ledger as they ran) and only the backward parts from the unit costs: for a solver without VJPs it is
 * exact, wall time over the network time of that very solve.
 *
 * <p><b>Threads.</b> Each row runs at the thread count a solve of its batch size runs at through the solver API: the
 * batch-size policy ({@link ThreadPolicy#threadsFor}) applied to the bench's configured count ({@link #withThreads}),
 * so a batch-1 row on a 2-core machine runs on one thread, as every batch-1 solve does, and a batch-16 row on two.
 * The unit costs are measured at that same count, and the table's {@code threads} column names it.
 * {@link #atExactThreads()} measures every row at the configured count instead (for comparing thread counts).
 *
 * <p>Methods whose data-consistency step is operator work (DCDP's hundreds of gradient rounds per purification, CG
 * solves, ADMM) cannot reach a ratio near 1 by construction, so the table carries a second ratio,
 * <pre>
 *   wall time / ( network time + A_op t_A + (A^T_op + VJP_op) t_AT )
 * </pre>
 * with {@code t_A} and {@code t_AT} one operator application and one adjoint (VJP) at the same batch size, measured
 * in the same run, and the ledger's operator counts. It is the overhead beyond what the method prescribes; CG solves
 * and SVD basis changes are not in its denominator (they stay in the overhead).
 *
 * <p><b>Step budget.</b> The overhead ratio is a per-step property, so with a budget {@code maxSteps > 0} every
 * solver whose schedule is longer runs on a shorter one of the same cost per step: a {@link TimeGrid} longer than
 * the budget becomes the DDIM-uniform grid of {@code maxSteps} steps, and an integer parameter named
 * {@code steps}, {@code levels}, {@code iterations} or {@code points}, or an inner iteration count ({@code tau},
 * DCDP's data-consistency steps per round; ReSample's {@code latentIterations} and {@code pixelIterations}) above the
 * budget is set to it. A capped inner count changes the mix of a row: DCDP's network-only ratio then carries
 * {@code maxSteps} data steps per round instead of the paper's, so compare DCDP rows by the ratio beyond the
 * operator, whose denominator counts them. The results of such runs are not the paper's reconstructions (the PSNR column is there as a check that a run did reconstruct,
 * not as a result); this harness reports cost. {@code maxSteps = 0} runs the paper defaults.
 */
public final class SolverBench {

    /** The integer parameters that a step budget caps. */
    static final Set<String> STEP_PARAMETERS = Set.of("steps", "levels", "iterations", "points", "tau",
            "latentIterations", "pixelIterations");

    private final EpsPrior pixel;
    private final LatentPrior latent;
    private final FashionMnist test;
    private final Task task;
    private final int maxSteps;
    private final int warmup;
    private final int repeat;
    private final int threads;
    private final boolean policy;
    private final int solves;

    /**
     * A harness on {@code task} with test images from {@code test}.
     *
     * @param pixel the pixel prior (pixel solvers)
     * @param latent the latent prior (latent solvers), or null to refuse latent solvers
     * @param maxSteps the step budget (0: paper defaults)
     * @param warmup untimed network evaluations before each unit-cost measurement
     * @param repeat timed network evaluations per unit cost
     */
    public SolverBench(EpsPrior pixel, LatentPrior latent, FashionMnist test, Task task, int maxSteps, int warmup,
                       int repeat) {
        if (pixel == null || test == null || task == null) {
            throw new IllegalArgumentException("the solver bench needs a pixel prior, the test split and a task");
        }
        if (maxSteps < 0) {
            throw new IllegalArgumentException("maxSteps must be >= 0 (0: paper defaults), got " + maxSteps);
        }
        NetworkBench.requireCounts(1, 1, warmup, repeat);
        this.pixel = pixel;
        this.latent = latent;
        this.test = test;
        this.task = task;
        this.maxSteps = maxSteps;
        this.warmup = warmup;
        this.repeat = repeat;
        this.threads = Integer.getInteger("ai.djl.pytorch.num_threads", Runtime.getRuntime().availableProcessors());
        this.policy = true;
        this.solves = 1;
    }

    private SolverBench(SolverBench b, int threads, boolean policy, int solves) {
        this.pixel = b.pixel;
        this.latent = b.latent;
        this.test = b.test;
        this.task = b.task;
        this.maxSteps = b.maxSteps;
        this.warmup = b.warmup;
        this.repeat = b.repeat;
        this.threads = threads;
        this.policy = policy;
        this.solves = solves;
    }

    /**
     * A copy configured for {@code count} torch intra-op threads, of which each row uses what the batch-size policy
     * gives its batch (all of them with {@link #atExactThreads()}). The default is the kit's configured count (the
     * {@code ai.djl.pytorch.num_threads} property, else every core). The count is set on the calling thread for the
     * unit-cost measurements and the solves alike, and restored afterwards: OpenMP keeps it per calling thread, so
     * a count left by earlier work on another thread (a notebook kernel runs cells on several) never leaks in.
     */
    public SolverBench withThreads(int count) {
        NetworkBench.requireCounts(1, count, warmup, repeat);
        return new SolverBench(this, count, policy, solves);
    }

    /** A copy whose rows all run at the configured count, whatever their batch size (the policy not applied). */
    public SolverBench atExactThreads() {
        return new SolverBench(this, threads, false, solves);
    }

    /**
     * A copy that measures every row {@code pairs} times: unit costs, then the solve, {@code pairs} times over, each
     * numeric cell of the row the median of that cell over the pairs (each ratio the median of the per-pair ratios),
     * with the smallest and largest overhead and in-solve ratios beside (columns {@code overhead ratio min / max},
     * {@code in-solve ratio min / max}) and the count in {@code solves}. Why: at batch 1 the machine's speed moves by
     * tens of percent within seconds, so one pair's overhead ratio says as much about the machine as about the
     * solver (the README's "Why the two ratios disagree"); the median of several pairs and their range separate the
     * two. The default is one pair (the 08-cost notebook's budget).
     *
     * @throws IllegalArgumentException if {@code pairs < 1}
     */
    public SolverBench withSolves(int pairs) {
        if (pairs < 1) {
            throw new IllegalArgumentException("solves must be >= 1 (pairs of unit costs and a solve per row), got "
                    + pairs);
        }
        return new SolverBench(this, threads, policy, pairs);
    }

    /** The (unit costs, solve) pairs measured per row ({@link #withSolves}). */
    public int solves() {
        return solves;
    }

    /** The configured torch intra-op thread count. */
    public int threads() {
        return threads;
    }

    /**
     * The torch intra-op threads a row at {@code batch} and its unit costs run at: the policy's count for the batch
     * (none when the policy is switched off by its setting, as for solves) unless {@link #atExactThreads()}.
     */
    public int threadsAt(int batch) {
        return policy && ThreadPolicy.enabled() ? ThreadPolicy.threadsFor(batch, threads) : threads;
    }

    /** The unit costs, in milliseconds, that the overhead ratio divides by, measured at one batch size. */
    record UnitCosts(double fwd, double vjp, double dec, double decVjp, double enc, double encVjp, double op,
                     double opAdjoint) {
        /** A pixel prior's: no autoencoder. */
        UnitCosts(double fwd, double vjp) {
            this(fwd, vjp, 0, 0, 0, 0, 0, 0);
        }

        /** The same network costs with the operator's. */
        UnitCosts withOperator(double apply, double adjoint) {
            return new UnitCosts(fwd, vjp, dec, decVjp, enc, encVjp, apply, adjoint);
        }

        double expectedMs(Cost c) {
            long nonVjp = Math.max(0, c.nfe() - c.vjp());
            return nonVjp * fwd + c.vjp() * vjp
                    + Math.max(0, c.decoderCalls() - c.decoderVjps()) * dec + c.decoderVjps() * decVjp
                    + Math.max(0, c.encoderCalls() - c.encoderVjps()) * enc + c.encoderVjps() * encVjp;
        }

        /**
         * The backward parts of the ledger's VJPs, priced as the difference between a VJP and a forward call: what the
         * in-solve ratio adds to the forward time timed inside the solve.
         */
        double backwardMs(Cost c) {
            return c.vjp() * Math.max(0, vjp - fwd) + c.decoderVjps() * Math.max(0, decVjp - dec)
                    + c.encoderVjps() * Math.max(0, encVjp - enc);
        }

        double operatorMs(Cost c) {
            return c.operatorCalls() * op + (c.adjointCalls() + c.operatorVjps()) * opAdjoint;
        }
    }

    /** An empty results table (columns in the order {@link #run} fills them). */
    public static Table newTable() {
        return Table.create("solver overhead",
                StringColumn.create("solver"), StringColumn.create("space"), IntColumn.create("batch"),
                IntColumn.create("threads"), LongColumn.create("nfe"), LongColumn.create("vjp"), LongColumn.create("operator calls"),
                LongColumn.create("encoder calls"), LongColumn.create("decoder calls"),
                LongColumn.create("encoder VJPs"), LongColumn.create("decoder VJPs"),
                DoubleColumn.create("seconds"), DoubleColumn.create("network seconds"),
                DoubleColumn.create("overhead ratio"), DoubleColumn.create("operator seconds"),
                DoubleColumn.create("ratio beyond operator"), DoubleColumn.create("forward seconds in solve"),
                DoubleColumn.create("in-solve ratio"), DoubleColumn.create("images per second"),
                DoubleColumn.create("peak RSS MB"), DoubleColumn.create("psnr"), StringColumn.create("steps"),
                IntColumn.create("solves"), DoubleColumn.create("overhead ratio min"),
                DoubleColumn.create("overhead ratio max"), DoubleColumn.create("in-solve ratio min"),
                DoubleColumn.create("in-solve ratio max"));
    }

    /** Runs every named solver (pixel or latent) at every batch size; one row each, in that order. */
    public Table run(List<String> solvers, int[] batches, NDManager manager) {
        for (String name : solvers) {
            if (LatentSolverRegistry.contains(name)) {
                requireLatentPrior(name, true);
            } else {
                SolverRegistry.paper(name, pixel.schedule(), task.kind()); // refuses an unknown name, naming the known
            }
        }
        Table table = newTable();
        int before = JniUtils.getNumThreads();
        // each batch size at the count the policy gives it (see the class comment), set here: the solve's own
        // policy scope is suspended, so the units and the solve run at one count
        try (ThreadPolicy.Scope explicit = ThreadPolicy.suspend();
             Progress progress = Progress.start("bench", (long) solvers.size() * batches.length)) {
            for (int b : batches) {
                JniUtils.setNumThreads(threadsAt(b));
                boolean warm = warmup == 0;
                for (String name : solvers) {
                    progress.setMessage(name + " / batch " + b);
                    boolean isLatent = LatentSolverRegistry.contains(name);
                    Object solver = budgeted(name, isLatent);
                    if (!warm) {
                        // one untimed solve per batch size first: the first solve at a shape pays one-off costs
                        // (allocator growth, JIT, first-touch pages) that are no part of any solver's per-step cost
                        measure(newTable(), name, solver, b, isLatent ? latentUnits(b, manager)
                                : pixelUnits(b, manager), manager);
                        warm = true;
                    }
                    measurePairs(table, name, solver, b, manager);
                    progress.step();
                }
            }
        } finally {
            JniUtils.setNumThreads(before);
        }
        return table;
    }

    private UnitCosts pixelUnits(int batch, NDManager manager) {
        Shape single = new Shape(1, FashionMnist.SIZE, FashionMnist.SIZE);
        double f = NetworkBench.time(pixel, single, NetworkBench.Call.FORWARD, batch, threadsAt(batch), warmup, repeat,
                manager).medianMs();
        double v = NetworkBench.time(pixel, single, NetworkBench.Call.FORWARD_BACKWARD, batch, threadsAt(batch), warmup,
                repeat, manager).medianMs();
        return withOperator(new UnitCosts(f, v), batch, manager);
    }

    /** Adds the time of one operator application and one operator VJP on a batch of test images. */
    private UnitCosts withOperator(UnitCosts units, int batch, NDManager manager) {
        Operator a = task.operator().apply(batch);
        Shape shape = new Shape(batch, 1, FashionMnist.SIZE, FashionMnist.SIZE);
        NoiseSource noise = NoiseSource.seeded(11);
        double apply = Timer.medianMs(warmup, repeat, manager, s -> {
            NDArray x = noise.normal(s, shape, DataType.FLOAT32);
            return () -> a.apply(x);
        });
        double adjoint = Timer.medianMs(warmup, repeat, manager, s -> {
            NDArray x = noise.normal(s, shape, DataType.FLOAT32);
            NDArray v = noise.normal(s, a.apply(x).getShape(), DataType.FLOAT32);
            return () -> a.vjp(x, v);
        });
        return units.withOperator(apply, adjoint);
    }

    private UnitCosts latentUnits(int batch, NDManager manager) {
        LatentCosts c = LatentCosts.measure(latent, batch, warmup, repeat, manager);
        return withOperator(new UnitCosts(c.unetMs(), c.unetVjpMs(), c.decoderMs(), c.decoderVjpMs(), c.encoderMs(),
                c.encoderVjpMs(), 0, 0), batch, manager);
    }

    /**
     * Appends one row for {@code solver}: {@link #solves} pairs of unit costs measured just before a solve (a shared
     * machine's speed drifts, and each ratio must compare a solve with the network at the same time), reduced to
     * their medians ({@link #medianRow}).
     */
    private void measurePairs(Table table, String name, Object solver, int batch, NDManager manager) {
        boolean isLatent = solver instanceof LatentSolver<?>;
        Table pairs = newTable();
        for (int k = 0; k < solves; k++) {
            measure(pairs, name, solver, batch, isLatent ? latentUnits(batch, manager) : pixelUnits(batch, manager),
                    manager);
        }
        medianRow(table, pairs);
    }

    /**
     * Appends to {@code into} one row summarising the rows of {@code pairs} (one solver at one batch size): text and
     * integer cells from the first row (the counts of a seeded solve do not change between pairs), every decimal cell
     * the median of its values over the rows that have one (missing when none has), {@code solves} the row count,
     * and the range of the overhead and in-solve ratios over the rows.
     */
    static void medianRow(Table into, Table pairs) {
        if (pairs.rowCount() == 0) {
            throw new IllegalArgumentException("no measured pairs to summarise");
        }
        for (tech.tablesaw.columns.Column<?> c : into.columns()) {
            String n = c.name();
            switch (n) {
                case "solves" -> into.intColumn(n).append(pairs.rowCount());
                case "overhead ratio min", "in-solve ratio min", "overhead ratio max", "in-solve ratio max" -> {
                    DoubleColumn ratio = pairs.doubleColumn(n.substring(0, n.length() - 4));
                    double v = n.endsWith("min") ? ratio.min() : ratio.max();
                    if (ratio.countMissing() == ratio.size() || Double.isNaN(v)) {
                        into.doubleColumn(n).appendMissing();
                    } else {
                        into.doubleColumn(n).append(v);
                    }
                }
                default -> {
                    if (c instanceof DoubleColumn d) {
                        double[] values = java.util.Arrays.stream(pairs.doubleColumn(n).asDoubleArray())
                                .filter(x -> !Double.isNaN(x)).sorted().toArray();
                        if (values.length == 0) {
                            d.appendMissing();
                        } else {
                            d.append(Timer.median(values));
                        }
                    } else if (c instanceof StringColumn sc) {
                        sc.append(pairs.stringColumn(n).get(0));
                    } else if (c instanceof IntColumn ic) {
                        ic.append(pairs.intColumn(n).get(0));
                    } else if (c instanceof LongColumn lc) {
                        lc.append(pairs.longColumn(n).get(0));
                    } else {
                        throw new IllegalStateException("no summary rule for column '" + n + "' of type " + c.type());
                    }
                }
            }
        }
    }

    /** Refuses a latent solver {@code name} when this bench was made without the latent prior. */
    private void requireLatentPrior(String name, boolean isLatent) {
        if (isLatent && latent == null) {
            throw new IllegalArgumentException("'" + name + "' is a latent solver: the bench needs the latent prior "
                    + "for it");
        }
    }

    /** The registry's paper configuration of {@code name} (a latent or a pixel solver) within the step budget. */
    private Object budgeted(String name, boolean isLatent) {
        return isLatent
                ? budget(LatentSolverRegistry.paper(name, latent.eps().schedule(), task.kind()), latent.eps().schedule())
                : budget(SolverRegistry.paper(name, pixel.schedule(), task.kind()), pixel.schedule());
    }

    /**
     * Appends the row of one configured solver (a {@link Solver} or a {@link LatentSolver}, run as given: no step
     * budget) under {@code label}, with unit costs measured now at {@code batch}. For rows the registry names do not
     * give, e.g. C-PiGDM at several NFE.
     */
    public void append(Table table, String label, Object solver, int batch, NDManager manager) {
        boolean isLatent = solver instanceof LatentSolver<?>;
        if (!isLatent && !(solver instanceof Solver<?>)) {
            throw new IllegalArgumentException("expected a Solver or a LatentSolver, got " + solver);
        }
        requireLatentPrior(label, isLatent);
        int before = JniUtils.getNumThreads();
        JniUtils.setNumThreads(threadsAt(batch));
        try (ThreadPolicy.Scope explicit = ThreadPolicy.suspend()) {
            measurePairs(table, label, solver, batch, manager);
        } finally {
            JniUtils.setNumThreads(before);
        }
    }

    /** The first {@code batch} test images in the class-interleaved order (repeating when the batch is larger). */
    private NDArray testBatch(int batch, NDManager manager) {
        int[] all = ExperimentRunner.interleaved(test);
        int[] idx = new int[batch];
        for (int i = 0; i < batch; i++) {
            idx[i] = all[i % all.length];
        }
        return test.images(manager, idx);
    }

    /** The bench task's measurement of {@code x}, with its noise at seed 1. */
    private Problem<Operator> problem(NDArray x) {
        return Problem.measure(task.operator().apply((int) x.getShape().get(0)), x, task.noise(), NoiseSource.seeded(1));
    }

    private void measure(Table table, String name, Object solver, int batch, UnitCosts units, NDManager manager) {
        boolean isLatent = solver instanceof LatentSolver<?>;
        try (NDManager s = manager.newSubManager()) {
            NDArray x = testBatch(batch, s);
            Problem<Operator> problem = problem(x);
            String steps = describe(solver);
            Reconstruction r = solve(solver, problem);
            Cost c = r.cost();
            double psnr = org.diffinv.metrics.Psnr.batch(r.xHat().clip(-1, 1), x).mean();
            r.close();
            double expected = units.expectedMs(c) / 1e3;
            table.stringColumn("solver").append(name);
            table.stringColumn("space").append(isLatent ? "latent" : "pixel");
            table.intColumn("batch").append(batch);
            table.intColumn("threads").append(threadsAt(batch));
            table.longColumn("nfe").append(c.nfe());
            table.longColumn("vjp").append(c.vjp());
            table.longColumn("operator calls").append(c.operatorCalls() + c.adjointCalls() + c.operatorVjps());
            table.longColumn("encoder calls").append(c.encoderCalls());
            table.longColumn("decoder calls").append(c.decoderCalls());
            table.longColumn("encoder VJPs").append(c.encoderVjps());
            table.longColumn("decoder VJPs").append(c.decoderVjps());
            table.doubleColumn("seconds").append(c.seconds());
            table.doubleColumn("network seconds").append(expected);
            table.doubleColumn("overhead ratio").append(expected > 0 ? c.seconds() / expected : Double.NaN);
            double operator = units.operatorMs(c) / 1e3;
            table.doubleColumn("operator seconds").append(operator);
            table.doubleColumn("ratio beyond operator").append(expected + operator > 0
                    ? c.seconds() / (expected + operator) : Double.NaN);
            double inSolve = c.forwardSeconds() + units.backwardMs(c) / 1e3;
            table.doubleColumn("forward seconds in solve").append(c.forwardSeconds());
            boolean timed = c.nfe() == 0 || c.forwardSeconds() > 0; // a network outside the ledger's wrappers: untimed
            table.doubleColumn("in-solve ratio").append(inSolve > 0 && timed ? c.seconds() / inSolve : Double.NaN);
            table.doubleColumn("images per second").append(batch / c.seconds());
            table.doubleColumn("peak RSS MB").append(c.peakRssMb());
            table.doubleColumn("psnr").append(psnr);
            table.stringColumn("steps").append(steps);
            // one pair: its own range (measurePairs summarises several)
            table.intColumn("solves").append(1);
            for (String ratio : List.of("overhead ratio", "in-solve ratio")) {
                double v = table.doubleColumn(ratio).getDouble(table.rowCount() - 1);
                table.doubleColumn(ratio + " min").append(v);
                table.doubleColumn(ratio + " max").append(v);
            }
        }
    }

    /** One bench solve of {@code solver} (a {@link Solver} or a {@link LatentSolver}) at seed 1. */
    private Reconstruction solve(Object solver, Problem<Operator> problem) {
        return solver instanceof LatentSolver<?> ls
                ? ls.solveAny(problem, latent, Run.seeded(1))
                : ((Solver<?>) solver).solveAny(problem, pixel, Run.seeded(1));
    }

    /**
     * Whole solves on the two network engines, paired: for every named solver (its bench configuration, the step
     * budget applied) and batch size, {@code pairs} pairs of one solve on {@link NetworkEngine#BLOCKS} and one on
     * {@link NetworkEngine#TORCHSCRIPT}, back to back in alternating order after {@code warmup} untimed pairs
     * ({@link PairedTiming}), at the thread count a solve of that batch runs at. Columns: solver, space, batch,
     * threads, blocks s, torchscript s (medians), median ratio torchscript/blocks, share torchscript faster, pairs.
     */
    public Table enginePairs(List<String> solvers, int[] batches, int warmup, int pairs, NDManager manager) {
        return pairTable("whole solves: TorchScript engine against DJL blocks, paired", "blocks", "torchscript",
                solvers, batches, warmup, pairs,
                (solver, b) -> solveNanos(solver, b, NetworkEngine.BLOCKS, false, manager),
                (solver, b) -> solveNanos(solver, b, NetworkEngine.TORCHSCRIPT, false, manager));
    }

    /**
     * Whole solves with the solvers' operator loops eager and fused ({@link org.diffinv.solvers.FusedLoops}: DCDP's
     * data consistency, DAPS's Langevin steps, the CG of DDS and P2L as one engine call each), paired as
     * {@link #enginePairs} pairs the engines, on the TorchScript engine. Columns: solver, space, batch, threads, eager s,
     * fused s (medians), median ratio fused/eager, share fused faster, pairs.
     */
    public Table fusedPairs(List<String> solvers, int[] batches, int warmup, int pairs, NDManager manager) {
        return pairTable("whole solves: fused operator loops against eager ones, paired", "eager", "fused", solvers,
                batches, warmup, pairs, (solver, b) -> solveNanos(solver, b, NetworkEngine.TORCHSCRIPT, true, manager),
                (solver, b) -> solveNanos(solver, b, NetworkEngine.TORCHSCRIPT, false, manager));
    }

    private interface TimedSolve {
        long nanos(Object solver, int batch);
    }

    private Table pairTable(String title, String a, String b, List<String> solvers, int[] batches, int warmup,
            int pairs, TimedSolve first, TimedSolve second) {
        Table t = Table.create(title, StringColumn.create("solver"), StringColumn.create("space"),
                IntColumn.create("batch"), IntColumn.create("threads"), DoubleColumn.create(a + " s"),
                DoubleColumn.create(b + " s"), DoubleColumn.create("median ratio " + b + "/" + a),
                DoubleColumn.create("share " + b + " faster"), IntColumn.create("pairs"));
        int before = JniUtils.getNumThreads();
        try (ThreadPolicy.Scope explicit = ThreadPolicy.suspend()) {
            for (String name : solvers) {
                boolean isLatent = LatentSolverRegistry.contains(name);
                requireLatentPrior(name, isLatent);
                Object solver = budgeted(name, isLatent);
                for (int batch : batches) {
                    JniUtils.setNumThreads(threadsAt(batch));
                    PairedTiming.Result r = PairedTiming.measure(() -> first.nanos(solver, batch),
                            () -> second.nanos(solver, batch), warmup, pairs);
                    t.stringColumn("solver").append(name);
                    t.stringColumn("space").append(isLatent ? "latent" : "pixel");
                    t.intColumn("batch").append(batch);
                    t.intColumn("threads").append(threadsAt(batch));
                    t.doubleColumn(a + " s").append(r.medianMsA() / 1e3);
                    t.doubleColumn(b + " s").append(r.medianMsB() / 1e3);
                    t.doubleColumn("median ratio " + b + "/" + a).append(r.medianRatio());
                    t.doubleColumn("share " + b + " faster").append(r.shareBFaster());
                    t.intColumn("pairs").append(r.pairs());
                }
            }
        } finally {
            JniUtils.setNumThreads(before);
        }
        return t;
    }

    /**
     * Nanoseconds of one bench solve at {@code batch} on {@code engine}, with the fused loops off when {@code eager};
     * the problem is made outside the timing.
     */
    private long solveNanos(Object solver, int batch, NetworkEngine engine, boolean eager, NDManager manager) {
        try (NetworkEngine.Restore r = NetworkEngine.use(engine);
             org.diffinv.solvers.FusedLoops.Restore f = org.diffinv.solvers.FusedLoops.use(!eager);
             NDManager s = manager.newSubManager()) {
            Problem<Operator> problem = problem(testBatch(batch, s));
            long t0 = System.nanoTime();
            solve(solver, problem).close();
            return System.nanoTime() - t0;
        }
    }

    /**
     * Memory over many solver steps, for every named solver (pixel or latent) at {@code batch}: its bench solve (the
     * step budget applied) run {@code solves} times back to back on one problem after one warm-up solve, so that
     * {@code solves} x the solve's steps is a long run (40 solves of a 25-step budget: 1,000 steps; the first solver
     * warms up for a tenth of the solves more, for the process's own warm-up). Read after the
     * warm-up, after the first tenth of the solves and after the last, each after a forced GC (Java-side noise
     * reaches the engine through direct buffers only a GC frees): resident memory outside the Java heap (native
     * tensors, direct buffers, JVM code; all of VmRSS where /proc gives no split) and the live engine arrays of the
     * problem's manager and its open sub-managers. A solve that kept anything per step or per solve on a long-lived
     * manager grows both; a flat run keeps the live count exactly. Columns: solver, space, batch, solves, nfe per
     * solve, steps, non-heap RSS MB after the first tenth and at the end, growth %, live arrays after the warm-up and
     * at the end, seconds.
     */
    public Table memory(List<String> solvers, int batch, int solves, NDManager manager) {
        if (solves < 10) {
            throw new IllegalArgumentException("the memory check needs at least 10 solves per solver, got " + solves);
        }
        Table t = Table.create("memory over " + solves + " solves per solver (batch " + batch + ")",
                StringColumn.create("solver"), StringColumn.create("space"), IntColumn.create("batch"),
                IntColumn.create("solves"), LongColumn.create("nfe per solve"), StringColumn.create("steps"),
                DoubleColumn.create("RSS MB after " + solves / 10 + " solves"), DoubleColumn.create("RSS MB at the end"),
                DoubleColumn.create("growth %"), IntColumn.create("live arrays after warm-up"),
                IntColumn.create("live arrays at the end"), DoubleColumn.create("seconds"));
        int before = JniUtils.getNumThreads();
        JniUtils.setNumThreads(threadsAt(batch));
        try (ThreadPolicy.Scope explicit = ThreadPolicy.suspend();
             Progress progress = Progress.start("memory", (long) solvers.size() * solves)) {
            for (int i = 0; i < solvers.size(); i++) {
                String name = solvers.get(i);
                boolean isLatent = LatentSolverRegistry.contains(name);
                requireLatentPrior(name, isLatent);
                Object solver = budgeted(name, isLatent);
                progress.setMessage(name);
                try (NDManager s = manager.newSubManager()) {
                    Problem<Operator> problem = problem(testBatch(batch, s));
                    java.util.function.Supplier<Cost> once = () -> {
                        try (Reconstruction r = isLatent
                                ? ((LatentSolver<?>) solver).solveAny(problem, latent, Run.seeded(1))
                                : ((Solver<?>) solver).solveAny(problem, pixel, Run.seeded(1))) {
                            return r.cost();
                        }
                    };
                    Cost first = once.get();
                    // the first solver of a run also pays the process's own warm-up (JIT-compiled code, allocator
                    // arenas): measured, DDRM grew 9.8% run first and 0.08% run third; so it warms up a tenth longer
                    for (int k = 0; i == 0 && k < solves / 10; k++) {
                        once.get();
                    }
                    ProcessMemory.settle();
                    int liveStart = ProcessMemory.liveArrays(s);
                    double early = 0;
                    long t0 = System.nanoTime();
                    for (int k = 1; k <= solves; k++) {
                        once.get();
                        progress.step();
                        if (k == solves / 10) {
                            ProcessMemory.settle();
                            early = nonHeapRssMb();
                        }
                    }
                    double seconds = (System.nanoTime() - t0) / 1e9;
                    ProcessMemory.settle();
                    double end = nonHeapRssMb();
                    t.stringColumn("solver").append(name);
                    t.stringColumn("space").append(isLatent ? "latent" : "pixel");
                    t.intColumn("batch").append(batch);
                    t.intColumn("solves").append(solves);
                    t.longColumn("nfe per solve").append(first.nfe());
                    t.stringColumn("steps").append(describe(solver));
                    t.doubleColumn("RSS MB after " + solves / 10 + " solves").append(early);
                    t.doubleColumn("RSS MB at the end").append(end);
                    t.doubleColumn("growth %").append(100 * (end / early - 1));
                    t.intColumn("live arrays after warm-up").append(liveStart);
                    t.intColumn("live arrays at the end").append(ProcessMemory.liveArrays(s));
                    t.doubleColumn("seconds").append(seconds);
                }
            }
        } finally {
            JniUtils.setNumThreads(before);
        }
        return t;
    }

    /** Resident memory outside the Java heap where /proc splits it, else all of VmRSS, MB. */
    private static double nonHeapRssMb() {
        return ProcessMemory.residentSplit().map(ProcessMemory.ResidentSplit::nonHeapRssMb)
                .orElseGet(ProcessMemory::rssMb);
    }

    /**
     * Where a solve's time outside the network goes, for pixel solvers at one batch size: one warm-up solve, one timed
     * solve (wall and the ledger's forward time), and one profiled solve (top-level engine calls, from
     * {@link OpProfile}). The calls outside the network are the profile's total less {@code forwardOps} per NFE and
     * {@code backwardOps} per VJP, the network's own counts ({@link NetworkBench#profile}). Columns: solver, batch,
     * nfe, vjp, engine calls, outside network, per NFE, seconds, forward seconds, outside forward ms per NFE, steps,
     * most frequent calls.
     */
    public Table profile(List<String> solvers, int batch, NDManager manager) {
        Shape single = new Shape(1, FashionMnist.SIZE, FashionMnist.SIZE);
        int forwardOps = NetworkBench.profile(pixel, single, NetworkBench.Call.FORWARD, batch, manager).topLevel();
        int backwardOps = NetworkBench.profile(pixel, single, NetworkBench.Call.FORWARD_BACKWARD, batch, manager)
                .topLevel() - forwardOps;
        Table t = Table.create("engine calls outside the network (batch " + batch + ", " + threadsAt(batch)
                        + " threads; network: "
                        + forwardOps + " per forward, " + backwardOps + " more per backward)",
                StringColumn.create("solver"), IntColumn.create("batch"), LongColumn.create("nfe"),
                LongColumn.create("vjp"), LongColumn.create("engine calls"), LongColumn.create("outside network"),
                DoubleColumn.create("per NFE"), DoubleColumn.create("seconds"), DoubleColumn.create("forward seconds"),
                DoubleColumn.create("outside forward ms per NFE"), StringColumn.create("steps"),
                StringColumn.create("most frequent calls"));
        int before = JniUtils.getNumThreads();
        JniUtils.setNumThreads(threadsAt(batch));
        try (ThreadPolicy.Scope explicit = ThreadPolicy.suspend()) {
            for (String name : solvers) {
                if (LatentSolverRegistry.contains(name)) {
                    throw new IllegalArgumentException("the profile takes pixel solvers; '" + name + "' is latent");
                }
                Solver<?> solver = budget(SolverRegistry.paper(name, pixel.schedule(), task.kind()), pixel.schedule());
                try (NDManager s = manager.newSubManager()) {
                    Problem<Operator> problem = problem(testBatch(batch, s));
                    solver.solveAny(problem, pixel, Run.seeded(1)).close();
                    Cost c;
                    try (Reconstruction r = solver.solveAny(problem, pixel, Run.seeded(1))) {
                        c = r.cost();
                    }
                    OpProfile p = OpProfile.of(() -> solver.solveAny(problem, pixel, Run.seeded(1)).close());
                    long outside = p.topLevel() - c.nfe() * forwardOps - c.vjp() * backwardOps;
                    StringBuilder top = new StringBuilder();
                    p.byName().entrySet().stream().limit(6).forEach(e -> top.append(top.isEmpty() ? "" : ", ")
                            .append(e.getKey()).append(' ').append(e.getValue()));
                    t.stringColumn("solver").append(name);
                    t.intColumn("batch").append(batch);
                    t.longColumn("nfe").append(c.nfe());
                    t.longColumn("vjp").append(c.vjp());
                    t.longColumn("engine calls").append(p.topLevel());
                    t.longColumn("outside network").append(outside);
                    t.doubleColumn("per NFE").append(c.nfe() > 0 ? (double) outside / c.nfe() : Double.NaN);
                    t.doubleColumn("seconds").append(c.seconds());
                    t.doubleColumn("forward seconds").append(c.forwardSeconds());
                    t.doubleColumn("outside forward ms per NFE").append(c.nfe() > 0
                            ? 1e3 * (c.seconds() - c.forwardSeconds()) / c.nfe() : Double.NaN);
                    t.stringColumn("steps").append(describe(solver));
                    t.stringColumn("most frequent calls").append(top.toString());
                }
            }
        } finally {
            JniUtils.setNumThreads(before);
        }
        return t;
    }

    /** {@code solver} with its schedule capped at the step budget (see the class comment); itself when within it. */
    <T> T budget(T solver, NoiseSchedule schedule) {
        if (maxSteps == 0) {
            return solver;
        }
        try {
            Object params = solver.getClass().getMethod("params").invoke(solver);
            Class<?> type = params.getClass();
            RecordComponent[] parts = type.getRecordComponents();
            Object[] values = new Object[parts.length];
            Class<?>[] types = new Class<?>[parts.length];
            boolean changed = false;
            for (int i = 0; i < parts.length; i++) {
                types[i] = parts[i].getType();
                values[i] = parts[i].getAccessor().invoke(params);
                if (values[i] instanceof TimeGrid g && g.size() > maxSteps) {
                    values[i] = TimeGrid.ddimUniform(schedule, maxSteps);
                    changed = true;
                } else if (types[i] == int.class && STEP_PARAMETERS.contains(parts[i].getName())
                        && (int) values[i] > maxSteps) {
                    values[i] = maxSteps;
                    changed = true;
                }
            }
            if (!changed) {
                return solver;
            }
            Object p = type.getDeclaredConstructor(types).newInstance(values);
            @SuppressWarnings("unchecked")
            T copy = (T) solver.getClass().getConstructor(type).newInstance(p);
            return copy;
        } catch (NoSuchMethodException e) {
            return solver; // no Params record (e.g. the pseudo-inverse): nothing to cap
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot apply the step budget " + maxSteps + " to " + solver + ": " + e, e);
        }
    }

    /** The schedule length a solver runs, in words (its grid's steps and its step-like integer parameters). */
    static String describe(Object solver) {
        try {
            Object params = solver.getClass().getMethod("params").invoke(solver);
            StringBuilder sb = new StringBuilder();
            for (RecordComponent rc : params.getClass().getRecordComponents()) {
                Object v = rc.getAccessor().invoke(params);
                if (v instanceof TimeGrid g) {
                    sb.append(sb.isEmpty() ? "" : ", ").append(rc.getName()).append(' ').append(g.size());
                } else if (rc.getType() == int.class && (STEP_PARAMETERS.contains(rc.getName())
                        || rc.getName().equals("rounds"))) {
                    sb.append(sb.isEmpty() ? "" : ", ").append(rc.getName()).append(' ').append(v);
                }
            }
            return sb.isEmpty() ? "-" : sb.toString();
        } catch (ReflectiveOperationException e) {
            return "-";
        }
    }
}
