package org.diffinv.solvers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
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
 * more than its arithmetic; DCDP's data consistency (hundreds of heavy-ball steps per round, ten engine calls each)
 * and DAPS's Langevin steps (twelve) were most of those solvers' time outside the network. Here the same operations,
 * in the same order and on the same constants, run inside the engine's TorchScript interpreter, so the results are
 * bit for bit those of the eager loops ({@code FusedLoopsTest}), and the ledger counts the applications and VJPs
 * they replace ({@link ScriptForm#used}).
 *
 * <p>Each loop falls back to the caller's eager loop (returns empty) when the operator is nonlinear or has no script
 * form, when the caller records gradients, or when the system property {@value #PROPERTY} is {@code false} (for
 * paired timings of both routes in one build). Modules are written once per distinct source (operator expressions
 * and step count) and kept for the life of the process; they hold no tensors.
 */
final class FusedLoops {

    /** The system property that turns the fused loops off ({@code -Ddiffinv.fusedLoops=false}). */
    static final String PROPERTY = "diffinv.fusedLoops";

    private static final ConcurrentHashMap<String, TorchScript> MODULES = new ConcurrentHashMap<>();
    private static volatile NDManager home;

    private FusedLoops() {
    }

    /** Whether the fused loops are on (the property is not {@code false}). */
    static boolean enabled() {
        return !"false".equalsIgnoreCase(System.getProperty(PROPERTY, "true"));
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
            List<NDArray> list = new ArrayList<>(f.constants());
            int k = list.size();
            list.add(number(scope, x, 2.0 / m));
            list.add(number(scope, x, mu));
            list.add(number(scope, x, lr));
            String source = "heavy-ball " + tau + "\n" + f.apply("out", i -> "w[" + i + "]") + "\n"
                    + f.adjoint("res", i -> "w[" + i + "]");
            TorchScript module = MODULES.computeIfAbsent(source, s -> {
                TorchScript.Writer w = new TorchScript.Writer("x", "y");
                w.line(0, "out = x");
                w.line(0, "b = x");
                w.line(0, "for s in range(" + tau + "):");
                w.line(1, "res = torch.sub(" + f.apply("out", i -> "w[" + i + "]") + ", y)");
                w.line(1, "g = torch.mul(" + f.adjoint("res", i -> "w[" + i + "]") + ", w[" + k + "])");
                w.line(1, "if s == 0:");
                w.line(2, "b = g");
                w.line(1, "else:");
                w.line(2, "b = torch.add(g, torch.mul(b, w[" + (k + 1) + "]))");
                w.line(1, "out = torch.sub(out, torch.mul(b, w[" + (k + 2) + "]))");
                return w.build(home(), "out");
            });
            NDArray out = module.call(x.getManager(), list, x, y);
            f.used(tau, tau);
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
            List<NDArray> list = new ArrayList<>(f.constants());
            int k = list.size();
            list.add(number(scope, x0Hat, dataWeight));
            list.add(number(scope, x0Hat, priorWeight));
            list.add(number(scope, x0Hat, lr));
            list.add(number(scope, x0Hat, noiseScale));
            Shape s = x0Hat.getShape();
            long[] dims = new long[s.dimension() + 1];
            dims[0] = steps;
            System.arraycopy(s.getShape(), 0, dims, 1, s.dimension());
            NDArray z = ctx.noise().normal(scope, new Shape(dims), x0Hat.getDataType());
            String source = "langevin " + steps + "\n" + f.apply("w", i -> "w[" + i + "]") + "\n"
                    + f.adjoint("res", i -> "w[" + i + "]");
            TorchScript module = MODULES.computeIfAbsent(source, src -> {
                TorchScript.Writer w = new TorchScript.Writer("x0", "y", "z");
                w.line(0, "wl = x0");
                w.line(0, "for l in range(" + steps + "):");
                w.line(1, "res = torch.sub(" + f.apply("wl", i -> "w[" + i + "]") + ", y)");
                w.line(1, "score = torch.add(torch.mul(" + f.adjoint("res", i -> "w[" + i + "]") + ", w[" + k
                        + "]), torch.mul(torch.sub(wl, x0), w[" + (k + 1) + "]))");
                w.line(1, "wl = torch.add(torch.add(wl, torch.mul(score, w[" + (k + 2) + "])), torch.mul(z[l], w["
                        + (k + 3) + "]))");
                return w.build(home(), "wl");
            });
            NDArray out = module.call(x0Hat.getManager(), list, x0Hat, y, z);
            f.used(steps, steps);
            return Optional.of(out);
        }
    }

    /**
     * {@code n} as a 0-dim tensor of {@code like}'s element type on its device: the operand {@link
     * org.diffinv.util.Scalars} gives the eager loops' products, so the values agree bit for bit.
     */
    private static NDArray number(NDManager scope, NDArray like, double n) {
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
