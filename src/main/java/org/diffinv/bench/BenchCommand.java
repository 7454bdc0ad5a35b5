package org.diffinv.bench;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.diffinv.data.DataPaths;
import org.diffinv.data.FashionMnist;
import org.diffinv.notebook.Results;
import org.diffinv.notebook.RunMode;
import org.diffinv.priors.UNetEpsPrior;
import org.diffinv.solvers.LatentPrior;
import org.diffinv.solvers.LatentSolverRegistry;
import tech.tablesaw.api.Table;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * {@code environment/kit bench}: the network table, the solver overhead table with batch speed-ups, and the memory
 * check, printed and written (CSV, PNG) under {@code results/bench/}.
 *
 * <pre>
 *   bench [--mode smoke|quick|full] [--warmup W] [--repeat R] [--batch 1,16] [--threads 1,2] [--solvers a,b]
 *         [--steps N] [--task T] [--memory-steps N] [--solves K]
 *         [--only network|engines|engine-solves|fused-solves|solvers|memory|memory-solvers|threads|profile|scalars
 *                 |torch-export|torch]
 *         [--python PATH]
 * </pre>
 * {@code --only memory-solvers} runs every bench solver's budgeted solve back to back until the memory check's step
 * count is reached ({@code memorySteps / steps} solves, at least 10; {@link SolverBench#memory}) at the smallest batch;
 * {@code --memory-steps N} sets that count (default 1,000; for telling a one-time rise from a steady growth).
 * {@code --solves K} measures each row of the solver table K times (unit costs, then the solve) and reports the
 * medians with the range of both ratios ({@link SolverBench#withSolves}; default 1).
 * {@code --only torch-export} writes the pixel network for {@code environment/bench/torch_eager.py} (the PyTorch-eager
 * reference, see {@link TorchReference}) under {@code results/bench/torch-export/}; {@code --only torch --python PATH}
 * exports it too and runs the paired comparison against that script under the given Python (one with torch).
 * {@code --only scalars} times one tensor-by-number op, DJL's against the kit's ({@link ScalarBench}).
 * {@code --only fused-solves} times whole solves with the operator loops eager and fused, paired
 * ({@link SolverBench#fusedPairs}; not in the default set).
 * The mode sets the defaults ({@link Bench#forMode}); each option overrides one of them.
 */
public final class BenchCommand {
    private BenchCommand() {
    }

    /** Runs the bench from command-line arguments. */
    public static void run(String[] args) {
        RunMode mode = RunMode.current();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--mode")) {
                mode = RunMode.parse(value(args, i + 1, "--mode"));
            }
        }
        Bench bench = Bench.forMode(mode);
        String only = null;
        Path python = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--mode" -> i++;
                case "--warmup" -> {
                    bench = bench.withRepeats(integer(value(args, ++i, "--warmup"), "--warmup"), bench.repeat());
                }
                case "--repeat" -> {
                    bench = bench.withRepeats(bench.warmup(), integer(value(args, ++i, "--repeat"), "--repeat"));
                }
                case "--batch" -> bench = bench.withBatches(integers(value(args, ++i, "--batch"), "--batch"));
                case "--threads" -> bench = bench.withThreads(integers(value(args, ++i, "--threads"), "--threads"));
                case "--solvers" -> bench = bench.withSolvers(Arrays.asList(value(args, ++i, "--solvers").split(",")));
                case "--steps" -> bench = bench.withMaxSteps(integer(value(args, ++i, "--steps"), "--steps"));
                case "--task" -> bench = bench.withTask(value(args, ++i, "--task"));
                case "--memory-steps" -> bench = bench.withMemorySteps(
                        integer(value(args, ++i, "--memory-steps"), "--memory-steps"));
                case "--solves" -> bench = bench.withSolves(integer(value(args, ++i, "--solves"), "--solves"));
                case "--python" -> python = Path.of(value(args, ++i, "--python"));
                case "--only" -> {
                    only = value(args, ++i, "--only");
                    if (!List.of("network", "engines", "engine-solves", "fused-solves", "solvers", "memory",
                            "memory-solvers", "threads", "profile", "torch-export", "torch", "scalars").contains(only)) {
                        throw new IllegalArgumentException("--only takes network, engines, engine-solves, fused-solves, "
                                + "solvers, "
                                + "memory, memory-solvers, threads, profile, scalars, torch-export or torch, got '" + only
                                + "'");
                    }
                }
                default -> throw new IllegalArgumentException("unknown option '" + args[i] + "' for bench (expected "
                        + "--mode, --warmup, --repeat, --batch, --threads, --solvers, --steps, --task, --memory-steps, --solves, --only, "
                        + "--python)");
            }
        }
        String label = bench.mode().label();
        ai.djl.engine.Engine.getInstance(); // loads the native library before the thread count is read
        System.out.printf("[kit] bench, mode %s: warm-up %d, repeat %d, batches %s, threads %s, task %s, step budget %s,"
                        + " memory check %d steps, %d solve(s) per solver row; torch threads now %d%n", label,
                bench.warmup(), bench.repeat(),
                Arrays.toString(bench.batches()), Arrays.toString(bench.threads()), bench.task(),
                bench.maxSteps() == 0 ? "none (paper defaults)" : String.valueOf(bench.maxSteps()),
                bench.memorySteps(), bench.solves(), ai.djl.pytorch.jni.JniUtils.getNumThreads());
        Results results = Results.forRun("bench");
        try (NDManager m = NDManager.newBaseManager()) {
            UNetEpsPrior pixel = UNetEpsPrior.load(m);
            FashionMnist test = FashionMnist.load(FashionMnist.Split.TEST);
            if (only == null || only.equals("network")) {
                Table net = bench.network(pixel, m);
                System.out.println(net.printAll());
                System.out.println("[kit] wrote " + results.saveCsv("network-" + label + ".csv", net));
            }
            if (only == null || only.equals("engines")) {
                Table en = bench.engines(pixel, LatentPrior.shipped(m, ""), m);
                System.out.println(en.printAll());
                System.out.println("[kit] wrote " + results.saveCsv("engines-" + label + ".csv", en));
            }
            if ("engine-solves".equals(only)) { // not in the default set: two whole solves per pair
                LatentPrior latent = bench.solvers().stream().anyMatch(LatentSolverRegistry::contains)
                        ? LatentPrior.shipped(m, "") : null;
                Table es = bench.engineSolves(pixel, latent, test, m);
                System.out.println(es.printAll());
                System.out.println("[kit] wrote " + results.saveCsv("engine-solves-" + label + ".csv", es));
            }
            if ("fused-solves".equals(only)) { // not in the default set: two whole solves per pair
                LatentPrior latent = bench.solvers().stream().anyMatch(LatentSolverRegistry::contains)
                        ? LatentPrior.shipped(m, "") : null;
                Table fs = bench.fusedSolves(pixel, latent, test, m);
                System.out.println(fs.printAll());
                System.out.println("[kit] wrote " + results.saveCsv("fused-solves-" + label + ".csv", fs));
            }
            if (only == null || only.equals("solvers")) {
                LatentPrior latent = bench.solvers().stream().anyMatch(LatentSolverRegistry::contains)
                        ? LatentPrior.shipped(m, "") : null;
                Table sol = bench.solvers(pixel, latent, test, m);
                System.out.println(sol.printAll());
                System.out.println("[kit] wrote " + results.saveCsv("solvers-" + label + ".csv", sol));
                if (bench.batches().length > 1) {
                    Table sp = Bench.speedups(sol);
                    System.out.println(sp.printAll());
                    System.out.println("[kit] wrote " + results.saveCsv("speedups-" + label + ".csv", sp));
                }
                System.out.println("[kit] wrote " + results.savePng("overhead-" + label + ".png",
                        Bench.overheadChart(sol)));
            }
            if ("memory-solvers".equals(only)) { // not in the default set: minutes per solver
                LatentPrior latent = bench.solvers().stream().anyMatch(LatentSolverRegistry::contains)
                        ? LatentPrior.shipped(m, "") : null;
                int solves = Math.max(10, bench.maxSteps() == 0 ? 10 : bench.memorySteps() / bench.maxSteps());
                Table ms = bench.solverMemory(pixel, latent, test, solves, m);
                System.out.println(ms.printAll());
                System.out.println("[kit] wrote " + results.saveCsv("memory-solvers-" + label + ".csv", ms));
            }
            if ("profile".equals(only)) { // not in the default set: where a short solve's time outside the network goes
                Table pr = bench.solverProfile(pixel, test, m);
                System.out.println(pr.printAll());
                System.out.println("[kit] wrote " + results.saveCsv("profile-" + label + ".csv", pr));
            }
            if ("torch-export".equals(only) || "torch".equals(only)) { // not in the default set: PyTorch is optional
                Path dir = results.dir().resolve("torch-export");
                int n = TorchReference.export(pixel, dir, m);
                System.out.println("[kit] wrote " + n + " parameters, a seeded input and the kit's output to " + dir);
                if ("torch".equals(only)) {
                    if (python == null) {
                        throw new IllegalArgumentException("--only torch needs --python PATH: the interpreter of a "
                                + "virtual environment with torch (see environment/bench/torch_eager.py)");
                    }
                    try (TorchReference.Reference ref = TorchReference.python(python,
                            DataPaths.home().resolve("environment/bench/torch_eager.py"), dir)) {
                        Shape image = new Shape(pixel.config().inChannels(), pixel.config().imageSize(),
                                pixel.config().imageSize());
                        Table tt = TorchReference.pairs(pixel, image, ref, bench.batches(), bench.threads(),
                                bench.warmup(), bench.repeat(), m);
                        System.out.println(tt.printAll());
                        System.out.println("[kit] wrote " + results.saveCsv("torch-" + label + ".csv", tt));
                    }
                }
            }
            if ("scalars".equals(only)) { // not in the default set: one op's cost, behind the solvers' overhead
                Table sc = bench.scalarOps(m);
                System.out.println(sc.printAll());
                System.out.println("[kit] wrote " + results.saveCsv("scalars-" + label + ".csv", sc));
            }
            if ("threads".equals(only)) { // not in the default set: a policy question, asked on purpose
                Table th = bench.threadPolicy(pixel, m);
                System.out.println(th.printAll());
                System.out.println("[kit] wrote " + results.saveCsv("threads-" + label + ".csv", th));
            }
            if (only == null || only.equals("memory")) {
                Table mem = bench.memory(pixel, test, m);
                System.out.println(mem.printAll());
                System.out.println("[kit] wrote " + results.saveCsv("memory-" + label + ".csv", mem));
            }
        }
    }

    private static String value(String[] args, int i, String flag) {
        if (i >= args.length) {
            throw new IllegalArgumentException(flag + " needs a value");
        }
        return args[i];
    }

    private static int integer(String s, String flag) {
        try {
            return Integer.parseInt(s.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + " takes an integer, got '" + s + "'");
        }
    }

    private static int[] integers(String s, String flag) {
        return Arrays.stream(s.split(",")).mapToInt(p -> integer(p, flag)).toArray();
    }
}
