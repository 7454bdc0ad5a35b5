package org.diffinv.operators;

import ai.djl.ndarray.NDArray;

import java.util.List;
import java.util.function.IntFunction;

/**
 * A linear operator written as TorchScript for inputs of one shape, element type and device: {@code A x} and
 * {@code A^T v} as expressions over the operator's constant tensors, so that a solver's inner loop of hundreds of
 * applications can run as one engine call (issue 14: DCDP's heavy-ball data consistency and DAPS's Langevin steps
 * spend most of their time in per-call overhead at batch 1, not in arithmetic).
 *
 * <p>Contract (checked for every operator of the registry by the operator property tests): the expressions perform
 * the same engine operations, in the same order and on the same constants, as the operator's {@link Operator#apply}
 * and {@link LinearOperator#vjp}, so the values are equal bit for bit.
 *
 * <p>The ledger: a loop that evaluates the expressions reports how often it did through {@link #used}; a counting
 * operator ({@link org.diffinv.metrics.CostMeter}) hands out a form whose {@code used} counts them as operator
 * applications, adjoints and VJPs, as the eager loop's calls would have been counted.
 */
public final class ScriptForm {

    /** A TorchScript expression of one tensor variable and the operator's constants. */
    @FunctionalInterface
    public interface Expression {
        /**
         * The expression applied to the tensor variable {@code x}, reading the operator's constant {@code i} as
         * {@code constant.apply(i)} (itself an expression, e.g. {@code w[3]}).
         */
        String of(String x, IntFunction<String> constant);
    }

    /** What a loop reports after evaluating the expressions. */
    @FunctionalInterface
    public interface Usage {
        /**
         * The loop evaluated {@code A x} {@code applies} times and {@code A^T v} {@code adjoints} times as adjoints
         * (normal equations, CG) and {@code vjps} times as the VJP of a data term.
         */
        void used(int applies, int adjoints, int vjps);
    }

    private final String name;
    private final Expression apply;
    private final Expression adjoint;
    private final List<NDArray> constants;
    private final Usage usage;

    /**
     * The form of the operator named {@code name}: {@code apply} and {@code adjoint} over {@code constants}, tensors
     * of the input's element type on its device that the operator owns (the loop reads them, never closes them).
     */
    public ScriptForm(String name, Expression apply, Expression adjoint, List<NDArray> constants) {
        this(name, apply, adjoint, constants, (a, t, v) -> { });
    }

    private ScriptForm(String name, Expression apply, Expression adjoint, List<NDArray> constants, Usage usage) {
        if (name == null || apply == null || adjoint == null || constants == null) {
            throw new IllegalArgumentException("a script form needs a name, both expressions and a constants list");
        }
        this.name = name;
        this.apply = apply;
        this.adjoint = adjoint;
        this.constants = List.copyOf(constants);
        this.usage = usage;
    }

    /** The operator's name. */
    public String name() {
        return name;
    }

    /** {@code A x} as an expression of the variable {@code x}. */
    public String apply(String x, IntFunction<String> constant) {
        return apply.of(x, constant);
    }

    /** {@code A^T v} as an expression of the variable {@code v}. */
    public String adjoint(String v, IntFunction<String> constant) {
        return adjoint.of(v, constant);
    }

    /** The constant tensors the expressions read, in the order of their indices. */
    public List<NDArray> constants() {
        return constants;
    }

    /**
     * Reports that a loop evaluated {@code A x} {@code applies} times and {@code A^T v} {@code adjoints} times as an
     * adjoint and {@code vjps} times as a VJP.
     */
    public void used(int applies, int adjoints, int vjps) {
        if (applies < 0 || adjoints < 0 || vjps < 0) {
            throw new IllegalArgumentException("usage counts must be >= 0, got " + applies + ", " + adjoints + " and "
                    + vjps);
        }
        usage.used(applies, adjoints, vjps);
    }

    /** A copy that also reports its usage to {@code also} (after this form's own listener). */
    public ScriptForm onUse(Usage also) {
        Usage mine = usage;
        return new ScriptForm(name, apply, adjoint, constants, (a, t, v) -> {
            mine.used(a, t, v);
            also.used(a, t, v);
        });
    }

    @Override
    public String toString() {
        return "script(" + name + ", " + constants.size() + " constants)";
    }
}
