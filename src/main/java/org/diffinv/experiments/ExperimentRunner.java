package org.diffinv.experiments;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.diffinv.data.FashionMnist;
import org.diffinv.diffusion.NoiseSource;
import org.diffinv.metrics.Cost;
import org.diffinv.metrics.FrechetDistance;
import org.diffinv.metrics.PerceptualKit;
import org.diffinv.metrics.Psnr;
import org.diffinv.metrics.Ssim;
import org.diffinv.nn.FeatureClassifier;
import org.diffinv.notebook.ImageGrid;
import org.diffinv.notebook.Progress;
import org.diffinv.operators.LinearOperator;
import org.diffinv.operators.Operator;
import org.diffinv.operators.SvdOperator;
import org.diffinv.priors.EpsPrior;
import org.diffinv.solvers.Problem;
import org.diffinv.solvers.Reconstruction;
import org.diffinv.solvers.Run;
import org.diffinv.solvers.LatentPrior;
import org.diffinv.solvers.LatentSolver;
import org.diffinv.solvers.LatentSolverRegistry;
import org.diffinv.solvers.Solver;
import org.diffinv.solvers.SolverRegistry;
import org.diffinv.train.Quality;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.LongColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * The experiment runner: tasks x solvers x fixed test images x seeds on a pixel prior (and, with
 * {@link #withLatentPrior}, latent solvers on a latent prior in the same run), into one Tablesaw table with
 * quality (PSNR, SSIM, perceptual-kit, and FD-kit when at least {@link #FD_MIN_IMAGES} images are solved), every
 * cost column of the ledger, and, with {@link #compareWithPaper}, the paper's value and an "ordering reproduced?"
 * column. A live progress bar follows the solves; {@link #grids} gives one image grid per task.
 *
 * <p>Images are positions in the fixed test set ({@link FashionMnist#fixedTestIndices()}, 10 per class) in the
 * class-interleaved order of {@link #interleaved}; all images of a task are solved as one batch. Measurement noise is drawn from the seed, then the solver's run uses the same
 * seed: the same seed gives the same table up to the time columns.
 */
public final class ExperimentRunner {

    /** The fewest images for which FD-kit is reported (below it the Frechet estimate is meaningless). */
    public static final int FD_MIN_IMAGES = 50;

    private final EpsPrior prior;
    private final FeatureClassifier features;
    private final FashionMnist test;
    private final Map<String, NDArray> lastGrid = new LinkedHashMap<>();
    private BiFunction<String, Task, Solver<?>> solverFactory;
    private LatentPrior latentPrior;
    private BiFunction<String, Task, LatentSolver<?>> latentFactory;

    /**
     * A runner on {@code prior}, measuring with the feature network {@code features} on the test split
     * {@code test}.
     */
    public ExperimentRunner(EpsPrior prior, FeatureClassifier features, FashionMnist test) {
        this.prior = prior;
        this.features = features;
        this.test = test;
        this.solverFactory = (name, task) -> SolverRegistry.paper(name, prior.schedule(), task.kind());
    }

    /** Replaces how a method name becomes a solver for a task (default: the registry's paper defaults). */
    public ExperimentRunner withSolvers(BiFunction<String, Task, Solver<?>> factory) {
        this.solverFactory = factory;
        return this;
    }

    /**
     * Adds a latent prior, so that latent solvers ({@link LatentSolverRegistry}) can be run by name beside the pixel
     * ones, with their paper defaults on the latent prior's schedule (override with {@link #withLatentSolvers}).
     */
    public ExperimentRunner withLatentPrior(LatentPrior prior) {
        this.latentPrior = prior;
        if (latentFactory == null) {
            this.latentFactory = (name, task) -> LatentSolverRegistry.paper(name, prior.eps().schedule(), task.kind());
        }
        return this;
    }

    /** Replaces how a latent method name becomes a latent solver for a task. */
    public ExperimentRunner withLatentSolvers(BiFunction<String, Task, LatentSolver<?>> factory) {
        this.latentFactory = factory;
        return this;
    }

    /**
     * The image order of the runner: the split's class-balanced set of 10 images per class
     * ({@link FashionMnist#fixedTestIndices()} on the test split, the same rule on another split), interleaved by
     * class, so position {@code p} is image {@code p / 10} of class {@code p % 10}: positions 0-9 are one image of
     * every class.
     */
    public static int[] interleaved(FashionMnist data) {
        int per = FashionMnist.TEST_SET_PER_CLASS;
        int[] grouped = FashionMnist.balancedSubset(data, per, FashionMnist.TEST_SET_SEED);
        int classes = grouped.length / per;
        int[] out = new int[grouped.length];
        for (int p = 0; p < out.length; p++) {
            out[p] = grouped[(p % classes) * per + p / classes];
        }
        return out;
    }

    /** The positions {@code from..to} (inclusive) of the fixed test set, parsed from {@code "0-7"} or {@code "3"}. */
    public static int[] positions(String range) {
        String[] parts = range.split("-");
        try {
            int from = Integer.parseInt(parts[0].trim());
            int to = parts.length > 1 ? Integer.parseInt(parts[1].trim()) : from;
            int max = FashionMnist.CLASS_NAMES.size() * FashionMnist.TEST_SET_PER_CLASS - 1;
            if (parts.length > 2 || from < 0 || to < from || to > max) {
                throw new IllegalArgumentException("image range '" + range + "' must be FROM-TO with 0 <= FROM <= TO <= "
                        + max + " (positions in the fixed test set)");
            }
            int[] out = new int[to - from + 1];
            for (int i = 0; i < out.length; i++) {
                out[i] = from + i;
            }
            return out;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("image range '" + range + "' must be FROM-TO, e.g. 0-7");
        }
    }

    /**
     * Runs every method on every task for the given test-set positions and seeds.
     *
     * @param manager where the kept image grids live
     * @return one row per (task, method, seed)
     */
    public Table run(NDManager manager, List<Task> tasks, List<String> methods, int[] positions, long[] seeds) {
        Table table = newTable();
        int[] all = interleaved(test);
        int[] idx = Arrays.stream(positions).map(p -> all[p]).toArray();
        try (Progress progress = Progress.start("solving", (long) tasks.size() * methods.size() * seeds.length)) {
            for (Task task : tasks) {
                for (long seed : seeds) {
                    try (NDManager s = manager.newSubManager()) {
                        NDArray x = test.images(s, idx);
                        Operator a = task.operator().apply(idx.length);
                        Problem<Operator> problem = Problem.measure(a, x, task.noise(), NoiseSource.seeded(seed));
                        List<NDArray> gridRows = new ArrayList<>(List.of(x, display(a, problem.y(), x)));
                        List<String> labels = new ArrayList<>(List.of("x", "y"));
                        for (String method : methods) {
                            progress.setMessage(task.name() + " / " + method + " / seed " + seed);
                            Reconstruction r;
                            if (LatentSolverRegistry.contains(method)) {
                                if (latentPrior == null) {
                                    throw new IllegalArgumentException("'" + method + "' is a latent solver: give the "
                                            + "runner a latent prior (withLatentPrior) to run it");
                                }
                                r = latentFactory.apply(method, task).solveAny(problem, latentPrior, Run.seeded(seed));
                            } else {
                                r = solverFactory.apply(method, task).solveAny(problem, prior, Run.seeded(seed));
                            }
                            r.xHat().attach(s);
                            NDArray xHat = r.xHat().clip(-1, 1);
                            addRow(table, task, method, seed, x, xHat, r.cost());
                            gridRows.add(xHat);
                            labels.add(method);
                            progress.step();
                        }
                        keepGrid(manager, task.name(), gridRows, labels);
                    }
                }
            }
        }
        return table;
    }

    /**
     * A one-parameter sweep of one method on one task: for each value the method's solver (the current factory's, pixel
     * or latent) with its numeric hyperparameter {@code parameter} set to the value
     * ({@link SolverRegistry#withParameter}, {@link LatentSolverRegistry#withParameter}), run as {@link #run} does;
     * one row per value and seed, with the value in a column named after the parameter. The factories are restored
     * afterwards.
     */
    public Table sweep(NDManager manager, Task task, String method, String parameter, double[] values, int[] positions,
            long[] seeds) {
        if (values == null || values.length == 0) {
            throw new IllegalArgumentException("a sweep of '" + parameter + "' needs at least one value");
        }
        BiFunction<String, Task, Solver<?>> pixel = solverFactory;
        BiFunction<String, Task, LatentSolver<?>> latent = latentFactory;
        Table out = null;
        DoubleColumn column = DoubleColumn.create(parameter);
        try {
            for (double v : values) {
                if (LatentSolverRegistry.contains(method)) {
                    if (latent == null) {
                        throw new IllegalArgumentException("'" + method + "' is a latent solver: give the runner a "
                                + "latent prior (withLatentPrior) to sweep it");
                    }
                    latentFactory = (name, t) -> LatentSolverRegistry.withParameter(latent.apply(name, t), parameter, v);
                } else {
                    solverFactory = (name, t) -> SolverRegistry.withParameter(pixel.apply(name, t), parameter, v);
                }
                Table t = run(manager, List.of(task), List.of(method), positions, seeds);
                for (int i = 0; i < t.rowCount(); i++) {
                    column.append(v);
                }
                out = out == null ? t : out.append(t);
            }
        } finally {
            solverFactory = pixel;
            latentFactory = latent;
        }
        out.insertColumn(2, column);
        return out;
    }

    /** The image grid of the last seed of each task: rows x, y, then one row per method. */
    public Map<String, BufferedImage> grids() {
        Map<String, BufferedImage> out = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> e : lastGrid.entrySet()) {
            NDArray rows = e.getValue();
            long r = rows.getShape().get(0);
            ImageGrid.Builder b = ImageGrid.builder().optScale(3);
            String[] labels = gridLabels.get(e.getKey());
            for (int i = 0; i < r; i++) {
                b.addRow(labels[i], rows.get(i));
            }
            out.put(e.getKey(), b.build());
        }
        return out;
    }

    private final Map<String, String[]> gridLabels = new LinkedHashMap<>();

    private void keepGrid(NDManager manager, String task, List<NDArray> rows, List<String> labels) {
        NDArray stacked = ai.djl.ndarray.NDArrays.stack(new ai.djl.ndarray.NDList(
                rows.stream().map(a -> a.toType(DataType.FLOAT32, false)).toArray(NDArray[]::new)));
        stacked.attach(manager);
        NDArray old = lastGrid.put(task, stacked);
        if (old != null) {
            old.close();
        }
        gridLabels.put(task, labels.toArray(String[]::new));
    }

    /** What a person sees of {@code y}: itself when image-shaped, else {@code A^+ y} (SVD) or {@code A^T y}. */
    static NDArray display(Operator a, NDArray y, NDArray x) {
        if (y.getShape().equals(x.getShape())) {
            return y.clip(-1, 1);
        }
        if (a instanceof SvdOperator svd) {
            return svd.pinv(y).clip(-1, 1);
        }
        if (a instanceof LinearOperator lin) {
            return lin.adjoint(y).clip(-1, 1);
        }
        return x.zerosLike();
    }

    private void addRow(Table table, Task task, String method, long seed, NDArray x, NDArray xHat, Cost cost) {
        int n = Math.toIntExact(x.getShape().get(0));
        table.stringColumn("task").append(task.name());
        table.stringColumn("method").append(method);
        table.longColumn("seed").append(seed);
        table.intColumn("images").append(n);
        table.doubleColumn("psnr").append(Psnr.batch(xHat, x).mean());
        table.doubleColumn("ssim").append(Ssim.batch(xHat, x).mean());
        table.doubleColumn("perceptualKit").append(Arrays.stream(PerceptualKit.perImage(features, xHat, x)).average()
                .orElse(Double.NaN));
        if (n >= FD_MIN_IMAGES) {
            table.doubleColumn("fdKit").append(FrechetDistance.of(Quality.features(features, xHat),
                    Quality.features(features, x)));
        } else {
            table.doubleColumn("fdKit").appendMissing();
        }
        table.longColumn("nfe").append(cost.nfe());
        table.longColumn("vjp").append(cost.vjp());
        table.longColumn("operatorCalls").append(cost.operatorCalls());
        table.longColumn("adjointCalls").append(cost.adjointCalls());
        table.longColumn("operatorVjps").append(cost.operatorVjps());
        table.longColumn("operatorSolves").append(cost.operatorSolves());
        table.longColumn("basisChanges").append(cost.basisChanges());
        table.doubleColumn("seconds").append(cost.seconds());
        table.doubleColumn("secondsPerImage").append(cost.seconds() / n);
        table.doubleColumn("peakRssMb").append(cost.peakRssMb());
    }

    private static Table newTable() {
        return Table.create("experiments", StringColumn.create("task"), StringColumn.create("method"),
                LongColumn.create("seed"), IntColumn.create("images"), DoubleColumn.create("psnr"),
                DoubleColumn.create("ssim"), DoubleColumn.create("perceptualKit"), DoubleColumn.create("fdKit"),
                LongColumn.create("nfe"), LongColumn.create("vjp"), LongColumn.create("operatorCalls"),
                LongColumn.create("adjointCalls"), LongColumn.create("operatorVjps"),
                LongColumn.create("operatorSolves"), LongColumn.create("basisChanges"),
                DoubleColumn.create("seconds"), DoubleColumn.create("secondsPerImage"),
                DoubleColumn.create("peakRssMb"));
    }

    /**
     * Adds the paper's value of {@code metric} beside the kit's and an "ordering reproduced?" column: within each
     * task, the methods that have a paper value are ranked by the kit's mean over seeds and by the paper's value;
     * a row reads "yes" when its method holds the same rank in both, "no" otherwise, and "-" without a paper value or
     * without a kit value (a missing entry, such as FD-kit on fewer than {@link #FD_MIN_IMAGES} images).
     *
     * @param paper paper values keyed by {@code task + "/" + method}
     * @param higherIsBetter whether larger values of {@code metric} are better (PSNR, SSIM) or worse (LPIPS, FID)
     */
    public static Table compareWithPaper(Table table, String metric, Map<String, Double> paper,
            boolean higherIsBetter) {
        Table out = table.copy();
        DoubleColumn paperCol = DoubleColumn.create("paper " + metric);
        StringColumn reproduced = StringColumn.create("ordering reproduced?");
        Map<String, Map<String, Double>> kitMeans = new LinkedHashMap<>();
        Map<String, Map<String, Integer>> counts = new LinkedHashMap<>();
        for (int i = 0; i < out.rowCount(); i++) {
            String task = out.stringColumn("task").get(i);
            String method = out.stringColumn("method").get(i);
            if (out.doubleColumn(metric).isMissing(i)) {
                continue;
            }
            kitMeans.computeIfAbsent(task, k -> new LinkedHashMap<>()).merge(method,
                    out.doubleColumn(metric).get(i), Double::sum);
            counts.computeIfAbsent(task, k -> new LinkedHashMap<>()).merge(method, 1, Integer::sum);
        }
        for (int i = 0; i < out.rowCount(); i++) {
            String task = out.stringColumn("task").get(i);
            String method = out.stringColumn("method").get(i);
            Double p = paper.get(task + "/" + method);
            if (p == null) {
                paperCol.appendMissing();
                reproduced.append("-");
                continue;
            }
            paperCol.append(p);
            if (out.doubleColumn(metric).isMissing(i)) {
                reproduced.append("-");   // no kit value (e.g. FD-kit below ExperimentRunner.FD_MIN_IMAGES images)
                continue;
            }
            Map<String, Double> kit = new LinkedHashMap<>();
            Map<String, Double> ref = new LinkedHashMap<>();
            for (Map.Entry<String, Double> e : kitMeans.get(task).entrySet()) {
                Double pv = paper.get(task + "/" + e.getKey());
                if (pv != null) {
                    kit.put(e.getKey(), e.getValue() / counts.get(task).get(e.getKey()));
                    ref.put(e.getKey(), pv);
                }
            }
            reproduced.append(rank(kit, method, higherIsBetter) == rank(ref, method, higherIsBetter) ? "yes" : "no");
        }
        out.addColumns(paperCol, reproduced);
        return out;
    }

    private static int rank(Map<String, Double> values, String method, boolean higherIsBetter) {
        double v = values.get(method);
        int rank = 0;
        for (double other : values.values()) {
            if (higherIsBetter ? other > v : other < v) {
                rank++;
            }
        }
        return rank;
    }
}
