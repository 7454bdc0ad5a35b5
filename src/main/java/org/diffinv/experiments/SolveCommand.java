package org.diffinv.experiments;

import ai.djl.ndarray.NDManager;
import org.diffinv.data.FashionMnist;
import org.diffinv.nn.Checkpoints;
import org.diffinv.nn.FeatureClassifier;
import org.diffinv.notebook.Results;
import org.diffinv.priors.UNetEpsPrior;
import org.diffinv.solvers.LatentPrior;
import org.diffinv.solvers.LatentSolver;
import org.diffinv.solvers.LatentSolverRegistry;
import org.diffinv.solvers.SolverRegistry;
import tech.tablesaw.api.Table;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code kit solve --task T --method M[,M2] [--prior pixel-unet] [--images 0-7] [--seed S[,S2]] [--set NAME=V]
 * [--sweep NAME=V1,V2,...] [--noise SIGMA] [--split test|validation]}: reconstructions of fixed test images (or, with {@code --split validation}, of
 * validation images chosen by the same class-balanced rule, for tuning) from the command line; prints the metrics-and-cost table and writes it as CSV with a PNG grid
 * (x, y, x_hat per method) under {@code results/solve/}. Latent solvers ({@code ldps}, {@code psld}, ...) run on the
 * shipped latent prior (loaded when one is asked for, at the null prompt) in the same table as the pixel ones.
 * {@code --noise SIGMA} replaces the task's measurement noise by {@code SIGMA} in the working range [-1, 1]
 * ({@code 0}: noiseless); {@code --sweep NAME=V1,V2} runs every method once per value of its parameter {@code NAME}
 * in one process ({@link ExperimentRunner#sweep}), on top of the {@code --set} values.
 */
final class SolveCommand {

    private SolveCommand() {
    }

    static void run(String[] args) {
        String task = null;
        List<String> methods = new ArrayList<>();
        String priorName = "pixel-unet";
        String images = "0-7";
        List<Long> seeds = new ArrayList<>();
        Map<String, Double> sets = new java.util.LinkedHashMap<>();
        String sweepName = null;
        double[] sweepValues = null;
        Double noise = null;
        FashionMnist.Split split = FashionMnist.Split.TEST;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--task" -> task = KitCli.value(args, ++i, "--task");
                case "--method" -> methods.addAll(List.of(KitCli.value(args, ++i, "--method").split(",")));
                case "--prior" -> priorName = KitCli.value(args, ++i, "--prior");
                case "--images" -> images = KitCli.value(args, ++i, "--images");
                case "--set" -> {
                    String[] kv = KitCli.value(args, ++i, "--set").split("=");
                    if (kv.length != 2) {
                        throw new IllegalArgumentException("--set takes NAME=VALUE, e.g. zeta=0.3");
                    }
                    sets.put(kv[0], Double.parseDouble(kv[1]));
                }
                case "--sweep" -> {
                    String[] kv = KitCli.value(args, ++i, "--sweep").split("=");
                    if (kv.length != 2 || kv[1].isBlank()) {
                        throw new IllegalArgumentException("--sweep takes NAME=V1,V2,..., e.g. w=1,3,10");
                    }
                    sweepName = kv[0];
                    sweepValues = java.util.Arrays.stream(kv[1].split(",")).mapToDouble(Double::parseDouble).toArray();
                }
                case "--noise" -> {
                    String v = KitCli.value(args, ++i, "--noise");
                    noise = Double.parseDouble(v);
                    if (!(noise >= 0) || noise.isInfinite()) {
                        throw new IllegalArgumentException("--noise must be a finite sigma >= 0 in the working range "
                                + "[-1, 1], got " + v);
                    }
                }
                case "--split" -> {
                    String v = KitCli.value(args, ++i, "--split");
                    split = switch (v) {
                        case "test" -> FashionMnist.Split.TEST;
                        case "validation" -> FashionMnist.Split.VALIDATION;
                        default -> throw new IllegalArgumentException("--split must be test or validation, got " + v);
                    };
                }
                case "--seed" -> {
                    for (String s : KitCli.value(args, ++i, "--seed").split(",")) {
                        seeds.add(Long.parseLong(s));
                    }
                }
                default -> throw new IllegalArgumentException("unknown option '" + args[i] + "' for solve (expected "
                        + "--task, --method, --prior, --images, --seed, --set, --sweep, --noise, --split)");
            }
        }
        if (task == null) {
            throw new IllegalArgumentException("solve needs --task; one of " + Tasks.names());
        }
        if (methods.isEmpty()) {
            throw new IllegalArgumentException("solve needs --method; one of " + SolverRegistry.names()
                    + " or a latent solver " + LatentSolverRegistry.names());
        }
        if (!priorName.equals("pixel-unet")) {
            throw new IllegalArgumentException("prior '" + priorName + "' is not a pixel prior the pixel solvers can use;"
                    + " known: pixel-unet");
        }
        if (seeds.isEmpty()) {
            seeds.add(0L);
        }
        Task t = noise == null ? Tasks.get(task)
                : Tasks.get(task).withNoise(org.diffinv.operators.MeasurementNoise.ofWorkingRange(noise));
        boolean latent = false;
        for (String m : methods) { // fail fast on names and on --set names, before any work
            if (LatentSolverRegistry.contains(m)) {
                latent = true;
                LatentSolver<?> s = LatentSolverRegistry.paper(m, org.diffinv.diffusion.NoiseSchedule.ldmScaledLinear(),
                        t.kind());
                for (Map.Entry<String, Double> e : sets.entrySet()) {
                    s = LatentSolverRegistry.withParameter(s, e.getKey(), e.getValue());
                }
                if (sweepName != null) {
                    for (double v : sweepValues) {
                        LatentSolverRegistry.withParameter(s, sweepName, v);
                    }
                }
            } else {
                org.diffinv.solvers.Solver<?> s = SolverRegistry.paper(m, org.diffinv.diffusion.NoiseSchedule.ddpmLinear(),
                        t.kind());
                for (Map.Entry<String, Double> e : sets.entrySet()) {
                    s = SolverRegistry.withParameter(s, e.getKey(), e.getValue());
                }
                if (sweepName != null) {
                    for (double v : sweepValues) {
                        SolverRegistry.withParameter(s, sweepName, v);
                    }
                }
            }
        }
        int[] positions = ExperimentRunner.positions(images);
        try (NDManager manager = NDManager.newBaseManager()) {
            UNetEpsPrior prior = UNetEpsPrior.load(manager);
            FeatureClassifier net = Checkpoints.loadClassifier(manager);
            ExperimentRunner runner = new ExperimentRunner(prior, net, FashionMnist.load(split));
            runner.withSolvers((name, tk) -> {
                org.diffinv.solvers.Solver<?> s = SolverRegistry.paper(name, prior.schedule(), tk.kind());
                for (Map.Entry<String, Double> e : sets.entrySet()) {
                    s = SolverRegistry.withParameter(s, e.getKey(), e.getValue());
                }
                return s;
            });
            if (latent) {
                LatentPrior latentPrior = LatentPrior.shipped(manager, "");
                runner.withLatentPrior(latentPrior).withLatentSolvers((name, tk) -> {
                    LatentSolver<?> s = LatentSolverRegistry.paper(name, latentPrior.eps().schedule(), tk.kind());
                    for (Map.Entry<String, Double> e : sets.entrySet()) {
                        s = LatentSolverRegistry.withParameter(s, e.getKey(), e.getValue());
                    }
                    return s;
                });
            }
            long[] seedArray = seeds.stream().mapToLong(Long::longValue).toArray();
            Table table;
            if (sweepName == null) {
                table = runner.run(manager, List.of(t), methods, positions, seedArray);
            } else {
                table = null;
                for (String m : methods) {
                    Table part = runner.sweep(manager, t, m, sweepName, sweepValues, positions, seedArray);
                    table = table == null ? part : table.append(part);
                }
            }
            System.out.println(table.printAll());
            Results results = Results.forRun("solve");
            String stem = task + "-" + methodsPart(methods) + (sets.isEmpty() ? "" : "-" + sets.toString()
                    .replaceAll("[{} ]", "").replace(',', '+')) + (split == FashionMnist.Split.TEST ? "" : "-validation")
                    + (sweepName == null ? "" : "-sweep-" + sweepName) + (noise == null ? "" : "-noise" + noise)
                    + "-images" + images;
            System.out.println("[kit] wrote " + results.saveCsv(stem + ".csv", table));
            for (Map.Entry<String, BufferedImage> g : runner.grids().entrySet()) {
                Path p = results.savePng(stem + ".png", g.getValue());
                System.out.println("[kit] wrote " + p);
            }
        }
    }

    /** The longest method list written out in a result file's name; file systems allow 255 bytes in all. */
    static final int MAX_METHODS_IN_NAME = 120;

    /**
     * The methods' part of a result file's name: {@code a+b+c}, or, when that is longer than
     * {@value #MAX_METHODS_IN_NAME} characters, the first method, the count of the others and a hash of the whole
     * list ({@code dps+27-more-1a2b3c4d}), so that a long {@code --method} list still gets its own file.
     */
    static String methodsPart(List<String> methods) {
        String all = String.join("+", methods);
        if (all.length() <= MAX_METHODS_IN_NAME) {
            return all;
        }
        return methods.get(0) + "+" + (methods.size() - 1) + "-more-" + String.format("%08x", all.hashCode());
    }
}
