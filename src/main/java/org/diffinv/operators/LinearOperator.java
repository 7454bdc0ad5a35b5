package org.diffinv.operators;

import ai.djl.ndarray.NDArray;

/**
 * Linear tier: {@code A} is linear, so it has an adjoint {@code A^T}, a pseudo-inverse {@code A^+} computed
 * by conjugate gradients on the normal equations, and a closed-form-by-CG proximal map of the data term.
 */
public interface LinearOperator extends Operator {

    /** The adjoint {@code A^T y}; exact to floating point ({@code <Ax, y> = <x, A^T y>}). */
    NDArray adjoint(NDArray y);

    /**
     * The minimum-norm least-squares solution {@code A^+ y}, by conjugate gradients on
     * {@code A^T A x = A^T y} started at zero (so the iterate stays in the range of {@code A^T}).
     */
    NDArray pinv(NDArray y, CgOptions options);

    /**
     * The proximal map of the data term {@code f(x) = 1/2 ||A x - y||^2} with step {@code gamma}:
     * {@code argmin_x 1/2 ||A x - y||^2 + 1/(2 gamma) ||x - z||^2}, i.e. the solution of
     * {@code (A^T A + I/gamma) x = A^T y + z/gamma}.
     */
    NDArray proxL2(NDArray z, NDArray y, double gamma, CgOptions options);
}
