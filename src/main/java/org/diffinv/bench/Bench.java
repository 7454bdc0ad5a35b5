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
 * @param solves the (unit costs, solve) pairs per row of the overhead table, each cell the median over them
 *     ({@link SolverBench#withSolves})
 * @param task the task of the overhead table and the memory check
 */
public record Bench(RunMode mode, int warmup, int repeat, int[] batches, int[] threads, List<String> solvers,
                    int maxSteps, int memorySteps, int solves, String task) {

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
        if (solves < 1) {
            throw new IllegalArgumentException("solves must be >= 1 (pairs of unit costs and a solve per row), got "
                    + solves);
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
     * check), quick (minutes: batch 1 and 16, threads 1 and 2, warm-up 2 and 9 timed calls per unit cost, every
     * solver on a 25-step budget, 1,000-step memory check; sized so that notebooks/08-cost.ipynb's quick mode fits in
     * ten minutes) or full (every solver at its paper defaults, warm-up 5 and 30 timed calls).
     */
    public static Bench forMode(RunMode mode) {
        return switch (mode) {
            case SMOKE -> new Bench(mode, 1, 3, new int[] {1, 2}, new int[] {1},
                    List.of("dps", "ddrm", "dcdp-v2", "ldps"), 10, 100, 1, "sr4-avgpool");
            case QUICK -> new Bench(mode, 2, 9, new int[] {1, 16}, new int[] {1, 2}, allSolvers(), 25, 1000, 1,
                    "sr4-avgpool");
            case FULL -> new Bench(mode, 5, 30, new int[] {1, 16}, new int[] {1, 2}, allSolvers(), 0, 1000, 1,
                    "sr4-avgpool");
        };
    }

    /** A copy with other solvers. */
    public Bench withSolvers(List<String> names) {
        return new Bench(mode, warmup, repeat, batches, threads, names, maxSteps, memorySteps, solves, task);
    }

    /** A copy with other batch sizes. */
    public Bench withBatches(int... sizes) {
        return new Bench(mode, warmup, repeat, sizes, threads, solvers, maxSteps, memorySteps, solves, task);
    }

    /** A copy with other thread counts. */
    public Bench withThreads(int... counts) {
        return new Bench(mode, warmup, repeat, batches, counts, solvers, maxSteps, memorySteps, solves, task);
    }

    /** A copy with other warm-up and repeat counts. */
    public Bench withRepeats(int warmupCalls, int repeatCalls) {
        return new Bench(mode, warmupCalls, repeatCalls, batches, threads, solvers, maxSteps, memorySteps, solves, task);
    }

    /** A copy with another step budget. */
    public Bench withMaxSteps(int steps) {
        return new Bench(mode, warmup, repeat, batches, threads, solvers, steps, memorySteps, solves, task);
    }

    /** A copy with another step count for the memory checks (at least 10; {@code --memory-steps}). */
    public Bench withMemorySteps(int steps) {
        return new Bench(mode, warmup, repeat, batches, threads, solvers, maxSteps, steps, solves, task);
    }

    /**
     * A copy whose overhead table measures each row {@code pairs} times (unit costs, then the solve) and reports
     * the median of every cell with the range of both ratios ({@code --solves}; see {@link SolverBench#withSolves}).
     */
    public Bench withSolves(int pairs) {
        return new Bench(mode, warmup, repeat, batches, threads, solvers, maxSteps, memorySteps, pairs, task);
    }

    /** A copy with another task. */
    public Bench withTask(String name) {
        return new Bench(mode, warmup, repeat, batches, threads, solvers, maxSteps, memorySteps, solves, name);
    }

    /** The network table of the pixel prior (see {@link NetworkBench#table}). */
    public Table network(EpsPrior prior, NDManager manager) {
        return NetworkBench.table(prior, new Shape(1, FashionMnist.SIZE, FashionMnist.SIZE), batches, threads,
                warmup, repeat, manager);
    }

    /**
     * The cost of one tensor-by-number op, DJL's {@code x.mul(0.9)} against the kit's {@link
     * org.diffinv.util.Scalars#mul} (likewise {@code add}), at every batch size, each at the thread count a solve of
     * that batch runs at ({@link ScalarBench}).
     */
    public Table scalarOps(NDManager manager) {
        int configured = java.util.Arrays.stream(threads).max().orElseThrow();
        return ScalarBench.table(batches, configured, warmup, repeat, manager);
    }

    /**
     * The engine table (the TorchScript module against DJL's blocks, {@link org.diffinv.nn.NetworkEngine}, paired,
     * {@link NetworkBench#engineTable}) on the pixel UNet, the latent UNet with the null prompt, and the autoencoder's
     * decoder and encoder, with {@code repeat} pairs at every batch size and thread count.
     */
    public Table engines(EpsPrior pixel, LatentPrior latent, NDManager manager) {
        Shape image = new Shape(1, FashionMnist.SIZE, FashionMnist.SIZE);
        Shape z = latent.ae().latentShape();
        EpsPrior conditioned = latent.atCondition();
        java.util.List<NetworkBench.Network> nets = java.util.List.of(
                new NetworkBench.Network("pixel UNet", image, x -> pixel.eps(x, NetworkBench.T)),
                new NetworkBench.Network("latent UNet", z, x -> conditioned.eps(x, NetworkBench.T)),
                new NetworkBench.Network("decoder", z, x -> latent.ae().decode(x)),
                new NetworkBench.Network("encoder", image, x -> latent.ae().encode(x)));
        return NetworkBench.engineTable(nets, batches, threads, warmup, repeat, manager);
    }

    /**
     * This bench's solvers, each a whole bench solve on either network engine, paired ({@link SolverBench#enginePairs}),
     * at every batch size, with {@code repeat} pairs.
     */
    public Table engineSolves(EpsPrior pixel, LatentPrior latent, FashionMnist test, NDManager manager) {
        SolverBench bench = new SolverBench(pixel, latent, test, Tasks.get(task), maxSteps, warmup, repeat)
                .withThreads(java.util.Arrays.stream(threads).max().orElseThrow());
        return bench.enginePairs(solvers, batches, warmup, repeat, manager);
    }

    /**
     * This bench's solvers, each a whole bench solve with its operator loops eager and fused, paired
     * ({@link SolverBench#fusedPairs}), at every batch size, with {@code repeat} pairs.
     */
    public Table fusedSolves(EpsPrior pixel, LatentPrior latent, FashionMnist test, NDManager manager) {
        SolverBench bench = new SolverBench(pixel, latent, test, Tasks.get(task), maxSteps, warmup, repeat)
                .withThreads(java.util.Arrays.stream(threads).max().orElseThrow());
        return bench.fusedPairs(solvers, batches, warmup, repeat, manager);
    }

    /**
     * The engine-call profile of the pixel solvers at the smallest batch size ({@link SolverBench#profile}), on this
     * bench's task and step budget, at the largest thread count.
     */
    public Table solverProfile(EpsPrior pixel, FashionMnist test, NDManager manager) {
        java.util.List<String> pixelSolvers = solvers.stream().filter(n -> !LatentSolverRegistry.contains(n)).toList();
        SolverBench bench = new SolverBench(pixel, null, test, Tasks.get(task), maxSteps, warmup, repeat)
                .withThreads(java.util.Arrays.stream(threads).max().orElseThrow());
        return bench.profile(pixelSolvers, java.util.Arrays.stream(batches).min().orElseThrow(), manager);
    }

    /**
     * Memory over many steps for every solver of this bench ({@link SolverBench#memory}) at the smallest batch:
     * {@code count} back-to-back bench solves each (the step budget applied), pixel and latent.
     */
    public Table solverMemory(EpsPrior pixel, LatentPrior latent, FashionMnist test, int count, NDManager manager) {
        boolean needsLatent = solvers.stream().anyMatch(LatentSolverRegistry::contains);
        SolverBench bench = new SolverBench(pixel, needsLatent ? latent : null, test, Tasks.get(task), maxSteps,
                warmup, repeat).withThreads(java.util.Arrays.stream(threads).max().orElseThrow());
        return bench.memory(solvers, java.util.Arrays.stream(batches).min().orElseThrow(), count, manager);
    }

    /**
     * The thread-policy table ({@link NetworkBench#threadTable}): 1 torch thread against the largest of this
     * bench's thread counts, paired and interleaved, at every batch size, with {@code repeat} pairs.
     */
    public Table threadPolicy(EpsPrior prior, NDManager manager) {
        int most = java.util.Arrays.stream(threads).max().orElseThrow();
        if (most < 2) {
            throw new IllegalArgumentException("the thread comparison needs a thread count above 1, got "
                    + java.util.Arrays.toString(threads));
        }
        return NetworkBench.threadTable(prior, new Shape(1, FashionMnist.SIZE, FashionMnist.SIZE), batches, most,
                warmup, repeat, manager);
    }

    /**
     * The solver overhead table (see {@link SolverBench}) with "target met?" columns for the overhead ratio and the
     * in-solve ratio (the last two columns).
     */
    public Table solvers(EpsPrior pixel, LatentPrior latent, FashionMnist test, NDManager manager) {
        boolean needsLatent = solvers.stream().anyMatch(LatentSolverRegistry::contains);
        SolverBench bench = new SolverBench(pixel, needsLatent ? latent : null, test, Tasks.get(task), maxSteps,
                warmup, repeat).withThreads(java.util.Arrays.stream(threads).max().orElseThrow()).withSolves(solves);
        Table t = bench.run(solvers, batches, manager);
        StringColumn met = StringColumn.create("ratio <= " + OVERHEAD_TARGET + "?");
        StringColumn metInSolve = StringColumn.create("in-solve <= " + OVERHEAD_TARGET + "?");
        for (double r : t.doubleColumn("overhead ratio").asDoubleArray()) {
            met.append(verdict(r));
        }
        for (int i = 0; i < t.rowCount(); i++) {
            double r = t.doubleColumn("in-solve ratio").getDouble(i);
            metInSolve.append(Double.isNaN(r) && t.longColumn("nfe").getLong(i) > 0
                    ? "- (network calls not timed)" : verdict(r));
        }
        return t.addColumns(met, metInSolve);
    }

    private static String verdict(double ratio) {
        return Double.isNaN(ratio) ? "- (no network calls)" : ratio <= OVERHEAD_TARGET ? "yes" : "no";
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
            double ips = solverTable.doubleColumn("images per second").getDouble(i);
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

    /** The memory check itself ({@link MemoryGrowth}) on this bench's task and step count. */
    public MemoryGrowth memoryGrowth(EpsPrior prior, FashionMnist test, NDManager manager) {
        return MemoryGrowth.measure(prior, test, Tasks.get(task), memorySteps, manager);
    }

    /** The memory check, as a one-row table with the target comparison. */
    public Table memory(EpsPrior prior, FashionMnist test, NDManager manager) {
        return memoryTable(memoryGrowth(prior, test, manager));
    }

    /** A memory check as a one-row table with the target comparison. */
    public static Table memoryTable(MemoryGrowth g) {
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
     * A solver table ({@link SolverBench}) as a paper's timing table: seconds per image ({@code seconds / batch}) with
     * the paper's seconds per image beside and an "ordering reproduced?" column
     * ({@link org.diffinv.experiments.ExperimentRunner#compareWithPaper}, lower is better), all rows on {@code task}.
     *
     * @param paperSeconds the paper's seconds per image, keyed by solver name (rows without one get "-")
     */
    public static Table withPaperSeconds(Table solverTable, String task, Map<String, Double> paperSeconds) {
        Table t = Table.create(solverTable.name(), StringColumn.create("task"), StringColumn.create("method"),
                IntColumn.create("batch"), tech.tablesaw.api.LongColumn.create("nfe"),
                tech.tablesaw.api.LongColumn.create("vjp"), DoubleColumn.create("secondsPerImage"),
                DoubleColumn.create("overhead ratio"));
        Map<String, Double> keyed = new LinkedHashMap<>();
        paperSeconds.forEach((k, v) -> keyed.put(task + "/" + k, v));
        for (int i = 0; i < solverTable.rowCount(); i++) {
            int b = solverTable.intColumn("batch").get(i);
            t.stringColumn("task").append(task);
            t.stringColumn("method").append(solverTable.stringColumn("solver").get(i));
            t.intColumn("batch").append(b);
            t.longColumn("nfe").append(solverTable.longColumn("nfe").get(i));
            t.longColumn("vjp").append(solverTable.longColumn("vjp").get(i));
            t.doubleColumn("secondsPerImage").append(solverTable.doubleColumn("seconds").getDouble(i) / b);
            t.doubleColumn("overhead ratio").append(solverTable.doubleColumn("overhead ratio").getDouble(i));
        }
        return org.diffinv.experiments.ExperimentRunner.compareWithPaper(t, "secondsPerImage", keyed, false);
    }

    /** PSNR against seconds per image, one series per method family (the name before the last '-'). */
    public static org.knowm.xchart.XYChart speedQualityChart(Table solverTable, String title) {
        Map<String, List<double[]>> families = new LinkedHashMap<>();
        for (int i = 0; i < solverTable.rowCount(); i++) {
            String name = solverTable.stringColumn("solver").get(i);
            String family = name.contains("-") ? name.substring(0, name.lastIndexOf('-')) : name;
            families.computeIfAbsent(family, k -> new ArrayList<>()).add(new double[] {
                solverTable.doubleColumn("seconds").getDouble(i) / solverTable.intColumn("batch").get(i),
                solverTable.doubleColumn("psnr").getDouble(i)});
        }
        List<Charts.Series> series = new ArrayList<>();
        families.forEach((f, pts) -> series.add(Charts.Series.of(f, pts.stream().mapToDouble(p -> p[0]).toArray(),
                pts.stream().mapToDouble(p -> p[1]).toArray())));
        return Charts.line(title, "seconds per image", "PSNR (dB)", series);
    }

    /** Resident memory against step of a memory check. */
    public static org.knowm.xchart.XYChart memoryChart(MemoryGrowth g) {
        double[] x = java.util.Arrays.stream(g.traceSteps()).asDoubleStream().toArray();
        double limit = g.earlyRssMb() * (1 + MEMORY_TARGET_PERCENT / 100);
        double[] band = new double[x.length];
        java.util.Arrays.fill(band, limit);
        org.knowm.xchart.XYChart c = Charts.line("resident memory over a " + g.steps() + "-step DPS solve (batch 1)",
                "step", "RSS MB", Charts.Series.of("RSS", x, g.traceRssMb()),
                Charts.Series.of("target: reading at step " + g.earlyStep() + " + " + MEMORY_TARGET_PERCENT + "%", x, band));
        // the axis spans the target band, so a flat run looks flat and growth shows against the limit
        double top = Math.max(limit, java.util.Arrays.stream(g.traceRssMb()).max().orElse(limit));
        c.getStyler().setYAxisMin(g.earlyRssMb() * 0.9).setYAxisMax(top * 1.02).setXAxisTickMarkSpacingHint(120);
        c.getSeriesMap().values().stream().skip(1)
                .forEach(s -> s.setMarker(org.knowm.xchart.style.markers.SeriesMarkers.NONE));
        return c;
    }

    /**
     * The wall time each notebook's committed outputs took, from its metadata ({@code diffinv.run}: mode, seconds,
     * date, written by {@code environment/kit run}), against the time-to-table targets: quick at most 600 s, full at
     * most 7,200 s (columns: notebook, mode, seconds, date, target s, met?).
     */
    public static Table timeToTable(java.nio.file.Path notebooks) {
        Table t = Table.create("time to table (committed outputs)", StringColumn.create("notebook"),
                StringColumn.create("mode"), DoubleColumn.create("seconds"), StringColumn.create("date"),
                DoubleColumn.create("target s"), StringColumn.create("met?"));
        java.io.File[] files = notebooks.toFile().listFiles((d, n) -> n.endsWith(".ipynb"));
        if (files == null) {
            throw new IllegalArgumentException("no notebooks folder at " + notebooks.toAbsolutePath());
        }
        java.util.Arrays.sort(files);
        for (java.io.File f : files) {
            com.google.gson.JsonObject run;
            try (java.io.Reader r = java.nio.file.Files.newBufferedReader(f.toPath())) {
                com.google.gson.JsonObject nb = com.google.gson.JsonParser.parseReader(r).getAsJsonObject();
                com.google.gson.JsonObject meta = nb.getAsJsonObject("metadata");
                run = meta != null && meta.has("diffinv") ? meta.getAsJsonObject("diffinv").getAsJsonObject("run")
                        : null;
            } catch (java.io.IOException | RuntimeException e) {
                throw new IllegalArgumentException("cannot read notebook " + f + ": " + e, e);
            }
            String mode = run != null && run.has("mode") ? run.get("mode").getAsString() : "-";
            double seconds = run != null && run.has("seconds") ? run.get("seconds").getAsDouble() : Double.NaN;
            double target = mode.equals("quick") ? 600 : mode.equals("full") ? 7200 : Double.NaN;
            t.stringColumn("notebook").append(f.getName());
            t.stringColumn("mode").append(mode);
            t.doubleColumn("seconds").append(seconds);
            t.stringColumn("date").append(run != null && run.has("date") ? run.get("date").getAsString() : "-");
            t.doubleColumn("target s").append(target);
            t.stringColumn("met?").append(Double.isNaN(target) || Double.isNaN(seconds) ? "-"
                    : seconds <= target ? "yes" : "no");
        }
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
            if (!names.contains(name) && !Double.isNaN(solverTable.doubleColumn("overhead ratio").getDouble(i))) {
                names.add(name);
            }
        }
        Map<String, double[]> series = new LinkedHashMap<>();
        for (int i = 0; i < solverTable.rowCount(); i++) {
            String key = "batch " + solverTable.intColumn("batch").get(i);
            int at = names.indexOf(solverTable.stringColumn("solver").get(i));
            if (at >= 0) {
                series.computeIfAbsent(key, k -> new double[names.size()])[at] =
                        solverTable.doubleColumn("overhead ratio").getDouble(i);
            }
        }
        CategoryChart c = Charts.bar("solver overhead: wall time / network time", "solver", "overhead ratio",
                names, series);
        c.getStyler().setXAxisLabelRotation(60);
        return c;
    }
}
