package org.diffinv.solvers;

import ai.djl.ndarray.NDArray;
import org.diffinv.operators.Operator;
import org.diffinv.operators.Operators;
import org.diffinv.priors.EpsPrior;

/**
 * A pixel-space solver of {@code y = A(x) + n} with a diffusion prior: one small class per method, whose Javadoc
 * names the paper, algorithm and equations.
 *
 * <p>The type parameter is the operator tier the method needs ({@link Operator} for forward-only methods such as
 * DPS, {@link org.diffinv.operators.LinearOperator} or {@link org.diffinv.operators.SvdOperator} for DDRM and
 * PiGDM): a problem with a lower tier does not compile, and {@link #solveAny} refuses it at run time with a
 * message naming the solver, the operator and both tiers.
 *
 * <p>A method implements {@link #reconstruct} only; {@link #solve} does the rest once for every method: it
 * validates the input, wraps prior and operator in the cost ledger, gives the method a {@link SolveContext}
 * (counted prior and operator, the one reverse loop, the one guidance fragment, the run's noise) and packs the
 * estimate, trajectory and cost into a {@link Reconstruction}.
 *
 * @param <O> the operator tier the method needs
 */
public interface Solver<O extends Operator> {

    /** The method's short name, as used by {@code kit solve --method}, e.g. {@code "dps"}. */
    String name();

    /** The source: paper, algorithm and equations, e.g. {@code "DDRM, Kawar et al. 2022, Eqs. 7-8"}. */
    String citation();

    /** The operator tier the method needs. */
    Class<O> tier();

    /**
     * The method itself, on a validated and metered context; returns {@code xHat} on {@link SolveContext#manager()}.
     * Call {@link #solve} instead: this is the part each method writes.
     */
    NDArray reconstruct(SolveContext<O> ctx);

    /** Solves {@code problem} with {@code prior} as {@code run} says. */
    default Reconstruction solve(Problem<? extends O> problem, EpsPrior prior, Run run) {
        return SolveContext.execute(this, problem, prior, run);
    }

    /**
     * Solves a problem whose operator tier is only known at run time (task registries, the command line).
     *
     * @throws IllegalArgumentException naming this solver, the operator and the tiers when the operator is below
     *     {@link #tier()}
     */
    default Reconstruction solveAny(Problem<?> problem, EpsPrior prior, Run run) {
        return solve(requireTier(problem), prior, run);
    }

    /** {@code problem} typed for this solver's tier, or a clear error when its operator is below the tier. */
    @SuppressWarnings("unchecked")
    default Problem<O> requireTier(Problem<?> problem) {
        if (problem == null) {
            throw new IllegalArgumentException(name() + " needs a problem, got null");
        }
        if (!tier().isInstance(problem.a())) {
            throw new IllegalArgumentException(name() + " needs an operator of tier '" + tierName(tier())
                    + "', but '" + problem.a().name() + "' is only tier '" + Operators.tier(problem.a()) + "'");
        }
        return (Problem<O>) problem;
    }

    /** The tier of an operator class in words: "SVD", "linear" or "forward". */
    static String tierName(Class<? extends Operator> tier) {
        if (org.diffinv.operators.SvdOperator.class.isAssignableFrom(tier)) {
            return "SVD";
        }
        if (org.diffinv.operators.LinearOperator.class.isAssignableFrom(tier)) {
            return "linear";
        }
        return "forward";
    }
}
