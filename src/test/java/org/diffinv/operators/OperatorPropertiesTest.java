package org.diffinv.operators;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.apache.commons.math3.linear.RealMatrix;
import org.diffinv.linalg.CgOptions;
import org.diffinv.linalg.CgResult;
import org.diffinv.linalg.ConjugateGradient;
import org.diffinv.linalg.Dense;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

import static org.diffinv.operators.TestSupport.dot;
import static org.diffinv.operators.TestSupport.norm;
import static org.diffinv.operators.TestSupport.randn;
import static org.diffinv.operators.TestSupport.relErr;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Property tests over every configuration of {@link OperatorRegistry}, in FLOAT64.
 *
 * <p>Tolerances, with {@code eps = 2.2e-16}:
 * <ul>
 *   <li>adjointness, SVD consistency, orthonormality, {@code A A^+ A = A} (closed form), prox optimality:
 *       a handful of dense products and sums over at most a few thousand entries, so errors are
 *       {@code O(sqrt(n) eps)} relative; 1e-12 (1e-10 for adjointness, as asked) leaves a wide margin.</li>
 *   <li>idempotence of the closed-form {@code A^+ A}: dividing by the smallest singular value amplifies the
 *       rounding of {@code U^T A x} by the condition number {@code kappa = s_max / s_min}, so the bound is
 *       {@code 1e-13 + 1e-14 kappa} (measured errors are about {@code 2e-18 kappa}).</li>
 *   <li>CG pseudo-inverse: CG on the normal equations stops at a relative residual {@code tau = 1e-11} of
 *       {@code A^T A x = A^T y}, {@code ||A^T A (x - x^+)|| <= tau ||A^T y||}. Hence
 *       {@code ||A x - A x^+|| <= tau kappa ||y||} and {@code ||x - x^+|| <= tau kappa^2 ||x^+||}. The CG
 *       properties run only on configurations with {@code kappa <= 1e3} (flag {@code cg} of the registry,
 *       checked by {@link #cgFlagMatchesConditionNumber}), with bounds {@code A A^+ A}: {@code 10 tau kappa},
 *       agreement with the closed form or the dense pseudo-inverse: {@code 10 tau kappa^2} (both at least 1e-10).
 *       The reflect-padded Gaussian blurs with sigma >= 1 and the 32x32 motion blur have kappa from 5e3 to 5e7
 *       (their kernels' responses nearly vanish at high frequencies); there CG cannot reach the
 *       minimum-norm solution in a bounded number of iterations, and the closed form (SVD tier) is the answer.</li>
 *   <li>CG prox: the system {@code A^T A + I/gamma} has condition number at most {@code 1 + gamma ||A||^2}, so
 *       CG converges fast everywhere; residual of the optimality condition below 1e-10 relative.</li>
 * </ul>
 */
class OperatorPropertiesTest {

    private static final CgOptions CG = new CgOptions(OperatorRegistry.CG_ITERATIONS, 1e-11);

    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    static Stream<OperatorRegistry.Config> forward() {
        return OperatorRegistry.forward();
    }

    static Stream<OperatorRegistry.Config> linear() {
        return OperatorRegistry.linear();
    }

    static Stream<OperatorRegistry.Config> svd() {
        return OperatorRegistry.svd();
    }

    static Stream<OperatorRegistry.Config> cg() {
        return OperatorRegistry.cg();
    }

    // ---------------------------------------------------------------- script forms (fused solver loops)

    /**
     * A linear operator's TorchScript form ({@link LinearOperator#script}) computes {@code A x} and {@code A^T v} to the
     * bit, in FLOAT64 and FLOAT32, as {@code apply} and {@code vjp} do: the fused loops of DCDP and DAPS rely on it.
     * Separable operators and inpainting must have a form (the loops of the paper tasks); others may have none.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("linear")
    void scriptFormIsApplyAndVjpBitForBit(OperatorRegistry.Config cfg) {
        LinearOperator op = (LinearOperator) cfg.create();
        for (DataType type : new DataType[] {DataType.FLOAT64, DataType.FLOAT32}) {
            NDArray x = randn(manager, cfg.inputShape(), 1).toType(type, false);
            NDArray v = randn(manager, op.outputShape(cfg.inputShape()), 2).toType(type, false);
            java.util.Optional<ScriptForm> form = op.script(x, manager);
            if (form.isEmpty()) {
                assertTrue(!(op instanceof SeparableOperator) && !(op instanceof Inpainting),
                        op.name() + " must have a script form");
                return;
            }
            ScriptForm f = form.get();
            org.diffinv.nn.TorchScript.Writer w = new org.diffinv.nn.TorchScript.Writer("x", "v");
            String ax = w.let(f.apply("x", i -> "w[" + i + "]"));
            String atv = w.let(f.adjoint("v", i -> "w[" + i + "]"));
            String both = w.let("torch.cat([torch.flatten(" + ax + "), torch.flatten(" + atv + ")])");
            try (org.diffinv.nn.TorchScript module = w.build(manager, both)) {
                NDArray got = module.call(manager, f.constants(), x, v);
                NDArray want = op.apply(x).flatten().concat(op.vjp(x, v).flatten());
                assertEquals(type, got.getDataType());
                // equal to the last bit, or within MKL GEMM's rare last-bit noise between two calls of one product
                // (SolversExactTest.sameSeedGivesTheSameOutput): a wrong factor or order moves it by order 1
                double rel = relErr(got.toType(DataType.FLOAT64, false), want.toType(DataType.FLOAT64, false));
                assertTrue(want.contentEquals(got) || rel <= (type == DataType.FLOAT64 ? 1e-14 : 1e-6),
                        op.name() + " " + type + ": relative difference script vs eager " + rel);
            }
        }
    }

    // ---------------------------------------------------------------- forward tier

    @ParameterizedTest(name = "{0}")
    @MethodSource("forward")
    void forwardShapeAndDtype(OperatorRegistry.Config cfg) {
        Operator op = cfg.create();
        Shape expected = op.outputShape(cfg.inputShape());
        NDArray x = randn(manager, cfg.inputShape(), 1).tanh();
        NDArray y = op.apply(x);
        assertEquals(expected, y.getShape(), "output shape");
        assertEquals(DataType.FLOAT64, y.getDataType(), "dtype follows the input");
        NDArray y32 = op.apply(x.toType(DataType.FLOAT32, false));
        assertEquals(DataType.FLOAT32, y32.getDataType(), "dtype follows the input");
        // float32 result agrees with float64 to single precision
        assertTrue(relErr(y32.toType(DataType.FLOAT64, false), y) < 1e-5, "float32 vs float64");
    }

    /**
     * {@code <J^T v, d>} equals the central difference {@code (<A(x + h d), v> - <A(x - h d), v>) / (2h)}; the
     * truncation error is {@code O(h^2)} times the third derivative, the rounding error {@code O(eps / h)}, so
     * with {@code h = 1e-5} on smooth operators the agreement is about 1e-9 relative (bound 1e-7). The points
     * lie inside (-0.9, 0.9) so the nonlinear blur's clipping at +-1 is never crossed.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("forward")
    void vjpMatchesFiniteDifferences(OperatorRegistry.Config cfg) {
        Operator op = cfg.create();
        NDArray x = randn(manager, cfg.inputShape(), 2).tanh().mul(0.8);
        NDArray d = randn(manager, cfg.inputShape(), 3);
        NDArray v = randn(manager, op.outputShape(cfg.inputShape()), 4);
        double h = 1e-5;
        double fd = (dot(op.apply(x.add(d.mul(h))), v) - dot(op.apply(x.sub(d.mul(h))), v)) / (2 * h);
        double jvp = dot(op.vjp(x, v), d);
        assertEquals(fd, jvp, 1e-7 * Math.max(1, Math.abs(fd)), "vjp vs central difference");
    }

    /**
     * A gradient recorded through the operator is still right after a garbage collection between the forward pass
     * and {@code backward}: every constant the operator multiplies its input by (a mask, a kernel, a factor matrix)
     * lives in engine-owned memory, not in a Java buffer the collector may free while autograd still holds a pointer
     * into it. The churn fills freed buffers of the input's and output's sizes with NaN, so a borrowed constant shows
     * up as a NaN or wrong gradient (measured on the inpainting configurations before the kit's constants went
     * through {@code HostArrays}). The reference is the same VJP without churn, to 1e-12 relative.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("forward")
    void recordedGradientSurvivesACollectionBeforeBackward(OperatorRegistry.Config cfg) {
        Operator op = cfg.create();
        Shape out = op.outputShape(cfg.inputShape());
        NDArray x = randn(manager, cfg.inputShape(), 2).tanh().mul(0.8);
        NDArray v = randn(manager, out, 4);
        NDArray expected = op.vjp(x, v);
        for (int attempt = 0; attempt < 3; attempt++) {
            try (NDManager s = manager.newSubManager()) {
                NDArray leaf = x.duplicate();
                leaf.attach(s);
                leaf.setRequiresGradient(true);
                java.util.List<java.nio.ByteBuffer> junk;
                try (ai.djl.training.GradientCollector gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
                    NDArray loss = op.apply(leaf).mul(v).sum();
                    junk = org.diffinv.util.NativeHeapChurn.churn(Double.NaN, 16, 8 * cfg.inputShape().size(),
                            8 * out.size(), 8 * cfg.inputShape().size() / cfg.inputShape().get(0),
                            8 * out.size() / out.get(0));
                    gc.backward(loss);
                }
                double err = relErr(leaf.getGradient(), expected);
                junk.clear();
                assertTrue(err < 1e-12, "attempt " + attempt + ": gradient after a collection differs by " + err
                        + " relative");
            }
        }
    }

    // ---------------------------------------------------------------- linear tier

    /** {@code <A x, y> = <x, A^T y>} to 1e-10 relative, on random batches. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("linear")
    void adjointness(OperatorRegistry.Config cfg) {
        LinearOperator op = (LinearOperator) cfg.create();
        NDArray x = randn(manager, cfg.inputShape(), 5);
        NDArray y = randn(manager, op.outputShape(cfg.inputShape()), 6);
        NDArray ax = op.apply(x);
        NDArray aty = op.adjoint(y);
        double lhs = dot(ax, y);
        double rhs = dot(x, aty);
        double scale = norm(ax) * norm(y) + norm(x) * norm(aty);
        assertTrue(Math.abs(lhs - rhs) <= 1e-10 * scale, () -> "<Ax,y>=" + lhs + " <x,A^T y>=" + rhs);
        assertEquals(aty.getShape(), cfg.inputShape(), "adjoint shape");
    }

    /** The linear vjp is the adjoint, independent of the point {@code x}. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("linear")
    void linearVjpIsAdjoint(OperatorRegistry.Config cfg) {
        LinearOperator op = (LinearOperator) cfg.create();
        NDArray x = randn(manager, cfg.inputShape(), 7);
        NDArray v = randn(manager, op.outputShape(cfg.inputShape()), 8);
        assertTrue(relErr(op.vjp(x, v), op.adjoint(v)) < 1e-14);
    }

    /**
     * Prox first-order optimality for the CG prox of the linear tier: {@code A^T(A p - y) + (p - z)/gamma = 0}
     * relative to {@code ||A^T y|| + ||z||/gamma}; gamma = 0.7. For SVD operators the CG route is reached through
     * a linear-only view.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("linear")
    void cgProxOptimality(OperatorRegistry.Config cfg) {
        LinearOperator op = TestSupport.linearOnly((LinearOperator) cfg.create());
        proxOptimality(op, cfg, new CgOptions(200, 1e-13));
    }

    private void proxOptimality(LinearOperator op, OperatorRegistry.Config cfg, CgOptions options) {
        double gamma = 0.7;
        NDArray z = randn(manager, cfg.inputShape(), 9);
        NDArray y = randn(manager, op.outputShape(cfg.inputShape()), 10);
        NDArray p = op.proxL2(z, y, gamma, options);
        NDArray grad = op.adjoint(op.apply(p).sub(y)).add(p.sub(z).div(gamma));
        double scale = norm(op.adjoint(y)) + norm(z) / gamma;
        assertTrue(norm(grad) <= 1e-10 * scale, () -> "prox gradient norm " + norm(grad) + " scale " + scale);
    }

    /**
     * CG pseudo-inverse (well-conditioned configs): {@code A A^+ A x = A x}, and for linear-only operators
     * agreement with the dense minimum-norm pseudo-inverse (commons-math SVD of the single-channel matrix,
     * applied per sample and channel), which checks that CG from zero lands on the minimum-norm solution (so
     * {@code A^+ A} is the orthogonal projector and idempotent). SVD operators are compared with their closed
     * form in {@link #closedFormAgreesWithCg}.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("cg")
    void cgPinvProperties(OperatorRegistry.Config cfg) {
        LinearOperator op = TestSupport.linearOnly((LinearOperator) cfg.create());
        double kappa = conditionNumber(cfg);
        NDArray x = randn(manager, cfg.inputShape(), 11);
        NDArray ax = op.apply(x);
        NDArray aty = op.adjoint(ax);
        CgResult r = ConjugateGradient.solve(v -> op.adjoint(op.apply(v)), aty, CG);
        assertTrue(r.converged(), () -> "CG did not converge: " + r);
        NDArray px = r.solution();
        double tolRange = Math.max(1e-10, 10 * CG.relativeTolerance() * kappa);
        assertTrue(relErr(op.apply(px), ax) < tolRange, () -> "A A+ A = A: " + relErr(op.apply(px), ax));
        if (!(cfg.create() instanceof SvdOperator) && op.outputShape(cfg.inputShape()).get(1) != cfg.inputShape().get(1)) {
            // an operator that mixes channels (the discrete gradient: C -> 2C): one dense matrix per whole sample
            Shape s = cfg.inputShape();
            RealMatrix a = Dense.matrix(op::apply, new Shape(1, s.get(1), s.get(2), s.get(3)), manager);
            RealMatrix aPinv = Dense.svd(a).getSolver().getInverse();
            double tol = Math.max(1e-10, 10 * CG.relativeTolerance() * kappa * kappa);
            for (int n = 0; n < s.get(0); n++) {
                org.apache.commons.math3.linear.RealVector expected = aPinv.operate(
                        new org.apache.commons.math3.linear.ArrayRealVector(Dense.vector(ax.get(n))));
                double rel = new org.apache.commons.math3.linear.ArrayRealVector(Dense.vector(px.get(n)))
                        .subtract(expected).getNorm() / expected.getNorm();
                assertTrue(rel < tol, () -> "CG pinv vs dense pinv: " + rel + " > " + tol);
            }
        } else if (!(cfg.create() instanceof SvdOperator)) {
            Shape s = cfg.inputShape();
            RealMatrix a = Dense.matrix(op::apply, new Shape(1, 1, s.get(2), s.get(3)), manager);
            RealMatrix aPinv = Dense.svd(a).getSolver().getInverse();
            double tol = Math.max(1e-10, 10 * CG.relativeTolerance() * kappa * kappa);
            for (int n = 0; n < s.get(0); n++) {
                for (int c = 0; c < s.get(1); c++) {
                    double[] yv = Dense.vector(ax.get(n, c));
                    double[] expected = aPinv.operate(yv);
                    double[] got = Dense.vector(px.get(n, c));
                    double err = 0;
                    double ref = 0;
                    for (int i = 0; i < got.length; i++) {
                        err += (got[i] - expected[i]) * (got[i] - expected[i]);
                        ref += expected[i] * expected[i];
                    }
                    double rel = Math.sqrt(err / ref);
                    assertTrue(rel < tol, () -> "CG pinv vs dense pinv: " + rel + " > " + tol);
                }
            }
        }
    }

    /** The registry's {@code cg} flag says exactly which linear configurations have {@code kappa <= 1e3}. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("linear")
    void cgFlagMatchesConditionNumber(OperatorRegistry.Config cfg) {
        double kappa = conditionNumber(cfg);
        if (Double.isNaN(kappa)) {
            // a 32x32 linear-only operator: its dense SVD (1024 x 1024) is too slow for the suite; flag must be off
            assertTrue(!cfg.cg(), "large linear-only configurations are not CG-checked");
            return;
        }
        assertEquals(kappa <= 1e3, cfg.cg(), () -> "kappa = " + kappa);
    }

    /**
     * The condition number {@code s_max / s_min} over positive singular values: from the closed-form singular
     * values for SVD operators, from a dense single-channel matrix for linear-only operators up to 16x16
     * (every linear-only operator of the registry acts on the channels identically); NaN when not computed.
     */
    private double conditionNumber(OperatorRegistry.Config cfg) {
        Operator op = cfg.create();
        double[] s;
        if (op instanceof SvdOperator svd) {
            try (NDArray like = manager.zeros(cfg.inputShape(), DataType.FLOAT64); NDArray sv = svd.singularValues(like)) {
                s = sv.toDoubleArray();
            }
        } else {
            Shape shape = cfg.inputShape();
            if (shape.get(2) * shape.get(3) > 256) {
                return Double.NaN;
            }
            LinearOperator lin = (LinearOperator) op;
            RealMatrix a = Dense.matrix(lin::apply, new Shape(1, 1, shape.get(2), shape.get(3)), manager);
            s = Dense.svd(a).getSingularValues();
        }
        double max = 0;
        for (double v : s) {
            max = Math.max(max, v);
        }
        double min = Double.MAX_VALUE;
        for (double v : s) {
            if (v > 1e-12 * max) {
                min = Math.min(min, v);
            }
        }
        return max / min;
    }

    /** A dense matrix of the adjoint is the transpose of the dense matrix of the operator (small configs). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("linear")
    void denseAdjointIsTranspose(OperatorRegistry.Config cfg) {
        Shape s = cfg.inputShape();
        if (s.get(0) != 1 && cfg.name().contains("per-image")) {
            return; // per-image masks have one matrix per sample; adjointness above covers them
        }
        if (s.get(1) * s.get(2) * s.get(3) > 300) {
            s = new Shape(1, 1, s.get(2), s.get(3));
        }
        if (s.size() / s.get(0) > 300) {
            return; // 32x32: the random-vector adjointness test covers them
        }
        LinearOperator op = (LinearOperator) cfg.create();
        Shape one = new Shape(1, s.get(1), s.get(2), s.get(3));
        RealMatrix a = Dense.matrix(op::apply, one, manager);
        Shape out = op.outputShape(one);
        RealMatrix at = Dense.matrix(op::adjoint, out, manager);
        assertTrue(a.subtract(at.transpose()).getNorm() <= 1e-13 * a.getNorm(), "dense A^T = (dense A)^T");
    }

    // ---------------------------------------------------------------- SVD tier

    /** {@code A x = U (S V^T x)} and {@code A^T y = V (S U^T y)}. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("svd")
    void svdConsistency(OperatorRegistry.Config cfg) {
        SvdOperator op = (SvdOperator) cfg.create();
        NDArray x = randn(manager, cfg.inputShape(), 12);
        NDArray vtx = op.vt(x);
        NDArray s = op.singularValues(vtx);
        assertEquals(cfg.inputShape(), s.getShape(), "singular values are input-shaped");
        assertTrue(s.min().getDouble() >= 0, "singular values are non-negative");
        assertTrue(relErr(op.u(s.mul(vtx)), op.apply(x)) < 1e-12, "A x = U S V^T x");
        NDArray y = randn(manager, op.outputShape(cfg.inputShape()), 13);
        NDArray uty = op.ut(y);
        assertTrue(relErr(op.v(s.mul(uty)), op.adjoint(y)) < 1e-12, "A^T y = V S U^T y");
    }

    /** V is orthogonal: {@code <V c, V c'> = <c, c'>}, {@code V^T V c = c}, {@code V V^T x = x}. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("svd")
    void vOrthonormal(OperatorRegistry.Config cfg) {
        SvdOperator op = (SvdOperator) cfg.create();
        NDArray c = randn(manager, cfg.inputShape(), 14);
        NDArray c2 = randn(manager, cfg.inputShape(), 15);
        double inner = dot(c, c2);
        assertEquals(inner, dot(op.v(c), op.v(c2)), 1e-12 * norm(c) * norm(c2), "<Vc, Vc'> = <c, c'>");
        assertTrue(relErr(op.vt(op.v(c)), c) < 1e-12, "V^T V c = c");
        assertTrue(relErr(op.v(op.vt(c)), c) < 1e-12, "V V^T x = x");
    }

    /**
     * U is orthonormal on the row space: for coefficients supported where {@code s > 0},
     * {@code <U c, U c'> = <c, c'>} and {@code U^T U c = c}; and {@code U U^T y = y} on the range.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("svd")
    void uOrthonormalOnRowSpace(OperatorRegistry.Config cfg) {
        SvdOperator op = (SvdOperator) cfg.create();
        NDArray keep = op.singularValues(manager.zeros(cfg.inputShape(), DataType.FLOAT64)).gt(0).toType(DataType.FLOAT64, false);
        NDArray c = randn(manager, cfg.inputShape(), 16).mul(keep);
        NDArray c2 = randn(manager, cfg.inputShape(), 17).mul(keep);
        assertEquals(dot(c, c2), dot(op.u(c), op.u(c2)), 1e-12 * norm(c) * norm(c2), "<Uc, Uc'> = <c, c'>");
        assertTrue(relErr(op.ut(op.u(c)), c) < 1e-12, "U^T U c = c");
        NDArray ax = op.apply(randn(manager, cfg.inputShape(), 18));
        assertTrue(relErr(op.u(op.ut(ax)), ax) < 1e-12, "U U^T y = y on the range of A");
    }

    /**
     * Closed-form pseudo-inverse: {@code A A^+ A = A}, {@code A^+ A} idempotent and equal to the projector
     * {@code V 1[s>0] V^T}, and {@code A^+ A A^+ = A^+}.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("svd")
    void closedFormPinvProperties(OperatorRegistry.Config cfg) {
        SvdOperator op = (SvdOperator) cfg.create();
        double kappa = conditionNumber(cfg);
        NDArray x = randn(manager, cfg.inputShape(), 19);
        NDArray ax = op.apply(x);
        NDArray px = op.pinv(ax);
        assertTrue(relErr(op.apply(px), ax) < 1e-12, "A A+ A = A");
        double tol = 1e-13 + 1e-14 * kappa;
        assertTrue(relErr(op.pinv(op.apply(px)), px) < tol, () -> "A+A idempotent, kappa " + kappa);
        assertTrue(relErr(op.project(x), px) < tol, "P = A+ A = V 1[s>0] V^T");
        NDArray y = randn(manager, op.outputShape(cfg.inputShape()), 20);
        NDArray py = op.pinv(y);
        assertTrue(relErr(op.pinv(op.apply(py)), py) < tol, "A+ A A+ = A+");
        assertTrue(relErr(op.pinv(y, CgOptions.DEFAULT), py) == 0, "pinv(y, options) delegates to the closed form");
    }

    /** Closed-form prox optimality {@code A^T(A p - y) + (p - z)/gamma = 0}. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("svd")
    void closedFormProxOptimality(OperatorRegistry.Config cfg) {
        proxOptimality((SvdOperator) cfg.create(), cfg, CgOptions.DEFAULT);
    }

    /** The CG pseudo-inverse agrees with the closed form where CG converges (kappa <= 1e3). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("svd")
    void closedFormAgreesWithCg(OperatorRegistry.Config cfg) {
        if (!cfg.cg()) {
            return; // ill-conditioned: see the class comment
        }
        SvdOperator op = (SvdOperator) cfg.create();
        double kappa = conditionNumber(cfg);
        NDArray y = op.apply(randn(manager, cfg.inputShape(), 21)).add(randn(manager, op.outputShape(cfg.inputShape()), 22).mul(0.1));
        NDArray closed = op.pinv(y);
        NDArray viaCg = TestSupport.linearOnly(op).pinv(y, CG);
        double tol = Math.max(1e-10, 10 * CG.relativeTolerance() * kappa * kappa);
        assertTrue(relErr(viaCg, closed) < tol, () -> "CG vs closed form " + relErr(viaCg, closed) + " > " + tol);
        NDArray z = randn(manager, cfg.inputShape(), 23);
        assertTrue(relErr(TestSupport.linearOnly(op).proxL2(z, y, 2.0, new CgOptions(300, 1e-13)),
                op.proxL2(z, y, 2.0, CgOptions.DEFAULT)) < 1e-10, "CG prox vs closed-form prox");
    }
}
