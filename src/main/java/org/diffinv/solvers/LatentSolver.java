package org.diffinv.solvers;

import ai.djl.ndarray.NDArray;
import org.diffinv.operators.Operator;

/**
 * A latent-space solver of {@code y = A(x) + n}: it runs the reverse diffusion on latents {@code z} of a
 * {@link LatentPrior} and reaches the measurement through the decoder, {@code x = D(z)} (LDPS, GML-DPS, PSLD, LDIR,
 * ReSample, latent DCDP, P2L, Flash-Diffusion). As with {@link Solver}, the type parameter is the operator tier the
 * method needs, and a method implements {@link #reconstruct} only: {@link #solve} validates the input, wraps the
 * conditional prior, the autoencoder and the operator in the cost ledger (NFE, VJPs, encoder and decoder calls,
 * operator calls) and packs the decoded estimate, the latent trajectory and the cost into a {@link Reconstruction}.
 *
 * @param <O> the operator tier the method needs
 */
public interface LatentSolver<O extends Operator> {

    /** The method's short name, e.g. {@code "psld"}. */
    String name();

    /** The source: paper, algorithm and equations. */
    String citation();

    /** The operator tier the method needs. */
    Class<O> tier();

    /**
     * The method on a validated, metered context whose {@link SolveContext#latent()} holds the counted latent prior
     * ({@link SolveContext#prior()} is its view at the condition {@code c}); returns the image estimate {@code xHat}
     * on {@link SolveContext#manager()}.
     */
    NDArray reconstruct(SolveContext<O> ctx);

    /** Solves {@code problem} with the latent prior as {@code run} says. */
    default Reconstruction solve(Problem<? extends O> problem, LatentPrior prior, Run run) {
        return SolveContext.executeLatent(this, problem, prior, run);
    }

    /**
     * Solves a problem whose operator tier is only known at run time (task registries, the command line).
     *
     * @throws IllegalArgumentException naming this solver, the operator and the tiers when the operator is below
     *     {@link #tier()}
     */
    default Reconstruction solveAny(Problem<?> problem, LatentPrior prior, Run run) {
        return solve(requireTier(problem), prior, run);
    }

    /**
     * {@code problem} typed for this solver's tier, or a clear error naming the solver, the operator and both tiers.
     */
    @SuppressWarnings("unchecked")
    default Problem<O> requireTier(Problem<?> problem) {
        if (problem == null) {
            throw new IllegalArgumentException(name() + " needs a problem, got null");
        }
        if (!tier().isInstance(problem.a())) {
            throw new IllegalArgumentException(name() + " needs an operator of tier '" + Solver.tierName(tier())
                    + "', but '" + problem.a().name() + "' is only tier '"
                    + org.diffinv.operators.Operators.tier(problem.a()) + "'");
        }
        return (Problem<O>) problem;
    }
}
