package org.diffinv.metrics;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/** Shared input checks and the [-1, 1] to [0, 1] mapping of the image metrics (package-private). */
final class ImagePairs {

    private ImagePairs() {
    }

    /**
     * Checks that {@code x} and {@code y} are image batches of one shape, rank 4 {@code (N, C, H, W)} or rank 3
     * {@code (C, H, W)} (one image), finite, and returns the shape as rank 4.
     */
    static Shape checkPair(String metric, NDArray x, NDArray y) {
        if (x == null || y == null) {
            throw new IllegalArgumentException(metric + ": images must not be null");
        }
        Shape sx = x.getShape();
        Shape sy = y.getShape();
        if (!sx.equals(sy)) {
            throw new IllegalArgumentException(metric + ": the two batches must have one shape, got " + sx + " and "
                    + sy);
        }
        if (sx.dimension() != 4 && sx.dimension() != 3) {
            throw new IllegalArgumentException(metric + ": expected images (N, C, H, W) or (C, H, W), got shape "
                    + sx);
        }
        if (sx.size() == 0) {
            throw new IllegalArgumentException(metric + ": empty batch of shape " + sx);
        }
        checkFinite(metric, "first", x);
        checkFinite(metric, "second", y);
        return sx.dimension() == 4 ? sx : new Shape(1, sx.get(0), sx.get(1), sx.get(2));
    }

    private static void checkFinite(String metric, String which, NDArray a) {
        DataType t = a.getDataType();
        if (!t.isFloating()) {
            throw new IllegalArgumentException(metric + ": the " + which + " batch has type " + t
                    + "; expected a floating type with values in [-1, 1]");
        }
        try (NDArray nan = a.isNaN(); NDArray anyNan = nan.any()) {
            if (anyNan.getBoolean()) {
                throw new IllegalArgumentException(metric + ": the " + which + " batch contains NaN");
            }
        }
        try (NDArray inf = a.isInfinite(); NDArray anyInf = inf.any()) {
            if (anyInf.getBoolean()) {
                throw new IllegalArgumentException(metric + ": the " + which + " batch contains an infinite value");
            }
        }
    }

    /**
     * Temporarily attaches {@code x} and {@code y} to the scratch manager {@code s}, so every intermediate of a
     * metric computed from them is owned by {@code s} and freed with it; both return to their owners when
     * {@code s} closes. The same array passed twice is attached once.
     */
    static void tempAttach(NDManager s, NDArray x, NDArray y) {
        x.tempAttach(s);
        if (y != x) {
            y.tempAttach(s);
        }
    }

    /**
     * Maps kit images to the metric range: {@code u = clip((x + 1) / 2, 0, 1)} in FLOAT64, reshaped to
     * {@code shape4}. The result belongs to {@code x}'s manager.
     */
    static NDArray toUnit(NDArray x, Shape shape4) {
        return x.toType(DataType.FLOAT64, true).add(1.0).div(2.0).clip(0.0, 1.0).reshape(shape4);
    }
}
