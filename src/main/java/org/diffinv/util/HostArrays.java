package org.diffinv.util;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Engine arrays made from Java data whose storage the engine owns: the one way the kit turns Java numbers into
 * tensors.
 *
 * <p>On the CPU, DJL's PyTorch {@code NDManager.create(double[] / float[] / int[] / long[], shape)} wraps a Java
 * direct buffer with {@code torch::from_blob}: the tensor's memory is the buffer's, and the buffer lives only as long
 * as that one {@code NDArray} holds it. Once the array is closed, the garbage collector may free the buffer (and the
 * allocator reuse it) while other tensors still point into it: views and aliases of it ({@code reshape},
 * {@code transpose}, a same-type {@code toType}) and the tensors autograd saved for the backward pass (a mask
 * multiplied into a differentiated image, a matrix in a differentiated {@code matMul}). They then read whatever lies
 * there: a last-bit difference, a wrong gradient or an overflow, depending on when the collector ran. (Measured:
 * before the kit's constants went through this class, two same-seed float64 DPS solves through an inpainting mask
 * made by {@code create} and closed after the product differed in 3 of 12 test runs, by 4.7e-9, 1.1e-7 and 2.1e105
 * RMS; after, 0 of 20.)
 *
 * <p>These methods copy the data into engine-owned storage (a clone, or the conversion to the asked type) and close
 * the borrowed buffer at once, so the result can be closed, viewed and differentiated like any engine result. The
 * extra copy is one pass over data that was just written in Java. {@link Scalars} does the same for single numbers.
 */
public final class HostArrays {

    private HostArrays() {
    }

    /** A FLOAT64 array of {@code shape} holding {@code data} (row-major). */
    public static NDArray of(NDManager manager, double[] data, Shape shape) {
        return of(manager, data, shape, DataType.FLOAT64);
    }

    /** An array of {@code shape} and {@code type} holding {@code data} (row-major), converted from double. */
    public static NDArray of(NDManager manager, double[] data, Shape shape, DataType type) {
        checkSize(data.length, shape);
        return owned(manager.create(data, shape), type);
    }

    /** A FLOAT32 array of {@code shape} holding {@code data} (row-major). */
    public static NDArray of(NDManager manager, float[] data, Shape shape) {
        return of(manager, data, shape, DataType.FLOAT32);
    }

    /** An array of {@code shape} and {@code type} holding {@code data} (row-major), converted from float. */
    public static NDArray of(NDManager manager, float[] data, Shape shape, DataType type) {
        checkSize(data.length, shape);
        return owned(manager.create(data, shape), type);
    }

    /** An INT32 array of {@code shape} holding {@code data} (row-major). */
    public static NDArray of(NDManager manager, int[] data, Shape shape) {
        checkSize(data.length, shape);
        return owned(manager.create(data, shape), DataType.INT32);
    }

    /** An INT64 array of {@code shape} holding {@code data} (row-major). */
    public static NDArray of(NDManager manager, long[] data, Shape shape) {
        checkSize(data.length, shape);
        return owned(manager.create(data, shape), DataType.INT64);
    }

    /** A 1-D FLOAT64 array holding {@code data}. */
    public static NDArray of(NDManager manager, double[] data) {
        return of(manager, data, new Shape(data.length));
    }

    /** A 1-D FLOAT32 array holding {@code data}. */
    public static NDArray of(NDManager manager, float[] data) {
        return of(manager, data, new Shape(data.length));
    }

    /** A 1-D INT32 array holding {@code data}. */
    public static NDArray of(NDManager manager, int[] data) {
        return of(manager, data, new Shape(data.length));
    }

    /** A FLOAT64 matrix {@code rows.length x rows[0].length} holding {@code rows}, converted to {@code type}. */
    public static NDArray matrix(NDManager manager, double[][] rows, DataType type) {
        if (rows.length == 0) {
            throw new IllegalArgumentException("a matrix needs at least one row, got none");
        }
        int cols = rows[0].length;
        double[] flat = new double[rows.length * cols];
        for (int i = 0; i < rows.length; i++) {
            if (rows[i].length != cols) {
                throw new IllegalArgumentException("row " + i + " has " + rows[i].length + " entries, row 0 has " + cols);
            }
            System.arraycopy(rows[i], 0, flat, i * cols, cols);
        }
        return of(manager, flat, new Shape(rows.length, cols), type);
    }

    private static void checkSize(int length, Shape shape) {
        if (length != shape.size()) {
            throw new IllegalArgumentException(length + " values do not fill shape " + shape + " (" + shape.size()
                    + " entries)");
        }
    }

    /** An engine-owned copy of {@code borrowed} in {@code type}; {@code borrowed} is closed. */
    private static NDArray owned(NDArray borrowed, DataType type) {
        try (borrowed) {
            return borrowed.getDataType() == type ? borrowed.duplicate() : borrowed.toType(type, false);
        }
    }
}
