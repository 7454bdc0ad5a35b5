package org.diffinv.experiments;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.diffinv.diffusion.NoiseSchedule;
import org.diffinv.diffusion.NoiseSource;
import org.diffinv.diffusion.TimeGrid;
import org.diffinv.metrics.SlicedWasserstein;
import org.diffinv.notebook.Charts;
import org.diffinv.notebook.Progress;
import org.diffinv.notebook.RunMode;
import org.diffinv.operators.GaussianBlur;
import org.diffinv.operators.Inpainting;
import org.diffinv.operators.LinearOperator;
import org.diffinv.operators.Masks;
import org.diffinv.operators.MeasurementNoise;
import org.diffinv.operators.SuperResolution;
import org.diffinv.operators.SvdOperator;
import org.diffinv.priors.ConditionalEpsPrior;
import org.diffinv.priors.GaussianMixturePrior;
import org.diffinv.priors.LinearAutoencoder;
import org.diffinv.priors.ImageLikeMixtures;
import org.diffinv.solvers.AdmmTv;
import org.diffinv.solvers.Daps;
import org.diffinv.solvers.CPigdm;
import org.diffinv.solvers.DcdpCm;
import org.diffinv.solvers.PigdmVp;
import org.diffinv.solvers.Dcdp;
import org.diffinv.solvers.Dds;
import org.diffinv.solvers.LatentDcdp;
import org.diffinv.solvers.GmlDps;
import org.diffinv.solvers.LatentPrior;
import org.diffinv.solvers.LatentSolver;
import org.diffinv.solvers.Ldir;
import org.diffinv.solvers.Ldps;
import org.diffinv.solvers.Psld;
import org.diffinv.solvers.ReSample;
import org.diffinv.solvers.Ddrm;
import org.diffinv.solvers.DiffPir;
import org.diffinv.solvers.Mcg;
import org.diffinv.solvers.PnpAdmm;
import org.diffinv.solvers.PseudoInverse;
import org.diffinv.solvers.ScoreSdeProjection;
import org.diffinv.solvers.Dps;
import org.diffinv.solvers.Pigdm;
import org.diffinv.solvers.Problem;
import org.diffinv.solvers.Reconstruction;
import org.diffinv.solvers.Run;
import org.diffinv.solvers.Solver;
import org.diffinv.solvers.TaskKind;
import org.diffinv.util.HostArrays;
import org.knowm.xchart.XYChart;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.LongColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * The exact-posterior benchmark: solvers against posteriors known in closed form.
 *
 * <p>The prior is an exact Gaussian mixture shaped like small grey images ({@link ImageLikeMixtures}: three
 * squared-exponential components); a ground truth {@code x} is drawn from it, measured by a linear operator with
 * Gaussian noise, and the exact posterior {@code p(x | y)} follows in closed form
 * ({@link GaussianMixturePrior#posterior}). Each solver draws {@code M} posterior samples (one batch of {@code M}
 * copies of {@code y}); the table reports
 * <ul>
 *   <li>{@code sw}: the sliced Wasserstein-2 distance of the solver's samples to {@code M} exact posterior draws
 *       ({@link SlicedWasserstein}, 200 directions), beside {@code swFloor}, the same distance between two
 *       independent exact sets (what a perfect sampler scores at this {@code M});</li>
 *   <li>{@code meanError}: the RMS per pixel between the solver's sample mean and the exact posterior mean, beside
 *       {@code priorMeanError}, the same for the prior mean (what ignoring {@code y} scores);</li>
 *   <li>{@code nfe}, {@code vjp}, {@code seconds}: the solve's cost ledger.</li>
 * </ul>
 * All draws are seeded; the same seed gives the same table up to the seconds column.
 */
public final class ExactPosteriorBenchmark {

    /** Projections of the sliced Wasserstein distance. */
    public static final int DIRECTIONS = 200;

    /**
     * One benchmark problem.
     *
     * @param name e.g. {@code "inpaint-random 8x8"}
     * @param size image side (the image is {@code 1 x size x size})
     * @param operator builds the operator for the side (seeded masks are fixed by the scenario)
     * @param noise the measurement noise
     */
    public record Scenario(String name, int size, IntFunction<LinearOperator> operator, MeasurementNoise noise) {
    }

    /**
     * A named solver configuration of the benchmark.
     *
     * @param label the row's method name
     * @param solver the configured solver
     * @param appliesTo whether the solver runs on a scenario's single-measurement problem; where it does not (its
     *     method does not hold there, e.g. noisy C-PiGDM's first-order inverse on an ill-conditioned blur) the row
     *     is left out and the table's name says so
     */
    public record Entry(String label, Solver<?> solver, java.util.function.Predicate<Problem<LinearOperator>> appliesTo) {
        /** An entry that runs on every scenario. */
        public Entry(String label, Solver<?> solver) {
            this(label, solver, p -> true);
        }
    }

    private ExactPosteriorBenchmark() {
    }

    /**
     * The scenarios of a mode: random inpainting (keep 50%), Gaussian blur (5 x 5, sigma 1, DDRM's truncated SVD)
     * and average-pool SR x2, each with sigma_y = 0.05 in [0, 1] units, on 8x8 images (smoke: inpainting only; full:
     * 8x8 and 16x16).
     */
    public static List<Scenario> scenarios(RunMode mode) {
        MeasurementNoise noise = MeasurementNoise.ofUnitRange(0.05);
        List<Scenario> out = new ArrayList<>();
        int[] sizes = mode == RunMode.FULL ? new int[] {8, 16} : new int[] {8};
        for (int size : sizes) {
            String tag = " " + size + "x" + size;
            out.add(new Scenario("inpaint-random" + tag, size,
                    s -> new Inpainting(Masks.randomPixels(1, s, s, 0.5, NoiseSource.seeded(7))), noise));
            if (mode == RunMode.SMOKE) {
                break;
            }
            out.add(new Scenario("gaussian-blur" + tag, size, s -> GaussianBlur.ddrm(5, 1.0), noise));
            out.add(new Scenario("sr-avgpool-x2" + tag, size, s -> SuperResolution.averagePool(2), noise));
        }
        return out;
    }

    /**
     * The solvers of a mode on {@code schedule}: DPS (unclipped, since the exact prior is not bounded to [-1, 1];
     * plain norm, zeta = 1.0), MCG (unclipped, alpha = {@link #MCG_EXACT_ALPHA}) and Score-SDE projection (DPS, MCG and
     * Score-SDE at 100 steps in smoke, 1000 otherwise), DiffPIR (19 NFE; also 99 in full), DDS (50 steps), PnP-ADMM
     * (20 iterations, unclipped, noise levels 1 to 0.1, rho = sigma_y^2 / 0.1^2 = 1), DAPS with the likelihood's own
     * temperature {@code tau = sqrt(2) sigma_y} (50 x 2 NFE in smoke, 100 x 5 in quick, 200 x 5 in full; Langevin lr
     * 1e-3), DCDP Versions 1 and 2 (unclipped, {@link #DCDP_EXACT_LR}), ADMM-TV (scico's settings) and the
     * pseudo-inverse baselines, C-PiGDM (noiseless form, w = 15) at 5, 10 and 20 steps (5 in smoke) and
     * its noisy form at w = 4 and 20 steps (quick and full, only where its first-order inverse holds: see
     * {@link Entry#appliesTo}), and DDRM (paper defaults) and PiGDM at several step counts (10 and 20 in smoke and quick, 10 to 100 in
     * full).
     */
    public static List<Entry> solvers(NoiseSchedule schedule, RunMode mode) {
        List<Entry> out = new ArrayList<>();
        TimeGrid dpsGrid = mode == RunMode.SMOKE ? TimeGrid.ddimUniform(schedule, 100) : TimeGrid.ddpm(schedule);
        Dps dps = new Dps(Dps.Params.paper(schedule, TaskKind.INPAINTING).withGrid(dpsGrid).withClipX0(false)
                .withZeta(DPS_EXACT_ZETA));
        out.add(new Entry("dps-" + dpsGrid.size(), dps));
        out.add(new Entry("mcg-" + dpsGrid.size(), new Mcg(Mcg.Params.paper(schedule, TaskKind.INPAINTING)
                .withGrid(dpsGrid).withClipX0(false).withAlpha(MCG_EXACT_ALPHA))));
        out.add(new Entry("score-sde-" + dpsGrid.size(), new ScoreSdeProjection(
                ScoreSdeProjection.Params.paper(schedule, TaskKind.INPAINTING).withGrid(dpsGrid))));
        for (int n : mode == RunMode.FULL ? new int[] {20, 100} : new int[] {20}) {
            DiffPir diffPir = new DiffPir(DiffPir.Params.paper(schedule, TaskKind.GAUSSIAN_DEBLUR).withPoints(n)
                    .withClipX0(false));
            out.add(new Entry("diffpir-" + (n - 1), diffPir));
        }
        out.add(new Entry("dds-50", new Dds(Dds.Params.paper(schedule, TaskKind.INPAINTING))));
        out.add(new Entry("pnp-admm-20", new PnpAdmm(PnpAdmm.Params.paper(schedule, TaskKind.INPAINTING)
                .withClip(false).withIterations(20).withNoiseLevels(1.0, 0.1).withRho(1.0))));
        int[] daps = mode.pick(new int[] {50, 2}, new int[] {100, 5}, new int[] {200, 5});
        out.add(new Entry("daps-" + daps[0] * daps[1], new Daps(Daps.Params.paper(schedule, TaskKind.INPAINTING)
                .withBudget(daps[0], daps[1]).withLangevinSteps(mode == RunMode.SMOKE ? 50 : 100).withLr(1e-3)
                .withTau(Math.sqrt(2) * EXACT_SIGMA_Y))));
        for (Dcdp.Version v : Dcdp.Version.values()) {
            Dcdp dcdp = new Dcdp(Dcdp.Params.paper(schedule, TaskKind.SUPER_RESOLUTION, v).withClip(false)
                    .withLr(DCDP_EXACT_LR).withTau(50));
            out.add(new Entry(dcdp.name(), dcdp));
        }
        // DCDP-CM with a perfect consistency model of the exact prior: its probability-flow map by 20 DDIM steps
        DcdpCm cm = DcdpCm.withOdeConsistency(DcdpCm.Params.paper(schedule, TaskKind.SUPER_RESOLUTION).withClip(false)
                .withLr(DCDP_EXACT_LR).withTau(50), 20);
        out.add(new Entry(cm.name(), cm));
        out.add(new Entry("admm-tv", new AdmmTv(AdmmTv.Params.paper(TaskKind.INPAINTING))));
        out.add(new Entry("pinv", PseudoInverse.paper()));
        int[] steps = mode == RunMode.FULL ? new int[] {10, 20, 50, 100} : new int[] {10, 20};
        for (int n : steps) {
            out.add(new Entry("ddrm-" + n, new Ddrm(Ddrm.Params.paper(schedule, TaskKind.INPAINTING)
                    .withGrid(TimeGrid.ddimUniform(schedule, n)))));
        }
        // C-PiGDM in its noiseless form (w = 15): its noisy form's first-order inverse holds only up to w of about 4.5
        // at this sigma_y (CPigdm.firstOrderRatio), where it is the weaker of the two (CPigdmTest)
        for (int n : mode == RunMode.SMOKE ? new int[] {5} : new int[] {5, 10, 20}) {
            out.add(new Entry("c-pigdm-" + n, new CPigdm(CPigdm.Params.spec().withSteps(n)
                    .withNoise(CPigdm.Noise.NOISELESS))));
            out.add(new Entry("pigdm-vp-" + n, new PigdmVp(PigdmVp.Params.reference().withSteps(n))));
        }
        if (mode != RunMode.SMOKE) {
            // where the blur's smallest singular values make c3 Q dominate A_t it refuses: left out there
            CPigdm noisy = new CPigdm(CPigdm.Params.spec().withSteps(20).withW(4));
            out.add(new Entry("c-pigdm-noisy-20", noisy, p -> {
                if (!(p.a() instanceof SvdOperator h)) {
                    return true;
                }
                try (NDArray hpy = h.pinv(p.y())) {
                    return noisy.firstOrderRatio(h, p.sigmaY(), hpy) <= CPigdm.MAX_FIRST_ORDER_RATIO;
                }
            }));
        }
        for (int n : steps) {
            out.add(new Entry("pigdm-" + n, new Pigdm(Pigdm.Params.paper(schedule, TaskKind.INPAINTING)
                    .withGrid(TimeGrid.ddimUniform(schedule, n)))));
        }
        return out;
    }

    /**
     * DCDP's learning rate on the exact benchmark's 8x8 scenarios: lr 4 on the mean squared error of m = 64 measured
     * entries is the effective step {@code 2 lr / m = 0.125} on {@code 1/2 ||A x - y||^2} (K = 10 rounds of 50 steps,
     * T0 = 400, unclipped), the step measured to fit the data within the rounds on the exact tests.
     */
    public static final double DCDP_EXACT_LR = 4.0;

    /** The measurement noise of every scenario in the working range: 0.05 in [0, 1] units is 0.1. */
    public static final double EXACT_SIGMA_Y = MeasurementNoise.ofUnitRange(0.05).sigma();

    /**
     * MCG's weight on the exact benchmark: the reference's 1 belongs to clipped image priors and overshoots on the
     * unbounded exact prior (see SolversExactTest), so 0.01.
     */
    public static final double MCG_EXACT_ALPHA = 0.01;

    /** DPS's step size on the exact benchmark (plain norm, unclipped; the image-size scaling does not apply here). */
    public static final double DPS_EXACT_ZETA = 1.0;

    /** Posterior samples per solver and mode: 32 (smoke), 256 (quick), 1000 (full). */
    public static int samples(RunMode mode) {
        return mode.pick(32, 256, 1000);
    }

    /**
     * Runs every solver on every scenario and returns the table (columns: scenario, method, samples, sw, swFloor,
     * meanError, priorMeanError, nfe, vjp, seconds). The prior of every scenario uses the DDPM linear schedule.
     */
    public static Table run(List<Scenario> scenarios, List<Entry> solvers, int samples, long seed) {
        Table table = newTable("exact-posterior benchmark");
        List<String> leftOut = new ArrayList<>();
        NoiseSchedule schedule = NoiseSchedule.ddpmLinear();
        try (Progress progress = Progress.start("exact-posterior benchmark", (long) scenarios.size() * solvers.size())) {
            for (Scenario sc : scenarios) {
                try (NDManager manager = NDManager.newBaseManager()) {
                    GaussianMixturePrior prior = ImageLikeMixtures.of(schedule, sc.size(), sc.size(), 3, seed);
                    LinearOperator a = sc.operator().apply(sc.size());
                    NoiseSource noise = NoiseSource.seeded(seed + 1);
                    NDArray x = prior.sample(manager, 1, DataType.FLOAT64, noise);
                    Problem<LinearOperator> single = Problem.measure(a, x, sc.noise(), noise);
                    GaussianMixturePrior posterior = prior.posterior(a, single.y(), sc.noise().sigma());
                    double[][] exact = rows(posterior.sample(manager, samples, DataType.FLOAT64, NoiseSource.seeded(seed + 2)));
                    double[][] exact2 = rows(posterior.sample(manager, samples, DataType.FLOAT64, NoiseSource.seeded(seed + 3)));
                    double floor = SlicedWasserstein.distance(exact, exact2, DIRECTIONS, NoiseSource.seeded(seed + 4));
                    double[] postMean = posterior.mean();
                    double priorMeanError = rms(prior.mean(), postMean);
                    Shape batch = new Shape(samples, 1, sc.size(), sc.size());
                    NDArray yTiled = single.y().repeat(0, samples);
                    Problem<LinearOperator> problem = Problem.of(a, yTiled, sc.noise(), batch);
                    for (Entry e : solvers) {
                        progress.setMessage(sc.name() + " / " + e.label());
                        if (!e.appliesTo().test(single)) {
                            leftOut.add(e.label() + " on " + sc.name());
                            progress.step();
                            continue;
                        }
                        try (Reconstruction r = e.solver().solveAny(problem, prior, Run.seeded(seed + 5))) {
                            addRow(table, sc.name(), e.label(), r, exact, floor, postMean, priorMeanError, seed);
                        }
                        progress.step();
                    }
                }
            }
        }
        if (!leftOut.isEmpty()) {
            table.setName("exact-posterior benchmark (not run, the method does not hold there: "
                    + String.join(", ", leftOut) + ")");
        }
        return table;
    }

    private static Table newTable(String name) {
        return Table.create(name,
                StringColumn.create("scenario"), StringColumn.create("method"), IntColumn.create("samples"),
                DoubleColumn.create("sw"), DoubleColumn.create("swFloor"), DoubleColumn.create("meanError"),
                DoubleColumn.create("priorMeanError"), LongColumn.create("nfe"), LongColumn.create("vjp"),
                DoubleColumn.create("seconds"));
    }

    private static void addRow(Table table, String scenario, String label, Reconstruction r, double[][] exact,
            double floor, double[] postMean, double priorMeanError, long seed) {
        double[][] got = rows(r.xHat());
        double sw = SlicedWasserstein.distance(got, exact, DIRECTIONS, NoiseSource.seeded(seed + 4));
        table.stringColumn("scenario").append(scenario);
        table.stringColumn("method").append(label);
        table.intColumn("samples").append(got.length);
        table.doubleColumn("sw").append(sw);
        table.doubleColumn("swFloor").append(floor);
        table.doubleColumn("meanError").append(rms(columnMean(got), postMean));
        table.doubleColumn("priorMeanError").append(priorMeanError);
        table.longColumn("nfe").append(r.cost().nfe());
        table.longColumn("vjp").append(r.cost().vjp());
        table.doubleColumn("seconds").append(r.cost().seconds());
    }

    /** A named latent solver configuration of the benchmark. */
    public record LatentEntry(String label, LatentSolver<?> solver) {
    }

    /**
     * The latent solvers of a mode on {@code schedule}, on the latent scenario: LDPS, GML-DPS and PSLD (omega = 0.3,
     * unsquared norms, gamma = 0.1), LDIR (rho = 0.05) and ReSample (100 latent / 200 pixel optimisation iterations),
     * each at 50 (smoke), 200 (quick) or 1000 (full) DDIM steps, and latent DCDP (approaches I and II, Versions 1 and 2;
     * K = 10 rounds of 50 steps at {@link #DCDP_EXACT_LR}). The step sizes are the ones measured on the exact Gaussian
     * latent tests ({@code LatentSolversExactTest}, {@code DcdpTest}).
     */
    public static List<LatentEntry> latentSolvers(NoiseSchedule schedule, RunMode mode) {
        int steps = mode.pick(50, 200, 1000);
        TimeGrid grid = TimeGrid.ddimUniform(schedule, steps);
        List<LatentEntry> out = new ArrayList<>();
        out.add(new LatentEntry("ldps-" + steps, new Ldps(new Ldps.Params(grid, 0, 0.3, 1))));
        out.add(new LatentEntry("gml-dps-" + steps, new GmlDps(new GmlDps.Params(grid, 0, 0.3, 0.1, 1))));
        out.add(new LatentEntry("psld-" + steps, new Psld(new Psld.Params(grid, 0, 0.3, 0.1, 1, false, false))));
        out.add(new LatentEntry("ldir-" + steps, new Ldir(Ldir.Params.paper(schedule, TaskKind.INPAINTING)
                .withGrid(grid))));
        for (LatentDcdp.Approach approach : LatentDcdp.Approach.values()) {
            for (Dcdp.Version v : Dcdp.Version.values()) {
                LatentDcdp d = new LatentDcdp(LatentDcdp.Params.paper(schedule, TaskKind.SUPER_RESOLUTION, approach, v)
                        .withLr(DCDP_EXACT_LR).withRounds(10, 50));
                out.add(new LatentEntry(d.name(), d));
            }
        }
        out.add(new LatentEntry("resample-" + steps, new ReSample(ReSample.Params.paper(schedule, TaskKind.INPAINTING)
                .withGrid(TimeGrid.ldm(schedule, Math.min(steps, schedule.steps() / 2))).withIterations(100, 200))));
        return out;
    }

    /**
     * The latent scenario, the exact setting of the latent solvers: images {@code 1 x 8 x 8}, a linear autoencoder
     * with orthonormal decoder {@code D(z) = W z} ({@link LinearAutoencoder#orthonormal}, seeded) from {@code 1 x 4 x 4}
     * latents, an image-like Gaussian-mixture prior on the latents, random inpainting keeping half the pixels and
     * {@code sigma_y} as the pixel scenarios. The exact posterior of {@code z} is the mixture's posterior under the
     * linear operator {@code A o D}; decoded, its draws are compared with each solver's images as in {@link #run}.
     * Rows are labelled with scenario {@code "latent inpaint-random 8x8"}.
     */
    public static Table runLatent(List<LatentEntry> solvers, int samples, long seed) {
        Table table = newTable("exact-posterior benchmark, latent");
        NoiseSchedule schedule = NoiseSchedule.ddpmLinear();
        String scenario = "latent inpaint-random 8x8";
        Shape image = new Shape(1, 8, 8);
        Shape latent = new Shape(1, 4, 4);
        try (Progress progress = Progress.start("exact-posterior benchmark, latent", solvers.size());
             NDManager manager = NDManager.newBaseManager()) {
            LinearAutoencoder ae = LinearAutoencoder.orthonormal(image, latent, NoiseSource.seeded(seed + 11));
            GaussianMixturePrior latentPrior = ImageLikeMixtures.of(schedule, 4, 4, 3, seed);
            LinearOperator a = new Inpainting(Masks.randomPixels(1, 8, 8, 0.5, NoiseSource.seeded(7)));
            MeasurementNoise noise = MeasurementNoise.ofUnitRange(0.05);
            NoiseSource draws = NoiseSource.seeded(seed + 1);
            NDArray x = ae.decode(latentPrior.sample(manager, 1, DataType.FLOAT64, draws));
            Problem<LinearOperator> single = Problem.measure(a, x, noise, draws);
            GaussianMixturePrior posterior = latentPrior.posterior(ae.decoderOperator().then(a), single.y(),
                    noise.sigma());
            double[][] exact = rows(ae.decode(posterior.sample(manager, samples, DataType.FLOAT64,
                    NoiseSource.seeded(seed + 2))));
            double[][] exact2 = rows(ae.decode(posterior.sample(manager, samples, DataType.FLOAT64,
                    NoiseSource.seeded(seed + 3))));
            double floor = SlicedWasserstein.distance(exact, exact2, DIRECTIONS, NoiseSource.seeded(seed + 4));
            double[] postMean = rows(ae.decode(HostArrays.of(manager, posterior.mean(), new Shape(1).addAll(latent))))[0];
            double[] priorMean = rows(ae.decode(HostArrays.of(manager, latentPrior.mean(), new Shape(1).addAll(latent))))[0];
            double priorMeanError = rms(priorMean, postMean);
            NDArray c = manager.zeros(new Shape(1, 1, 1), DataType.FLOAT64);
            LatentPrior prior = new LatentPrior(ConditionalEpsPrior.ignoringCondition(latentPrior), ae, c, c);
            Problem<LinearOperator> problem = Problem.of(a, single.y().repeat(0, samples), noise,
                    new Shape(samples).addAll(image));
            for (LatentEntry e : solvers) {
                progress.setMessage(scenario + " / " + e.label());
                try (Reconstruction r = e.solver().solveAny(problem, prior, Run.seeded(seed + 5))) {
                    addRow(table, scenario, e.label(), r, exact, floor, postMean, priorMeanError, seed);
                }
                progress.step();
            }
        }
        return table;
    }

    /**
     * Distance (over the floor) against NFE, one series per method family and scenario (log-scaled NFE axis); rows
     * without network evaluations (the pseudo-inverse baseline) have no place on that axis and stay in the table only.
     */
    public static XYChart plot(Table table) {
        Map<String, List<double[]>> series = new LinkedHashMap<>();
        for (int i = 0; i < table.rowCount(); i++) {
            if (table.longColumn("nfe").get(i) <= 0) {
                continue;
            }
            String method = table.stringColumn("method").get(i);
            String family = method.contains("-") ? method.substring(0, method.lastIndexOf('-')) : method;
            String key = family + " / " + table.stringColumn("scenario").get(i);
            series.computeIfAbsent(key, k -> new ArrayList<>()).add(new double[] {
                    table.longColumn("nfe").get(i), table.doubleColumn("sw").get(i) / table.doubleColumn("swFloor").get(i)});
        }
        List<Charts.Series> list = new ArrayList<>();
        for (Map.Entry<String, List<double[]>> e : series.entrySet()) {
            List<double[]> pts = e.getValue();
            pts.sort((p, q) -> Double.compare(p[0], q[0]));
            double[] xs = pts.stream().mapToDouble(p -> p[0]).toArray();
            double[] ys = pts.stream().mapToDouble(p -> p[1]).toArray();
            list.add(Charts.Series.of(e.getKey(), xs, ys));
        }
        XYChart chart = Charts.line("Distance to the exact posterior against NFE", "NFE",
                "sliced W2 / floor (1 = exact)", list);
        chart.getStyler().setXAxisLogarithmic(true);
        return chart;
    }

    private static double[][] rows(NDArray batch) {
        double[] flat = batch.toType(DataType.FLOAT64, false).toDoubleArray();
        int n = Math.toIntExact(batch.getShape().get(0));
        int d = flat.length / n;
        double[][] out = new double[n][d];
        for (int i = 0; i < n; i++) {
            System.arraycopy(flat, i * d, out[i], 0, d);
        }
        return out;
    }

    private static double[] columnMean(double[][] rows) {
        double[] m = new double[rows[0].length];
        for (double[] r : rows) {
            for (int i = 0; i < m.length; i++) {
                m[i] += r[i] / rows.length;
            }
        }
        return m;
    }

    private static double rms(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (a[i] - b[i]) * (a[i] - b[i]);
        }
        return Math.sqrt(s / a.length);
    }
}
