package org.diffinv.bench;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.diffinv.data.FashionMnist;
import org.diffinv.experiments.Tasks;
import org.diffinv.notebook.Charts;
import org.diffinv.notebook.RunMode;
import org.diffinv.priors.EpsPrior;
import org.diffinv.solvers.LatentPrior;
import org.diffinv.solvers.LatentSolverRegistry;
import org.diffinv.solvers.SolverRegistry;
import org.knowm.xchart.CategoryChart;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The benchmark of {@code environment/kit bench} and {@code notebooks/08-cost.ipynb} in three calls: the network
 * table ({@link NetworkBench}), the solver overhead table ({@link SolverBench}) with its batch speed-ups, and the
 * memory check ({@link MemoryGrowth}), each compared with the kit's targets (issue 14):
 * <ul>
 *   <li>overhead ratio at most {@value #OVERHEAD_TARGET} for every solver at every batch size;</li>
 *   <li>resident memory at the last of 1,000 steps within {@value #MEMORY_TARGET_PERCENT}% of memory at step 100;</li>
 *   <li>batch-16 throughput at least {@value #SPEEDUP_TARGET}x batch-1 throughput.</li>
 * </ul>
 *
 * @param mode the run mode the options came from
 * @param warmup untimed calls before each timing
 * @param repeat timed calls per timing
 * @param batches the batch sizes
 * @param threads the torch thread counts of the network table
 * @param solvers the solvers of the overhead table
 * @param maxSteps the step budget of the overhead table (0: paper defaults; see {@link SolverBench})
 * @param memorySteps the steps of the memory check
 * @param task the task of the overhead table and the memory check
 */
public record Bench(RunMode mode, int warmup, int repeat, int[] batches, int[] threads, List<String> solvers,
                    int maxSteps, int memorySteps, String task) {

    /** The overhead-ratio target. */
    public static final double OVERHEAD_TARGET = 1.15;
    /** The memory-growth target, percent. */
    public static final double MEMORY_TARGET_PERCENT = 5;
    /** The batch-16 over batch-1 throughput target. */
    public static final double SPEEDUP_TARGET = 3;

    /** Checks the options. */
    public Bench {
        NetworkBench.requireCounts(1, 1, warmup, repeat);
        if (batches == null || batches.length == 0 || Arrays.stream(batches).anyMatch(b -> b < 1)) {
            throw new IllegalArgumentException("batches must be one or more sizes >= 1, got "
                    + Arrays.toString(batches));
        }
        if (threads == null || threads.length == 0 || Arrays.stream(threads).anyMatch(t -> t < 1)) {
            throw new IllegalArgumentException("threads must be one or more counts >= 1, got "
                    + Arrays.toString(threads));
        }
        if (solvers == null || solvers.isEmpty()) {
            throw new IllegalArgumentException("give at least one solver");
        }
        for (String s : solvers) {
            if (!SolverRegistry.names().contains(s) && !LatentSolverRegistry.contains(s)) {
                throw new IllegalArgumentException("no solver named '" + s + "'; known: " + SolverRegistry.names()
                        + " and latent " + LatentSolverRegistry.names());
            }
        }
        if (maxSteps < 0) {
            throw new IllegalArgumentException("maxSteps must be >= 0 (0: paper defaults), got " + maxSteps);
        }
        if (memorySteps < 10) {
            throw new IllegalArgumentException("memorySteps must be >= 10, got " + memorySteps);
        }
        Tasks.get(task); // refuses an unknown task, naming the known ones
        batches = batches.clone();
        threads = threads.clone();
        solvers = List.copyOf(solvers);
    }

    /** Every pixel and latent solver of the registries. */
    public static List<String> allSolvers() {
        List<String> all = new ArrayList<>(SolverRegistry.names());
        all.addAll(LatentSolverRegistry.names());
        return all;
    }

    /**
     * The options of a mode: smoke (CI: seconds; batch 1 and 2, four solvers, 10-step budget, 100-step memory
     * check), quick (minutes: batch 1 and 16, threads 1 and 2, every solver on a 50-step budget, 1,000-step memory
     * check) or full (every solver at its paper defaults, more repeats).
     */
    public static Bench forMode(RunMode mode) {
        return switch (mode) {
            case SMOKE -> new Bench(mode, 1, 3, new int[] {1, 2}, new int[] {1},
                    List.of("dps", "ddrm", "dcdp-v2", "ldps"), 10, 100, "sr4-avgpool");
            case QUICK -> new Bench(mode, 3, 15, new int[] {1, 16}, new int[] {1, 2}, allSolvers(), 50, 1000,
                    "sr4-avgpool");
            case FULL -> new Bench(mode, 5, 30, new int[] {1, 16}, new int[] {1, 2}, allSolvers(), 0, 1000,
                    "sr4-avgpool");
        };
    }

    /** A copy with other solvers. */
    public Bench withSolvers(List<String> names) {
        return new Bench(mode, warmup, repeat, batches, threads, names, maxSteps, memorySteps, task);
    }

    /** A copy with other batch sizes. */
    public Bench withBatches(int... sizes) {
        return new Bench(mode, warmup, repeat, sizes, threads, solvers, maxSteps, memorySteps, task);
    }

    /** A copy with other thread counts. */
    public Bench withThreads(int... counts) {
        return new Bench(mode, warmup, repeat, batches, counts, solvers, maxSteps, memorySteps, task);
    }

    /** A copy with other warm-up and repeat counts. */
    public Bench withRepeats(int warmupCalls, int repeatCalls) {
        return new Bench(mode, warmupCalls, repeatCalls, batches, threads, solvers, maxSteps, memorySteps, task);
    }

    /** A copy with another step budget. */
    public Bench withMaxSteps(int steps) {
        return new Bench(mode, warmup, repeat, batches, threads, solvers, steps, memorySteps, task);
    }

    /** A copy with another task. */
    public Bench withTask(String name) {
        return new Bench(mode, warmup, repeat, batches, threads, solvers, maxSteps, memorySteps, name);
    }

    /** The network table of the pixel prior (see {@link NetworkBench#table}). */
    public Table network(EpsPrior prior, NDManager manager) {
        return NetworkBench.table(prior, new Shape(1, FashionMnist.SIZE, FashionMnist.SIZE), batches, threads,
                warmup, repeat, manager);
    }

    /** The solver overhead table (see {@link SolverBench}) with a "target met?" column for the overhead ratio. */
    public Table solvers(EpsPrior pixel, LatentPrior latent, FashionMnist test, NDManager manager) {
        boolean needsLatent = solvers.stream().anyMatch(LatentSolverRegistry::contains);
        SolverBench bench = new SolverBench(pixel, needsLatent ? latent : null, test, Tasks.get(task), maxSteps,
                warmup, repeat);
        Table t = bench.run(solvers, batches, manager);
        StringColumn met = StringColumn.create("ratio <= " + OVERHEAD_TARGET + "?");
        for (double r : t.doubleColumn("overhead ratio").asDoubleArray()) {
            met.append(Double.isNaN(r) ? "- (no network calls)" : r <= OVERHEAD_TARGET ? "yes" : "no");
        }
        return t.addColumns(met);
    }

    /**
     * Per solver, throughput at the largest batch over throughput at the smallest (images per second), from a
     * solver table of {@link #solvers}, with the target comparison when the batches are 1 and 16.
     */
    public static Table speedups(Table solverTable) {
        int lo = (int) solverTable.intColumn("batch").min();
        int hi = (int) solverTable.intColumn("batch").max();
        Table out = Table.create("batch speed-up (batch " + hi + " over batch " + lo + ")",
                StringColumn.create("solver"), DoubleColumn.create("images/s at " + lo),
                DoubleColumn.create("images/s at " + hi), DoubleColumn.create("speed-up"),
                StringColumn.create(">= " + SPEEDUP_TARGET + "x?"));
        Map<String, double[]> bySolver = new LinkedHashMap<>();
        for (int i = 0; i < solverTable.rowCount(); i++) {
            String s = solverTable.stringColumn("solver").get(i);
            int b = solverTable.intColumn("batch").get(i);
            double ips = solverTable.doubleColumn("images per second").get(i);
            double[] v = bySolver.computeIfAbsent(s, k -> new double[] {Double.NaN, Double.NaN});
            if (b == lo) {
                v[0] = ips;
            } else if (b == hi) {
                v[1] = ips;
            }
        }
        for (Map.Entry<String, double[]> e : bySolver.entrySet()) {
            double[] v = e.getValue();
            out.stringColumn("solver").append(e.getKey());
            out.doubleColumn("images/s at " + lo).append(v[0]);
            out.doubleColumn("images/s at " + hi).append(v[1]);
            out.doubleColumn("speed-up").append(v[1] / v[0]);
            out.stringColumn(">= " + SPEEDUP_TARGET + "x?").append(lo == 1 && hi == 16
                    ? (v[1] / v[0] >= SPEEDUP_TARGET ? "yes" : "no") : "-");
        }
        return out;
    }

    /** The memory check, as a one-row table with the target comparison. */
    public Table memory(EpsPrior prior, FashionMnist test, NDManager manager) {
        MemoryGrowth g = MemoryGrowth.measure(prior, test, Tasks.get(task), memorySteps, manager);
        Table t = Table.create("memory over a long run (DPS, batch 1)", IntColumn.create("steps"),
                DoubleColumn.create("RSS MB at step " + g.earlyStep()), DoubleColumn.create("RSS MB at the end"),
                DoubleColumn.create("growth %"), DoubleColumn.create("seconds"),
                StringColumn.create("within " + MEMORY_TARGET_PERCENT + "%?"));
        t.intColumn("steps").append(g.steps());
        t.doubleColumn("RSS MB at step " + g.earlyStep()).append(g.earlyRssMb());
        t.doubleColumn("RSS MB at the end").append(g.finalRssMb());
        t.doubleColumn("growth %").append(100 * g.growth());
        t.doubleColumn("seconds").append(g.seconds());
        t.stringColumn("within " + MEMORY_TARGET_PERCENT + "%?").append(
                100 * g.growth() <= MEMORY_TARGET_PERCENT ? "yes" : "no");
        return t;
    }

    /**
     * Bars of the overhead ratio per solver, one series per batch size (solvers without network calls, whose ratio
     * is undefined, are left out).
     */
    public static CategoryChart overheadChart(Table solverTable) {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < solverTable.rowCount(); i++) {
            String name = solverTable.stringColumn("solver").get(i);
            if (!names.contains(name) && !Double.isNaN(solverTable.doubleColumn("overhead ratio").get(i))) {
                names.add(name);
            }
        }
        Map<String, double[]> series = new LinkedHashMap<>();
        for (int i = 0; i < solverTable.rowCount(); i++) {
            String key = "batch " + solverTable.intColumn("batch").get(i);
            int at = names.indexOf(solverTable.stringColumn("solver").get(i));
            if (at >= 0) {
                series.computeIfAbsent(key, k -> new double[names.size()])[at] =
                        solverTable.doubleColumn("overhead ratio").get(i);
            }
        }
        CategoryChart c = Charts.bar("solver overhead: wall time / network time", "solver", "overhead ratio",
                names, series);
        c.getStyler().setXAxisLabelRotation(60);
        return c;
    }
}
