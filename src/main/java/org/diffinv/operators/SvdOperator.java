package org.diffinv.operators;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * SVD-decomposable tier: {@code A = U S V^T} with orthonormal {@code U}, {@code V} applied as fast
 * transforms, which gives the pseudo-inverse, the proximal map and the projector {@code P = A^+ A} in closed
 * form. DDRM, PiGDM and C-PiGDM ask for this tier.
 *
 * <p>Spectral coefficients live in a tensor of the <em>input</em> shape: {@link #vt(NDArray)} maps an image
 * to its coefficients in the right singular basis, {@link #ut(NDArray)} maps a measurement to coefficients
 * in the left singular basis embedded in the input shape (zero where no singular value exists), and
 * {@link #singularValues(NDArray)} holds {@code s_i} at the same positions (zero for the null space).
 */
public interface SvdOperator extends LinearOperator {

    /** {@code V^T x}: image to right-singular coefficients (same shape as {@code x}). */
    NDArray vt(NDArray x);

    /** {@code V c}: right-singular coefficients back to an image. */
    NDArray v(NDArray c);

    /** {@code U^T y}: measurement to left-singular coefficients, embedded in the input shape. */
    NDArray ut(NDArray y);

    /** {@code U c}: left-singular coefficients (input-shaped) back to a measurement. */
    NDArray u(NDArray c);

    /**
     * The singular values laid out like the spectral coefficients of {@code like} (an input-shaped tensor,
     * used for shape, type and manager); broadcastable against {@code vt(x)}.
     */
    NDArray singularValues(NDArray like);

    /** The closed-form pseudo-inverse {@code V S^+ U^T y}. */
    NDArray pinv(NDArray y);

    /** The orthogonal projector onto the row space, {@code P x = A^+ A x = V 1[s > 0] V^T x}. */
    NDArray project(NDArray x);

    /** The measurement shape for a given input shape (alias kept for symmetry with {@link #outputShape}). */
    default Shape measurementShape(Shape inputShape) {
        return outputShape(inputShape);
    }
}
