package org.diffinv.metrics;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** PSNR against hand-computed cases: constant offsets, half-image errors, clipping, shapes and bad input. */
class PsnrTest {
    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    @Test
    void constantOffsetGivesExactDecibels() {
        // image 0: offset 0.2 in [-1, 1] = 0.1 in [0, 1] -> MSE 0.01 -> 20 dB exactly;
        // image 1: offset 0.02 -> 0.01 -> MSE 1e-4 -> 40 dB. Error of the FLOAT64 path: ~1e-15 relative.
        NDArray x = manager.zeros(new Shape(2, 3, 8, 8), DataType.FLOAT64);
        NDArray y = manager.create(new double[] {0.2, 0.02}).reshape(2, 1, 1, 1)
                .broadcast(new Shape(2, 3, 8, 8));
        assertArrayEquals(new double[] {20.0, 40.0}, Psnr.perImage(x, y), 1e-12);
        assertArrayEquals(new double[] {0.01, 1e-4}, Psnr.msePerImage(x, y), 1e-15);
    }

    @Test
    void halfTheImageWrongByPointFour() {
        // half the pixels differ by 0.4 (0.2 after mapping): MSE = 0.5 * 0.04 = 0.02 -> 10 log10(50) dB
        double[] a = new double[64];
        for (int i = 0; i < 32; i++) {
            a[i] = 0.4;
        }
        NDArray x = manager.create(a, new Shape(1, 1, 8, 8));
        NDArray y = manager.zeros(new Shape(1, 1, 8, 8), DataType.FLOAT64);
        assertEquals(10 * Math.log10(50), Psnr.perImage(x, y)[0], 1e-12);
    }

    @Test
    void valuesAreClippedToTheImageRangeFirst() {
        // 1.5 and 1 both map to 1 -> identical -> +Infinity; -3 maps to 0 vs 1 -> MSE 1 -> 0 dB
        NDArray x = manager.create(new double[] {1.5, -3.0}).reshape(2, 1, 1, 1).broadcast(new Shape(2, 1, 4, 4));
        NDArray y = manager.ones(new Shape(2, 1, 4, 4), DataType.FLOAT64);
        double[] p = Psnr.perImage(x, y);
        assertEquals(Double.POSITIVE_INFINITY, p[0]);
        assertEquals(0.0, p[1], 1e-15);
    }

    @Test
    void singleImageOfRankThreeAndFloat32() {
        // FLOAT32 input: 0.2f is 0.2 up to 3e-9, so MSE = 0.01 (1 +- 6e-8) -> 20 dB +- 3e-7
        NDArray x = manager.zeros(new Shape(1, 5, 5), DataType.FLOAT32);
        NDArray y = manager.full(new Shape(1, 5, 5), 0.2f, DataType.FLOAT32);
        double[] p = Psnr.perImage(x, y);
        assertEquals(1, p.length);
        assertEquals(20.0, p[0], 1e-6);
    }

    @Test
    void batchSummaryIsMeanAndSampleStd() {
        NDArray x = manager.zeros(new Shape(2, 1, 4, 4), DataType.FLOAT64);
        NDArray y = manager.create(new double[] {0.2, 0.02}).reshape(2, 1, 1, 1).broadcast(new Shape(2, 1, 4, 4));
        MeanStd s = Psnr.batch(x, y);
        assertEquals(30.0, s.mean(), 1e-12);
        assertEquals(Math.sqrt(200.0), s.std(), 1e-12); // ((10^2 + 10^2) / 1)^(1/2)
    }

    @Test
    void inputsAreNotConsumedAndNoArraysLeak() {
        NDArray x = manager.zeros(new Shape(2, 1, 4, 4), DataType.FLOAT64);
        NDArray y = manager.ones(new Shape(2, 1, 4, 4), DataType.FLOAT64);
        int before = ProcessMemory.liveArrays(manager);
        Psnr.perImage(x, y);
        Psnr.perImage(x, x);
        assertEquals(before, ProcessMemory.liveArrays(manager));
        assertTrue(!x.isReleased() && !y.isReleased());
        assertEquals(manager, x.getManager());
    }

    @Test
    void badInputIsRejectedWithAClearMessage() {
        NDArray x = manager.zeros(new Shape(1, 1, 4, 4), DataType.FLOAT64);
        NDArray other = manager.zeros(new Shape(1, 1, 4, 5), DataType.FLOAT64);
        NDArray flat = manager.zeros(new Shape(4, 4), DataType.FLOAT64);
        NDArray nan = manager.full(new Shape(1, 1, 4, 4), Float.NaN, DataType.FLOAT64);
        NDArray ints = manager.zeros(new Shape(1, 1, 4, 4), DataType.INT32);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Psnr.perImage(x, other)).getMessage()
                .contains("(1, 1, 4, 5)"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Psnr.perImage(flat, flat)).getMessage()
                .contains("(N, C, H, W)"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Psnr.perImage(x, nan)).getMessage()
                .contains("NaN"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Psnr.perImage(ints, ints)).getMessage()
                .toLowerCase().contains("int32"));
        assertThrows(IllegalArgumentException.class, () -> Psnr.fromMse(-1));
        assertThrows(IllegalArgumentException.class, () -> Psnr.fromMse(Double.NaN));
    }
}
