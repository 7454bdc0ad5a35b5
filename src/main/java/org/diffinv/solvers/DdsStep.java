package org.diffinv.solvers;

import ai.djl.ndarray.NDArray;
import org.diffinv.linalg.CgOptions;
import org.diffinv.operators.LinearOperator;

/**
 * DDS's data-consistency update (Chung, Lee, Ye, "Decomposed diffusion sampler for accelerating large-scale
 * inverse problems", ICLR 2024): the Krylov-subspace update of the Tweedie estimate {@code x0Hat} by
 * {@code M} conjugate-gradient iterations on the data term, started at {@code x0Hat}, with an optional
 * Tikhonov weight {@code gamma} for noisy data. The few iterations keep the update on the tangent of the
 * clean-data manifold; the truncation is part of the method.
 *
 * <p>The computation is {@link P2lProjection}'s with a different budget.
 */
public final class DdsStep {

    /** The relative tolerance of the CG iterations (the budget, not the tolerance, ends a DDS step). */
    private static final double TOLERANCE = 1e-12;

    private DdsStep() {
    }

    /**
     * DDS data consistency: {@code M} CG iterations on {@code (A^T A + gamma I) x = A^T y + gamma x0Hat}
     * started at {@code x0Hat} ({@code gamma = 0}: the plain least-squares Krylov update of the noiseless
     * case, which converges to {@code x0Hat - A^+(A x0Hat - y)}).
     *
     * @param a the measurement operator (linear tier)
     * @param y measurements, shaped {@code a.outputShape(x0Hat.getShape())}
     * @param x0Hat the Tweedie estimate at the current step, {@code (N, C, H, W)}
     * @param gamma Tikhonov weight, {@code >= 0}
     * @param iterations {@code M}, the number of CG iterations (DDS uses 5)
     * @return the updated estimate, on {@code x0Hat}'s manager
     * @throws IllegalArgumentException on a negative or non-finite {@code gamma}, fewer than 1 iteration, a
     *     null argument, an {@code x0Hat} that is not a finite image batch, or a {@code y} of the wrong shape
     *     or with NaN/Inf
     */
    public static NDArray update(LinearOperator a, NDArray y, NDArray x0Hat, double gamma, int iterations) {
        if (!(gamma >= 0) || !Double.isFinite(gamma)) {
            throw new IllegalArgumentException("DDS weight gamma must be >= 0 and finite, got " + gamma);
        }
        if (iterations < 1) {
            throw new IllegalArgumentException("DDS needs at least 1 CG iteration, got " + iterations);
        }
        return P2lProjection.regularisedSolveFrom("DDS step", a, y, x0Hat, gamma,
                new CgOptions(iterations, TOLERANCE));
    }
}
