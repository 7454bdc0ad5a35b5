package org.diffinv.solvers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.diffinv.linalg.CgOptions;
import org.diffinv.linalg.ConjugateGradient;
import org.diffinv.nn.TorchScript;
import org.diffinv.operators.LinearOperator;
import org.diffinv.operators.Operator;
import org.diffinv.operators.ScriptForm;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Solvers' operator-only inner loops as one TorchScript call each, for linear operators that have a
 * {@link ScriptForm} (issue 14). At batch 1 the kit's images are 1,024 numbers, so one engine call from Java costs
 * more than its arithmetic; DCDP's data consistency (hundreds of heavy-ball steps per round, ten engine calls each),
 * DAPS's Langevin steps (twelve) and the CG iterations of DDS and P2L (about twenty, two of them reads back to the
 * host) were most of those solvers' time outside the network. Here the same operations,
 * in the same order and on the same constants, run inside the engine's TorchScript interpreter, so the results are
 * bit for bit those of the eager loops ({@code FusedLoopsTest}), and the ledger counts the applications and VJPs
 * they replace ({@link ScriptForm#used}).
 *
 * <p>Each loop falls back to the caller's eager loop (returns empty) when the operator is nonlinear or has no script
 * form, when the caller records gradients, or when the system property {@value #PROPERTY} is {@code false} (for
 * paired timings of both routes in one build). Modules are written once per distinct source (operator expressions
 * and step count) and kept for the life of the process; they hold no tensors.
 */
public final class FusedLoops {

    /** The system property that turns the fused loops off ({@code -Ddiffinv.fusedLoops=false}). */
    public static final String PROPERTY = "diffinv.fusedLoops";

    /** How the modules read the list argument: constant {@code i} is {@code w[i]}. */
    private static final java.util.function.IntFunction<String> W = i -> "w[" + i + "]";

    private static final ConcurrentHashMap<String, TorchScript> MODULES = new ConcurrentHashMap<>();
    private static volatile NDManager home;

    private FusedLoops() {
    }

    /** Whether the fused loops are on (the property is not {@code false}). */
    public static boolean enabled() {
        return !"false".equalsIgnoreCase(System.getProperty(PROPERTY, "true"));
    }

    /** Restores the previous setting of {@link #use}. */
    public interface Restore extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Turns the fused loops on or off for the whole process (the system property {@value #PROPERTY}) until the
     * returned handle is closed, which restores the previous setting: for paired timings of both routes
     * ({@code environment/kit bench --only fused-solves}).
     */
    public static Restore use(boolean on) {
        String previous = System.getProperty(PROPERTY);
        System.setProperty(PROPERTY, String.valueOf(on));
        return () -> {
            if (previous == null) {
                System.clearProperty(PROPERTY);
            } else {
                System.setProperty(PROPERTY, previous);
            }
        };
    }

    private static final java.util.concurrent.atomic.AtomicLong CALLS = new java.util.concurrent.atomic.AtomicLong();

    /** How many fused loops have run in this process (for tests: a solve that should fuse, did). */
    static long calls() {
        return CALLS.get();
    }

    /** How many modules have been written (for tests). */
    static int moduleCount() {
        return MODULES.size();
    }

    private static Optional<ScriptForm> formFor(Operator a, NDArray x, NDManager scope) {
        if (!enabled() || !(a instanceof LinearOperator lin) || ai.djl.pytorch.jni.JniUtils.isGradMode()) {
            return Optional.empty();
        }
        return lin.script(x, scope);
    }

    /**
     * DCDP's data consistency ({@link DcdpRounds#dataConsistency}) as one call: {@code tau >= 1} heavy-ball steps
     * <pre>
     *   g_s = (2/m) A^T (A x_s - y),   b_0 = g_0,  b_s = g_s + mu b_{s-1},   x_{s+1} = x_s - lr b_s
     * </pre>
     * ({@link Dcdp#mseGradient} and {@link HeavyBall}'s operations in their order) from {@code x}; the result on
     * {@code x}'s manager, or empty for the eager loop.
     */
    static Optional<NDArray> heavyBall(Operator a, NDArray x, NDArray y, int tau, double lr, double mu) {
        if (tau < 1) {
            return Optional.empty();
        }
        long m = y.getShape().size() / y.getShape().get(0);
        try (NDManager scope = x.getManager().newSubManager()) {
            Optional<ScriptForm> found = formFor(a, x, scope);
            if (found.isEmpty()) {
                return Optional.empty();
            }
            ScriptForm f = found.get();
            int k = f.constants().size();
            List<NDArray> list = arguments(f, scope, x, 2.0 / m, mu, lr);
            String source = "heavy-ball\n" + f.apply("out", W) + "\n" + f.adjoint("res", W);
            TorchScript module = MODULES.computeIfAbsent(source, s -> {
                TorchScript.Writer w = new TorchScript.Writer("x", "y", "steps");
                w.line(0, "out = x");
                w.line(0, "b = x");
                w.line(0, "for s in range(int(steps)):");
                w.line(1, "res = torch.sub(" + f.apply("out", W) + ", y)");
                w.line(1, "g = torch.mul(" + f.adjoint("res", W) + ", w[" + k + "])");
                w.line(1, "if s == 0:");
                w.line(2, "b = g");
                w.line(1, "else:");
                w.line(2, "b = torch.add(g, torch.mul(b, w[" + (k + 1) + "]))");
                w.line(1, "out = torch.sub(out, torch.mul(b, w[" + (k + 2) + "]))");
                return w.build(home(), "out");
            });
            NDArray out = module.call(x.getManager(), list, x, y, scope.create((long) tau));
            f.used(tau, 0, tau);
            CALLS.incrementAndGet();
            return Optional.of(out);
        }
    }

    /**
     * DAPS's Langevin dynamics on {@code p(x0 | x_k, y)} ({@link Daps}, Algorithm 1, step 2) as one call:
     * {@code steps >= 1} steps from {@code x0Hat}
     * <pre>
     *   score = dataWeight A^T (A w - y) + priorWeight (w - x0Hat),   w <- w + lr score + noiseScale z_l
     * </pre>
     * with the standard normal draws {@code z_l} taken from the solve's noise source in the eager loop's order (one
     * draw of {@code steps} images of {@code x0Hat}'s shape, which is the same sequence). The result on
     * {@code x0Hat}'s manager, or empty for the eager loop (then nothing was drawn).
     */
    static Optional<NDArray> langevin(SolveContext<?> ctx, Operator a, NDArray x0Hat, NDArray y, int steps,
            double dataWeight, double priorWeight, double lr, double noiseScale) {
        if (steps < 1) {
            return Optional.empty();
        }
        try (NDManager scope = x0Hat.getManager().newSubManager()) {
            Optional<ScriptForm> found = formFor(a, x0Hat, scope);
            if (found.isEmpty()) {
                return Optional.empty();
            }
            ScriptForm f = found.get();
            int k = f.constants().size();
            List<NDArray> list = arguments(f, scope, x0Hat, dataWeight, priorWeight, lr, noiseScale);
            Shape s = x0Hat.getShape();
            long[] dims = new long[s.dimension() + 1];
            dims[0] = steps;
            System.arraycopy(s.getShape(), 0, dims, 1, s.dimension());
            NDArray z = ctx.noise().normal(scope, new Shape(dims), x0Hat.getDataType());
            String source = "langevin\n" + f.apply("w", W) + "\n" + f.adjoint("res", W);
            TorchScript module = MODULES.computeIfAbsent(source, src -> {
                TorchScript.Writer w = new TorchScript.Writer("x0", "y", "z");
                w.line(0, "wl = x0");
                w.line(0, "for l in range(z.size(0)):");
                w.line(1, "res = torch.sub(" + f.apply("wl", W) + ", y)");
                w.line(1, "score = torch.add(torch.mul(" + f.adjoint("res", W) + ", w[" + k
                        + "]), torch.mul(torch.sub(wl, x0), w[" + (k + 1) + "]))");
                w.line(1, "wl = torch.add(torch.add(wl, torch.mul(score, w[" + (k + 2) + "])), torch.mul(z[l], w["
                        + (k + 3) + "]))");
                return w.build(home(), "wl");
            });
            NDArray out = module.call(x0Hat.getManager(), list, x0Hat, y, z);
            f.used(steps, 0, steps);
            CALLS.incrementAndGet();
            return Optional.of(out);
        }
    }

    /**
     * {@link ConjugateGradient#solve(java.util.function.UnaryOperator, NDArray, NDArray, CgOptions)} on
     * {@code (A^T A + weight I) x = rhs} started at {@code anchor} ({@link P2lProjection}'s and {@link DdsStep}'s
     * solve), as one call: the same per-sample recursion, tolerance test, freezing of converged samples and budget, with
     * the step sizes computed in FLOAT64 from the per-sample sums and cast to the iterate's type as the Java loop does.
     * Returns the solution on {@code anchor}'s manager, or empty for the eager solve, which also runs when the fused
     * one meets a curvature {@code <p, M p> < 0}, so that its error names the sample and the value, and for SVD-tier
     * operators, whose short, cheap iterations the fusion made slower (measured; see the comment in the code).
     */
    static Optional<NDArray> regularisedCg(LinearOperator a, NDArray rhs, NDArray anchor, double weight,
            CgOptions options) {
        if (a instanceof org.diffinv.operators.SvdOperator) {
            // measured (bench --only fused-solves, DDS, batch 1 and 16, 5 pairs): for the SVD tier's cheap operators
            // (SR, Gaussian blur, inpainting) the fused iterations' tensor bookkeeping costs more than the eager loop's
            // host-side step sizes (fused/eager 1.02-1.10); for motion blur the fused CG wins (0.84)
            return Optional.empty();
        }
        if (rhs.getShape().dimension() != 4 || !rhs.getShape().equals(anchor.getShape())) {
            return Optional.empty();
        }
        DataType type = rhs.getDataType();
        if (type != DataType.FLOAT32 && type != DataType.FLOAT64) {
            return Optional.empty();
        }
        try (NDManager scope = anchor.getManager().newSubManager()) {
            Optional<ScriptForm> found = formFor(a, anchor, scope);
            if (found.isEmpty()) {
                return Optional.empty();
            }
            ScriptForm f = found.get();
            int k = f.constants().size();
            double tol2 = options.relativeTolerance() * options.relativeTolerance();
            List<NDArray> list = arguments(f, scope, anchor, weight);
            NDArray tol2T = scope.create(tol2); // FLOAT64, as the Java loop's test
            java.util.function.UnaryOperator<String> m = v -> {
                String normal = f.adjoint(f.apply(v, W), W);
                return weight > 0 ? "torch.add(" + normal + ", torch.mul(" + v + ", w[" + k + "]))" : normal;
            };
            String slack = TorchScript.Writer.number(type == DataType.FLOAT64 ? 1e-12 : 1e-5);
            // the archive's code format names dtypes by their ScalarType numbers: 6 float32, 7 float64
            String dtype = type == DataType.FLOAT64 ? "7" : "6";
            String source = "cg " + dtype + " " + (weight > 0) + "\n" + m.apply("v");
            TorchScript module = MODULES.computeIfAbsent(source, src -> {
                TorchScript.Writer w = new TorchScript.Writer("b", "x0", "tol2", "budget");
                String t2 = "tol2";
                w.line(0, "bb = " + inner("b", "b"));
                w.line(0, "x = x0");
                w.line(0, "r = torch.sub(b, " + m.apply("x") + ")");
                w.line(0, "p = r");
                w.line(0, "rr = " + inner("r", "r"));
                w.line(0, "zero = torch.zeros_like(rr)");
                w.line(0, "active = torch.logical_and(bb > 0, rr > " + t2 + " * bb)");
                w.line(0, "it = 0");
                w.line(0, "while bool(torch.any(active)) and it < int(budget):");
                w.line(1, "mp = " + m.apply("p"));
                w.line(1, "pmp = " + inner("p", "mp"));
                w.line(1, "if bool(torch.any(torch.logical_and(active, pmp < -" + slack
                        + " * torch.clamp(rr, min=" + TorchScript.Writer.number(Double.MIN_NORMAL) + ")))):");
                w.line(2, "it = -1"); // reported as -1: the eager solve then raises the named error
                w.line(2, "break");
                w.line(1, "alpha = torch.where(torch.logical_and(active, pmp > 0), rr / pmp, zero)");
                w.line(1, "at = torch.reshape(torch.to(alpha, " + dtype + "), [b.size(0), 1, 1, 1])");
                w.line(1, "xn = torch.add(x, torch.mul(p, at))");
                w.line(1, "rn = torch.sub(r, torch.mul(mp, at))");
                w.line(1, "rrn = " + inner("rn", "rn"));
                w.line(1, "beta = torch.where(torch.logical_and(active, rr > 0), rrn / rr, zero)");
                w.line(1, "rr = torch.where(active, rrn, rr)");
                w.line(1, "active = torch.logical_and(torch.logical_and(active, alpha != 0), rr > " + t2 + " * bb)");
                w.line(1, "p = torch.add(rn, torch.mul(p, torch.reshape(torch.to(beta, " + dtype
                        + "), [b.size(0), 1, 1, 1])))");
                w.line(1, "x = xn");
                w.line(1, "r = rn");
                w.line(1, "it += 1");
                return w.buildList(home(), "x", "torch.tensor(it)");
            });
            NDArray[] out = module.callAll(anchor.getManager(), list, rhs, anchor, tol2T,
                    scope.create((long) options.maxIterations()));
            int iterations = (int) out[1].getLong();
            out[1].close();
            if (iterations < 0) {
                out[0].close();
                return Optional.empty(); // a negative curvature: the eager solve raises the named error
            }
            f.used(iterations + 1, iterations + 1, 0);
            CALLS.incrementAndGet();
            return Optional.of(out[0]);
        }
    }

    /** The per-sample inner product {@link ConjugateGradient#innerPerSample}, widened to FLOAT64 as the Java loop does. */
    private static String inner(String u, String v) {
        return "torch.sum(torch.reshape(torch.mul(" + u + ", " + v + "), [" + u + ".size(0), -1]), [1]).to(7)";
    }

    /**
     * The module's list argument: the form's constants, then {@code numbers} as 0-dim tensors (from index
     * {@code f.constants().size()} on).
     */
    private static List<NDArray> arguments(ScriptForm f, NDManager scope, NDArray like, double... numbers) {
        List<NDArray> list = new ArrayList<>(f.constants());
        for (double n : numbers) {
            list.add(number(scope, like, n));
        }
        return list;
    }

    /**
     * {@code n} as a 0-dim tensor of {@code like}'s element type on its device: the operand {@link
     * org.diffinv.util.Scalars} gives the eager loops' products (its cached tensor; a fresh one on {@code scope}
     * when the cache is full), so the values agree bit for bit.
     */
    private static NDArray number(NDManager scope, NDArray like, double n) {
        NDArray cached = org.diffinv.util.Scalars.cachedOrNull(like, n);
        if (cached != null) {
            return cached;
        }
        DataType t = like.getDataType();
        NDArray host = t == DataType.FLOAT32 ? scope.create((float) n) : scope.create(n);
        return host.getDataType() == t ? host : host.toType(t, false);
    }

    private static NDManager home() {
        NDManager h = home;
        if (h == null) {
            synchronized (FusedLoops.class) {
                h = home;
                if (h == null) {
                    h = NDManager.newBaseManager();
                    h.setName("diffinv-fused-loops");
                    home = h;
                }
            }
        }
        return h;
    }
}
