package org.diffinv.operators;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.types.Shape;

/**
 * The discrete gradient {@code C x = (D_h x, D_v x)} of total-variation regularisation (Rudin, Osher and Fatemi 1992;
 * the isotropic TV of ADMM-TV is {@code sum over pixels and channels of sqrt((D_h x)^2 + (D_v x)^2)}): forward
 * differences along the width and the height, {@code (D_h x)[i, j] = x[i, j+1] - x[i, j]}, with the last difference
 * of each row (column) set to zero (Neumann boundary: the image is continued by its edge). Linear tier;
 * {@code (N, C, H, W) -> (N, 2C, H, W)}, the horizontal differences in channels {@code 0 .. C-1} and the vertical
 * ones in {@code C .. 2C-1}. The adjoint is minus the discrete divergence,
 * {@code (D_h^T g)[i, j] = g[i, j-1] - g[i, j]} with {@code g[i, -1] = g[i, W-1] = 0}.
 *
 * <p>Not a measurement model: it is the analysis operator of ADMM-TV, kept here so that the operator property tests
 * (adjointness, CG pseudo-inverse) cover it. Its null space is the constant images (per channel).
 */
public final class FiniteDifference implements LinearOperator {

    /** The discrete gradient. */
    public FiniteDifference() {
    }

    @Override
    public String name() {
        return "finite-difference";
    }

    @Override
    public Shape outputShape(Shape inputShape) {
        Checks.requireRank4(inputShape, name(), "input");
        if (inputShape.get(2) < 2 || inputShape.get(3) < 2) {
            throw new IllegalArgumentException(name() + ": needs images of at least 2 x 2 pixels, got shape "
                    + inputShape);
        }
        return new Shape(inputShape.get(0), 2 * inputShape.get(1), inputShape.get(2), inputShape.get(3));
    }

    @Override
    public NDArray apply(NDArray x) {
        Shape s = Checks.requireImage(x, name(), "input");
        outputShape(s);
        long n = s.get(0);
        long c = s.get(1);
        long h = s.get(2);
        long w = s.get(3);
        try (NDArray right = x.get(":, :, :, 1:"); NDArray left = x.get(":, :, :, :-1");
             NDArray down = x.get(":, :, 1:, :"); NDArray up = x.get(":, :, :-1, :");
             NDArray dh = right.sub(left); NDArray dv = down.sub(up);
             NDArray zeroColumn = x.getManager().zeros(new Shape(n, c, h, 1), x.getDataType());
             NDArray zeroRow = x.getManager().zeros(new Shape(n, c, 1, w), x.getDataType());
             NDArray gh = dh.concat(zeroColumn, 3); NDArray gv = dv.concat(zeroRow, 2)) {
            return gh.concat(gv, 1);
        }
    }

    @Override
    public NDArray adjoint(NDArray g) {
        Shape s = Checks.requireImage(g, name(), "gradient field");
        if (s.get(1) % 2 != 0 || s.get(2) < 2 || s.get(3) < 2) {
            throw new IllegalArgumentException(name() + ": a gradient field has an even channel count 2C (horizontal, "
                    + "then vertical differences) and at least 2 x 2 pixels, got shape " + s);
        }
        long n = s.get(0);
        long c = s.get(1) / 2;
        long h = s.get(2);
        long w = s.get(3);
        String horizontal = ":, 0:" + c + ", :, :-1";
        String vertical = ":, " + c + ":, :-1, :";
        try (NDArray gh = g.get(horizontal); NDArray gv = g.get(vertical);
             NDArray zeroColumn = g.getManager().zeros(new Shape(n, c, h, 1), g.getDataType());
             NDArray zeroRow = g.getManager().zeros(new Shape(n, c, 1, w), g.getDataType());
             NDArray shiftedH = zeroColumn.concat(gh, 3); NDArray keptH = gh.concat(zeroColumn, 3);
             NDArray shiftedV = zeroRow.concat(gv, 2); NDArray keptV = gv.concat(zeroRow, 2);
             NDArray th = shiftedH.sub(keptH); NDArray tv = shiftedV.sub(keptV)) {
            return NDArrays.add(th, tv);
        }
    }

    @Override
    public String toString() {
        return name();
    }
}
