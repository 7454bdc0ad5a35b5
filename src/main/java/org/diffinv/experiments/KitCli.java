package org.diffinv.experiments;

import org.diffinv.notebook.Results;
import org.diffinv.notebook.RunMode;
import org.diffinv.solvers.SolverRegistry;
import tech.tablesaw.api.Table;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The command line behind {@code environment/kit list}, {@code kit solve}, {@code kit posterior} and
 * {@code kit bench} ({@link org.diffinv.bench.BenchCommand}).
 *
 * <pre>
 *   list                                         tasks, solvers and priors
 *   solve --task T --method M [--prior P] [--images 0-7] [--seed S] [--mode smoke|quick|full]
 *   posterior [--solvers a,b] [--mode smoke|quick|full] [--seed S]
 *   plan --tasks T1,T2 [--methods a,b|all] [--images N]
 * </pre>
 * ({@code plan}'s methods: every pixel method by default, {@code all} adds the latent ones.)
 * {@code plan} prints the network-time floor of running those methods at their paper defaults on N images of each
 * task as the experiment runner does (one batch per task), before running anything
 * ({@link org.diffinv.bench.NetworkFloor}); written to {@code results/plan/plan.csv}.
 * Results (CSV, PNG) go under {@code results/solve} and {@code results/posterior} ({@link Results}).
 */
public final class KitCli {

    private KitCli() {
    }

    /** Entry point; exits with status 2 on a usage error. */
    public static void main(String[] args) {
        if (args.length == 0) {
            usage("no command given");
        }
        try {
            switch (args[0]) {
                case "list" -> list();
                case "posterior" -> posterior(Arrays.copyOfRange(args, 1, args.length));
                case "solve" -> SolveCommand.run(Arrays.copyOfRange(args, 1, args.length));
                case "bench" -> org.diffinv.bench.BenchCommand.run(Arrays.copyOfRange(args, 1, args.length));
                case "plan" -> plan(Arrays.copyOfRange(args, 1, args.length));
                default -> usage("unknown command '" + args[0] + "'");
            }
        } catch (IllegalArgumentException e) {
            System.err.println("[kit] error: " + e.getMessage());
            System.exit(2);
        }
    }

    private static void usage(String why) {
        System.err.println("[kit] " + why + "\nusage: list | solve --task T --method M [--prior pixel-unet] "
                + "[--images 0-7] [--seed S] | posterior [--solvers a,b] [--mode smoke|quick|full] [--seed S] "
                + "| bench [--mode smoke|quick|full] [--batch 1,16] [--threads 1,2] [--solvers a,b] [--steps N] "
                + "| plan --tasks T1,T2 [--methods a,b|all] [--images N]");
        System.exit(2);
    }

    /** Prints the tasks, solvers and priors. */
    static void list() {
        System.out.println("Tasks (org.diffinv.experiments.Tasks; 32x32 grey images, scaled from the papers):");
        for (Task t : Tasks.all()) {
            System.out.printf("  %-20s %-8s sigma_y=%.3f  %s%n", t.name(), t.tierName(), t.noise().sigma(), t.note());
        }
        System.out.println("Solvers (org.diffinv.solvers.SolverRegistry):");
        for (SolverRegistry.Entry e : SolverRegistry.entries()) {
            System.out.printf("  %-10s tier %-8s %s%n", e.name(), e.tier(), e.citation());
        }
        System.out.println("Latent solvers (org.diffinv.solvers.LatentSolverRegistry; on the latent prior, null prompt):");
        for (org.diffinv.solvers.LatentSolverRegistry.Entry e : org.diffinv.solvers.LatentSolverRegistry.entries()) {
            System.out.printf("  %-10s tier %-8s %s%n", e.name(), e.tier(), e.citation());
        }
        System.out.println("Priors (data/checkpoints):");
        System.out.println("  pixel-unet   the pixel eps-UNet on 32x32 Fashion-MNIST (DDPM linear schedule, T = 1000)");
        System.out.println("  latent-unet  the prompt-conditioned latent eps-UNet with its KL autoencoder (latent solvers)");
    }

    /**
     * {@code kit plan}: the network-time floor of a run before running it ({@link org.diffinv.bench.NetworkFloor}),
     * e.g. 02-solvers' full mode: {@code plan --tasks sr4-bicubic,gaussian-deblur,inpaint-box --images 100}.
     */
    static void plan(String[] args) {
        List<Task> tasks = null;
        List<String> methods = SolverRegistry.names();
        int images = 100;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--tasks" -> {
                    tasks = new ArrayList<>();
                    for (String t : value(args, ++i, "--tasks").split(",")) {
                        tasks.add(Tasks.get(t.trim()));
                    }
                }
                case "--methods" -> {
                    String v = value(args, ++i, "--methods");
                    methods = v.equals("all") ? org.diffinv.bench.Bench.allSolvers() : Arrays.asList(v.split(","));
                }
                case "--images" -> {
                    String v = value(args, ++i, "--images");
                    try {
                        images = Integer.parseInt(v.trim());
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("--images takes an integer, got '" + v + "'");
                    }
                }
                default -> throw new IllegalArgumentException("unknown option '" + args[i]
                        + "' for plan (expected --tasks T1,T2, --methods a,b|all, --images N)");
            }
        }
        if (tasks == null) {
            throw new IllegalArgumentException("plan needs --tasks T1,T2 (known: " + Tasks.all().stream()
                    .map(Task::name).toList() + ")");
        }
        if (images < 1) {
            throw new IllegalArgumentException("--images must be >= 1, got " + images);
        }
        org.diffinv.bench.NetworkFloor.requireKnown(methods); // before any network loads
        ai.djl.engine.Engine.getInstance(); // loads the native library before the thread count is read
        int configured = Integer.getInteger("ai.djl.pytorch.num_threads", Runtime.getRuntime().availableProcessors());
        try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager()) {
            org.diffinv.priors.UNetEpsPrior pixel = org.diffinv.priors.UNetEpsPrior.load(m);
            ai.djl.ndarray.types.Shape single = new ai.djl.ndarray.types.Shape(pixel.config().inChannels(),
                    pixel.config().imageSize(), pixel.config().imageSize());
            org.diffinv.solvers.LatentPrior latent = methods.stream()
                    .anyMatch(org.diffinv.solvers.LatentSolverRegistry::contains)
                    ? org.diffinv.solvers.LatentPrior.shipped(m, "") : null;
            org.diffinv.bench.NetworkFloor.UnitTimes units = org.diffinv.bench.NetworkFloor.measure(pixel, latent,
                    single, images, configured, 1, 3, m);
            System.out.printf("[kit] per image at batch %d, %d threads: forward %.3f ms, forward + backward %.3f ms%n",
                    units.batch(), units.threads(), units.forwardMs(), units.vjpMs());
            if (units.hasLatent()) {
                System.out.printf("[kit] latent, per image: UNet %.3f / %.3f ms, decoder %.3f / %.3f ms, encoder %.3f "
                                + "/ %.3f ms (forward / forward + backward)%n", units.latentForwardMs(),
                        units.latentVjpMs(), units.decoderMs(), units.decoderVjpMs(), units.encoderMs(),
                        units.encoderVjpMs());
            }
            Table floor = org.diffinv.bench.NetworkFloor.table(pixel, latent, single, tasks, methods, images, units, m);
            System.out.println(floor.printAll());
            double total = org.diffinv.bench.NetworkFloor.total(floor);
            System.out.printf("[kit] network-time floor: %.0f s (%.2f h) for the counted methods%n", total,
                    total / 3600);
            System.out.println("[kit] wrote " + Results.forRun("plan").saveCsv("plan.csv", floor));
        }
    }

    /** {@code kit posterior}: the exact-posterior benchmark. */
    static void posterior(String[] args) {
        RunMode mode = RunMode.current();
        long seed = 0;
        List<String> only = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--mode" -> mode = RunMode.parse(value(args, ++i, "--mode"));
                case "--seed" -> seed = Long.parseLong(value(args, ++i, "--seed"));
                case "--solvers" -> only = Arrays.asList(value(args, ++i, "--solvers").split(","));
                default -> throw new IllegalArgumentException("unknown option '" + args[i]
                        + "' for posterior (expected --solvers a,b, --mode smoke|quick|full, --seed S)");
            }
        }
        List<ExactPosteriorBenchmark.Entry> entries = new ArrayList<>();
        for (ExactPosteriorBenchmark.Entry e : ExactPosteriorBenchmark.solvers(
                org.diffinv.diffusion.NoiseSchedule.ddpmLinear(), mode)) {
            if (only == null || only.contains(e.solver().name())) {
                entries.add(e);
            }
        }
        List<ExactPosteriorBenchmark.LatentEntry> latent = new ArrayList<>();
        for (ExactPosteriorBenchmark.LatentEntry e : ExactPosteriorBenchmark.latentSolvers(
                org.diffinv.diffusion.NoiseSchedule.ddpmLinear(), mode)) {
            if (only == null || only.contains(e.solver().name())) {
                latent.add(e);
            }
        }
        if (entries.isEmpty() && latent.isEmpty()) {
            throw new IllegalArgumentException("no solver left after --solvers " + only + "; known: "
                    + SolverRegistry.names() + " and latent " + org.diffinv.solvers.LatentSolverRegistry.names());
        }
        System.out.println("[kit] exact-posterior benchmark, mode " + mode.label() + ", "
                + ExactPosteriorBenchmark.samples(mode) + " posterior samples per solver");
        Table table = ExactPosteriorBenchmark.run(ExactPosteriorBenchmark.scenarios(mode), entries,
                ExactPosteriorBenchmark.samples(mode), seed);
        if (!latent.isEmpty()) {
            table.append(ExactPosteriorBenchmark.runLatent(latent, ExactPosteriorBenchmark.samples(mode), seed));
        }
        System.out.println(table.printAll());
        Results results = Results.forRun("posterior");
        System.out.println("[kit] wrote " + results.saveCsv("exact-posterior-" + mode.label() + ".csv", table));
        System.out.println("[kit] wrote " + results.savePng("exact-posterior-" + mode.label() + ".png",
                ExactPosteriorBenchmark.plot(table)));
    }

    static String value(String[] args, int i, String flag) {
        if (i >= args.length) {
            throw new IllegalArgumentException(flag + " needs a value");
        }
        return args[i];
    }
}
