package org.diffinv.operators;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * The identity operator {@code A = I} of denoising ({@code y = x + n}); SVD tier with {@code U = V = I} and all
 * singular values 1, so {@code A^+ = P = I}. Used by every paper's denoising and purification steps (DCDP,
 * Flash-Diffusion) and as the trivial case of the property tests. Any batch, channel count and size.
 */
public final class Denoising implements SvdOperator {

    /** The identity operator. */
    public Denoising() {
    }

    @Override
    public String name() {
        return "denoising";
    }

    @Override
    public Shape outputShape(Shape inputShape) {
        Checks.requireRank4(inputShape, name(), "input");
        return inputShape;
    }

    @Override
    public NDArray apply(NDArray x) {
        Checks.requireImage(x, name(), "input");
        return TapedCopy.of(x);
    }

    @Override
    public NDArray adjoint(NDArray y) {
        Checks.requireImage(y, name(), "measurement");
        return TapedCopy.of(y);
    }

    /** {@code A^T v} without the adjoint's scan of {@code v}, for the linear VJP (which has checked it). */
    @Override
    public NDArray adjointOfChecked(NDArray v) {
        return TapedCopy.of(v);
    }

    @Override
    public NDArray vt(NDArray x) {
        return apply(x);
    }

    @Override
    public NDArray v(NDArray c) {
        return apply(c);
    }

    @Override
    public NDArray ut(NDArray y) {
        return adjoint(y);
    }

    @Override
    public NDArray u(NDArray c) {
        return apply(c);
    }

    @Override
    public NDArray singularValues(NDArray like) {
        return like.onesLike();
    }

    @Override
    public NDArray pinv(NDArray y) {
        return adjoint(y);
    }

    @Override
    public NDArray project(NDArray x) {
        return apply(x);
    }

    @Override
    public String toString() {
        return name();
    }
}
