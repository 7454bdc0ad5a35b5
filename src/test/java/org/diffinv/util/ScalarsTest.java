package org.diffinv.util;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.diffinv.diffusion.NoiseSource;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tensor-by-number ops inside a gradient recording keep their number alive until backward. DJL's PyTorch
 * {@code mul(Number)} wraps the number with {@code from_blob} over a Java direct buffer that it releases right after
 * the forward op; autograd saves that tensor, so a garbage collection and a few new direct buffers before
 * {@code backward} can overwrite the number the gradient reads (measured: 19 of 20 such gradients read the
 * overwriting value 7.0 instead of 3.0). {@link Scalars} keeps an engine-owned copy: under the same stress every
 * gradient is exact.
 */
class ScalarsTest {

    private static double gradientUnderStress(NDManager manager, boolean safe) {
        try (NDManager s = manager.newSubManager()) {
            NDArray leaf = s.create(new double[] {1, 2});
            leaf.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray y = safe ? Scalars.mul(leaf, 3.0) : leaf.mul(3.0);
                NDArray loss = y.sum();
                List<ByteBuffer> junk = NativeHeapChurn.churn(7.0, 64, 8);
                gc.backward(loss);
                junk.clear();
            }
            return leaf.getGradient().getDouble(0);
        }
    }

    @Test
    void numberOperandsSurviveUntilBackward() {
        try (NDManager manager = NDManager.newBaseManager()) {
            for (int i = 0; i < 20; i++) {
                assertEquals(3.0, gradientUnderStress(manager, true), 0.0, "attempt " + i);
            }
        }
    }

    private static final double[] NUMBERS = {0.3, 7.0, 0.9, 2.0 / 1024, 1.0 / 3, Math.sqrt(0.7), 1e-7, -3.5, 1e10, 0.0,
        -0.0, 1.0, 2.0, 0.5, Math.sqrt(1 / 0.0047 - 1), 1 / Math.sqrt(0.99990000012), 123456.789};

    private interface Pair {
        NDArray plain(NDArray x, double n);

        NDArray kit(NDArray x, double n);
    }

    private static void assertBitwise(String what, NDArray x, Pair op) {
        for (double n : NUMBERS) {
            try (NDArray want = op.plain(x, n); NDArray got = op.kit(x, n)) {
                assertEquals(want.getDataType(), got.getDataType(), what + " " + n);
                assertEquals(want.getShape(), got.getShape(), what + " " + n);
                assertArrayEquals(want.toType(DataType.FLOAT64, false).toDoubleArray(),
                        got.toType(DataType.FLOAT64, false).toDoubleArray(), 0.0, what + " " + n + " on " + x.getDataType());
            }
        }
    }

    @Test
    void valuesAreThoseOfThePlainOpsBitForBit() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NoiseSource noise = NoiseSource.seeded(3);
            for (DataType type : new DataType[] {DataType.FLOAT32, DataType.FLOAT64}) {
                NDArray x = noise.normal(manager, new Shape(2, 1, 8, 8), type).mul(3);
                NDArray positive = x.abs().add(0.25);
                assertBitwise("mul", x, pair(NDArray::mul, Scalars::mul));
                assertBitwise("div", x, pair(NDArray::div, Scalars::div));
                assertBitwise("add", x, pair(NDArray::add, Scalars::add));
                assertBitwise("sub", x, pair(NDArray::sub, Scalars::sub));
                assertBitwise("pow", positive, pair(NDArray::pow, Scalars::pow));
            }
        }
    }

    private interface Plain {
        NDArray apply(NDArray x, Number n);
    }

    private static Pair pair(Plain plain, Plain kit) {
        return new Pair() {
            @Override
            public NDArray plain(NDArray x, double n) {
                return plain.apply(x, n);
            }

            @Override
            public NDArray kit(NDArray x, double n) {
                return kit.apply(x, n);
            }
        };
    }

    @Test
    void theCachedNumbersOutliveTheCallersManagersAndTheCacheIsBounded() {
        double n = 0.123456789012345; // a number no other test uses
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.create(new float[] {2f});
            int empty = Scalars.cachedCount();
            try (NDManager scope = manager.newSubManager()) {
                NDArray xs = x.duplicate();
                xs.attach(scope);
                Scalars.mul(xs, n);
            }
            int before = Scalars.cachedCount();
            if (empty < Scalars.CAPACITY) {
                assertEquals(empty + 1, before, "a new number is cached once");
            }
            NDArray again = Scalars.mul(x, n); // the same number again: served from the cache, still open
            assertEquals(before, Scalars.cachedCount());
            assertEquals(2 * (float) n, again.getFloat(), 0f);
            assertSame(manager, again.getManager(), "the result lives on the operand's manager");
            assertTrue(Scalars.cachedCount() <= Scalars.CAPACITY);
        }
    }

    @Test
    void integerOperandsKeepDjlsOwnTypeRules() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray k = manager.create(new int[] {1, 2, 3});
            try (NDArray want = k.mul(2); NDArray got = Scalars.mul(k, 2)) {
                assertEquals(want.getDataType(), got.getDataType());
                assertArrayEquals(want.toIntArray(), got.toIntArray());
            }
        }
    }

    @Test
    void valuesAreThoseOfThePlainOps() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.create(new float[] {1.5f, -2f, 4f});
            assertEquals(x.mul(0.3).toFloatArray()[2], Scalars.mul(x, 0.3).toFloatArray()[2], 0f);
            assertEquals(x.div(7.0).toFloatArray()[0], Scalars.div(x, 7.0).toFloatArray()[0], 0f);
            assertEquals(x.abs().pow(0.5).toFloatArray()[1], Scalars.pow(x.abs(), 0.5).toFloatArray()[1], 0f);
            assertEquals(x.getDataType(), Scalars.mul(x, 2.0).getDataType());
        }
    }
}
