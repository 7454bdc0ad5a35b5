package org.diffinv.operators;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Forward tier of a measurement operator {@code y = A(x)}: the forward map and its vector-Jacobian product.
 *
 * <p>Images are batches {@code (N, C, H, W)} in the kit's working range [-1, 1]; measurements have the
 * shape given by {@link #outputShape(Shape)}. Operators are immutable and thread-safe. Solvers that only
 * need {@code A(x)} and gradients through it (DPS, PSLD, P2L, Flash-Diffusion, DCDP) ask for this tier;
 * {@link LinearOperator} and {@link SvdOperator} add adjoints, pseudo-inverses and closed forms.
 */
public interface Operator {

    /** A short human-readable name with the parameters, e.g. {@code "sr-avgpool(k=4)"}. */
    String name();

    /**
     * The measurement shape for an input of shape {@code inputShape}.
     *
     * @throws IllegalArgumentException naming the bad shape and what was expected, when the operator cannot
     *     act on such an input
     */
    Shape outputShape(Shape inputShape);

    /** Applies the forward model {@code A(x)} (no noise). */
    NDArray apply(NDArray x);

    /**
     * The vector-Jacobian product {@code (dA/dx (x))^T v}, computed by automatic differentiation for a
     * nonlinear operator and equal to {@code A^T v} for a linear one.
     *
     * @param x the point, an image batch {@code (N, C, H, W)} the operator accepts
     * @param v the cotangent, of shape {@code outputShape(x.getShape())}
     * @throws IllegalArgumentException naming the bad value and the expectation when {@code x} is not a finite
     *     image batch or {@code v} has another shape or non-finite entries (every implementation checks with
     *     {@link Checks#requireVjpArguments} before any work; the linear tier, whose VJP does not read {@code x}'s
     *     values, checks {@code x}'s shape and type only: {@link Checks#requireLinearVjpArguments})
     */
    NDArray vjp(NDArray x, NDArray v);

    /**
     * The composition "this, then {@code next}": {@code x -> next(this(x))}. Forward tier; see
     * {@link Composed#of(Operator...)}, which returns a linear composition when every part is linear.
     */
    default Operator then(Operator next) {
        return Composed.of(this, next);
    }
}
