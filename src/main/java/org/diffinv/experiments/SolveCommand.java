package org.diffinv.experiments;

import ai.djl.ndarray.NDManager;
import org.diffinv.data.FashionMnist;
import org.diffinv.nn.Checkpoints;
import org.diffinv.nn.FeatureClassifier;
import org.diffinv.notebook.Results;
import org.diffinv.priors.UNetEpsPrior;
import org.diffinv.solvers.SolverRegistry;
import tech.tablesaw.api.Table;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code kit solve --task T --method M[,M2] [--prior pixel-unet] [--images 0-7] [--seed S[,S2]]}: reconstructions of
 * fixed test images from the command line; prints the metrics-and-cost table and writes it as CSV with a PNG grid
 * (x, y, x_hat per method) under {@code results/solve/}.
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
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--task" -> task = KitCli.value(args, ++i, "--task");
                case "--method" -> methods.addAll(List.of(KitCli.value(args, ++i, "--method").split(",")));
                case "--prior" -> priorName = KitCli.value(args, ++i, "--prior");
                case "--images" -> images = KitCli.value(args, ++i, "--images");
                case "--seed" -> {
                    for (String s : KitCli.value(args, ++i, "--seed").split(",")) {
                        seeds.add(Long.parseLong(s));
                    }
                }
                default -> throw new IllegalArgumentException("unknown option '" + args[i] + "' for solve (expected "
                        + "--task, --method, --prior, --images, --seed)");
            }
        }
        if (task == null) {
            throw new IllegalArgumentException("solve needs --task; one of " + Tasks.names());
        }
        if (methods.isEmpty()) {
            throw new IllegalArgumentException("solve needs --method; one of " + SolverRegistry.names());
        }
        if (!priorName.equals("pixel-unet")) {
            throw new IllegalArgumentException("prior '" + priorName + "' is not a pixel prior the pixel solvers can use;"
                    + " known: pixel-unet");
        }
        if (seeds.isEmpty()) {
            seeds.add(0L);
        }
        Task t = Tasks.get(task);
        for (String m : methods) {
            SolverRegistry.paper(m, org.diffinv.diffusion.NoiseSchedule.ddpmLinear(), t.kind()); // fail fast on names
        }
        int[] positions = ExperimentRunner.positions(images);
        try (NDManager manager = NDManager.newBaseManager()) {
            UNetEpsPrior prior = UNetEpsPrior.load(manager);
            FeatureClassifier net = Checkpoints.loadClassifier(manager);
            ExperimentRunner runner = new ExperimentRunner(prior, net, FashionMnist.load(FashionMnist.Split.TEST));
            Table table = runner.run(manager, List.of(t), methods, positions,
                    seeds.stream().mapToLong(Long::longValue).toArray());
            System.out.println(table.printAll());
            Results results = Results.forRun("solve");
            String stem = task + "-" + String.join("+", methods) + "-images" + images;
            System.out.println("[kit] wrote " + results.saveCsv(stem + ".csv", table));
            for (Map.Entry<String, BufferedImage> g : runner.grids().entrySet()) {
                Path p = results.savePng(stem + ".png", g.getValue());
                System.out.println("[kit] wrote " + p);
            }
        }
    }
}
