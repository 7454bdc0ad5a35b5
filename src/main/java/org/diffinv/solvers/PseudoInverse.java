package org.diffinv.solvers;

import ai.djl.ndarray.NDArray;
import org.diffinv.linalg.CgOptions;
import org.diffinv.operators.LinearOperator;

/**
 * The trivial baseline every table needs: {@code x = A^+ y}, the minimum-norm least-squares solution (closed form on
 * the SVD tier, CG on the normal equations otherwise), clipped to [-1, 1] as an image. No prior is used (the prior
 * argument of {@link #solve} is ignored except for its presence), no network is evaluated.
 */
public final class PseudoInverse implements Solver<LinearOperator> {

    private final CgOptions cg;

    /** {@code A^+ y} with the given CG options for the linear tier. */
    public PseudoInverse(CgOptions cg) {
        if (cg == null) {
            throw new IllegalArgumentException("the pseudo-inverse baseline needs CG options, got null");
        }
        this.cg = cg;
    }

    /** The registry's default: CG at {@link CgOptions#DEFAULT}. */
    public static PseudoInverse paper() {
        return new PseudoInverse(CgOptions.DEFAULT);
    }

    @Override
    public String name() {
        return "pinv";
    }

    @Override
    public String citation() {
        return "baseline: A^+ y (minimum-norm least squares)";
    }

    @Override
    public Class<LinearOperator> tier() {
        return LinearOperator.class;
    }

    @Override
    public NDArray reconstruct(SolveContext<LinearOperator> ctx) {
        return ctx.a().pinv(ctx.y(), cg).clip(-1, 1);
    }

    @Override
    public String toString() {
        return "pinv(" + cg + ")";
    }
}
