package org.diffinv.linalg;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.diffinv.operators.CgOptions;
import org.diffinv.operators.LinearOperator;

/**
 * Krylov data-consistency steps started at a diffusion model's estimate: the regularised normal equations
 * {@code (A^T A + lambda I) x = A^T y + lambda x_anchor} solved by a <em>few</em> conjugate-gradient
 * iterations started at the anchor, so the result stays close to the prior's estimate (the truncation is
 * part of the method, not an approximation of it).
 *
 * <ul>
 *   <li>{@link #p2lProximalProjection}: P2L (Chung, Ye, Milanfar, Delbracio, ICML 2024), Eq. 16, the
 *       projection step that pulls {@code D(z0)} towards the measurement before re-encoding; the paper's
 *       group uses 5 CG iterations at tolerance 1e-4 ({@link #P2L_OPTIONS}).</li>
 *   <li>{@link #ddsStep}: DDS (Chung, Lee, Ye, "Decomposed diffusion sampler", ICLR 2024), the
 *       Krylov-subspace update of the Tweedie estimate {@code x0Hat} by {@code M} CG iterations on the data
 *       term (with an optional Tikhonov weight {@code gamma} for noisy data).</li>
 * </ul>
 * Both are one computation, which lives here once; {@link LinearOperator#proxL2} is the same system solved
 * to convergence from zero.
 */
public final class DataConsistency {

    /** P2L's projection budget: 5 CG iterations, relative tolerance 1e-4. */
    public static final CgOptions P2L_OPTIONS = new CgOptions(5, 1e-4);

    private DataConsistency() {
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
     */
    public static NDArray p2lProximalProjection(LinearOperator a, NDArray y, NDArray x0, double lambda,
            CgOptions options) {
        if (!(lambda > 0) || !Double.isFinite(lambda)) {
            throw new IllegalArgumentException("P2L's proximal weight lambda must be positive and finite, got " + lambda);
        }
        return regularisedSolveFrom(a, y, x0, lambda, options);
    }

    /**
     * DDS data consistency: {@code M} CG iterations on {@code (A^T A + gamma I) x = A^T y + gamma x0Hat}
     * started at {@code x0Hat} ({@code gamma = 0}: the plain least-squares Krylov update of the noiseless
     * case, which converges to {@code x0Hat - A^+(A x0Hat - y)}).
     *
     * @param a the measurement operator (linear tier)
     * @param y measurements
     * @param x0Hat the Tweedie estimate at the current step
     * @param gamma Tikhonov weight, {@code >= 0}
     * @param iterations {@code M}, the number of CG iterations (DDS uses 5)
     * @return the updated estimate, on {@code x0Hat}'s manager
     */
    public static NDArray ddsStep(LinearOperator a, NDArray y, NDArray x0Hat, double gamma, int iterations) {
        if (!(gamma >= 0) || !Double.isFinite(gamma)) {
            throw new IllegalArgumentException("DDS weight gamma must be >= 0 and finite, got " + gamma);
        }
        if (iterations < 1) {
            throw new IllegalArgumentException("DDS needs at least 1 CG iteration, got " + iterations);
        }
        return regularisedSolveFrom(a, y, x0Hat, gamma, new CgOptions(iterations, 1e-12));
    }

    private static NDArray regularisedSolveFrom(LinearOperator a, NDArray y, NDArray anchor, double weight,
            CgOptions options) {
        if (a == null || y == null || anchor == null || options == null) {
            throw new IllegalArgumentException("operator, measurement, anchor and options must not be null");
        }
        NDManager parent = anchor.getManager();
        try (NDManager s = parent.newSubManager()) {
            NDArray yLocal = y.duplicate();
            yLocal.attach(s);
            NDArray anchorLocal = anchor.duplicate();
            anchorLocal.attach(s);
            NDArray rhs = a.adjoint(yLocal);
            if (weight > 0) {
                rhs = rhs.add(anchorLocal.mul(weight));
            }
            NDArray x = ConjugateGradient.solve(v -> weight > 0 ? a.adjoint(a.apply(v)).add(v.mul(weight))
                    : a.adjoint(a.apply(v)), rhs, anchorLocal, options).solution();
            x.attach(parent);
            return x;
        }
    }
}
