package org.diffinv.operators;

import ai.djl.ndarray.NDArray;
import org.diffinv.linalg.CgOptions;
import org.diffinv.linalg.CgResult;
import org.diffinv.linalg.ConjugateGradient;
import org.diffinv.util.Scalars;

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

    /**
     * The vector-Jacobian product of a linear operator, which is the adjoint: {@code (dA/dx)^T v = A^T v}. The point
     * {@code x} fixes the shapes only; its values are not read, so they are not scanned for finiteness (the forward
     * tier's contract otherwise; {@link Checks#requireLinearVjpArguments}); then {@link #adjointOfChecked}, which the
     * kit's operators implement without the adjoint's second scan of {@code v}. The result is {@code adjoint(v)}.
     *
     * @throws IllegalArgumentException when {@code x} is not a FLOAT32/FLOAT64 image batch {@code (N, C, H, W)} the
     *     operator accepts, or {@code v} is not a finite tensor of the shape {@code outputShape(x.getShape())}
     */
    @Override
    default NDArray vjp(NDArray x, NDArray v) {
        Checks.requireLinearVjpArguments(this, x, v);
        return adjointOfChecked(v);
    }

    /**
     * {@code A^T v} for a cotangent the caller has already checked (shape, type, finite values), as {@link #vjp} has:
     * the adjoint without its own scan of {@code v}, one reduction and read-back fewer per call in the solvers' inner
     * loops. The default is {@link #adjoint}; callers outside the linear VJP use {@code adjoint}.
     */
    default NDArray adjointOfChecked(NDArray v) {
        return adjoint(v);
    }

    /**
     * This operator as TorchScript for inputs shaped and typed like {@code x} ({@link ScriptForm}: {@code A x} and
     * {@code A^T v} as expressions equal bit for bit to {@link #apply} and {@link #vjp}), or empty when it has none;
     * the default has none. Constants the operator does not keep itself are made on {@code scope}, which the caller
     * closes when its loop is done. Solvers use it to run an inner loop of many applications as one engine call and
     * fall back to the eager loop when it is empty.
     *
     * @throws IllegalArgumentException when {@code x} is not an input the operator accepts (as {@link #apply} would)
     */
    default java.util.Optional<ScriptForm> script(NDArray x, ai.djl.ndarray.NDManager scope) {
        return java.util.Optional.empty();
    }

    /**
     * The minimum-norm least-squares solution {@code A^+ y}, by conjugate gradients on
     * {@code A^T A x = A^T y} started at zero (so the iterate stays in the range of {@code A^T}).
     *
     * <p>This returns only the solution; a caller that must know whether CG reached the tolerance within the
     * budget calls {@link #pinvResult(NDArray, CgOptions)}, which this method delegates to.
     *
     * <p>Accuracy: CG's residual is on the normal equations; for ill-conditioned {@code A} (condition number
     * {@code kappa}) the components along small singular values converge last, so the error in {@code x} may
     * be up to {@code kappa^2} times the normal-equation residual. Use an {@link SvdOperator}'s closed form
     * where exactness matters.
     */
    default NDArray pinv(NDArray y, CgOptions options) {
        return pinvResult(y, options).solution();
    }

    /**
     * The pseudo-inverse {@code A^+ y} of {@link #pinv(NDArray, CgOptions)} together with the CG report: the
     * solution, the number of iterations run, the per-sample relative residuals of the normal equations
     * {@code ||A^T y - A^T A x|| / ||A^T y||} and whether every sample reached {@code
     * options.relativeTolerance()} within {@code options.maxIterations()} ({@link CgResult#converged()}).
     *
     * <p>An operator with a closed form ({@link SvdOperator}) reports {@code converged = true}, 0 iterations
     * and zero residuals.
     *
     * @param y measurements, shaped {@code outputShape(x)} for the sought {@code x}
     * @param options CG budget and relative tolerance
     * @return the solution (on {@code y}'s manager) and the convergence report
     */
    default CgResult pinvResult(NDArray y, CgOptions options) {
        if (options == null) {
            throw new IllegalArgumentException(name() + ": pinv needs CgOptions, got null");
        }
        NDArray rhs = adjoint(y);
        CgResult result = ConjugateGradient.solve(v -> adjoint(apply(v)), rhs, options);
        rhs.close();
        return result;
    }

    /**
     * The proximal map of the data term {@code f(x) = 1/2 ||A x - y||^2} with step {@code gamma}:
     * {@code argmin_x 1/2 ||A x - y||^2 + 1/(2 gamma) ||x - z||^2}, i.e. the solution of
     * {@code (A^T A + I/gamma) x = A^T y + z/gamma} (by CG started at {@code z}; the system is positive
     * definite with condition number at most {@code 1 + gamma ||A||^2}).
     *
     * <p>This returns only the solution; {@link #proxL2Result} also reports whether CG converged.
     *
     * @throws IllegalArgumentException when {@code gamma} is not positive and finite
     */
    default NDArray proxL2(NDArray z, NDArray y, double gamma, CgOptions options) {
        return proxL2Result(z, y, gamma, options).solution();
    }

    /**
     * The proximal map {@link #proxL2} together with the CG report (iterations, per-sample relative residuals
     * of {@code (A^T A + I/gamma) x = A^T y + z/gamma}, and whether every sample reached the tolerance within
     * the budget). An operator with a closed form ({@link SvdOperator}) reports {@code converged = true},
     * 0 iterations and zero residuals.
     *
     * @param z the point the map is taken at, an image batch {@code (N, C, H, W)}
     * @param y measurements, shaped {@code outputShape(z.getShape())}
     * @param gamma the step, positive and finite
     * @param options CG budget and relative tolerance
     * @return the solution (on {@code z}'s manager) and the convergence report
     * @throws IllegalArgumentException when {@code gamma} is not positive and finite
     */
    default CgResult proxL2Result(NDArray z, NDArray y, double gamma, CgOptions options) {
        Checks.requirePositive(gamma, "gamma");
        if (options == null) {
            throw new IllegalArgumentException(name() + ": proxL2 needs CgOptions, got null");
        }
        double invGamma = 1.0 / gamma;
        NDArray aty = adjoint(y);
        NDArray zScaled = Scalars.mul(z, invGamma);
        NDArray rhs = aty.add(zScaled);
        aty.close();
        zScaled.close();
        CgResult result = ConjugateGradient.solve(v -> {
            NDArray av = apply(v);
            NDArray atav = adjoint(av);
            av.close();
            NDArray out = atav.add(Scalars.mul(v, invGamma));
            atav.close();
            return out;
        }, rhs, z, options);
        rhs.close();
        return result;
    }

    /**
     * The linear composition "this, then {@code next}": {@code x -> next(this(x))}, with adjoint
     * {@code this^T(next^T(y))}.
     */
    default LinearOperator then(LinearOperator next) {
        return Composed.of(this, next);
    }
}
