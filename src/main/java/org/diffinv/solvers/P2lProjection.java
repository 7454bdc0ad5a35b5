package org.diffinv.solvers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.diffinv.linalg.CgOptions;
import org.diffinv.linalg.ConjugateGradient;
import org.diffinv.operators.Checks;
import org.diffinv.operators.LinearOperator;
import org.diffinv.util.Scalars;

/**
 * P2L's proximal projection (Chung, Ye, Milanfar, Delbracio, "Prompt-tuning latent diffusion models for
 * inverse problems", ICML 2024, Eq. 16): the data-consistency step that pulls the decoded estimate
 * {@code D(z0)} towards the measurement before re-encoding, by solving the regularised normal equations
 * {@code (A^T A + lambda I) x = A^T y + lambda x0} with a <em>few</em> conjugate-gradient iterations started
 * at {@code x0}, so the result stays close to the prior's estimate (the truncation is part of the method, not
 * an approximation of it). The paper's group uses 5 CG iterations at tolerance 1e-4 ({@link #P2L_OPTIONS}).
 *
 * <p>{@link DdsStep} is the same computation with DDS's budget; {@link LinearOperator#proxL2} is the same
 * system ({@code gamma = 1/lambda}) solved to convergence.
 */
public final class P2lProjection {

    /** P2L's projection budget: 5 CG iterations, relative tolerance 1e-4. */
    public static final CgOptions P2L_OPTIONS = new CgOptions(5, 1e-4);

    private P2lProjection() {
    }

    /**
     * P2L Eq. 16: {@code x = argmin_x ||y - A x||^2 + lambda ||x - x0||^2}, i.e. the solution of
     * {@code (A^T A + lambda I) x = A^T y + lambda x0}, by CG started at {@code x0}.
     *
     * @param a the measurement operator (linear tier; a VJP-derived adjoint is exact for linear maps)
     * @param y measurements, shaped {@code a.outputShape(x0.getShape())}
     * @param x0 the decoded estimate {@code D(z0)}, {@code (N, C, H, W)}
     * @param lambda the proximal weight ({@code lambda > 0}; P2L: 1.0, 0.1 for inpainting)
     * @param options CG budget (P2L: {@link #P2L_OPTIONS})
     * @return the projected image, on {@code x0}'s manager
     * @throws IllegalArgumentException on a non-positive or non-finite {@code lambda}, a null argument, an
     *     {@code x0} that is not a finite image batch, or a {@code y} of the wrong shape or with NaN/Inf
     */
    public static NDArray project(LinearOperator a, NDArray y, NDArray x0, double lambda, CgOptions options) {
        if (!(lambda > 0) || !Double.isFinite(lambda)) {
            throw new IllegalArgumentException("P2L's proximal weight lambda must be positive and finite, got " + lambda);
        }
        return regularisedSolveFrom("P2L projection", a, y, x0, lambda, options);
    }

    /**
     * CG on {@code (A^T A + weight I) x = A^T y + weight anchor} started at {@code anchor}, after checking the
     * arguments; the one computation behind {@link #project} and {@link DdsStep#update}. With a linear operator that
     * has a TorchScript form the CG iterations run as one engine call ({@link FusedLoops#regularisedCg}, the same
     * recursion and values).
     */
    static NDArray regularisedSolveFrom(String who, LinearOperator a, NDArray y, NDArray anchor, double weight,
            CgOptions options) {
        requireNonNull(a, who, "the operator");
        requireNonNull(y, who, "the measurement y");
        requireNonNull(anchor, who, "the anchor");
        requireNonNull(options, who, "the CG options");
        Checks.requireImage(anchor, who, "anchor");
        Checks.requireShape(y, a.outputShape(anchor.getShape()), who, "measurement y");
        Checks.requireFinite(y, who, "measurement y");
        NDManager parent = anchor.getManager();
        try (NDManager s = parent.newSubManager()) {
            NDArray yLocal = y.duplicate();
            yLocal.attach(s);
            NDArray anchorLocal = anchor.duplicate();
            anchorLocal.attach(s);
            NDArray rhs = a.adjoint(yLocal);
            if (weight > 0) {
                rhs = rhs.add(Scalars.mul(anchorLocal, weight));
            }
            NDArray rhsFinal = rhs;
            NDArray x = FusedLoops.regularisedCg(a, rhs, anchorLocal, weight, options)
                    .orElseGet(() -> ConjugateGradient.solve(v -> weight > 0
                            ? a.adjoint(a.apply(v)).add(Scalars.mul(v, weight)) : a.adjoint(a.apply(v)), rhsFinal,
                            anchorLocal, options).solution());
            x.attach(parent);
            return x;
        }
    }

    private static void requireNonNull(Object value, String who, String what) {
        if (value == null) {
            throw new IllegalArgumentException(who + ": " + what + " is null; expected a value");
        }
    }
}
