package org.diffinv.operators;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.diffinv.util.HostArrays;

/**
 * An immutable binary inpainting mask, 1 where a pixel is observed and 0 where it is missing, of shape
 * {@code (B, K, H, W)}: {@code B = 1} (one mask shared by the batch) or {@code B = N} (one per image);
 * {@code K = 1} (shared by the channels) or {@code K = C} (per channel). Values are held in Java memory, so a
 * mask outlives any {@link NDManager}; {@link #toTensor} builds the tensor on the caller's manager.
 *
 * <p>Generators are in {@link Masks}.
 */
public final class Mask {

    private final double[] values;
    private final Shape shape;
    private final long observed;

    private Mask(double[] values, Shape shape) {
        this.values = values;
        this.shape = shape;
        long count = 0;
        for (double v : values) {
            count += v == 1.0 ? 1 : 0;
        }
        this.observed = count;
    }

    /**
     * A mask from flat row-major values of shape {@code (B, K, H, W)}.
     *
     * @throws IllegalArgumentException when the shape is not rank 4, the length does not match, or a value is
     *     not 0 or 1
     */
    public static Mask of(double[] values, Shape shape) {
        if (shape == null || shape.dimension() != 4) {
            throw new IllegalArgumentException("mask shape must have rank 4 (B, K, H, W), got " + shape);
        }
        if (values.length != shape.size()) {
            throw new IllegalArgumentException("mask of shape " + shape + " needs " + shape.size() + " values, got "
                    + values.length);
        }
        for (int i = 0; i < values.length; i++) {
            if (values[i] != 0.0 && values[i] != 1.0) {
                throw new IllegalArgumentException("mask values must be 0 (missing) or 1 (observed), got " + values[i]
                        + " at flat index " + i);
            }
        }
        return new Mask(values.clone(), shape);
    }

    /** A mask from a tensor of shape {@code (B, K, H, W)} with values 0 or 1 (copied to Java memory). */
    public static Mask of(NDArray tensor) {
        return of(tensor.toType(DataType.FLOAT64, false).toDoubleArray(), tensor.getShape());
    }

    /** The mask shape {@code (B, K, H, W)}. */
    public Shape shape() {
        return shape;
    }

    /** The flat row-major values (a copy). */
    public double[] values() {
        return values.clone();
    }

    /** The fraction of missing pixels (zeros), over all of the mask's entries. */
    public double holeRatio() {
        return 1.0 - (double) observed / values.length;
    }

    /** The fraction of missing pixels of image {@code b} of the mask. */
    public double holeRatio(int b) {
        long per = shape.size() / shape.get(0);
        long zeros = 0;
        for (long i = b * per; i < (b + 1) * per; i++) {
            zeros += values[(int) i] == 0.0 ? 1 : 0;
        }
        return (double) zeros / per;
    }

    /** The mask as a tensor of its own shape and the given type on {@code manager}. */
    public NDArray toTensor(NDManager manager, DataType dataType) {
        return HostArrays.of(manager, values, shape, dataType);
    }

    /**
     * Checks that the mask can act on an image batch of shape {@code (N, C, H, W)}.
     *
     * @throws IllegalArgumentException naming the mismatching axis
     */
    public void requireCompatible(Shape image, String who) {
        Checks.requireRank4(image, who, "input");
        if (shape.get(2) != image.get(2) || shape.get(3) != image.get(3)) {
            throw new IllegalArgumentException(who + ": mask size " + shape.get(2) + "x" + shape.get(3)
                    + " does not match the image size " + image.get(2) + "x" + image.get(3) + " of input " + image);
        }
        if (shape.get(1) != 1 && shape.get(1) != image.get(1)) {
            throw new IllegalArgumentException(who + ": mask has " + shape.get(1) + " channels but the input has "
                    + image.get(1) + " (input " + image + "); expected a mask with 1 or " + image.get(1) + " channels");
        }
        if (shape.get(0) != 1 && shape.get(0) != image.get(0)) {
            throw new IllegalArgumentException(who + ": mask batch " + shape.get(0) + " does not match the input batch "
                    + image.get(0) + " (input " + image + "); expected a mask batch of 1 or " + image.get(0));
        }
    }

    @Override
    public String toString() {
        return "Mask" + shape + String.format(java.util.Locale.ROOT, "[hole=%.3f]", holeRatio());
    }
}
