package org.diffinv.operators;

import ai.djl.ndarray.NDArray;
import org.diffinv.linalg.ConjugateGradient;

/**
 * Linear tier: {@code A} is linear, so it has an adjoint {@code A^T}, a pseudo-inverse {@code A^+} computed
 * by conjugate gradients on the normal equations, and a closed-form-by-CG proximal map of the data term.
 *
 * <p>The defaults here are the generic CG routes ({@link ConjugateGradient}, per-sample inner products);
 * {@link SvdOperator} overrides them with closed forms.
 */
public interface LinearOperator extends Operator {

    /** The adjoint {@code A^T y}; exact to floating point ({@code <Ax, y> = <x, A^T y>}). */
    NDArray adjoint(NDArray y);

    /** For a linear operator the vector-Jacobian product is the adjoint: {@code (dA/dx)^T v = A^T v}. */
    @Override
    default NDArray vjp(NDArray x, NDArray v) {
        return adjoint(v);
    }

    /**
     * The minimum-norm least-squares solution {@code A^+ y}, by conjugate gradients on
     * {@code A^T A x = A^T y} started at zero (so the iterate stays in the range of {@code A^T}).
     *
     * <p>Accuracy: CG's residual is on the normal equations; for ill-conditioned {@code A} (condition number
     * {@code kappa}) the components along small singular values converge last, so the error in {@code x} may
     * be up to {@code kappa^2} times the normal-equation residual. Use an {@link SvdOperator}'s closed form
     * where exactness matters.
     */
    default NDArray pinv(NDArray y, CgOptions options) {
        NDArray rhs = adjoint(y);
        NDArray x = ConjugateGradient.solve(v -> adjoint(apply(v)), rhs, options).solution();
        rhs.close();
        return x;
    }

    /**
     * The proximal map of the data term {@code f(x) = 1/2 ||A x - y||^2} with step {@code gamma}:
     * {@code argmin_x 1/2 ||A x - y||^2 + 1/(2 gamma) ||x - z||^2}, i.e. the solution of
     * {@code (A^T A + I/gamma) x = A^T y + z/gamma} (by CG started at {@code z}; the system is positive
     * definite with condition number at most {@code 1 + gamma ||A||^2}).
     *
     * @throws IllegalArgumentException when {@code gamma} is not positive and finite
     */
    default NDArray proxL2(NDArray z, NDArray y, double gamma, CgOptions options) {
        Checks.requirePositive(gamma, "gamma");
        double invGamma = 1.0 / gamma;
        NDArray aty = adjoint(y);
        NDArray zScaled = z.mul(invGamma);
        NDArray rhs = aty.add(zScaled);
        aty.close();
        zScaled.close();
        NDArray x = ConjugateGradient.solve(v -> {
            NDArray av = apply(v);
            NDArray atav = adjoint(av);
            av.close();
            NDArray out = atav.add(v.mul(invGamma));
            atav.close();
            return out;
        }, rhs, z, options).solution();
        rhs.close();
        return x;
    }

    /**
     * The linear composition "this, then {@code next}": {@code x -> next(this(x))}, with adjoint
     * {@code this^T(next^T(y))}.
     */
    default LinearOperator then(LinearOperator next) {
        return Composed.of(this, next);
    }
}
