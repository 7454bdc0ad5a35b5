package org.diffinv.util;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link HostArrays} gives arrays whose memory the engine owns: a view of one outlives the array itself, through a
 * garbage collection that frees every unreachable Java buffer. The same sequence on an array from DJL's
 * {@code NDManager.create(double[])} reads the churn's marker instead ({@link #aBorrowedArrayIsNotSafe} shows the
 * fault the class exists for, so this test can tell the two apart).
 */
class HostArraysTest {

    private static final double[] DATA = {1, 2, 3, 4, 5, 6, 7, 8};

    /** Closes {@code a}, keeps a view of it, churns the native heap and reads the view. */
    private static double[] viewAfterClose(NDManager m, NDArray a) {
        NDArray view = a.reshape(2, 4);
        a.close();
        List<ByteBuffer> junk = NativeHeapChurn.churn(-7.0, 64, 8L * DATA.length);
        double[] read = view.toDoubleArray();
        junk.clear();
        return read;
    }

    @Test
    void aViewOutlivesTheArray() {
        try (NDManager m = NDManager.newBaseManager()) {
            for (int i = 0; i < 10; i++) {
                assertArrayEquals(DATA, viewAfterClose(m, HostArrays.of(m, DATA, new Shape(8))), 0.0, "attempt " + i);
            }
        }
    }

    @Test
    void aBorrowedArrayIsNotSafe() {
        try (NDManager m = NDManager.newBaseManager()) {
            int tries = 0;
            boolean overwritten = false;
            while (!overwritten && tries < 50) {
                double[] read = viewAfterClose(m, m.create(DATA, new Shape(8)));
                overwritten = !java.util.Arrays.equals(read, DATA);
                tries++;
            }
            assertTrue(overwritten, "DJL's create kept its buffer alive in 50 of 50 tries: the churn no longer "
                    + "reproduces the fault, so aViewOutlivesTheArray proves nothing");
        }
    }

    @Test
    void typesAndValuesAreThoseAsked() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray f = HostArrays.of(m, DATA, new Shape(2, 4), DataType.FLOAT32);
            assertEquals(DataType.FLOAT32, f.getDataType());
            assertEquals(new Shape(2, 4), f.getShape());
            assertEquals(6f, f.toFloatArray()[5], 0f);
            assertEquals(DataType.INT32, HostArrays.of(m, new int[] {1, 2}).getDataType());
            assertEquals(DataType.INT64, HostArrays.of(m, new long[] {1, 2}, new Shape(2)).getDataType());
            NDArray mat = HostArrays.matrix(m, new double[][] {{1, 2, 3}, {4, 5, 6}}, DataType.FLOAT64);
            assertArrayEquals(new double[] {1, 2, 3, 4, 5, 6}, mat.toDoubleArray(), 0.0);
        }
    }

    @Test
    void badSizesAreRefusedNamingThem() {
        try (NDManager m = NDManager.newBaseManager()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> HostArrays.of(m, DATA, new Shape(3, 3)));
            assertTrue(e.getMessage().contains("8 values") && e.getMessage().contains("(3, 3)"), e.getMessage());
            IllegalArgumentException ragged = assertThrows(IllegalArgumentException.class,
                    () -> HostArrays.matrix(m, new double[][] {{1, 2}, {3}}, DataType.FLOAT64));
            assertTrue(ragged.getMessage().contains("row 1"), ragged.getMessage());
        }
    }
}
